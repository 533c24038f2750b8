// The statement splitter of sql_lexer.hpp: top-level semicolons end statements, except inside
// parentheses and the BEGIN ATOMIC body of a CREATE FUNCTION/PROCEDURE.
#include <utility>

#include "sidecar/migrate/sql_lexer.hpp"
#include "sidecar/migrate/sql_lexer_detail.hpp"

namespace sg::migrate {

namespace {

using detail::is_keyword;
using detail::opened_on;

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

// Reads the significant tokens of a text one by one: where the current statement runs, and the
// parentheses and BEGIN ATOMIC bodies a ';' does not end.
class Splitter {
  public:
    explicit Splitter(std::string_view sql) : sql_(sql) {}

    void add(const Token& token) {
        if (token.kind == TokenKind::kSemicolon && !nested()) {
            end_statement();
            return;
        }
        if (!in_statement_) {
            in_statement_ = true;
            start_ = token.offset;
            start_line_ = token.line;
        }
        end_ = token.offset + token.text.size();
        bool is_begin = false;
        switch (token.kind) {
            case TokenKind::kOpenParen:
                if (paren_depth_++ == 0) {
                    paren_line_ = token.line;
                }
                break;
            case TokenKind::kCloseParen:
                if (paren_depth_ > 0) {
                    --paren_depth_;
                }
                break;
            case TokenKind::kWord:
                is_begin = add_word(token);
                break;
            default:
                break;
        }
        after_begin_ = is_begin;
    }

    // The end of the text: the last statement needs no ';', an open parenthesis or body fails.
    SplitResult finish() {
        if (nested()) {
            result_.error = unclosed();
            return std::move(result_);
        }
        if (in_statement_) {
            push_statement();
        }
        return std::move(result_);
    }

    SplitResult fail(const std::optional<LexError>& error) {
        result_.error = error;
        return std::move(result_);
    }

  private:
    [[nodiscard]] bool nested() const { return paren_depth_ > 0 || begin_depth_ > 0; }

    // Follows the routine header and its BEGIN ATOMIC ... END body (with CASE ... END inside);
    // true for the BEGIN that may open the body.
    bool add_word(const Token& token) {
        header_ = advance_header(header_, token.text);
        if (header_ != Header::kRoutine || paren_depth_ != 0) {
            return false;
        }
        if (is_keyword(token.text, "BEGIN")) {
            begin_word_line_ = token.line;
            return true;
        }
        if (is_keyword(token.text, "ATOMIC")) {
            if (after_begin_ && begin_depth_++ == 0) {
                begin_line_ = begin_word_line_;
            }
        } else if (is_keyword(token.text, "CASE")) {
            if (begin_depth_ > 0) {
                ++begin_depth_;
            }
        } else if (is_keyword(token.text, "END")) {
            if (begin_depth_ > 0) {
                --begin_depth_;
            }
        }
        return false;
    }

    void push_statement() {
        result_.statements.push_back(
            Statement{sql_.substr(start_, end_ - start_), start_line_, start_});
    }

    void end_statement() {
        if (in_statement_) {
            push_statement();
        }
        in_statement_ = false;
        paren_depth_ = 0;
        begin_depth_ = 0;
        header_ = Header::kStart;
        after_begin_ = false;
    }

    // Whichever of the open body and the outermost open parenthesis opened first.
    [[nodiscard]] LexError unclosed() const {
        if (begin_depth_ > 0 && (paren_depth_ == 0 || begin_line_ <= paren_line_)) {
            return LexError{begin_line_,
                            "BEGIN ATOMIC body" + opened_on(begin_line_) + " has no matching END"};
        }
        return LexError{paren_line_, "unclosed parenthesis" + opened_on(paren_line_)};
    }

    std::string_view sql_;
    SplitResult result_;
    bool in_statement_ = false;
    std::size_t start_ = 0;
    std::size_t end_ = 0;
    std::size_t start_line_ = 0;
    std::size_t paren_depth_ = 0;
    std::size_t paren_line_ = 0;
    std::size_t begin_depth_ = 0;  // BEGIN ATOMIC bodies and CASE expressions inside them
    std::size_t begin_line_ = 0;
    Header header_ = Header::kStart;
    bool after_begin_ = false;  // the previous significant token was BEGIN in a routine header
    std::size_t begin_word_line_ = 0;
};

}  // namespace

SplitResult split_statements(std::string_view sql) {
    Tokenizer tokens(sql);
    Splitter splitter(sql);
    for (;;) {
        const Token token = tokens.next();
        if (token.kind == TokenKind::kEnd) {
            return splitter.finish();
        }
        if (token.kind == TokenKind::kError) {
            return splitter.fail(tokens.error());
        }
        if (token.kind != TokenKind::kLineComment && token.kind != TokenKind::kBlockComment) {
            splitter.add(token);
        }
    }
}

}  // namespace sg::migrate
