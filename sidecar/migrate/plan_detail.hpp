// What plan.cpp (what to apply) and status.cpp (each file's state) read the history with.
// Internal to the migrate module.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sidecar/migrate/plan.hpp"

namespace sg::migrate::detail {

// The latest row of each versioned version (by rank), and the baseline if any.
struct VersionedHistory {
    std::map<std::vector<std::uint64_t>, const HistoryRow*> latest;  // by version parts
    std::optional<Version> baseline;
};

[[nodiscard]] VersionedHistory index_versioned(const std::vector<HistoryRow>& history);

// The latest successful row per script (repeatables and seeds), and the latest row at all.
[[nodiscard]] std::map<std::string, const HistoryRow*> index_by_script(
    const std::vector<HistoryRow>& history, const char* type, bool successful_only);

}  // namespace sg::migrate::detail
