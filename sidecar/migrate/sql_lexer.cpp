#include "sidecar/migrate/sql_lexer.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace sg::migrate {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::size_t kMaxTagInMessage = 64;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_high(char c) {
    return static_cast<unsigned char>(c) >= 0x80;
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
// PostgreSQL's ident_start / dolq_start.
bool is_ident_start(char c) {
    return is_alpha(c) || c == '_' || is_high(c);
}
// PostgreSQL's dolq_cont (ident_cont without '$').
bool is_dolq_cont(char c) {
    return is_ident_start(c) || is_digit(c);
}
bool is_ident_cont(char c) {
    return is_dolq_cont(c) || c == '$';
}

char to_upper_ascii(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// ASCII case-insensitive comparison with an upper-case keyword.
bool is_keyword(std::string_view word, std::string_view upper) {
    if (word.size() != upper.size()) {
        return false;
    }
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (to_upper_ascii(word[i]) != upper[i]) {
            return false;
        }
    }
    return true;
}

bool is_word(const Token& token, std::string_view upper) {
    return token.kind == TokenKind::kWord && is_keyword(token.text, upper);
}

std::string opened_on(std::size_t line) {
    return " opened on line " + std::to_string(line);
}

// The significant tokens of one statement: comments skipped, kError read as the end.
class Significant {
  public:
    explicit Significant(std::string_view text) : tokenizer_(text) {}
    Token next() {
        for (;;) {
            Token token = tokenizer_.next();
            if (token.kind == TokenKind::kLineComment || token.kind == TokenKind::kBlockComment) {
                continue;
            }
            if (token.kind == TokenKind::kError) {
                token.kind = TokenKind::kEnd;
            }
            return token;
        }
    }

  private:
    Tokenizer tokenizer_;
};

// The first few significant tokens of a statement.
constexpr std::size_t kHeadSize = 8;  // CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS name ON
struct Head {
    std::array<Token, kHeadSize> tokens{};
    std::size_t count = 0;
    [[nodiscard]] bool word(std::size_t i, std::string_view upper) const {
        return i < count && is_word(tokens.at(i), upper);
    }
};

Head read_head(std::string_view text) {
    Head head;
    Significant tokens(text);
    while (head.count < kHeadSize) {
        const Token token = tokens.next();
        if (token.kind == TokenKind::kEnd) {
            break;
        }
        head.tokens.at(head.count++) = token;
    }
    return head;
}

// Which CREATE [OR REPLACE] FUNCTION/PROCEDURE header the statement's first words form so far.
enum class Header { kStart, kCreate, kCreateOr, kCreateOrReplace, kRoutine, kOther };

