// How the statement recognisers read a statement: its tokens without comments, with a cursor,
// and names folded as PostgreSQL folds them. Internal to the lint module.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sidecar/lint/statement.hpp"
#include "sidecar/migrate/sql_lexer.hpp"

namespace sg::lint::detail {

using migrate::Token;
using migrate::TokenKind;

[[nodiscard]] std::string upper(std::string_view s);  // ASCII
[[nodiscard]] std::string lower(std::string_view s);  // ASCII

// A name as PostgreSQL folds it: "Mixed" -> Mixed (with "" -> "), bare -> lower case.
[[nodiscard]] std::string fold(const Token& t);

class Cursor {
  public:
    explicit Cursor(std::string_view sql);
    explicit Cursor(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

    [[nodiscard]] bool done() const { return pos_ >= tokens_.size(); }
    [[nodiscard]] const Token& at(std::size_t ahead = 0) const {
        static constexpr Token kEnd{};
        return pos_ + ahead < tokens_.size() ? tokens_[pos_ + ahead] : kEnd;
    }
    // The upper-cased word `ahead` tokens on, or "" for anything but a bare word.
    [[nodiscard]] std::string word(std::size_t ahead = 0) const {
        const Token& t = at(ahead);
        return t.kind == TokenKind::kWord ? upper(t.text) : std::string();
    }
    [[nodiscard]] bool is(std::string_view w, std::size_t ahead = 0) const {
        return word(ahead) == w;
    }
    [[nodiscard]] bool is_char(char c, std::size_t ahead = 0) const {
        const Token& t = at(ahead);
        return t.text.size() == 1 && t.text[0] == c &&
               (t.kind == TokenKind::kOther || t.kind == TokenKind::kOpenParen ||
                t.kind == TokenKind::kCloseParen);
    }
    // The folded name at the cursor (not consumed), or "" when the token is not a name.
    [[nodiscard]] std::string name() const { return is_name(at()) ? fold(at()) : ""; }
    void skip(std::size_t n = 1) { pos_ = std::min(pos_ + n, tokens_.size()); }
    // Consumes the words in order when they all follow; else consumes nothing.
    bool accept(std::initializer_list<std::string_view> words);
    bool accept(std::string_view w) { return accept({w}); }
    // From '(' to its matching ')', both consumed.
    void skip_group();
    // The tokens of a parenthesised group without the outer parentheses; consumes the group.
    std::vector<Token> group();
    // name or schema.name (a third part, db.schema.name, keeps the last two).
    Relation relation();
    // Splits the rest at top-level commas.
    std::vector<Cursor> split_commas();
    // Whether any bare word of the rest (at any depth) is `w`.
    [[nodiscard]] bool contains_word(std::string_view w) const;

    static bool is_name(const Token& t) {
        return t.kind == TokenKind::kWord || t.kind == TokenKind::kQuotedIdentifier;
    }

  private:
    std::vector<Token> tokens_;
    std::size_t pos_ = 0;
};

}  // namespace sg::lint::detail
