// The classifiers of sql_lexer.hpp: what a statement's first words say about it (transaction
// control, commands refused inside a transaction block, the index CREATE INDEX CONCURRENTLY
// builds).
#include <algorithm>
#include <array>
#include <utility>

#include "sidecar/migrate/sql_lexer.hpp"
#include "sidecar/migrate/sql_lexer_detail.hpp"

namespace sg::migrate {

namespace {

using detail::is_keyword;
using detail::to_upper_ascii;

bool is_word(const Token& token, std::string_view upper) {
    return token.kind == TokenKind::kWord && is_keyword(token.text, upper);
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

}  // namespace

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

// The token after a statement's parenthesised option list, when `token` opens one (else `token`
// itself), and whether an option reads CONCURRENTLY.
struct AfterOptions {
    Token token;
    bool concurrently = false;
};

// nullopt when the option list never closes.
std::optional<AfterOptions> skip_options(Significant& tokens, const Token& token) {
    AfterOptions after{token};
    if (token.kind != TokenKind::kOpenParen) {
        return after;
    }
    std::size_t depth = 1;
    while (depth > 0) {
        const Token inner = tokens.next();
        if (inner.kind == TokenKind::kEnd) {
            return std::nullopt;
        }
        if (inner.kind == TokenKind::kOpenParen) {
            ++depth;
        } else if (inner.kind == TokenKind::kCloseParen) {
            --depth;
        } else if (is_word(inner, "CONCURRENTLY")) {
            after.concurrently = true;
        }
    }
    after.token = tokens.next();
    return after;
}

// REINDEX [ ( option, ... ) ] { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM } [ CONCURRENTLY ] name
std::optional<std::string_view> reindex_command(std::string_view statement) {
    Significant tokens(statement);
    (void)tokens.next();  // REINDEX
    const std::optional<AfterOptions> options = skip_options(tokens, tokens.next());
    if (!options) {
        return std::nullopt;
    }
    const Token target = options->token;
    if (is_word(tokens.next(), "CONCURRENTLY") || options->concurrently) {
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
    const std::optional<AfterOptions> options = skip_options(tokens, tokens.next());
    if (!options) {
        return false;
    }
    Token token = options->token;
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
