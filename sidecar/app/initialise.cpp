#include "sidecar/app/initialise.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "sidecar/app/connect.hpp"
#include "sidecar/app/exit_code.hpp"
#include "sidecar/db/dsn.hpp"
#include "sidecar/provision/provision.hpp"
#include "sidecar/version.hpp"

namespace sg::app {

namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The counts /health and /readyz?verbose show, from a plan of the files against the history.
void publish_counts(State& state, const migrate::Plan& plan) {
    state.update([&](Snapshot& s) {
        s.current_version = plan.current_version;
        s.applied = plan.applied;
        s.pending = plan.pending();
        s.failed = plan.failed;
    });
}

// A file applied in this run: listed, and counted while the run goes on.
void publish_applied(State& state, const migrate::Migration& m, milliseconds ms) {
    state.update([&](Snapshot& s) {
        s.lock_wait.clear();
        s.applied_this_run.push_back({m.version ? m.version->text() : "", m.description,
                                      migrate::to_string(m.type),
                                      std::chrono::duration<double>(ms).count()});
        // Progress shows at /health while the run goes on, and stays right if a later
        // file fails (the engine re-plans only after a complete run).
        if (m.version && m.type == migrate::MigrationType::kVersioned) {
            s.current_version = m.version->text();
            ++s.applied;
            s.pending = std::max(0, s.pending - 1);
        }
    });
}

// A file whose lock was not granted and that is tried again.
void publish_lock_retry(State& state, const migrate::Migration& m, int attempt, milliseconds delay,
                        const std::string& blockers) {
    state.update([&](Snapshot& s) {
        const auto same = std::find_if(s.lock_retries.begin(), s.lock_retries.end(),
                                       [&](const auto& r) { return r.first == m.script; });
        if (same != s.lock_retries.end()) {
            ++same->second;
        } else {
            s.lock_retries.emplace_back(m.script, 1);
        }
        s.lock_wait = m.script + ": lock not granted, attempt " + std::to_string(attempt) + " in " +
                      std::to_string(delay.count()) + " ms; " +
                      (blockers.empty() ? "no other open transaction seen"
                                        : "oldest open transactions: " + blockers);
    });
}

void publish_session(State& state, const migrate::ServerFacts& facts) {
    state.update([&](Snapshot& s) {
        s.database = facts.database;
        s.db.reachable = true;
        s.db.name = facts.database;
        s.db.server_version = facts.server_version;
        s.last_error.clear();
    });
}

// Invalid files stop the run before any connection: the outcome, each problem logged.
std::optional<InitOutcome> refuse_invalid(const Files& files) {
    if (files.problems.empty()) {
        return std::nullopt;
    }
    std::string message = files.problems.front();
    if (files.problems.size() > 1) {
        message += " (and " + std::to_string(files.problems.size() - 1) +
                   " more problem(s); run `schemagate validate --offline`)";
    }
    for (const auto& p : files.problems) {
        spdlog::error("invalid migration file: {}", p);
    }
    return InitOutcome{files.set.directory_missing ? InitResult::kUsage : InitResult::kInvalid,
                       message};
}

InitResult result_of(migrate::Result result) {
    switch (result) {
        case migrate::Result::kOk:
            return InitResult::kOk;
        case migrate::Result::kFailed:
        case migrate::Result::kUnavailable:
            return InitResult::kFailed;
        case migrate::Result::kInvalid:
            return InitResult::kInvalid;
        case migrate::Result::kLockTimeout:
            return InitResult::kLockTimeout;
        case migrate::Result::kStopped:
            return InitResult::kStopped;
    }
    return InitResult::kOk;
}

InitOutcome unreachable(const db::ConnectFailed& e) {
    std::string message = e.what();
    if (!e.classification.fix.empty()) {
        message = e.classification.reason + " (" + e.what() + "); " + e.classification.fix;
    }
    return {InitResult::kUnreachable, message};
}

}  // namespace

// How long each phase of one run took, for /health's phase_seconds.
class Initialiser::PhaseTimer {
  public:
    explicit PhaseTimer(State& state) : state_(state) {}

    // Moves the run to `phase`; the phase it leaves is timed.
    void enter(Phase phase) {
        const Phase left = state_.snapshot()->phase;
        if (left != phase) {
            close(left);
        }
        state_.set_phase(phase);
    }

    // Times the phase the run ends in.
    void finish() { close(state_.snapshot()->phase); }

    [[nodiscard]] double total_seconds() const {
        return std::chrono::duration<double>(Steady::now() - start_).count();
    }
    [[nodiscard]] const std::vector<std::pair<std::string, double>>& phases() const {
        return phases_;
    }

  private:
    void close(Phase left) {
        const auto now = Steady::now();
        phases_.emplace_back(std::string(to_string(left)),
                             std::chrono::duration<double>(now - phase_start_).count());
        phase_start_ = now;
    }

