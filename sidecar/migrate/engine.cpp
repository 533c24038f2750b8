#include "sidecar/migrate/engine.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sidecar/migrate/engine_detail.hpp"
#include "sidecar/migrate/lock.hpp"
#include "sidecar/migrate/placeholders.hpp"
#include "sidecar/migrate/sql_lexer.hpp"
#include "sidecar/wait/backoff.hpp"

namespace sg::migrate {

namespace {

using Clock = std::chrono::steady_clock;
using detail::count_lines;
using detail::describe_error;
using detail::refusal;
using detail::since;
using std::chrono::milliseconds;

constexpr const char* kPooledMessage =
    "DATABASE_URL goes through a connection pooler (the server's backend differs from the one "
    "libpq was given, as with PgBouncer): a session advisory lock cannot be held there; point "
    "DATABASE_URL at PostgreSQL itself (a direct host and port), not at the pooler";

// The first changed file of a plan with drift, and how to resolve it.
std::string drift_problem(const Plan& plan) {
    const auto& d = plan.drift.front();
    std::string message = d.migration->script + " changed after it was applied (checksum " +
                          d.recorded_checksum.substr(0, 12) + "... recorded, " +
                          d.migration->checksum.substr(0, 12) +
                          "... now); restore the file and put the change in a new migration, or "
                          "run `schemagate repair` to accept it";
    if (plan.drift.size() > 1) {
        message += " (" + std::to_string(plan.drift.size() - 1) + " more changed file(s))";
    }
    return message;
}

}  // namespace

std::string FailurePoint::fields() const {
    std::string out;
    if (!file.empty()) {
        out += " file=\"" + file + "\"";
    }
    if (line) {
        out += " line=" + std::to_string(*line);
    }
    if (!sqlstate.empty()) {
        out += " sqlstate=" + sqlstate;
    }
    return out;
}

std::string display_name(const Migration& m) {
    switch (m.type) {
        case MigrationType::kVersioned:
            return "V" + m.version->text() + " " + m.description;
        case MigrationType::kUndo:
            return "U" + m.version->text() + " " + m.description;
        case MigrationType::kRepeatable:
            return "R " + m.description;
        case MigrationType::kSeed:
        case MigrationType::kVerify:
            return m.script;
    }
    return m.script;
}

Engine::Engine(db::Connection& connection, const MigrationSet& files, EngineOptions options,
               wait::Stop& stop, EngineEvents events)
    : conn_(connection),
      files_(files),
      options_(std::move(options)),
      stop_(stop),
      events_(std::move(events)) {
    table_ = conn_.identifier(options_.schema) + ".schemagate_history";
    const std::string schema_ident = conn_.identifier(options_.schema);
    search_path_ = options_.schema == "public" ? schema_ident : schema_ident + ", public";
    placeholders_ = options_.extra_placeholders;
    placeholders_["service"] = options_.service;
    placeholders_["schema"] = options_.schema;
    placeholders_["role"] = options_.role;
}

ServerFacts Engine::connect_session() {
    const auto rows = conn_.query(
        "SELECT current_database(), current_user, current_setting('server_version'), "
        "pg_is_in_recovery(), to_regclass(" +
        conn_.literal(table_) +
        ") IS NOT NULL, EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = " +
        conn_.literal(options_.schema) + "), current_setting('role'), " + session_settings_sql());
    const auto& r = rows.at(0);
    if (r[3] == "t") {
        throw db::ConnectionLost(
            "the server is a read-only hot standby (in recovery); waiting for a primary");
    }
    facts_ = {r[0].value_or(""), r[1].value_or(""), r[2].value_or("")};
    history_exists_ = r[4] == "t";
    schema_exists_ = r[5] == "t";
    start_role_ = r[6].value_or("none");
    placeholders_["database"] = facts_.database;
    add_flyway_placeholders(placeholders_,
                            flyway_facts_now(options_.schema, facts_.user, facts_.database));
    return facts_;
}

std::string Engine::session_settings_sql() const {
    return "set_config('search_path', " + conn_.literal(search_path_) + ", false)" +
           // PostgreSQL 14+: a backend whose client died (killed runner, lost network) abandons
           // its statement within a second instead of finishing and committing it unobserved.
           // It may also wait idle for the lock for minutes: a role's idle_session_timeout must
           // not end it meanwhile.
           (conn_.server_version() >= 140000
                ? std::string(", set_config('client_connection_check_interval', '1000', false), "
                              "set_config('idle_session_timeout', '0', false)")
                : std::string()) +
           kServerKeepalivesSql;
}

std::string Engine::reset_session_sql() const {
    // RESET ALL returns every setting to what the connection started with (startup options and
    // the role's and database's defaults included); role and session authorization are apart.
    // None of it touches the advisory locks the session holds.
    return "RESET ALL;\nRESET SESSION AUTHORIZATION;\nRESET ROLE;\nSELECT " +
           session_settings_sql() + ";\n";
}

std::string Engine::own_settings_local_sql() const {
    // SET LOCAL lasts until the end of the (implicit) transaction of the message it opens.
    return "SET LOCAL SESSION AUTHORIZATION DEFAULT;\nSET LOCAL ROLE " +
           (start_role_ == "none" ? std::string("NONE") : conn_.identifier(start_role_)) +
           ";\nSET LOCAL search_path TO " + search_path_ +
           ";\nSET LOCAL statement_timeout TO DEFAULT;\nSET LOCAL lock_timeout TO DEFAULT;\n";
}

Outcome Engine::apply_plan(const Plan& plan, Outcome outcome) {
    const auto run_step = [&](const Step& step) -> std::optional<Outcome> {
        const Migration& m = *step.migration;
        if (stop_.requested()) {
            outcome.result = Result::kStopped;
            outcome.message = "stopped before " + m.script;
            return outcome;
        }
        const auto prepared = prepare(m, placeholders_);
        const Prepared* p = detail::prepared_or_invalid(prepared, outcome);
        if (p == nullptr) {
            return outcome;
        }
        const auto start = Clock::now();
        const Applied applied = apply_with_lock_retries(m, *p, step.resume_at);
        if (!applied.ok) {
            outcome.result = applied.message == "stopped" ? Result::kStopped : Result::kFailed;
            outcome.message = applied.message == "stopped"
                                  ? m.script + " was cancelled by the stop request and rolled back"
                                  : applied.message;
            outcome.at = applied.at;
            return outcome;
        }
        const auto ms = since(start);
        ++outcome.applied;
        if (m.version) {
            spdlog::info("applied migration version={} description=\"{}\" type={} ms={}",
                         m.version->text(), m.description, to_string(m.type), ms.count());
        } else {
            spdlog::info("applied {} file={} ms={}", to_string(m.type), m.script, ms.count());
        }
        if (events_.applied) {
            events_.applied(m, ms);
        }
        return std::nullopt;
    };
    for (const auto& script : plan.out_of_order) {
        spdlog::warn("applying a migration older than the latest applied version file={}", script);
    }
    for (const auto& step : plan.versioned) {
        if (auto stop = run_step(step)) {
            return *stop;
        }
    }
    for (const auto& step : plan.repeatable) {
        if (auto stop = run_step(step)) {
            return *stop;
        }
    }
    if (!plan.seed.empty() && events_.stage) {
        events_.stage(Stage::kSeeding);
    }
    for (const auto& step : plan.seed) {
        if (auto stop = run_step(step)) {
            return *stop;
        }
    }
    return outcome;
}

Engine::Locks::Locks(std::unique_ptr<db::Connection> lock_connection, db::Connection& session,
                     std::int64_t lock_key_value, std::int64_t work_key_value)
    : connection(std::move(lock_connection)),
      lock(*connection, lock_key_value),
      work(session, work_key_value, "work lock (an earlier runner's session, still running)") {}

std::unique_ptr<Engine::Locks> Engine::open_locks() {
    std::unique_ptr<db::Connection> lock_conn;
    try {
        lock_conn = db::Connection::open(options_.lock_conninfo);
    } catch (const db::ConnectFailed& e) {
        throw db::ConnectionLost(std::string("cannot open the lock connection: ") + e.what());
    }
    return std::make_unique<Locks>(
        std::move(lock_conn), conn_, lock_key(facts_.database, options_.schema, options_.service),
        work_lock_key(facts_.database, options_.schema, options_.service));
}

std::optional<Outcome> Engine::take_locks(MigrationLock& lock, MigrationLock& work,
                                          Clock::time_point start) {
    const auto fail = [&](Result result, std::string message) {
        return refusal(result, std::move(message), start);
    };
    const auto timed_out = [&](MigrationLock& which, const std::string& what) {
        const std::string who = which.holder();
        return fail(Result::kLockTimeout,
                    "the " + what + " was not acquired within SCHEMAGATE_LOCK_TIMEOUT (" +
                        std::to_string(options_.lock_timeout.count() / 1000) + "s); held by " +
                        (who.empty() ? "another runner" : who) +
                        "; wait for it to finish or raise SCHEMAGATE_LOCK_TIMEOUT");
    };
    switch (lock.acquire(options_.lock_timeout, stop_)) {
        case LockResult::kAcquired:
            break;
        case LockResult::kStopped:
            return fail(Result::kStopped, "stopped while waiting for the migration lock");
        case LockResult::kPooled:
            return fail(Result::kUnavailable, kPooledMessage);
        case LockResult::kTimedOut:
            return timed_out(lock, "migration lock");
    }
    // A runner killed mid-file loses its lock connection at once, but its other backend may
    // still be running (and could commit) the file: it holds the work lock until it ends.
    const auto used = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    switch (work.acquire(std::max(options_.lock_timeout - used, milliseconds(0)), stop_)) {
        case LockResult::kAcquired:
            return std::nullopt;
        case LockResult::kStopped:
            lock.release();
            return fail(Result::kStopped, "stopped while waiting for the migration lock");
        case LockResult::kPooled:
            lock.release();
            return fail(Result::kUnavailable, kPooledMessage);
        case LockResult::kTimedOut: {
            auto out = timed_out(work, "work lock (an earlier runner's orphaned session)");
            lock.release();
            return out;
        }
    }
    return std::nullopt;
}

Outcome Engine::migrate() {
    try {
        return migrate_unguarded();
    } catch (const db::SqlError& e) {
        // A stop request's cancel can land on whatever statement runs next (an unlock, a
        // progress update) rather than the one it was meant for: that is still a stop.
        if (e.is_cancel() && stop_.requested()) {
            Outcome o;
            o.result = Result::kStopped;
            o.message = "stopped; the running statement was cancelled";
            return o;
        }
        throw;
    }
}

Outcome Engine::migrate_unguarded() {
    const auto start = Clock::now();
    // A stop request cancels whatever statement runs on this connection.
    const auto cancel_guard = stop_.on_request([this] { conn_.cancel(); });
    if (events_.stage) {
        events_.stage(Stage::kMigrating);
    }
    auto history_rows = history();
    if (auto refused = refuse_takeover(start)) {
        return *refused;
    }
    Plan plan = make_plan(files_, history_rows);
    announce(plan);
    for (const auto& missing : plan.missing) {
        spdlog::warn("an applied migration has no file any more file={}", missing);
    }
    if (auto refused = refuse_plan(plan, start)) {
        return *refused;
    }
    if (plan.has_work() && events_.before_apply) {
        if (auto refused = events_.before_apply(plan, placeholders_)) {
            return refusal(Result::kInvalid, std::move(*refused), start);
        }
    }
    Outcome outcome;
    // Another tool's history is taken over even when it applied every file.
    if (plan.has_work() || takeover_pending()) {
        // Lock only when there is work: restarts with nothing to do never wait for a peer.
        outcome = apply_under_locks(start);
        if (outcome.result != Result::kOk) {
            return outcome;
        }
    } else {
        outcome.skipped = static_cast<int>(files_.versioned.size() + files_.repeatable.size() +
                                           files_.seed.size());
    }
    if (held_back_ > 0) {
        spdlog::info(
            "target version {} reached; {} newer version(s) stay pending; repeatables, seeds and "
            "verify run once every version is applied",
            options_.target->text(), held_back_);
        outcome.elapsed = since(start);
        return outcome;
    }
    Outcome verified = verify();
    verified.applied = outcome.applied;
    verified.skipped = outcome.skipped;
    verified.elapsed = since(start);
    return verified;
}

Outcome Engine::apply_under_locks(Clock::time_point start) {
    const auto locks = open_locks();
    const auto lock_cancel = stop_.on_request([&locks] { locks->connection->cancel(); });
    if (auto failed = take_locks(locks->lock, locks->work, start)) {
        return *failed;
    }
    if (auto failed = ensure_history()) {
        failed->elapsed = since(start);
        return *failed;
    }
    // Another runner may have applied everything while we waited.
    Plan plan = make_plan(files_, history());
    announce(plan);
    if (auto refused = refuse_plan(plan, start)) {
        return *refused;
    }
    Outcome outcome;
    const int total =
        static_cast<int>(files_.versioned.size() + files_.repeatable.size() + files_.seed.size());
    outcome.skipped =
        total - static_cast<int>(plan.versioned.size() + plan.repeatable.size() + plan.seed.size());
    outcome = apply_plan(plan, outcome);
    locks->release();
    if (outcome.result != Result::kOk) {
        outcome.elapsed = since(start);
        return outcome;
    }
    if (events_.planned) {
        events_.planned(make_plan(files_, history()));
    }
    return outcome;
}

void Engine::announce(const Plan& plan) const {
    if (events_.planned) {
        events_.planned(plan);
    }
}

std::optional<Outcome> Engine::refuse_plan(Plan& plan, Clock::time_point start) {
    if (!plan.drift.empty()) {
        return refusal(Result::kInvalid, drift_problem(plan), start);
    }
    return narrow(plan, start);
}

std::optional<Outcome> Engine::narrow(Plan& plan, Clock::time_point start) {
    if (!options_.out_of_order_allowed) {
        if (std::string problem = out_of_order_problem(plan); !problem.empty()) {
            return refusal(Result::kInvalid, std::move(problem), start);
        }
    }
    held_back_ = options_.target ? limit_to_target(plan, *options_.target) : 0;
    return std::nullopt;
}

}  // namespace sg::migrate
