#include "sidecar/metrics/prometheus.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace sg::metrics {

namespace {

constexpr std::array<app::Phase, 7> kPhases = {
    app::Phase::kWaiting,   app::Phase::kProvisioning, app::Phase::kMigrating, app::Phase::kSeeding,
    app::Phase::kVerifying, app::Phase::kReady,        app::Phase::kFailed};

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(" ").append(value).append("\n");
}

// A label set is written as given; values must already be escaped.
void sample(std::string& out, std::string_view name,
            std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
            std::string_view value) {
    out.append(name).append("{");
    bool first = true;
    for (const auto& [label, label_value] : labels) {
        if (!first) {
            out.append(",");
        }
        first = false;
        out.append(label).append("=\"").append(label_value).append("\"");
    }
    out.append("} ").append(value).append("\n");
}

std::string format_integer(std::uint64_t value) {
    std::array<char, 24> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return {buffer.data(), result.ptr};
}

std::string format_integer(int value) {
    return value < 0 ? "0" : format_integer(static_cast<std::uint64_t>(value));
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        switch (c) {
            case '\\':
                out.append("\\\\");
                break;
            case '"':
                out.append("\\\"");
                break;
            case '\n':
                out.append("\\n");
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string format_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    if (result.ec != std::errc{}) {
        return "NaN";
    }
    return {buffer.data(), result.ptr};
}

namespace {

// The process and its lifecycle: build, up, ready, phase.
void render_lifecycle(std::string& out, const app::Snapshot& snapshot) {
    header(out, "schemagate_build_info", "gauge",
           "Build information of the running schemagate; the value is always 1.");
    sample(out, "schemagate_build_info", {{"version", escape_label_value(snapshot.version)}}, "1");

    header(out, "schemagate_up", "gauge", "1 while the schemagate process is serving HTTP.");
    sample(out, "schemagate_up", "1");

    const bool ready = snapshot.ready && !snapshot.stopping;
    header(out, "schemagate_ready", "gauge",
           "1 once initialisation has succeeded (latched) and the sidecar is not stopping.");
    sample(out, "schemagate_ready", ready ? "1" : "0");

    header(out, "schemagate_phase", "gauge",
           "Lifecycle phase of the sidecar: 1 for the current phase, 0 for the others.");
    for (const auto phase : kPhases) {
        sample(out, "schemagate_phase", {{"phase", app::to_string(phase)}},
               phase == snapshot.phase ? "1" : "0");
    }
}

void render_initialisation(std::string& out, const app::Snapshot& snapshot) {
    header(out, "schemagate_init_attempts_total", "counter",
           "Database connection attempts of the current initialisation.");
    sample(out, "schemagate_init_attempts_total", format_integer(snapshot.attempts));

    header(out, "schemagate_init_duration_seconds", "gauge",
           "Wall time of the last completed initialisation, in seconds.");
    sample(out, "schemagate_init_duration_seconds", format_value(snapshot.init_seconds));
}

void render_migration_counts(std::string& out, const app::Snapshot& snapshot) {
    header(out, "schemagate_migrations_applied", "gauge",
           "Migrations successfully applied according to the history table.");
    sample(out, "schemagate_migrations_applied", format_integer(snapshot.applied));

    header(out, "schemagate_migrations_pending", "gauge",
           "Versioned migrations found in the directory and not yet applied.");
    sample(out, "schemagate_migrations_pending", format_integer(snapshot.pending));

    header(out, "schemagate_migrations_failed", "gauge",
           "Failed migrations recorded in the history table.");
    sample(out, "schemagate_migrations_failed", format_integer(snapshot.failed));
}

// One series per script applied in this run; repeatable and seed scripts have no version,
// so their description names them. A script applied twice in one run keeps its last time.
void render_migration_durations(std::string& out, const app::Snapshot& snapshot) {
    header(out, "schemagate_migration_duration_seconds", "gauge",
           "Execution time of each script applied in this run, in seconds (version, or the "
           "description of a repeatable or seed script).");
    struct Series {
        std::string version;
        std::string type;
        double seconds;
    };
    std::vector<Series> series;
    series.reserve(snapshot.applied_this_run.size());
    for (const auto& m : snapshot.applied_this_run) {
        auto version = escape_label_value(m.version.empty() ? m.description : m.version);
        auto type = escape_label_value(m.type);
        const auto same = std::find_if(series.begin(), series.end(), [&](const Series& s) {
            return s.version == version && s.type == type;
        });
        if (same != series.end()) {
            same->seconds = m.seconds;
        } else {
            series.push_back({std::move(version), std::move(type), m.seconds});
        }
    }
    for (const auto& s : series) {
        sample(out, "schemagate_migration_duration_seconds",
               {{"version", s.version}, {"type", s.type}}, format_value(s.seconds));
    }
}

void render_lock_retries(std::string& out, const app::Snapshot& snapshot) {
    header(out, "schemagate_lock_retries_total", "counter",
           "Times a migration file was tried again after a statement waited longer than "
           "SCHEMAGATE_STATEMENT_LOCK_TIMEOUT for a lock, by script.");
    for (const auto& [script, count] : snapshot.lock_retries) {
        sample(out, "schemagate_lock_retries_total", {{"script", escape_label_value(script)}},
               format_integer(count));
    }
}

void render_database(std::string& out, const app::Snapshot& snapshot) {
    header(out, "schemagate_database_up", "gauge",
           "1 when the last check of the kept database connection succeeded.");
    sample(out, "schemagate_database_up", snapshot.db.reachable ? "1" : "0");
}

// Buckets never hit are left out, so an idle sidecar exposes few series.
void render_http_requests(std::string& out, const HttpCounters& counters) {
    header(out, "schemagate_http_requests_total", "counter",
           "HTTP requests answered, by path (a known path or \"other\") and status code.");
    for (std::size_t e = 0; e < kEndpointCount; ++e) {
        const auto endpoint = static_cast<Endpoint>(e);
        for (std::size_t b = 0; b < HttpCounters::kCodeBuckets; ++b) {
            const auto value = counters.bucket(endpoint, b);
            if (value == 0) {
                continue;
            }
            const std::string code = b < HttpCounters::kCodes.size()
                                         ? format_integer(std::uint64_t{HttpCounters::kCodes[b]})
                                         : std::string("other");
            sample(out, "schemagate_http_requests_total",
                   {{"path", path_label(endpoint)}, {"code", code}}, format_integer(value));
        }
    }
}

}  // namespace

std::string render(const app::Snapshot& snapshot, const HttpCounters& counters) {
    std::string out;
    out.reserve(4096);
    render_lifecycle(out, snapshot);
    render_initialisation(out, snapshot);
    render_migration_counts(out, snapshot);
    render_migration_durations(out, snapshot);
    render_lock_retries(out, snapshot);
    render_database(out, snapshot);
    render_http_requests(out, counters);
    return out;
}

}  // namespace sg::metrics