    State& state_;
    Steady::time_point start_ = Steady::now();
    Steady::time_point phase_start_ = start_;
    std::vector<std::pair<std::string, double>> phases_;
};

int exit_code_for(InitResult result) {
    switch (result) {
        case InitResult::kOk:
        case InitResult::kStopped:
            return kExitOk;
        case InitResult::kFailed:
            return kExitFailed;
        case InitResult::kUsage:
            return kExitUsage;
        case InitResult::kUnreachable:
        case InitResult::kLost:
            return kExitUnreachable;
        case InitResult::kInvalid:
            return kExitInvalid;
        case InitResult::kLockTimeout:
            return kExitLock;
    }
    return kExitFailed;
}

void log_banner(const config::Config& c, std::string_view command) {
    std::string extensions;
    for (const auto& e : c.extensions) {
        extensions += (extensions.empty() ? "" : ",") + e;
    }
    const auto ms = [](std::chrono::milliseconds d) { return static_cast<long>(d.count()); };
    std::string http;
    if (command == "run") {
        http = fmt::format(
            " listen={}:{} http_max_header_bytes={} http_max_connections={} "
            "http_read_timeout_ms={} http_idle_timeout_ms={}",
            c.listen_host, c.listen_port, c.http.max_header_bytes, c.http.max_connections,
            ms(c.http.read_timeout), ms(c.http.idle_timeout));
    }
    spdlog::info(
        "schemagate {} ({}) starting command={} service={} libpq={} database=\"{}\" admin={} "
        "isolation={} schema={} role={} role_password={} migrations={} extensions={} "
        "lock_timeout_ms={} statement_lock_timeout_ms={} lock_retries={} lint={} "
        "out_of_order={} max_retries={} initial_delay_ms={} max_delay_ms={} "
        "connect_timeout_ms={} log_level={} log_format={}{}",
        kVersion, kGitRevision, command, c.service, db::libpq_version(),
        config::masked(c.database_url),
        c.admin_url ? "\"" + config::masked(*c.admin_url) + "\"" : std::string("unset"),
        config::to_string(c.isolation), c.schema, c.role, c.role_password ? "set" : "unset",
        c.migrations.string(), extensions.empty() ? "-" : extensions, ms(c.lock_timeout),
        c.statement_lock_timeout ? std::to_string(ms(*c.statement_lock_timeout)) : "0",
        c.lock_retries, config::to_string(c.lint), c.out_of_order_allowed ? "allow" : "refuse",
        c.max_retries, ms(c.initial_delay), ms(c.max_delay), ms(c.connect_timeout), c.log_level,
        config::to_string(c.log_format), http);
}

migrate::EngineOptions engine_options(const config::Config& config) {
    migrate::EngineOptions o;
    o.service = config.service;
    o.schema = config.schema;
    o.role = config.role;
    o.lock_conninfo = service_conninfo(config);
    o.lock_timeout = config.lock_timeout;
    o.statement_lock_timeout = config.statement_lock_timeout;
    o.lock_retries = config.lock_retries;
    o.out_of_order_allowed = config.out_of_order_allowed;
    if (!config.target_version.empty()) {
        o.target = migrate::Version::parse(config.target_version);
    }
    for (const auto& [name, value] : config.placeholders) {
        o.extra_placeholders[name] = value;
    }
    return o;
}
Initialiser::Initialiser(const config::Config& config, State& state, wait::Stop& stop)
    : config_(config), state_(state), stop_(stop) {}

InitOutcome Initialiser::provision_if_asked() {
    if (!config_.admin_url) {
        return {};
    }
    const provision::Desired desired =
        provision::desired(config_, db::database_name(config_.database_url.reveal()));
    if (!provision::has_work(desired)) {
        return {};
    }
    const std::string admin =
        db::with_defaults(config_.admin_url->reveal(), config::identifier_for(config_.service),
                          config_.connect_timeout);
    // Wait for the server with the admin connection, then provision on it.
    const auto admin_connection =
        connect_with_retry(admin, config_, false, &state_, stop_, "database (admin)");
    if (!admin_connection) {
        return {InitResult::kStopped, "stopped while waiting for the database"};
    }
    state_.set_phase(Phase::kProvisioning);
    try {
        provision::Options options;
        options.lock_timeout = config_.lock_timeout;
        options.notices = log_server_notice;
        const provision::Report report =
            provision::provision(*admin_connection, admin, desired, stop_, options);
        for (const auto& change : report.changes) {
            spdlog::info("provisioned change=\"{}\"", change);
        }
        if (report.changes.empty()) {
            spdlog::info("provisioning: everything already in place isolation={} role={} schema={}",
                         config::to_string(config_.isolation), desired.role, desired.schema);
        }
        return {};
    } catch (const provision::LockTimeout& e) {
        return {InitResult::kLockTimeout, e.what()};
    } catch (const provision::Stopped& e) {
        return {InitResult::kStopped, e.what()};
    } catch (const provision::Error& e) {
        return {InitResult::kFailed, std::string("provisioning failed: ") + e.what()};
    }
}

