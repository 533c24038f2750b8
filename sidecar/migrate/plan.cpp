#include "sidecar/migrate/plan.hpp"

#include <algorithm>
#include <map>

#include "sidecar/migrate/plan_detail.hpp"
#include "sidecar/migrate/takeover.hpp"

namespace sg::migrate {

namespace detail {

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

}  // namespace detail

using detail::index_by_script;
using detail::index_versioned;

namespace {

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
