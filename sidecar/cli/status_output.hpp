// What `schemagate status` prints: a summary line, then every file and history entry in aligned
// columns (failed and pending rows coloured on a terminal), or the same as JSON. Pure.
#pragma once

#include <string>
#include <vector>

#include "sidecar/migrate/plan.hpp"

namespace sg::cli {

struct StatusHeader {
    std::string service;
    std::string isolation;
    std::string database;
    std::string schema;
    std::string role;          // the role actually connected (current_user)
    std::string service_role;  // SCHEMAGATE_ROLE: the role provisioning creates
    std::string current_version;
    // Before the first run over another tool's history: what will be taken over, or why not.
    std::string takeover_note;
};

struct StatusCounts {
    int applied = 0;  // versioned
    int pending = 0;  // versioned, repeatable and seed files to run
    int failed = 0;   // any type
    int other = 0;    // checksum-mismatch and missing-file
};
[[nodiscard]] StatusCounts count_states(const std::vector<migrate::StatusEntry>& entries);

[[nodiscard]] std::string status_text(const StatusHeader& header,
                                      const std::vector<migrate::StatusEntry>& entries,
                                      bool colour);
[[nodiscard]] std::string status_json(const StatusHeader& header,
                                      const std::vector<migrate::StatusEntry>& entries);

// Colour on standard output: a terminal, NO_COLOR unset or empty, TERM not "dumb".
[[nodiscard]] bool stdout_wants_colour();

}  // namespace sg::cli
