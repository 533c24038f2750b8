// Lint: what `validate` reports and what every run checks before touching the database --
// directives, termination, transaction control, placeholders -- and the prepared text of a file.
// Pure.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "sidecar/migrate/scan.hpp"

namespace sg::migrate {

using Placeholders = std::map<std::string, std::string>;  // lower-case name -> value

// Every problem of every file (in addition to the scan's own problems).
[[nodiscard]] std::vector<ScanProblem> lint(const MigrationSet& files,
                                            const Placeholders& placeholders);

// A file ready to send: placeholders substituted; no-transaction files split into statements.
struct Prepared {
    std::string text;
    bool no_transaction = false;
    std::vector<std::string> statements;  // no-transaction files only
    std::vector<std::size_t> lines;       // line of each statement
};

// The prepared file, or the first problem (lint reports them all).
[[nodiscard]] std::variant<Prepared, std::string> prepare(const Migration& migration,
                                                          const Placeholders& placeholders);

}  // namespace sg::migrate
