#include "sidecar/migrate/directives.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "sidecar/migrate/sql_lexer.hpp"

namespace sg::migrate {

namespace {

constexpr std::string_view kPrefix = "schemagate:";
constexpr std::size_t kMaxSuggestDistance = 3;
constexpr std::size_t kMaxShown = 80;

char to_lower_ascii(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim_left(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) {
        s.remove_prefix(1);
    }
    return s;
}

std::string_view trim_right(std::string_view s) {
    while (!s.empty() && is_blank(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

bool starts_with_icase(std::string_view s, std::string_view lower_prefix) {
    if (s.size() < lower_prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
        if (to_lower_ascii(s[i]) != lower_prefix[i]) {
            return false;
        }
    }
    return true;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), to_lower_ascii);
    return out;
}

std::string shown(std::string_view s) {
    return s.size() > kMaxShown ? std::string(s.substr(0, kMaxShown)) + "..." : std::string(s);
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t rows = a.size() + 1;
    const std::size_t cols = b.size() + 1;
    std::vector<std::size_t> d(rows * cols);
    const auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * cols + j]; };
    for (std::size_t i = 0; i < rows; ++i) {
        at(i, 0) = i;
    }
    for (std::size_t j = 0; j < cols; ++j) {
        at(0, j) = j;
    }
    for (std::size_t i = 1; i < rows; ++i) {
        for (std::size_t j = 1; j < cols; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            std::size_t best =
                std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                best = std::min(best, at(i - 2, j - 2) + 1);
            }
            at(i, j) = best;
        }
    }
    return at(rows - 1, cols - 1);
}

std::optional<std::string_view> suggestion(std::string_view name) {
    if (name.size() > kMaxShown) {
        return std::nullopt;
    }
    std::optional<std::string_view> best;
    std::size_t best_distance = kMaxSuggestDistance + 1;
    for (const std::string_view known : kKnownDirectives) {
        const std::size_t distance = edit_distance(name, known);
        if (distance < best_distance) {
            best = known;
            best_distance = distance;
        }
    }
    return best;
}

std::string known_list() {
    std::string out;
    for (const std::string_view known : kKnownDirectives) {
        if (!out.empty()) {
            out += ", ";
        }
        out += known;
    }
    return out;
}

// The text after "schemagate:" when `comment` ("-- ...") is a directive comment.
std::optional<std::string_view> directive_body(std::string_view comment) {
    const std::string_view rest = trim_left(comment.substr(2));
    if (!starts_with_icase(rest, kPrefix)) {
        return std::nullopt;
    }
    return trim_right(trim_left(rest.substr(kPrefix.size())));
}

void read_allow(std::string_view args, std::size_t line, bool whole_file, Directives& out) {
    std::size_t rule_end = 0;
    while (rule_end < args.size() && !is_blank(args[rule_end])) {
        ++rule_end;
    }
    const std::string_view rule = args.substr(0, rule_end);
    const std::string_view reason = trim_left(args.substr(rule_end));
    if (rule.empty() || reason.empty()) {
        out.errors.push_back(
            {line,
             "\"schemagate:allow\" needs a rule id and the reason, e.g. -- schemagate:allow "
             "index-not-concurrent the table is created empty by the previous release"});
        return;
    }
    out.allows.push_back({line, lower(rule), std::string(reason), whole_file});
}

void read_directive(std::string_view body, std::size_t line, bool after_first_statement,
                    Directives& out) {
    std::size_t name_end = 0;
    while (name_end < body.size() && !is_blank(body[name_end])) {
        ++name_end;
    }
    const std::string_view name = body.substr(0, name_end);
    const std::string_view extra = trim_left(body.substr(name_end));
    if (name.empty()) {
        out.errors.push_back({line, "empty directive \"schemagate:\"; known: " + known_list()});
        return;
    }
    const std::string key = lower(name);
    if (key == "allow") {
        read_allow(extra, line, !after_first_statement, out);
        return;
    }
    if (after_first_statement) {
        out.errors.push_back({line, "directive \"schemagate:" + shown(key) +
                                        "\" is after the first statement; directives "
                                        "must come before the first statement"});
        return;
    }
    if (key == "no-transaction") {
        out.no_transaction = true;
    } else if (key == "no-placeholders") {
        out.no_placeholders = true;
    } else {
        std::string message = "unknown directive \"schemagate:" + shown(name) + "\"";
        if (const auto close = suggestion(key)) {
            message += " (did you mean " + std::string(*close) + "?)";
        } else {
            message += "; known: " + known_list();
        }
        out.errors.push_back({line, std::move(message)});
        return;
    }
    if (!extra.empty()) {
        out.errors.push_back({line, "unexpected text after directive \"schemagate:" + key +
                                        "\": \"" + shown(extra) + "\""});
    }
}

}  // namespace

Directives parse_directives(std::string_view sql) {
    Directives out;
    Tokenizer tokens(sql);
    bool after_first_statement = false;
    for (Token token = tokens.next();
         token.kind != TokenKind::kEnd && token.kind != TokenKind::kError; token = tokens.next()) {
        if (token.kind == TokenKind::kBlockComment || token.kind == TokenKind::kSemicolon) {
            continue;  // an empty statement is not a statement
        }
        if (token.kind != TokenKind::kLineComment) {
            after_first_statement = true;
            continue;
        }
        const auto body = directive_body(token.text);
        if (!body) {
            continue;
        }
        read_directive(*body, token.line, after_first_statement, out);
    }
    return out;
}

}  // namespace sg::migrate
