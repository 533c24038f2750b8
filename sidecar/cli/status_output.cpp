#include "sidecar/cli/status_output.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace sg::cli {

namespace {

using migrate::State;

constexpr std::size_t kMaxDescription = 40;

std::string dash(const std::string& s) {
    return s.empty() ? "-" : s;
}

// ANSI colour of a state's cell: red for what needs a person, yellow for what is still to run.
const char* colour_of(State state) {
    switch (state) {
        case State::kFailed:
        case State::kChecksumMismatch:
        case State::kMissingFile:
            return "\033[31m";
        case State::kPending:
            return "\033[33m";
        default:
            return nullptr;
    }
}

std::string pad(const std::string& text, std::size_t width) {
    return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
}

}  // namespace

StatusCounts count_states(const std::vector<migrate::StatusEntry>& entries) {
    StatusCounts c;
    for (const auto& e : entries) {
        switch (e.state) {
            case State::kApplied:
                c.applied += e.type == "versioned" ? 1 : 0;
                break;
            case State::kPending:
                ++c.pending;
                break;
            case State::kFailed:
                ++c.failed;
                break;
            case State::kChecksumMismatch:
            case State::kMissingFile:
                ++c.other;
                break;
            default:
                break;
        }
    }
    return c;
}

std::string status_text(const StatusHeader& h, const std::vector<migrate::StatusEntry>& entries,
                        bool colour) {
    const StatusCounts counts = count_states(entries);
    std::string out = "current version " + dash(h.current_version) + ": " +
                      std::to_string(counts.applied) + " applied, " +
                      std::to_string(counts.pending) + " pending, " +
                      std::to_string(counts.failed) + " failed";
    if (counts.other > 0) {
        out += ", " + std::to_string(counts.other) + " changed or missing";
    }
    out += "\nservice " + h.service + "  isolation " + h.isolation + "  database " + h.database +
           "  schema " + h.schema + "  role " + h.role;
    if (!h.service_role.empty() && h.service_role != h.role) {
        out += " (service role " + h.service_role + ")";
    }
    if (!h.takeover_note.empty()) {
        out += "\n" + h.takeover_note;
    }
    out += "\n\n";

    constexpr std::size_t kColumns = 6;
    using Row = std::array<std::string, kColumns>;
    std::vector<Row> rows;
    rows.push_back({"VERSION", "DESCRIPTION", "TYPE", "STATE", "APPLIED AT", "MS"});
    for (const auto& e : entries) {
        std::string description = e.description.size() > kMaxDescription
                                      ? e.description.substr(0, kMaxDescription - 3) + "..."
                                      : e.description;
        std::string state = migrate::to_string(e.state);
        if (!e.taken_over_from.empty()) {
            state += " (from " + e.taken_over_from + ")";
        }
        rows.push_back({dash(e.version), description, e.type, state, dash(e.installed_on),
                        e.execution_ms ? std::to_string(*e.execution_ms) : "-"});
    }
    std::array<std::size_t, kColumns> width{};
    for (const auto& r : rows) {
        for (std::size_t i = 0; i < kColumns; ++i) {
            width.at(i) = std::max(width.at(i), r.at(i).size());
        }
    }
    for (std::size_t n = 0; n < rows.size(); ++n) {
        const auto& r = rows[n];
        const char* paint = n == 0 || !colour ? nullptr : colour_of(entries[n - 1].state);
        std::string line;
        for (std::size_t i = 0; i + 1 < kColumns; ++i) {
            std::string cell = pad(r.at(i), width.at(i));
            if (i == 3 && paint != nullptr) {
                cell.insert(0, paint);
                cell += "\033[0m";
            }
            line += cell + "  ";
        }
        // The last column is right-aligned (milliseconds).
        line += std::string(width.back() - r.back().size(), ' ') + r.back();
        out += line + "\n";
        if (n > 0 && !entries[n - 1].error.empty()) {
            out += std::string(width[0] + 2, ' ') + "error: " + entries[n - 1].error + "\n";
        }
    }
    return out;
}

std::string status_json(const StatusHeader& h, const std::vector<migrate::StatusEntry>& entries) {
    using Json = nlohmann::ordered_json;
    const StatusCounts counts = count_states(entries);
    Json out;
    out["service"] = h.service;
    out["isolation"] = h.isolation;
    out["database"] = h.database;
    out["schema"] = h.schema;
    out["role"] = h.role;
    out["service_role"] = h.service_role;
    out["current_version"] = h.current_version.empty() ? Json(nullptr) : Json(h.current_version);
    if (!h.takeover_note.empty()) {
        out["takeover"] = h.takeover_note;
    }
    out["summary"] = {{"applied", counts.applied},
                      {"pending", counts.pending},
                      {"failed", counts.failed},
                      {"changed_or_missing", counts.other}};
    out["migrations"] = Json::array();
    for (const auto& e : entries) {
        Json j;
        j["version"] = e.version.empty() ? Json(nullptr) : Json(e.version);
        j["description"] = e.description;
        j["type"] = e.type;
        j["script"] = e.script;
        j["state"] = migrate::to_string(e.state);
        j["applied_at"] = e.installed_on.empty() ? Json(nullptr) : Json(e.installed_on);
        j["duration_ms"] = e.execution_ms ? Json(*e.execution_ms) : Json(nullptr);
        if (!e.taken_over_from.empty()) {
            j["taken_over_from"] = e.taken_over_from;
        }
        if (!e.error.empty()) {
            j["error"] = e.error;
        }
        out["migrations"].push_back(std::move(j));
    }
    return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

bool stdout_wants_colour() {
    // NOLINTBEGIN(concurrency-mt-unsafe): read once, before any thread starts
    const char* no_colour = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    // NOLINTEND(concurrency-mt-unsafe)
    if (no_colour != nullptr && *no_colour != '\0') {
        return false;
    }
    if (term != nullptr && std::string_view(term) == "dumb") {
        return false;
    }
    return ::isatty(STDOUT_FILENO) == 1;
}

}  // namespace sg::cli
