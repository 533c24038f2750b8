// Lint of a run: every file of the plan in the order it is applied, applied ones learnt from,
// pending ones checked, each with its placeholders resolved as the engine will send it. Pure.
#pragma once

#include <string>
#include <vector>

#include "sidecar/lint/rules.hpp"
#include "sidecar/migrate/lint.hpp"
#include "sidecar/migrate/plan.hpp"

namespace sg::lint {

struct PlanLint {
    std::vector<FileReport> files;  // pending files, in the order they are applied
    std::vector<std::string>
        problems;  // allow directives naming no rule ("V3__x.sql: line 2: ...")
    [[nodiscard]] std::vector<const Finding*> active() const;  // findings not silenced
    [[nodiscard]] std::size_t silenced() const;
};

// `plan` from make_plan (with no history for an offline check: everything pending).
[[nodiscard]] PlanLint lint_plan(const migrate::MigrationSet& files, const migrate::Plan& plan,
                                 const migrate::Placeholders& placeholders,
                                 const std::string& schema);

}  // namespace sg::lint
