#include "sidecar/migrate/plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "sidecar/migrate/takeover.hpp"

namespace sg::migrate {

const char* to_string(State state) {
    switch (state) {
        case State::kApplied:
            return "applied";
        case State::kPending:
            return "pending";
        case State::kFailed:
            return "failed";
        case State::kChecksumMismatch:
            return "checksum-mismatch";
        case State::kMissingFile:
            return "missing-file";
        case State::kUndone:
            return "undone";
        case State::kBaselined:
            return "baselined";
        case State::kAvailable:
            return "available";
        case State::kEveryRun:
            return "every-run";
    }
    return "unknown";
}

namespace {

// The latest row of each versioned version (by rank), and the baseline if any.
struct VersionedHistory {
    std::map<std::vector<std::uint64_t>, const HistoryRow*> latest;  // by version parts
    std::optional<Version> baseline;
};

VersionedHistory index_versioned(const std::vector<HistoryRow>& history) {
    VersionedHistory out;
    std::vector<const HistoryRow*> rows;
    rows.reserve(history.size());
    for (const auto& row : history) {
        rows.push_back(&row);
    }
    std::sort(rows.begin(), rows.end(),
              [](const HistoryRow* a, const HistoryRow* b) { return a->rank < b->rank; });
    for (const HistoryRow* row : rows) {
        if (!row->version) {
            continue;
        }
        const auto v = Version::parse(*row->version);
        if (!v) {
            continue;
        }
        if (row->type == "baseline" && row->script == kBaselineScript) {
            if (row->success && (!out.baseline || *out.baseline < *v)) {
                out.baseline = v;
            }
            continue;
        }
        // A baseline row naming a file: taken over from another tool's history, applied.
        if (row->type == "versioned" || row->type == "undo" || row->type == "baseline") {
            out.latest[v->parts()] = row;
        }
    }
    return out;
}

// The latest successful row per script (repeatables and seeds), and the latest row at all.
std::map<std::string, const HistoryRow*> index_by_script(const std::vector<HistoryRow>& history,
                                                         const char* type, bool successful_only) {
    std::map<std::string, const HistoryRow*> out;
    for (const auto& row : history) {
        // A repeatable taken over from Flyway is a baseline row without a version.
        const bool taken_over =
            std::string_view(type) == "repeatable" && row.type == "baseline" && !row.version;
        if ((row.type != type && !taken_over) || (successful_only && !row.success)) {
            continue;
        }
        auto& slot = out[row.script];
        if (slot == nullptr || slot->rank < row.rank) {
            slot = &row;
        }
    }
    return out;
}

bool is_applied(const HistoryRow* row) {
    return row != nullptr && (row->type == "versioned" || row->type == "baseline") && row->success;
}

void plan_changed(const std::vector<Migration>& files, const std::vector<HistoryRow>& history,
                  const char* type, std::vector<Step>& out) {
    const auto done = index_by_script(history, type, true);
    const auto last = index_by_script(history, type, false);
    for (const auto& m : files) {
        const auto it = done.find(m.script);
        if (it == done.end() || it->second->checksum != m.checksum) {
            const auto l = last.find(m.script);
            out.push_back({&m, 0, l != last.end() && !l->second->success});
        }
    }
}

}  // namespace

Plan make_plan(const MigrationSet& files, const std::vector<HistoryRow>& history) {
    Plan plan;
    const auto index = index_versioned(history);
    std::optional<Version> highest;
    for (const auto& [parts, row] : index.latest) {
        if (!is_applied(row)) {
            if (row->type == "versioned" && !row->success) {
                ++plan.failed;
            }
            continue;
        }
        ++plan.applied;
        const auto v = Version::parse(*row->version);
        if (!highest || *highest < *v) {
            highest = v;
        }
        if (files.find_versioned(*v) == nullptr) {
            plan.missing.push_back(row->script.empty() ? *row->version : row->script);
        }
    }
    if (index.baseline && (!highest || *highest < *index.baseline)) {
        highest = index.baseline;
    }
    if (highest) {
        plan.current_version = highest->text();
    }
    for (const auto& m : files.versioned) {
        const auto it = index.latest.find(m.version->parts());
        const HistoryRow* row = it == index.latest.end() ? nullptr : it->second;
        if (is_applied(row)) {
            if (row->checksum && *row->checksum != m.checksum) {
                plan.drift.push_back({&m, *row->checksum});
            }
            continue;
        }
        if (row == nullptr && index.baseline && !(*index.baseline < *m.version)) {
            continue;  // at or below the baseline: treated as applied
        }
        Step step{&m, 0, false};
        if (row != nullptr && row->type == "versioned" && !row->success) {
            step.retry = true;
            // Resume even when the file was edited since: the usual fix is to the statement that
            // failed, and the ones before it already ran outside any transaction.
            if (row->statements_done) {
                step.resume_at = *row->statements_done;
            }
        }
        if (highest && *m.version < *highest) {
            plan.out_of_order.push_back(m.script);
        }
        plan.versioned.push_back(step);
    }
    plan_changed(files.repeatable, history, "repeatable", plan.repeatable);
    plan_changed(files.seed, history, "seed", plan.seed);
    return plan;
}

int limit_to_target(Plan& plan, const Version& target) {
    const auto above =
        std::stable_partition(plan.versioned.begin(), plan.versioned.end(),
                              [&](const Step& s) { return !(target < *s.migration->version); });
    const int held = static_cast<int>(plan.versioned.end() - above);
    plan.versioned.erase(above, plan.versioned.end());
    if (held > 0) {
        plan.repeatable.clear();
        plan.seed.clear();
    }
    return held;
}

std::string out_of_order_problem(const Plan& plan) {
    if (plan.out_of_order.empty()) {
        return {};
    }
    std::string line =
        plan.out_of_order.front() + " is below the latest applied version " + plan.current_version +
        ": it was added out of order (merged from another branch?); give it a "
        "version above " +
        plan.current_version + ", or set SCHEMAGATE_OUT_OF_ORDER=allow to apply it where it is";
    if (plan.out_of_order.size() > 1) {
        line += " (" + std::to_string(plan.out_of_order.size() - 1) + " more such file(s))";
    }
    return line;
}

std::vector<StatusEntry> describe(const MigrationSet& files,
                                  const std::vector<HistoryRow>& history) {
    std::vector<StatusEntry> out;
    const auto index = index_versioned(history);
    // Versioned: every version in files or history, ascending.
    std::map<std::vector<std::uint64_t>, std::pair<const Migration*, const HistoryRow*>> versions;
    for (const auto& m : files.versioned) {
        versions[m.version->parts()].first = &m;
    }
    for (const auto& [parts, row] : index.latest) {
        versions[parts].second = row;
    }
    for (const auto& [parts, pair] : versions) {
        const auto [file, row] = pair;
        StatusEntry e;
        e.type = "versioned";
        e.version = file != nullptr ? file->version->text() : *row->version;
        e.description = file != nullptr ? file->description : row->description;
        e.script = file != nullptr ? file->script : row->script;
        if (row != nullptr) {
            e.installed_on = row->installed_on;
            e.execution_ms = row->execution_ms;
            e.error = row->error;
            if (!row->success && e.error.empty() && row->statements_done) {
                // A no-transaction file whose runner never came back to record how it ended
                // (killed, or its server went away): say where the next run resumes.
                e.error = "interrupted after " + std::to_string(*row->statements_done) +
                          " statement(s) were recorded; the next run resumes at statement " +
                          std::to_string(*row->statements_done + 1);
            }
        }
        if (row == nullptr) {
            const bool baselined =
                index.baseline && file != nullptr && !(*index.baseline < *file->version);
            e.state = baselined ? State::kBaselined : State::kPending;
        } else if (row->type == "undo") {
            e.state = row->success ? State::kUndone : State::kFailed;
        } else if (row->type == "baseline" && file != nullptr &&
                   (!row->checksum || *row->checksum == file->checksum)) {
            e.state = State::kBaselined;
            e.taken_over_from = row->installed_by;
        } else if (!row->success) {
            e.state = State::kFailed;
        } else if (file == nullptr) {
            e.state = State::kMissingFile;
        } else if (row->checksum && *row->checksum != file->checksum) {
            e.state = State::kChecksumMismatch;
        } else {
            e.state = State::kApplied;
        }
        out.push_back(std::move(e));
    }
    const auto add_changed = [&](const std::vector<Migration>& list, const char* type) {
        const auto done = index_by_script(history, type, true);
        const auto last = index_by_script(history, type, false);
        for (const auto& m : list) {
            StatusEntry e;
            e.type = type;
            e.description = m.description;
            e.script = m.script;
            const auto d = done.find(m.script);
            const auto l = last.find(m.script);
            if (l != last.end() && !l->second->success) {
                e.state = State::kFailed;
                e.error = l->second->error;
                e.installed_on = l->second->installed_on;
            } else if (d == done.end()) {
                e.state = State::kPending;
            } else {
                e.installed_on = d->second->installed_on;
                e.execution_ms = d->second->execution_ms;
                // A changed repeatable or seed is simply applied again: pending, not drift.
                e.state = d->second->checksum == m.checksum ? State::kApplied : State::kPending;
            }
            out.push_back(std::move(e));
        }
        // A script in the history that no file has now (renamed or deleted): shown as gone,
        // like a versioned file that is missing.
        std::set<std::string_view> present;
        for (const auto& m : list) {
            present.insert(m.script);
        }
        for (const auto& [script, row] : last) {
            if (present.contains(script)) {
                continue;
            }
            StatusEntry e;
            e.type = type;
            e.description = row->description;
            e.script = row->script;
            e.installed_on = row->installed_on;
            e.execution_ms = row->execution_ms;
            e.error = row->error;
            e.state = State::kMissingFile;  // its last error, if any, stays shown
            out.push_back(std::move(e));
        }
    };
    add_changed(files.repeatable, "repeatable");
    add_changed(files.seed, "seed");
    // Undo files, with the last time each ran; verify checks, which run every time.
    const auto undone = index_by_script(history, "undo", false);
    for (const auto& m : files.undo) {
        StatusEntry e;
        e.type = "undo";
        e.version = m.version->text();
        e.description = m.description;
        e.script = m.script;
        e.state = State::kAvailable;
        if (const auto u = undone.find(m.script); u != undone.end()) {
            e.installed_on = u->second->installed_on;
            e.execution_ms = u->second->execution_ms;
            if (!u->second->success) {
                e.state = State::kFailed;
                e.error = u->second->error;
            }
        }
        out.push_back(std::move(e));
    }
    for (const auto& m : files.verify) {
        StatusEntry e;
        e.type = "verify";
        e.description = m.description;
        e.script = m.script;
        e.state = State::kEveryRun;
        out.push_back(std::move(e));
    }
    return out;
}

UndoPlan make_undo_plan(const MigrationSet& files, const std::vector<HistoryRow>& history,
                        const std::optional<Version>& to) {
    UndoPlan plan;
    const auto index = index_versioned(history);
    std::vector<Version> applied;
    for (const auto& [parts, row] : index.latest) {
        if (is_applied(row)) {
            applied.emplace_back(*Version::parse(*row->version));
        }
    }
    std::sort(applied.begin(), applied.end(),
              [](const Version& a, const Version& b) { return b < a; });
    if (applied.empty()) {
        plan.nothing = "nothing to undo: no versioned migration is applied";
        return plan;
    }
    std::vector<Version> targets;
    if (to) {
        for (const auto& v : applied) {
            if (*to < v) {
                targets.push_back(v);
            }
        }
        if (targets.empty()) {
            plan.nothing = "nothing to undo: no applied version is above " + to->text() +
                           " (the current version is " + applied.front().text() + ")";
            return plan;
        }
    } else {
        targets.push_back(applied.front());
    }
    for (const auto& v : targets) {
        const Migration* u = files.find_undo(v);
        if (u == nullptr) {
            plan.problems.push_back("version " + v.text() + " is applied but has no U" + v.text() +
                                    "__*.sql; write the undo file first");
        } else {
            plan.steps.push_back(u);
        }
    }
    if (!plan.problems.empty()) {
        plan.steps.clear();  // all or nothing: never undo half of what was asked
    }
    return plan;
}

}  // namespace sg::migrate
