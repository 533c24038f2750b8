#include "sidecar/app/files.hpp"

#include <spdlog/spdlog.h>

#include "sidecar/lint/plan_lint.hpp"
#include "sidecar/migrate/placeholders.hpp"

namespace sg::app {

migrate::Format format_of(const config::Config& config) {
    return migrate::parse_format(config.format).value_or(migrate::Format::kAuto);
}

migrate::Placeholders placeholders_for(const config::Config& config, const std::string& database) {
    migrate::Placeholders placeholders;
    for (const auto& [name, value] : config.placeholders) {
        placeholders[name] = value;
    }
    placeholders["service"] = config.service;
    placeholders["schema"] = config.schema;
    placeholders["role"] = config.role;
    placeholders["database"] = database;
    migrate::add_flyway_placeholders(
        placeholders, migrate::flyway_facts_now(config.schema, config.role, database));
    return placeholders;
}

Files load_files(const config::Config& config, const std::string& database_for_placeholders) {
    Files files;
    files.set = migrate::scan(config.migrations, format_of(config));
    for (const auto& p : files.set.problems) {
        files.problems.push_back(p.line());
    }
    if (files.set.directory_missing) {
        return files;
    }
    const migrate::Placeholders placeholders = placeholders_for(config, database_for_placeholders);
    for (const auto& p : migrate::lint(files.set, placeholders)) {
        files.problems.push_back(p.line());
    }
    return files;
}

std::optional<std::string> lint_before_apply(const config::Config& config,
                                             const migrate::MigrationSet& files,
                                             const migrate::Plan& plan,
                                             const migrate::Placeholders& placeholders) {
    if (config.lint == config::LintMode::kOff) {
        return std::nullopt;
    }
    const lint::PlanLint report = lint::lint_plan(files, plan, placeholders, config.schema);
    for (const auto& problem : report.problems) {
        spdlog::warn("lint: {}", problem);
    }
    const auto active = report.active();
    if (config.lint == config::LintMode::kError && !active.empty()) {
        for (const auto* f : active) {
            spdlog::error("lint: {}", f->text());
        }
        return active.front()->text() +
               (active.size() > 1
                    ? " (" + std::to_string(active.size() - 1) + " more finding(s) logged above)"
                    : std::string()) +
               "; nothing was applied: change the file as the finding says, or silence it "
               "with -- schemagate:allow " +
               active.front()->rule + " <reason> (or set SCHEMAGATE_LINT=warn)";
    }
    for (const auto* f : active) {
        spdlog::warn("lint: {}", f->text());
    }
    return std::nullopt;
}

}  // namespace sg::app
