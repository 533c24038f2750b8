// Placeholders: `${name}` in migration text replaced by configured values, like Flyway.
// Pure: string in, string and problems out; never reads files, never logs.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sg::migrate {

struct PlaceholderError {
    std::size_t line = 0;  // 1-based
    std::string name;      // as written in the file
    std::string message;   // unknown placeholder ${foo} on line 4; known: database, role, ...
};

struct Substitution {
    std::string text;
    std::vector<PlaceholderError> errors;  // one per unknown occurrence, in text order
    [[nodiscard]] bool ok() const { return errors.empty(); }
};

struct PlaceholderUse {
    std::size_t line = 0;  // 1-based
    std::string name;      // as written; compare case-insensitively
};

// Replaces every `${name}` (name: [A-Za-z_][A-Za-z0-9_.]*, matched case-insensitively against
// `values`' keys, which should be lower-case) everywhere in the text, quotes and comments included.
// An unknown name is an error and stays as written. Not placeholders, left as written: `${` right
// after a '$' (`$${x}`), and `${` not followed by a valid name and '}' on the same line. Lines end
// with LF, CRLF or CR. Text without "${" is returned as a plain copy.
[[nodiscard]] Substitution substitute(std::string_view sql,
                                      const std::map<std::string, std::string>& values);

// Every placeholder in the text, in order, by the same rules as substitute(); for offline checks.
[[nodiscard]] std::vector<PlaceholderUse> find_placeholders(std::string_view sql);

}  // namespace sg::migrate
