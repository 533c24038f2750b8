#include "sidecar/app/initialise.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "sidecar/app/exit_code.hpp"
#include "sidecar/db/dsn.hpp"
#include "sidecar/lint/plan_lint.hpp"
#include "sidecar/migrate/lint.hpp"
#include "sidecar/migrate/placeholders.hpp"
#include "sidecar/provision/provision.hpp"
#include "sidecar/version.hpp"

namespace sg::app {

namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

double seconds_since(Steady::time_point start) {
    return std::chrono::duration<double>(Steady::now() - start).count();
}

// Causes after which a cheap probe tells as soon as the server accepts connections: it is not
// listening yet, or listens but is still starting up or recovering (57P03, while it replays
// WAL). Sleeping the whole back-off after "starting up" made readiness take seconds after the
// server was ready.
bool worth_probing(const wait::Classification& c) {
    return c.reason.find("refused") != std::string::npos ||
           c.reason.find("resolve") != std::string::npos ||
           c.reason.find("socket") != std::string::npos ||
           c.reason.find("starting up") != std::string::npos ||
           c.reason.find("recovering") != std::string::npos ||
           c.reason.find("not yet accepting") != std::string::npos;
}

// How often that probe runs: a refused probe costs a SYN and a RST on the network, one while
// the server starts a backend that exits at once, and only for the few milliseconds it starts.
constexpr milliseconds kProbeInterval{20};

}  // namespace

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

std::string service_conninfo(const config::Config& config) {
    return db::with_defaults(config.database_url.reveal(), config::identifier_for(config.service),
                             config.connect_timeout);
}

