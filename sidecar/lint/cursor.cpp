#include "sidecar/lint/cursor.hpp"

namespace sg::lint::detail {

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

std::string fold(const Token& t) {
    if (t.kind == TokenKind::kQuotedIdentifier) {
        std::string_view body = t.text;
        if (body.size() >= 3 && (body[0] == 'U' || body[0] == 'u') && body[1] == '&') {
            body.remove_prefix(2);  // U&"..." escapes are left as written
        }
        body = body.substr(1, body.size() >= 2 ? body.size() - 2 : 0);
        std::string out;
        out.reserve(body.size());
        for (std::size_t i = 0; i < body.size(); ++i) {
            out += body[i];
            if (body[i] == '"' && i + 1 < body.size() && body[i + 1] == '"') {
                ++i;
            }
        }
        return out;
    }
    return lower(t.text);
}

Cursor::Cursor(std::string_view sql) {
    migrate::Tokenizer tokenizer(sql);
    for (Token t = tokenizer.next(); t.kind != TokenKind::kEnd && t.kind != TokenKind::kError;
         t = tokenizer.next()) {
        if (t.kind != TokenKind::kLineComment && t.kind != TokenKind::kBlockComment) {
            tokens_.push_back(t);
        }
    }
}

bool Cursor::accept(std::initializer_list<std::string_view> words) {
    std::size_t i = 0;
    for (const auto w : words) {
        if (!is(w, i)) {
            return false;
        }
        ++i;
    }
    skip(i);
    return true;
}

void Cursor::skip_group() {
    int depth = 0;
    while (!done()) {
        if (at().kind == TokenKind::kOpenParen) {
            ++depth;
        } else if (at().kind == TokenKind::kCloseParen) {
            --depth;
        }
        skip();
        if (depth <= 0) {
            return;
        }
    }
}

std::vector<Token> Cursor::group() {
    std::vector<Token> inner;
    const std::size_t start = pos_;
    skip_group();
    if (pos_ - start >= 2) {
        inner.assign(tokens_.begin() + static_cast<std::ptrdiff_t>(start + 1),
                     tokens_.begin() + static_cast<std::ptrdiff_t>(pos_ - 1));
    }
    return inner;
}

Relation Cursor::relation() {
    Relation r;
    if (!is_name(at())) {
        return r;
    }
    r.name = fold(at());
    skip();
    while (is_char('.') && is_name(at(1))) {
        r.schema = r.name;
        r.name = fold(at(1));
        skip(2);
    }
    return r;
}

std::vector<Cursor> Cursor::split_commas() {
    std::vector<Cursor> parts;
    std::vector<Token> current;
    int depth = 0;
    for (; !done(); skip()) {
        const Token& t = at();
        if (t.kind == TokenKind::kOpenParen) {
            ++depth;
        } else if (t.kind == TokenKind::kCloseParen) {
            --depth;
        } else if (depth == 0 && t.kind == TokenKind::kOther && t.text == ",") {
            parts.emplace_back(std::move(current));
            current.clear();
            continue;
        }
        current.push_back(t);
    }
    parts.emplace_back(std::move(current));
    return parts;
}

bool Cursor::contains_word(std::string_view w) const {
    return std::any_of(
        tokens_.begin() + static_cast<std::ptrdiff_t>(pos_), tokens_.end(),
        [&](const Token& t) { return t.kind == TokenKind::kWord && upper(t.text) == w; });
}

}  // namespace sg::lint::detail
