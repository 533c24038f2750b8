// Plan: files x history -> what to apply, what drifted, and each file's state. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sidecar/migrate/scan.hpp"

namespace sg::migrate {

// One row of schemagate_history.
struct HistoryRow {
    int rank = 0;
    std::optional<std::string> version;  // canonical text; absent for repeatable and seed
    std::string description;
    std::string type;  // versioned / repeatable / seed / undo / baseline
    std::string script;
    std::optional<std::string> checksum;
    std::string installed_by;
    std::string installed_on;  // ISO-8601
    int execution_ms = 0;
    bool success = false;
    std::optional<int> statements_done;  // no-transaction files: statements completed
    std::string error;                   // why it failed, for failed rows
};

enum class State {
    kApplied,
    kPending,
    kFailed,
    kChecksumMismatch,
    kMissingFile,
    kUndone,
    kBaselined,
    kAvailable,  // an undo file: `schemagate undo` runs it when its version is the one to undo
    kEveryRun,   // a verify check: runs after every migration run, never recorded
};

[[nodiscard]] const char* to_string(State state);

struct StatusEntry {
    std::string type;  // versioned / repeatable / seed / undo / verify
    std::string version;
    std::string description;
    std::string script;
    State state = State::kPending;
    std::string installed_on;
    std::optional<int> execution_ms;
    std::string error;  // last failure, if failed
    // Recorded from another tool's history on schemagate's first run: the tool ("goose").
    std::string taken_over_from;
};

struct Drift {
    const Migration* migration = nullptr;
    std::string recorded_checksum;
};

struct Step {
    const Migration* migration = nullptr;
    int resume_at = 0;   // no-transaction files interrupted earlier: statements already done
    bool retry = false;  // the last attempt failed
};

struct Plan {
    std::vector<Step> versioned;            // pending, ascending version
    std::vector<Step> repeatable;           // new or changed
    std::vector<Step> seed;                 // new or changed
    std::vector<Drift> drift;               // applied versioned files whose content changed
    std::vector<std::string> missing;       // applied versions without a file (warned, not fatal)
    std::vector<std::string> out_of_order;  // pending versions lower than the latest applied
    std::string current_version;            // highest applied version ("" if none)
    int applied = 0;
    int failed = 0;

    [[nodiscard]] bool has_work() const {
        return !versioned.empty() || !repeatable.empty() || !seed.empty();
    }
    [[nodiscard]] int pending() const { return static_cast<int>(versioned.size()); }
};

[[nodiscard]] Plan make_plan(const MigrationSet& files, const std::vector<HistoryRow>& history);

// `migrate --target`: keeps the pending versions at or below `target` and drops the rest; while
// any stays pending above it, repeatables and seeds wait too (they are written for the schema
// of the latest version). Returns how many versions were held back.
int limit_to_target(Plan& plan, const Version& target);

// One line for pending versions below the latest applied one (SCHEMAGATE_OUT_OF_ORDER=refuse),
// naming the first, the latest applied version and both fixes; "" when there are none.
[[nodiscard]] std::string out_of_order_problem(const Plan& plan);

// Every file and every history entry, in the order `status` shows them.
[[nodiscard]] std::vector<StatusEntry> describe(const MigrationSet& files,
                                                const std::vector<HistoryRow>& history);

// The applied versions an undo goes through, newest first: all above `to`, or the latest one.
struct UndoPlan {
    std::vector<const Migration*> steps;  // the U files, newest first
    std::vector<std::string> problems;    // e.g. no U file for an applied version
    std::string nothing;  // set when there is nothing to undo (not a problem): says why
};
[[nodiscard]] UndoPlan make_undo_plan(const MigrationSet& files,
                                      const std::vector<HistoryRow>& history,
                                      const std::optional<Version>& to);

}  // namespace sg::migrate