InitOutcome Initialiser::wait_for_service() {
    connection_ = connect_with_retry(service_conninfo(config_), config_,
                                     config_.admin_url.has_value(), &state_, stop_);
    if (!connection_) {
        return {InitResult::kStopped, "stopped while waiting for the database"};
    }
    return {};
}

migrate::EngineEvents Initialiser::engine_events(const migrate::MigrationSet& files,
                                                 PhaseTimer& timer) {
    migrate::EngineEvents events;
    events.stage = [&timer](migrate::Stage stage) {
        switch (stage) {
            case migrate::Stage::kMigrating:
                timer.enter(Phase::kMigrating);
                break;
            case migrate::Stage::kSeeding:
                timer.enter(Phase::kSeeding);
                break;
            case migrate::Stage::kVerifying:
                timer.enter(Phase::kVerifying);
                break;
        }
    };
    events.planned = [this](const migrate::Plan& plan) { publish_counts(state_, plan); };
    events.applied = [this](const migrate::Migration& m, milliseconds ms) {
        publish_applied(state_, m, ms);
    };
    events.lock_retry = [this](const migrate::Migration& m, int attempt, milliseconds delay,
                               const std::string& blockers) {
        publish_lock_retry(state_, m, attempt, delay, blockers);
    };
    events.before_apply = [this, &files](const migrate::Plan& plan,
                                         const migrate::Placeholders& placeholders) {
        return lint_before_apply(config_, files, plan, placeholders);
    };
    return events;
}

InitOutcome Initialiser::migrate_seed_verify(const migrate::MigrationSet& files,
                                             PhaseTimer& timer) {
    migrate::Engine engine(*connection_, files, engine_options(config_), stop_,
                           engine_events(files, timer));
    publish_session(state_, engine.connect_session());
    const migrate::Outcome outcome = engine.migrate();
    state_.update([](Snapshot& s) { s.lock_wait.clear(); });
    timer.finish();
    InitOutcome result{result_of(outcome.result), outcome.message, outcome.at.fields()};
    if (result.result == InitResult::kFailed) {
        refresh_counts(engine, files);
    }
    if (result.result == InitResult::kOk) {
        log_finished(outcome, timer);
    }
    return result;
}

void Initialiser::refresh_counts(migrate::Engine& engine, const migrate::MigrationSet& files) {
    // A failed file left a failed row: count it for /health and /readyz?verbose. Best effort:
    // the failure itself is what gets reported, whatever happens here.
    try {
        publish_counts(state_, migrate::make_plan(files, engine.history()));
    } catch (const db::Error& e) {
        spdlog::debug("could not re-read the history after the failure: {}", e.what());
    }
}

void Initialiser::log_finished(const migrate::Outcome& outcome, const PhaseTimer& timer) {
    // applied, pending, failed and current_version as /health shows them.
    const auto counts = state_.snapshot();
    spdlog::info(
        "migrate finished files_applied={} files_skipped={} current_version={} applied={} "
        "pending={} failed={} ms={}",
        outcome.applied, outcome.skipped,
        counts->current_version.empty() ? "-" : counts->current_version, counts->applied,
        counts->pending, counts->failed, outcome.elapsed.count());
    state_.update([&](Snapshot& s) {
        s.init_seconds = timer.total_seconds();
        s.phase_seconds = timer.phases();
    });
}

InitOutcome Initialiser::run_once() {
    return run_once(load_files(config_, db::database_name(config_.database_url.reveal())));
}

InitOutcome Initialiser::run_once(const Files& files) {
    PhaseTimer timer(state_);
    state_.update([](Snapshot& s) {
        s.phase = Phase::kWaiting;
        s.attempts = 0;
        s.applied_this_run.clear();
    });
    for (const auto& i : files.set.ignored) {
        spdlog::warn("ignored: {}", i.line());
    }
    if (auto refused = refuse_invalid(files)) {
        return *refused;
    }
    try {
        if (auto provisioned = provision_if_asked(); provisioned.result != InitResult::kOk) {
            return provisioned;
        }
        if (auto waited = wait_for_service(); waited.result != InitResult::kOk) {
            return waited;
        }
        timer.enter(Phase::kMigrating);
        return migrate_seed_verify(files.set, timer);
    } catch (const db::ConnectFailed& e) {
        connection_.reset();
        return unreachable(e);
    } catch (const db::ConnectionLost& e) {
        connection_.reset();
        return {InitResult::kLost, std::string("lost the database connection: ") + e.what()};
    }
}

}  // namespace sg::app
