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

// Replaces every `${name}` (name: [A-Za-z_][A-Za-z0-9_.]*, or flyway:<name> for Flyway's own,
// matched case-insensitively against `values`' keys, which should be lower-case) everywhere in the
// text, quotes and comments included. An unknown name is an error and stays as written. Not
// placeholders, left as written: `${` right after a '$' (`$${x}`), and `${` not followed by a valid
// name and '}' on the same line. Lines end with LF, CRLF or CR. Text without "${" is returned as a
// plain copy.
[[nodiscard]] Substitution substitute(std::string_view sql,
                                      const std::map<std::string, std::string>& values);

// Every placeholder in the text, in order, by the same rules as substitute(); for offline checks.
[[nodiscard]] std::vector<PlaceholderUse> find_placeholders(std::string_view sql);

// Flyway's default placeholders, ${flyway:defaultSchema}, ${flyway:user}, ${flyway:database},
// ${flyway:table}, ${flyway:timestamp}, ${flyway:workingDirectory}, so Flyway files run unchanged;
// ${flyway:filename} is each file's own name, added when the file is prepared.
struct FlywayFacts {
    std::string schema;
    std::string user;
    std::string database;
    std::string timestamp;  // "2026-12-07 08:00:00" (UTC, when the run started)
    std::string working_directory;
};
void add_flyway_placeholders(std::map<std::string, std::string>& values, const FlywayFacts& facts);

// The facts with the timestamp (now, UTC) and working directory of this process: the one part of
// this module that reads the clock.
[[nodiscard]] FlywayFacts flyway_facts_now(std::string schema, std::string user,
                                           std::string database);

}  // namespace sg::migrate