Header advance_header(Header header, std::string_view word) {
    const auto is_routine = [&] {
        return is_keyword(word, "FUNCTION") || is_keyword(word, "PROCEDURE");
    };
    switch (header) {
        case Header::kStart:
            return is_keyword(word, "CREATE") ? Header::kCreate : Header::kOther;
        case Header::kCreate:
            if (is_keyword(word, "OR")) {
                return Header::kCreateOr;
            }
            return is_routine() ? Header::kRoutine : Header::kOther;
        case Header::kCreateOr:
            return is_keyword(word, "REPLACE") ? Header::kCreateOrReplace : Header::kOther;
        case Header::kCreateOrReplace:
            return is_routine() ? Header::kRoutine : Header::kOther;
        case Header::kRoutine:
        case Header::kOther:
            break;
    }
    return header;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Tokenizer

Tokenizer::Tokenizer(std::string_view sql) : sql_(sql) {
    if (sql_.substr(0, kBom.size()) == kBom) {
        pos_ = kBom.size();
    }
}

bool Tokenizer::is_line_break_at(std::size_t i) const {
    const char c = sql_[i];
    return c == '\n' || (c == '\r' && (i + 1 >= sql_.size() || sql_[i + 1] != '\n'));
}

std::size_t Tokenizer::count_line_breaks(std::size_t from, std::size_t to) const {
    std::size_t count = 0;
    for (std::size_t i = from; i < to; ++i) {
        if (is_line_break_at(i)) {
            ++count;
        }
    }
    return count;
}

Token Tokenizer::make(TokenKind kind, std::size_t start, std::size_t end, std::size_t line) {
    pos_ = end;
    return Token{kind, sql_.substr(start, end - start), line, start};
}

Token Tokenizer::fail(std::size_t start, std::size_t line, std::string message) {
    error_ = LexError{line, std::move(message)};
    pos_ = sql_.size();
    line_ += count_line_breaks(start, sql_.size());
    return Token{TokenKind::kError, sql_.substr(start), line, start};
}

Token Tokenizer::lex_quoted(std::size_t start, std::size_t body, char quote, TokenKind kind,
                            bool backslash_escapes) {
    const std::size_t line = line_;
    const char stops[] = {quote, '\\', '\0'};
    const std::string_view stop_set(stops, backslash_escapes ? 2 : 1);
    std::size_t i = body;
    for (;;) {
        const std::size_t q = sql_.find_first_of(stop_set, i);
        if (q == std::string_view::npos) {
            break;
        }
        if (sql_[q] == '\\') {  // only with backslash_escapes: the next character is literal
            i = q + 2;
            if (i > sql_.size()) {
                break;
            }
            continue;
        }
        if (q + 1 < sql_.size() && sql_[q + 1] == quote) {  // doubled quote
            i = q + 2;
            continue;
        }
        line_ += count_line_breaks(start, q + 1);
        return make(kind, start, q + 1, line);
    }
    std::string what;
    if (kind == TokenKind::kQuotedIdentifier) {
        what = "unterminated quoted identifier";
    } else if (backslash_escapes) {
        what = "unterminated escape string E'...'";
    } else if (body - start == 3) {  // U&'
        what = "unterminated Unicode string U&'...'";
    } else {
        what = "unterminated quoted string";
    }
    return fail(start, line, what + opened_on(line));
}

Token Tokenizer::lex_dollar(std::size_t start) {
    const std::size_t n = sql_.size();
    const std::size_t line = line_;
    // Parameter: $1, with any identifier glued to it (PostgreSQL's param_junk).
    if (start + 1 < n && is_digit(sql_[start + 1])) {
        std::size_t i = start + 1;
        while (i < n && (is_digit(sql_[i]) || sql_[i] == '_')) {
            ++i;
        }
        if (i < n && is_ident_start(sql_[i])) {
            while (i < n && is_ident_cont(sql_[i])) {
                ++i;
            }
        }
        return make(TokenKind::kParameter, start, i, line);
    }
    // Opening delimiter: $tag$ where tag is empty or dolq_start dolq_cont*.
    std::size_t i = start + 1;
    if (i < n && is_ident_start(sql_[i])) {
        while (i < n && is_dolq_cont(sql_[i])) {
            ++i;
        }
    }
    if (i >= n || sql_[i] != '$') {
        // Not a delimiter: the '$' alone; what follows lexes on its own (psql's dolqfailed).
        return make(TokenKind::kOther, start, start + 1, line);
    }
    const std::string_view tag = sql_.substr(start, i + 1 - start);
    // Body: at each '$', read a candidate delimiter; a different one gives back its last '$',
    // which may open the real closing delimiter (as psql's yyless(yyleng - 1)).
    std::size_t p = i + 1;
    for (;;) {
        const std::size_t q = sql_.find('$', p);
        if (q == std::string_view::npos) {
            break;
        }
        std::size_t k = q + 1;
        if (k < n && is_ident_start(sql_[k])) {
            while (k < n && is_dolq_cont(sql_[k])) {
                ++k;
            }
        }
        if (k < n && sql_[k] == '$' && sql_.substr(q, k + 1 - q) == tag) {
            line_ += count_line_breaks(start, k + 1);
            return make(TokenKind::kDollarString, start, k + 1, line);
        }
        p = k;
    }
    std::string shown(tag.size() > kMaxTagInMessage ? tag.substr(0, kMaxTagInMessage) : tag);
    if (tag.size() > kMaxTagInMessage) {
        shown += "...";
    }
    return fail(start, line, "unterminated dollar-quoted string " + shown + opened_on(line));
}

Token Tokenizer::lex_number(std::size_t start) {
    // As psql reads numbers: digits, a decimal point (not "..", a range), an exponent whose
    // digits may be missing ("1e-" is one token, so "1e--" holds no comment, and "1e-x" is
    // "1e-" then "x"), then any identifier characters glued on (1e, 0x1F, 12abc), which never make
    // a quote prefix.
    const std::size_t n = sql_.size();
    const std::size_t line = line_;
    const auto skip_digits = [&](std::size_t i) {
        while (i < n && (is_digit(sql_[i]) || sql_[i] == '_')) {
            ++i;
        }
        return i;
    };
    std::size_t i = skip_digits(start);
    if (i < n && sql_[i] == '.' && !(i + 1 < n && sql_[i + 1] == '.')) {
        i = skip_digits(i + 1);
    }
    if (i < n && (sql_[i] == 'e' || sql_[i] == 'E')) {
        if (i + 1 < n && (sql_[i + 1] == '+' || sql_[i + 1] == '-')) {
            const std::size_t digits = i + 2;
            i = skip_digits(digits);
            if (i == digits) {  // "1e-": nothing glues onto it
                return make(TokenKind::kNumber, start, i, line);
            }
        } else if (i + 1 < n && is_digit(sql_[i + 1])) {
            i = skip_digits(i + 1);
        }
    }
    if (i < n && is_ident_start(sql_[i])) {
        while (i < n && is_ident_cont(sql_[i])) {
            ++i;
        }
    }
    return make(TokenKind::kNumber, start, i, line);
}

Token Tokenizer::lex_block_comment(std::size_t start) {
    const std::size_t n = sql_.size();
    const std::size_t line = line_;
    std::size_t depth = 1;
    std::size_t p = start + 2;
    for (;;) {
        const std::size_t q = sql_.find_first_of("*/", p);
        if (q == std::string_view::npos || q + 1 >= n) {
            break;
        }
        if (sql_[q] == '*' && sql_[q + 1] == '/') {
            p = q + 2;
            if (--depth == 0) {
                line_ += count_line_breaks(start, p);
                return make(TokenKind::kBlockComment, start, p, line);
            }
        } else if (sql_[q] == '/' && sql_[q + 1] == '*') {
            ++depth;
            p = q + 2;
        } else {
            p = q + 1;
        }
    }
    return fail(start, line, "unterminated /* comment" + opened_on(line));
}

Token Tokenizer::next() {
    const std::size_t n = sql_.size();
    while (pos_ < n && is_space(sql_[pos_])) {
        if (is_line_break_at(pos_)) {
            ++line_;
        }
        ++pos_;
    }
    const std::size_t start = pos_;
    const std::size_t line = line_;
    if (start >= n) {
        return make(TokenKind::kEnd, n, n, line);
    }
    const char c = sql_[start];
    const char c1 = start + 1 < n ? sql_[start + 1] : '\0';
    const char c2 = start + 2 < n ? sql_[start + 2] : '\0';
    switch (c) {
        case ';':
            return make(TokenKind::kSemicolon, start, start + 1, line);
        case '(':
            return make(TokenKind::kOpenParen, start, start + 1, line);
        case ')':
            return make(TokenKind::kCloseParen, start, start + 1, line);
        case '\'':
            return lex_quoted(start, start + 1, '\'', TokenKind::kString, false);
        case '"':
            return lex_quoted(start, start + 1, '"', TokenKind::kQuotedIdentifier, false);
        case '$':
            return lex_dollar(start);
        case '-':
            if (c1 == '-') {
                const std::size_t eol = sql_.find_first_of("\r\n", start + 2);
                return make(TokenKind::kLineComment, start, eol == std::string_view::npos ? n : eol,
                            line);
            }
            break;
        case '/':
            if (c1 == '*') {
                return lex_block_comment(start);
            }
            break;
        default:
            break;
    }
    if ((c == 'e' || c == 'E') && c1 == '\'') {
        return lex_quoted(start, start + 2, '\'', TokenKind::kString, true);
    }
    if ((c == 'b' || c == 'B' || c == 'x' || c == 'X' || c == 'n' || c == 'N') && c1 == '\'') {
        // Bit, hex and national strings: one token, like '...', so the letter is not a word.
        return lex_quoted(start, start + 2, '\'', TokenKind::kString, false);
    }
    if ((c == 'u' || c == 'U') && c1 == '&' && (c2 == '\'' || c2 == '"')) {
        return c2 == '\'' ? lex_quoted(start, start + 3, '\'', TokenKind::kString, false)
                          : lex_quoted(start, start + 3, '"', TokenKind::kQuotedIdentifier, false);
    }
    if (is_ident_start(c)) {
        std::size_t i = start + 1;
        while (i < n && is_ident_cont(sql_[i])) {
            ++i;
        }
        return make(TokenKind::kWord, start, i, line);
    }
    if (is_digit(c) || (c == '.' && is_digit(c1))) {
        return lex_number(start);
    }
    return make(TokenKind::kOther, start, start + 1, line);
}

// ---------------------------------------------------------------------------------------------
// Splitting

SplitResult split_statements(std::string_view sql) {
    SplitResult result;
    Tokenizer tokens(sql);

    bool in_statement = false;
    std::size_t start = 0;
    std::size_t end = 0;
    std::size_t start_line = 0;
    std::size_t paren_depth = 0;
    std::size_t paren_line = 0;
    std::size_t begin_depth = 0;  // BEGIN ATOMIC bodies and CASE expressions inside them
    std::size_t begin_line = 0;
    Header header = Header::kStart;
    bool after_begin = false;  // the previous significant token was BEGIN in a routine header
    std::size_t begin_word_line = 0;

    const auto reset = [&] {
        in_statement = false;
        paren_depth = 0;
        begin_depth = 0;
        header = Header::kStart;
        after_begin = false;
    };

    for (;;) {
        const Token token = tokens.next();
        if (token.kind == TokenKind::kEnd) {
            break;
        }
        if (token.kind == TokenKind::kError) {
            result.error = tokens.error();
            return result;
        }
        if (token.kind == TokenKind::kLineComment || token.kind == TokenKind::kBlockComment) {
            continue;
        }
        if (token.kind == TokenKind::kSemicolon && paren_depth == 0 && begin_depth == 0) {
            if (in_statement) {
                result.statements.push_back(
                    Statement{sql.substr(start, end - start), start_line, start});
            }
            reset();
            continue;
        }
        if (!in_statement) {
            in_statement = true;
            start = token.offset;
            start_line = token.line;
        }
        end = token.offset + token.text.size();

        bool is_begin = false;
        switch (token.kind) {
            case TokenKind::kOpenParen:
                if (paren_depth++ == 0) {
                    paren_line = token.line;
                }
                break;
            case TokenKind::kCloseParen:
                if (paren_depth > 0) {
                    --paren_depth;
                }
                break;
            case TokenKind::kWord:
                header = advance_header(header, token.text);
                if (header != Header::kRoutine || paren_depth != 0) {
                    break;
                }
                if (is_keyword(token.text, "BEGIN")) {
                    is_begin = true;
                    begin_word_line = token.line;
                } else if (is_keyword(token.text, "ATOMIC")) {
                    if (after_begin && begin_depth++ == 0) {
                        begin_line = begin_word_line;
                    }
                } else if (is_keyword(token.text, "CASE")) {
                    if (begin_depth > 0) {
                        ++begin_depth;
                    }
                } else if (is_keyword(token.text, "END")) {
                    if (begin_depth > 0) {
                        --begin_depth;
                    }
                }
                break;
            default:
                break;
        }
        after_begin = is_begin;
    }

    if (paren_depth > 0 || begin_depth > 0) {
        if (begin_depth > 0 && (paren_depth == 0 || begin_line <= paren_line)) {
            result.error = LexError{
                begin_line, "BEGIN ATOMIC body" + opened_on(begin_line) + " has no matching END"};
        } else {
            result.error = LexError{paren_line, "unclosed parenthesis" + opened_on(paren_line)};
        }
        return result;
    }
    if (in_statement) {
        result.statements.push_back(Statement{sql.substr(start, end - start), start_line, start});
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Classification

std::vector<std::string> leading_keywords(std::string_view statement, std::size_t n) {
    std::vector<std::string> words;
    Significant tokens(statement);
    while (words.size() < n) {
        const Token token = tokens.next();
        if (token.kind != TokenKind::kWord) {
            break;
        }
        std::string word(token.text);
        std::transform(word.begin(), word.end(), word.begin(), to_upper_ascii);
        words.push_back(std::move(word));
    }
    return words;
}

bool is_transaction_control(std::string_view statement) {
    const Head head = read_head(statement);
    for (const std::string_view first :
         {"BEGIN", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"}) {
        if (head.word(0, first)) {
            return true;  // also COMMIT PREPARED, ROLLBACK PREPARED, ROLLBACK TO SAVEPOINT
        }
    }
    return (head.word(0, "START") || head.word(0, "PREPARE")) && head.word(1, "TRANSACTION");
}

namespace {

// REINDEX [ ( option, ... ) ] { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM } [ CONCURRENTLY ] name
std::optional<std::string_view> reindex_command(std::string_view statement) {
    Significant tokens(statement);
    (void)tokens.next();  // REINDEX
    bool concurrently = false;
    Token token = tokens.next();
    if (token.kind == TokenKind::kOpenParen) {
        std::size_t depth = 1;
        while (depth > 0) {
            token = tokens.next();
            if (token.kind == TokenKind::kEnd) {
                return std::nullopt;
            }
            if (token.kind == TokenKind::kOpenParen) {
                ++depth;
            } else if (token.kind == TokenKind::kCloseParen) {
                --depth;
            } else if (is_word(token, "CONCURRENTLY")) {
                concurrently = true;
            }
        }
        token = tokens.next();
    }
    const Token target = token;
    if (is_word(tokens.next(), "CONCURRENTLY") || concurrently) {
        return "REINDEX CONCURRENTLY";
    }
    if (is_word(target, "SCHEMA")) {
        return "REINDEX SCHEMA";
    }
    if (is_word(target, "DATABASE")) {
        return "REINDEX DATABASE";
    }
    if (is_word(target, "SYSTEM")) {
        return "REINDEX SYSTEM";
    }
    return std::nullopt;
}

// ALTER TABLE ... DETACH PARTITION name CONCURRENTLY
bool is_detach_concurrently(std::string_view statement) {
    Significant tokens(statement);
    bool detach = false;
    std::size_t depth = 0;
    for (Token token = tokens.next(); token.kind != TokenKind::kEnd; token = tokens.next()) {
        if (token.kind == TokenKind::kOpenParen) {
            ++depth;
        } else if (token.kind == TokenKind::kCloseParen) {
            depth = depth > 0 ? depth - 1 : 0;
        } else if (depth == 0 && is_word(token, "DETACH")) {
            detach = true;
        } else if (depth == 0 && detach && is_word(token, "CONCURRENTLY")) {
            return true;
        }
    }
    return false;
}

// CLUSTER [ ( option, ... ) | VERBOSE ] with no table: reclusters every table.
bool is_cluster_all(std::string_view statement) {
    Significant tokens(statement);
    (void)tokens.next();  // CLUSTER
    Token token = tokens.next();
    if (token.kind == TokenKind::kOpenParen) {
        std::size_t depth = 1;
        while (depth > 0) {
            token = tokens.next();
            if (token.kind == TokenKind::kEnd) {
                return false;
            }
            if (token.kind == TokenKind::kOpenParen) {
                ++depth;
            } else if (token.kind == TokenKind::kCloseParen) {
                --depth;
            }
        }
        token = tokens.next();
    }
    if (is_word(token, "VERBOSE")) {
        token = tokens.next();
    }
    return token.kind == TokenKind::kEnd;
}

}  // namespace

std::optional<std::string_view> no_transaction_command(std::string_view statement) {
    const Head head = read_head(statement);
    if (head.word(0, "CREATE")) {
        const std::size_t index = head.word(1, "UNIQUE") ? 2 : 1;
        if (head.word(index, "INDEX") && head.word(index + 1, "CONCURRENTLY")) {
            return "CREATE INDEX CONCURRENTLY";
        }
        if (head.word(1, "DATABASE")) {
            return "CREATE DATABASE";
        }
        if (head.word(1, "TABLESPACE")) {
            return "CREATE TABLESPACE";
        }
        return std::nullopt;
    }
    if (head.word(0, "DROP")) {
        if (head.word(1, "INDEX") && head.word(2, "CONCURRENTLY")) {
            return "DROP INDEX CONCURRENTLY";
        }
        if (head.word(1, "DATABASE")) {
            return "DROP DATABASE";
        }
        if (head.word(1, "TABLESPACE")) {
            return "DROP TABLESPACE";
        }
        return std::nullopt;
    }
    if (head.word(0, "ALTER")) {
        if (head.word(1, "SYSTEM")) {
            return "ALTER SYSTEM";
        }
        if (head.word(1, "DATABASE") && head.word(3, "SET") && head.word(4, "TABLESPACE")) {
            return "ALTER DATABASE ... SET TABLESPACE";
        }
        if (head.word(1, "TABLE") && is_detach_concurrently(statement)) {
            return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY";
        }
        return std::nullopt;
    }
    if (head.word(0, "VACUUM")) {
        return "VACUUM";
    }
    if (head.word(0, "REINDEX")) {
        return reindex_command(statement);
    }
    if (head.word(0, "CLUSTER") && is_cluster_all(statement)) {
        return "CLUSTER without a table name";
    }
    if (head.word(0, "DISCARD") && head.word(1, "ALL")) {
        return "DISCARD ALL";
    }
    return std::nullopt;
}

std::optional<std::string> concurrent_index_name(std::string_view statement) {
    const Head head = read_head(statement);
    std::size_t i = head.word(1, "UNIQUE") ? 2 : 1;
    if (!head.word(0, "CREATE") || !head.word(i, "INDEX") || !head.word(i + 1, "CONCURRENTLY")) {
        return std::nullopt;
    }
    i += 2;
    if (head.word(i, "IF") && head.word(i + 1, "NOT") && head.word(i + 2, "EXISTS")) {
        i += 3;
    }
    if (i >= head.count || head.word(i, "ON")) {
        return std::nullopt;
    }
    const Token& name = head.tokens.at(i);
    if (name.kind == TokenKind::kWord) {
        std::string out(name.text);
        for (auto& c : out) {
            if (c >= 'A' && c <= 'Z') {
                c = static_cast<char>(c - 'A' + 'a');
            }
        }
        return out;
    }
    if (name.kind == TokenKind::kQuotedIdentifier && name.text.size() >= 2 &&
        name.text.front() == '"') {
        std::string out;
        const std::string_view body = name.text.substr(1, name.text.size() - 2);
        for (std::size_t k = 0; k < body.size(); ++k) {
            out += body[k];
            if (body[k] == '"' && k + 1 < body.size() && body[k + 1] == '"') {
                ++k;
            }
        }
        return out;
    }
    return std::nullopt;
}

bool needs_no_transaction_hint(std::string_view statement) {
    return no_transaction_command(statement).has_value();
}

}  // namespace sg::migrate
