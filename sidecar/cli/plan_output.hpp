// What `schemagate plan` prints: the pending files in apply order, each statement with the lock
// it takes and on which relation, whether the file runs in a transaction, and every lint
// finding (silenced ones with their reasons). Pure: builds text or JSON, prints nothing.
#pragma once

#include <string>

#include "sidecar/lint/plan_lint.hpp"

namespace sg::cli {

[[nodiscard]] std::string plan_text(const lint::PlanLint& report, const std::string& schema,
                                    const std::string& source);
[[nodiscard]] std::string plan_json(const lint::PlanLint& report, const std::string& schema,
                                    const std::string& source);

}  // namespace sg::cli
