// The migration files of a run: the scan and its checks, the placeholders they are sent with, and
// the lint of the pending ones before anything is applied.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sidecar/config/config.hpp"
#include "sidecar/migrate/lint.hpp"
#include "sidecar/migrate/plan.hpp"
#include "sidecar/migrate/scan.hpp"

namespace sg::app {

// The scan plus lint of every run (and of `validate --offline`): all problems, one line each.
struct Files {
    migrate::MigrationSet set;
    std::vector<std::string> problems;
};
[[nodiscard]] Files load_files(const config::Config& config,
                               const std::string& database_for_placeholders);

// SCHEMAGATE_FORMAT as the layout scan reads.
[[nodiscard]] migrate::Format format_of(const config::Config& config);

// The placeholders files are sent with (settings, service, schema, role, database).
[[nodiscard]] migrate::Placeholders placeholders_for(const config::Config& config,
                                                     const std::string& database);

// SCHEMAGATE_LINT over the pending files of `plan`: logs each finding (warn), or returns the
// one line that stops the run before anything is applied (error). Nothing for `off`.
[[nodiscard]] std::optional<std::string> lint_before_apply(
    const config::Config& config, const migrate::MigrationSet& files, const migrate::Plan& plan,
    const migrate::Placeholders& placeholders);

}  // namespace sg::app
