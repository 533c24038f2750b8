// What `status` shows: each file's state against the history (versioned, repeatables, seeds,
// undo files, verify checks). What to apply is plan.cpp.
#include <map>
#include <set>
#include <string_view>

#include "sidecar/migrate/plan.hpp"
#include "sidecar/migrate/plan_detail.hpp"

namespace sg::migrate {

using detail::index_by_script;
using detail::index_versioned;
using detail::VersionedHistory;

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

State versioned_state(const Migration* file, const HistoryRow* row, const VersionedHistory& index) {
    if (row == nullptr) {
        const bool baselined =
            index.baseline && file != nullptr && !(*index.baseline < *file->version);
        return baselined ? State::kBaselined : State::kPending;
    }
    if (row->type == "undo") {
        return row->success ? State::kUndone : State::kFailed;
    }
    if (row->type == "baseline" && file != nullptr &&
        (!row->checksum || *row->checksum == file->checksum)) {
        return State::kBaselined;
    }
    if (!row->success) {
        return State::kFailed;
    }
    if (file == nullptr) {
        return State::kMissingFile;
    }
    if (row->checksum && *row->checksum != file->checksum) {
        return State::kChecksumMismatch;
    }
    return State::kApplied;
}

// One version that a file or the history (or both) has.
StatusEntry versioned_entry(const Migration* file, const HistoryRow* row,
                            const VersionedHistory& index) {
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
    e.state = versioned_state(file, row, index);
    if (e.state == State::kBaselined && row != nullptr) {
        e.taken_over_from = row->installed_by;
    }
    return e;
}

// Versioned: every version in files or history, ascending.
void describe_versioned(const MigrationSet& files, const std::vector<HistoryRow>& history,
                        std::vector<StatusEntry>& out) {
    const auto index = index_versioned(history);
    std::map<std::vector<std::uint64_t>, std::pair<const Migration*, const HistoryRow*>> versions;
    for (const auto& m : files.versioned) {
        versions[m.version->parts()].first = &m;
    }
    for (const auto& [parts, row] : index.latest) {
        versions[parts].second = row;
    }
    for (const auto& [parts, pair] : versions) {
        out.push_back(versioned_entry(pair.first, pair.second, index));
    }
}

// Repeatables or seeds: each file, then each script of the history that no file has now.
void describe_changed(const std::vector<Migration>& list, const char* type,
                      const std::vector<HistoryRow>& history, std::vector<StatusEntry>& out) {
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
    // A script in the history that no file has now (renamed or deleted): shown as gone, like a
    // versioned file that is missing.
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
}

// Undo files, with the last time each ran; verify checks, which run every time.
void describe_undo_and_verify(const MigrationSet& files, const std::vector<HistoryRow>& history,
                              std::vector<StatusEntry>& out) {
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
}

}  // namespace

std::vector<StatusEntry> describe(const MigrationSet& files,
                                  const std::vector<HistoryRow>& history) {
    std::vector<StatusEntry> out;
    describe_versioned(files, history, out);
    describe_changed(files.repeatable, "repeatable", history, out);
    describe_changed(files.seed, "seed", history, out);
    describe_undo_and_verify(files, history, out);
    return out;
}

}  // namespace sg::migrate
