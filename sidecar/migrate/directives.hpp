// Directives: the `-- schemagate:<name>` comment lines before a migration file's first statement.
// Pure: parses text; never reads files, never logs.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sg::migrate {

inline constexpr std::array<std::string_view, 3> kKnownDirectives = {"no-transaction",
                                                                     "no-placeholders", "allow"};

struct DirectiveError {
    std::size_t line = 0;  // 1-based
    std::string message;   // unknown directive "schemagate:no-transation" (did you mean ...?)
};

// `-- schemagate:allow <rule-id> <reason>`: silences one lint rule for the statement after it, or,
// among the lines before the first statement, for the whole file. The rule id is checked by lint.
struct Allow {
    std::size_t line = 0;
    std::string rule;
    std::string reason;
    bool whole_file = false;
};

struct Directives {
    bool no_transaction = false;   // run the file statement by statement, outside a transaction
    bool no_placeholders = false;  // leave ${...} in the file as written
    std::vector<Allow> allows;
    std::vector<DirectiveError> errors;
    [[nodiscard]] bool ok() const { return errors.empty(); }
};

// Reads `-- schemagate:<name>` comments (prefix and name case-insensitive, spaces allowed after
// "--" and after ':') among the comments and blank lines that open the file. Unknown or empty
// names, text after the name, and directives after the first statement (but `allow`) are errors. A
// UTF-8 byte-order mark and CRLF line endings are tolerated. Text the lexer cannot read (an
// unterminated quote) ends the search without an error: split_statements reports it.
[[nodiscard]] Directives parse_directives(std::string_view sql);

}  // namespace sg::migrate
