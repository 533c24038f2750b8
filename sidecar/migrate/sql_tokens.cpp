// The tokenizer of sql_lexer.hpp: one PostgreSQL token at a time, as psql's lexer reads them.
#include <string>
#include <utility>

#include "sidecar/migrate/sql_lexer.hpp"
#include "sidecar/migrate/sql_lexer_detail.hpp"

namespace sg::migrate {

namespace {

using detail::opened_on;

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

}  // namespace

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

}  // namespace sg::migrate
