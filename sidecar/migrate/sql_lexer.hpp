// SQL lexer: splits PostgreSQL migration text into statements the way psql does and classifies
// them (transaction control, commands refused inside a transaction block).
// Pure: no I/O, no logging; results view the caller's text. The tokenizer is in sql_tokens.cpp,
// the splitter in sql_split.cpp, the classifiers in sql_classify.cpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg::migrate {

// What makes a text impossible to split: an unterminated quote, identifier, comment, dollar quote,
// parenthesis or BEGIN ATOMIC body. `line` is the 1-based line where it opened.
struct LexError {
    std::size_t line = 0;
    std::string message;  // "unterminated dollar-quoted string $body$ opened on line 12"
};

// One statement. `text` views the input: it starts at the statement's first token (comments
// before it are not included) and ends at its last token (no ';', no trailing comment), so
// appending ";" to it is always safe.
struct Statement {
    std::string_view text;
    std::size_t line = 0;    // 1-based line where `text` starts
    std::size_t offset = 0;  // byte offset of `text` in the input
};

struct SplitResult {
    std::vector<Statement> statements;  // only complete statements; none past an error
    std::optional<LexError> error;
    [[nodiscard]] bool ok() const { return !error.has_value(); }
};

// Splits at top-level semicolons. Understands '...' with '', E'...' with backslash escapes,
// U&'...',
// "..." and U&"..." identifiers, $$...$$ and $tag$...$tag$ ($1 is a parameter), -- comments, nested
// /* */ comments, parentheses, and BEGIN ATOMIC ... END bodies of CREATE [OR REPLACE]
// FUNCTION/PROCEDURE (with CASE ... END inside). Statements holding only comments are dropped; the
// last statement needs no ';'. Assumes standard_conforming_strings = on (the default). A leading
// UTF-8 byte-order mark is skipped; lines end with LF, CRLF or CR. Linear in the input's size.
[[nodiscard]] SplitResult split_statements(std::string_view sql);

// ---- Token level (used by the splitter, directives and the classifiers below) ----

enum class TokenKind {
    kWord,              // keyword or bare identifier: [A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*
    kQuotedIdentifier,  // "..." or U&"..."
    kString,            // '...', E'...', U&'...', B'...', X'...', N'...'
    kDollarString,      // $$...$$, $tag$...$tag$
    kNumber,            // digits (and any identifier characters glued to them)
    kParameter,         // $1
    kLineComment,       // -- ... (without the line break)
    kBlockComment,      // /* ... */, nested
    kSemicolon,
    kOpenParen,
    kCloseParen,
    kOther,  // any other single character (operators, punctuation, a lone '$')
    kEnd,    // end of input
    kError,  // unterminated token: `Tokenizer::error()` says what; the next token is kEnd
};

struct Token {
    TokenKind kind = TokenKind::kEnd;
    std::string_view text;  // views the input
    std::size_t line = 0;   // 1-based line where the token starts
    std::size_t offset = 0;
};

// Whitespace is skipped; comments are tokens. Never allocates.
class Tokenizer {
  public:
    explicit Tokenizer(std::string_view sql);
    [[nodiscard]] Token next();
    [[nodiscard]] const std::optional<LexError>& error() const { return error_; }

  private:
    [[nodiscard]] bool is_line_break_at(std::size_t i) const;
    [[nodiscard]] std::size_t count_line_breaks(std::size_t from, std::size_t to) const;
    [[nodiscard]] Token make(TokenKind kind, std::size_t start, std::size_t end, std::size_t line);
    [[nodiscard]] Token fail(std::size_t start, std::size_t line, std::string message);
    [[nodiscard]] Token lex_quoted(std::size_t start, std::size_t body, char quote, TokenKind kind,
                                   bool backslash_escapes);
    [[nodiscard]] Token lex_dollar(std::size_t start);
    [[nodiscard]] Token lex_number(std::size_t start);
    [[nodiscard]] Token lex_block_comment(std::size_t start);

    std::string_view sql_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    std::optional<LexError> error_;
};

// ---- Classification (comments before and inside the statement are skipped) ----

// The statement's first `n` bare words, upper-cased (ASCII); stops early at the first token that
// is not a bare word. leading_keywords("create unique index ...", 3) == {"CREATE", "UNIQUE",
// "INDEX"}.
[[nodiscard]] std::vector<std::string> leading_keywords(std::string_view statement, std::size_t n);

// BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE, PREPARE TRANSACTION,
// COMMIT PREPARED, ROLLBACK PREPARED: statements that would break a file's single transaction.
[[nodiscard]] bool is_transaction_control(std::string_view statement);

// For a command PostgreSQL refuses inside a transaction block, its name ("CREATE INDEX
// CONCURRENTLY", "VACUUM", ...), for a message like "line 7: CREATE INDEX CONCURRENTLY cannot run
// inside a transaction; add `-- schemagate:no-transaction` as the file's first line". Otherwise
// nullopt. ALTER TYPE ... ADD VALUE is not flagged: PostgreSQL 12+ allows it in a transaction.
[[nodiscard]] std::optional<std::string_view> no_transaction_command(std::string_view statement);

// no_transaction_command(statement).has_value().
[[nodiscard]] bool needs_no_transaction_hint(std::string_view statement);

// The index a `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON ...` statement builds,
// as PostgreSQL names it ("Mixed" for "Mixed", lower case for a bare word); nullopt for any
// other statement and for an unnamed index.
[[nodiscard]] std::optional<std::string> concurrent_index_name(std::string_view statement);

[[nodiscard]] inline std::vector<std::string> leading_keywords(const Statement& statement,
                                                               std::size_t n) {
    return leading_keywords(statement.text, n);
}
[[nodiscard]] inline bool is_transaction_control(const Statement& statement) {
    return is_transaction_control(statement.text);
}
[[nodiscard]] inline std::optional<std::string_view> no_transaction_command(
    const Statement& statement) {
    return no_transaction_command(statement.text);
}
[[nodiscard]] inline bool needs_no_transaction_hint(const Statement& statement) {
    return needs_no_transaction_hint(statement.text);
}

}  // namespace sg::migrate