std::unique_ptr<db::Connection> connect_with_retry(const std::string& conninfo,
                                                   const config::Config& config, bool provisioning,
                                                   State* state, wait::Stop& stop,
                                                   const char* what) {
    wait::Backoff backoff({config.initial_delay, config.max_delay, config.max_retries});
    // A short-timeout variant for the tries between attempts (later key=value pairs win).
    const std::string probe = conninfo + " connect_timeout=1";
    const auto notices = [](std::string_view text) { spdlog::debug("server notice: {}", text); };
    const auto try_open = [&](const std::string& info) {
        auto conn = db::Connection::open(info, provisioning, notices);
        if (backoff.attempts() > 0) {
            spdlog::info("connected to the {} attempts={}", what, backoff.attempts() + 1);
        }
        return conn;
    };
    for (;;) {
        if (stop.requested()) {
            return nullptr;
        }
        if (state != nullptr) {
            state->update([](Snapshot& s) { ++s.attempts; });
        }
        try {
            return try_open(conninfo);
        } catch (const db::ConnectFailed& e) {
            if (stop.requested()) {
                return nullptr;
            }
            const auto& c = e.classification;
            if (c.verdict == wait::Verdict::kFatal) {
                throw;
            }
            const milliseconds delay = backoff.next_delay();
            if (backoff.exhausted()) {
                throw db::ConnectFailed(
                    "gave up after " + std::to_string(backoff.attempts()) +
                        (backoff.attempts() == 1 ? " attempt (" : " attempts (") + e.what() +
                        "); check that the server is running and reachable, or "
                        "raise DB_INIT_MAX_RETRIES",
                    c);
            }
            if (state != nullptr) {
                state->update(
                    [&](Snapshot& s) { s.last_error = std::string(what) + ": " + c.reason; });
            }
            if (wait::Backoff::is_notable(backoff.attempts())) {
                spdlog::info("{} not ready attempt={} reason=\"{}\" retry_in_ms={}", what,
                             backoff.attempts(), c.reason, delay.count());
            } else {
                spdlog::debug("{} not ready attempt={} reason=\"{}\" retry_in_ms={}", what,
                              backoff.attempts(), c.reason, delay.count());
            }
            if (!worth_probing(c)) {
                if (!stop.sleep_for(delay)) {
                    return nullptr;
                }
                continue;
            }
            // Refused, unresolvable or starting up: try again every 20 ms until the back-off
            // delay is over. Each try is a whole connection attempt -- as cheap as PQping while
            // the server refuses or is starting up (either way it fails before authentication)
            // -- so the first try the server accepts is the connection, without a second backend
            // start after a successful ping. What waiting cannot fix fails at once; anything
            // else goes back to the counted attempts.
            const auto until = Steady::now() + delay;
            while (Steady::now() < until) {
                const auto left = std::chrono::duration_cast<milliseconds>(until - Steady::now());
                if (!stop.sleep_for(std::min(left, kProbeInterval))) {
                    return nullptr;
                }
                try {
                    return try_open(probe);
                } catch (const db::ConnectFailed& again) {
                    if (stop.requested()) {
                        return nullptr;
                    }
                    if (again.classification.verdict == wait::Verdict::kFatal) {
                        throw;
                    }
                    if (!worth_probing(again.classification)) {
                        break;
                    }
                }
            }
        }
    }
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

migrate::Format format_of(const config::Config& config) {
    return migrate::parse_format(config.format).value_or(migrate::Format::kAuto);
}

migrate::Placeholders placeholders_for(const config::Config& config, const std::string& database) {
    migrate::Placeholders placeholders;
    for (const auto& [name, value] : config.placeholders) {
        placeholders[name] = value;
    }
    placeholders["service"] = config.service;
    placeholders["schema"] = config.schema;
    placeholders["role"] = config.role;
    placeholders["database"] = database;
    migrate::add_flyway_placeholders(
        placeholders, migrate::flyway_facts_now(config.schema, config.role, database));
    return placeholders;
}

Files load_files(const config::Config& config, const std::string& database_for_placeholders) {
    Files files;
    files.set = migrate::scan(config.migrations, format_of(config));
    for (const auto& p : files.set.problems) {
        files.problems.push_back(p.line());
    }
    if (files.set.directory_missing) {
        return files;
    }
    const migrate::Placeholders placeholders = placeholders_for(config, database_for_placeholders);
    for (const auto& p : migrate::lint(files.set, placeholders)) {
        files.problems.push_back(p.line());
    }
    return files;
}

std::optional<std::string> lint_before_apply(const config::Config& config,
                                             const migrate::MigrationSet& files,
                                             const migrate::Plan& plan,
                                             const migrate::Placeholders& placeholders) {
    if (config.lint == config::LintMode::kOff) {
        return std::nullopt;
    }
    const lint::PlanLint report = lint::lint_plan(files, plan, placeholders, config.schema);
    for (const auto& problem : report.problems) {
        spdlog::warn("lint: {}", problem);
    }
    const auto active = report.active();
    if (config.lint == config::LintMode::kError && !active.empty()) {
        for (const auto* f : active) {
            spdlog::error("lint: {}", f->text());
        }
        return active.front()->text() +
               (active.size() > 1
                    ? " (" + std::to_string(active.size() - 1) + " more finding(s) logged above)"
                    : std::string()) +
               "; nothing was applied: change the file as the finding says, or silence it "
               "with -- schemagate:allow " +
               active.front()->rule + " <reason> (or set SCHEMAGATE_LINT=warn)";
    }
    for (const auto* f : active) {
        spdlog::warn("lint: {}", f->text());
    }
    return std::nullopt;
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
        options.notices = [](std::string_view text) { spdlog::debug("server notice: {}", text); };
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

void Initialiser::refresh_counts(migrate::Engine& engine, const migrate::MigrationSet& files) {
    // A failed file left a failed row: count it for /health and /readyz?verbose. Best effort:
    // the failure itself is what gets reported, whatever happens here.
    try {
        const migrate::Plan plan = migrate::make_plan(files, engine.history());
        state_.update([&](Snapshot& s) {
            s.current_version = plan.current_version;
            s.applied = plan.applied;
            s.pending = plan.pending();
            s.failed = plan.failed;
        });
    } catch (const db::Error& e) {
        spdlog::debug("could not re-read the history after the failure: {}", e.what());
    }
}

InitOutcome Initialiser::run_once() {
    return run_once(load_files(config_, db::database_name(config_.database_url.reveal())));
}

InitOutcome Initialiser::run_once(Files files) {
    const auto start = Steady::now();
    std::vector<std::pair<std::string, double>> phases;
    auto phase_start = start;
    const auto enter = [&](Phase phase) {
        const auto now = Steady::now();
        const auto snapshot = state_.snapshot();
        if (snapshot->phase != phase) {
            phases.emplace_back(std::string(to_string(snapshot->phase)),
                                std::chrono::duration<double>(now - phase_start).count());
            phase_start = now;
        }
        state_.set_phase(phase);
    };
    state_.update([](Snapshot& s) {
        s.phase = Phase::kWaiting;
        s.attempts = 0;
        s.applied_this_run.clear();
    });

    for (const auto& i : files.set.ignored) {
        spdlog::warn("ignored: {}", i.line());
    }
    if (!files.problems.empty()) {
        std::string message = files.problems.front();
        if (files.problems.size() > 1) {
            message += " (and " + std::to_string(files.problems.size() - 1) +
                       " more problem(s); run `schemagate validate --offline`)";
        }
        for (const auto& p : files.problems) {
            spdlog::error("invalid migration file: {}", p);
        }
        return {files.set.directory_missing ? InitResult::kUsage : InitResult::kInvalid, message};
    }

    try {
        if (auto provisioned = provision_if_asked(); provisioned.result != InitResult::kOk) {
            return provisioned;
        }
        connection_ = connect_with_retry(service_conninfo(config_), config_,
                                         config_.admin_url.has_value(), &state_, stop_);
        if (!connection_) {
            return {InitResult::kStopped, "stopped while waiting for the database"};
        }
        enter(Phase::kMigrating);
        migrate::EngineEvents events;
        events.stage = [&](migrate::Stage stage) {
            switch (stage) {
                case migrate::Stage::kMigrating:
                    enter(Phase::kMigrating);
                    break;
                case migrate::Stage::kSeeding:
                    enter(Phase::kSeeding);
                    break;
                case migrate::Stage::kVerifying:
                    enter(Phase::kVerifying);
                    break;
            }
        };
        events.planned = [this](const migrate::Plan& plan) {
            state_.update([&](Snapshot& s) {
                s.current_version = plan.current_version;
                s.applied = plan.applied;
                s.pending = plan.pending();
                s.failed = plan.failed;
            });
        };
        events.applied = [this](const migrate::Migration& m, milliseconds ms) {
            state_.update([&](Snapshot& s) {
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
        };
        events.lock_retry = [this](const migrate::Migration& m, int attempt, milliseconds delay,
                                   const std::string& blockers) {
            state_.update([&](Snapshot& s) {
                const auto same = std::find_if(s.lock_retries.begin(), s.lock_retries.end(),
                                               [&](const auto& r) { return r.first == m.script; });
                if (same != s.lock_retries.end()) {
                    ++same->second;
                } else {
                    s.lock_retries.emplace_back(m.script, 1);
                }
                s.lock_wait = m.script + ": lock not granted, attempt " + std::to_string(attempt) +
                              " in " + std::to_string(delay.count()) + " ms; " +
                              (blockers.empty() ? "no other open transaction seen"
                                                : "oldest open transactions: " + blockers);
            });
        };
        events.before_apply = [this, &files](const migrate::Plan& plan,
                                             const migrate::Placeholders& placeholders) {
            return lint_before_apply(config_, files.set, plan, placeholders);
        };
        migrate::Engine engine(*connection_, files.set, engine_options(config_), stop_,
                               std::move(events));
        const auto facts = engine.connect_session();
        state_.update([&](Snapshot& s) {
            s.database = facts.database;
            s.db.reachable = true;
            s.db.name = facts.database;
            s.db.server_version = facts.server_version;
            s.last_error.clear();
        });
        const migrate::Outcome outcome = engine.migrate();
        state_.update([](Snapshot& s) { s.lock_wait.clear(); });
        const auto now = Steady::now();
        phases.emplace_back(std::string(to_string(state_.snapshot()->phase)),
                            std::chrono::duration<double>(now - phase_start).count());
        InitOutcome result;
        switch (outcome.result) {
            case migrate::Result::kOk:
                result.result = InitResult::kOk;
                break;
            case migrate::Result::kFailed:
                result.result = InitResult::kFailed;
                break;
            case migrate::Result::kInvalid:
                result.result = InitResult::kInvalid;
                break;
            case migrate::Result::kLockTimeout:
                result.result = InitResult::kLockTimeout;
                break;
            case migrate::Result::kStopped:
                result.result = InitResult::kStopped;
                break;
            case migrate::Result::kUnavailable:
                result.result = InitResult::kFailed;
                break;
        }
        result.message = outcome.message;
        result.fields = outcome.at.fields();
        if (result.result == InitResult::kFailed) {
            refresh_counts(engine, files.set);
        }
        if (result.result == InitResult::kOk) {
            // applied, pending, failed and current_version as /health shows them.
            const auto counts = state_.snapshot();
            spdlog::info(
                "migrate finished files_applied={} files_skipped={} current_version={} applied={} "
                "pending={} failed={} ms={}",
                outcome.applied, outcome.skipped,
                counts->current_version.empty() ? "-" : counts->current_version, counts->applied,
                counts->pending, counts->failed, outcome.elapsed.count());
            state_.update([&](Snapshot& s) {
                s.init_seconds = seconds_since(start);
                s.phase_seconds = phases;
            });
        }
        return result;
    } catch (const db::ConnectFailed& e) {
        connection_.reset();
        std::string message = e.what();
        if (!e.classification.fix.empty()) {
            message = e.classification.reason + " (" + e.what() + "); " + e.classification.fix;
        }
        return {InitResult::kUnreachable, message};
    } catch (const db::ConnectionLost& e) {
        connection_.reset();
        return {InitResult::kLost, std::string("lost the database connection: ") + e.what()};
    }
}

}  // namespace sg::app
