// Applying one file: in one transaction with its history row, or statement by statement
// (no-transaction files, resumable), with lock-timeout retries; who blocks, invalid indexes.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "sidecar/migrate/engine.hpp"
#include "sidecar/migrate/engine_detail.hpp"
#include "sidecar/migrate/sql_lexer.hpp"
#include "sidecar/wait/backoff.hpp"

namespace sg::migrate {

namespace detail {

Outcome refusal(Result result, std::string message, std::chrono::steady_clock::time_point start) {
    Outcome o;
    o.result = result;
    o.message = std::move(message);
    o.elapsed = since(start);
    return o;
}

const Prepared* prepared_or_invalid(const std::variant<Prepared, std::string>& prepared,
                                    Outcome& outcome) {
    if (const auto* problem = std::get_if<std::string>(&prepared)) {
        outcome.result = Result::kInvalid;
        outcome.message = *problem;
        return nullptr;
    }
    return &std::get<Prepared>(prepared);
}

std::size_t count_lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

std::string describe_error(const db::SqlError& e, std::size_t line_offset, std::size_t file_lines) {
    std::string out;
    if (e.line && *e.line > line_offset && *e.line - line_offset <= file_lines) {
        out = "line " + std::to_string(*e.line - line_offset) + ": ";
    }
    out += e.what();
    if (!e.sqlstate.empty()) {
        out += " (SQLSTATE " + e.sqlstate + ")";
    }
    return out;
}

}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;
using detail::count_lines;
using detail::describe_error;
using detail::since;
using std::chrono::milliseconds;

// Server-side duration of the current message, in whole milliseconds.
constexpr const char* kElapsedMsSql =
    "(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::integer";

std::string hint_for(const db::SqlError& e) {
    if (e.sqlstate == "55P03") {
        return "; a lock was not granted within SCHEMAGATE_STATEMENT_LOCK_TIMEOUT: run again when "
               "traffic is lower or raise the timeout";
    }
    if (e.sqlstate == "42501") {
        return "; the role lacks a privilege: grant it, or set SCHEMAGATE_ADMIN_URL so schemagate "
               "provisions the role as owner";
    }
    return "";
}

}  // namespace

Engine::Applied Engine::apply_transactional(const Migration& m, const Prepared& p,
                                            bool record_failure) {
    const std::string type = to_string(m.type);
    // One simple-query message: the file and its history row commit together or not at all.
    std::string message;
    std::size_t offset = 0;
    if (options_.statement_lock_timeout) {
        message = "SET LOCAL lock_timeout = '" +
                  std::to_string(options_.statement_lock_timeout->count()) + "ms';\n";
        offset = 1;
    }
    message.reserve(message.size() + p.text.size() + 512);
    message += p.text;
    message += "\n;\n";
    // Whatever the file set for its session (search_path, ROLE, timeouts) ends with it: the
    // history row is written, and the next file starts, as schemagate set the session up. On
    // failure the rollback undoes the file's settings with the rest.
    message += reset_session_sql();
    message += insert_history_sql(m, type, true, kElapsedMsSql, "", std::nullopt);
    try {
        conn_.exec(message);
        return {true, ""};
    } catch (const db::SqlError& e) {
        if (e.is_cancel() && stop_.requested()) {
            return {false, "stopped"};
        }
        const std::string why = describe_error(e, offset, count_lines(p.text));
        const bool lock_timeout = e.sqlstate == "55P03";
        if (m.type != MigrationType::kUndo && (record_failure || !lock_timeout)) {
            // Recorded so `status` and /health show it; the next run retries the file.
            conn_.exec(insert_history_sql(m, type, false, "0", why, std::nullopt));
        }
        std::optional<std::size_t> line;
        if (e.line && *e.line > offset && *e.line - offset <= count_lines(p.text)) {
            line = *e.line - offset;
        }
        return {false,
                m.script + ": " + why + hint_for(e) +
                    "; nothing of this file was applied (its transaction rolled back); fix "
                    "the file and run again",
                lock_timeout, 0, FailurePoint{m.script, line, e.sqlstate}};
    }
}

Engine::Applied Engine::apply_statements(const Migration& m, const Prepared& p, int resume_at) {
    Applied applied = apply_statements_of_file(m, p, resume_at);
    if (applied.message != "stopped") {
        conn_.exec(reset_session_sql());  // the file's settings end with it, as in a transaction
    }
    return applied;
}

Engine::ResumePoint Engine::open_no_transaction_file(const Migration& m, const Prepared& p,
                                                     int resume_at) {
    ResumePoint at;
    if (m.type == MigrationType::kVersioned) {
        at.rank = conn_
                      .value("SELECT max(rank) FROM " + table_ +
                             " WHERE type = 'versioned' AND version = " + version_literal(m) +
                             " AND NOT success")
                      .value_or("");
    }
    // An earlier attempt stopped in this file (failed, killed, or lost its server): its first
    // unfinished statement may have left work behind that is checked before running it again.
    at.earlier_attempt = !at.rank.empty();
    if (at.earlier_attempt) {
        at.interrupted =
            conn_.value("SELECT error IS NULL FROM " + table_ + " WHERE rank = " + at.rank) == "t";
    }
    if (resume_at <= 0 || at.rank.empty()) {
        // Progress is recorded before the first statement, so an interruption is reported and
        // the next run resumes instead of silently re-running what already happened.
        at.rank = conn_
                      .value(own_settings_local_sql() +
                             insert_history_sql(m, to_string(m.type), false, "0", "", 0) +
                             " RETURNING rank")
                      .value_or("");
        return at;
    }
    spdlog::warn("resuming a no-transaction file where it stopped file={} at_statement={} of={}",
                 m.script, resume_at + 1, p.statements.size());
    at.statement = std::min(resume_at, static_cast<int>(p.statements.size()));
    // From now on a missing error means this attempt was interrupted, not the earlier one.
    conn_.exec(own_settings_local_sql() + "UPDATE " + table_ +
               " SET error = NULL WHERE rank = " + at.rank);
    return at;
}

bool Engine::concurrent_index_done(const Migration& m, const ResumePoint& at,
                                   const std::string& index_name) {
    // CREATE INDEX CONCURRENTLY commits an INVALID index first and builds it after; an
    // interruption leaves that shell, and a build that finished after its client died leaves a
    // valid index with the progress unrecorded.
    const auto found = conn_.query(
        "SELECT format('%I.%I', n.nspname, c.relname), i.indisvalid FROM pg_class c JOIN "
        "pg_index i ON i.indexrelid = c.oid JOIN pg_namespace n ON n.oid = "
        "c.relnamespace WHERE c.relname = " +
        conn_.literal(index_name) +
        " AND n.nspname = ANY (current_schemas(false)) ORDER BY array_position("
        "current_schemas(false), n.nspname) LIMIT 1");
    if (!found.empty() && found.front()[1] == "f") {
        const std::string qualified = found.front()[0].value_or(index_name);
        spdlog::warn(
            "dropping the INVALID index an interrupted CREATE INDEX CONCURRENTLY left, then "
            "building it again file={} statement={} index={}",
            m.script, at.statement + 1, qualified);
        conn_.exec("DROP INDEX CONCURRENTLY IF EXISTS " + qualified);
        return false;
    }
    if (!found.empty() && at.interrupted) {
        spdlog::warn(
            "the interrupted CREATE INDEX CONCURRENTLY had finished; not building it again "
            "file={} statement={} index={}",
            m.script, at.statement + 1, found.front()[0].value_or(index_name));
        return true;
    }
    return false;
}

bool Engine::run_statement(std::string_view statement, const std::string& progress_sql) {
    if (options_.statement_lock_timeout) {
        conn_.exec("SET lock_timeout = '" +
                   std::to_string(options_.statement_lock_timeout->count()) + "ms'");
    }
    // A statement PostgreSQL allows in a transaction commits together with its progress, so an
    // interruption never leaves it done but unrecorded (and run twice on resume).
    if (!no_transaction_command(statement)) {
        try {
            conn_.exec(std::string(statement) + "\n;\n" + progress_sql);
            return true;
        } catch (const db::SqlError& e) {
            if (e.sqlstate != "25001") {  // active_sql_transaction: run it on its own
                throw;
            }
        }
    }
    conn_.exec(std::string(statement));
    return false;
}

Engine::Applied Engine::statement_failed(const Migration& m, const Prepared& p,
                                         const ResumePoint& at, const db::SqlError& e) {
    const int i = at.statement;
    const auto index = static_cast<std::size_t>(i);
    const std::string why =
        "statement " + std::to_string(i + 1) + " of " + std::to_string(p.statements.size()) + " (" +
        describe_error(e, 0, 0).insert(0, "line " + std::to_string(p.lines[index]) + ": ") + ")";
    conn_.exec(own_settings_local_sql() + "UPDATE " + table_ +
               " SET error = " + conn_.literal(why) + ", statements_done = " + std::to_string(i) +
               " WHERE rank = " + at.rank);
    std::string left_over;
    if (const auto index_name = concurrent_index_name(p.statements[index])) {
        left_over = invalid_index_named(*index_name);
        if (!left_over.empty()) {
            left_over.insert(0, "; it left the INVALID index ")
                .append(", which the next run drops before building it again");
        }
    }
    std::string message = m.script;
    message.append(": ").append(why).append(hint_for(e)).append(left_over);
    message.append("; it runs outside a transaction, so ");
    if (i == 0) {
        message.append("nothing was applied");
    } else if (i == 1) {
        message.append("statement 1 stays applied");
    } else {
        message.append("statements 1-").append(std::to_string(i)).append(" stay applied");
    }
    message.append("; fix the file and run again: it resumes at statement ")
        .append(std::to_string(i + 1));
    return {false, message, e.sqlstate == "55P03", i,
            FailurePoint{m.script, p.lines[index], e.sqlstate}};
}

// The statements of a no-transaction file share its session settings until it ends; the history
// writes between them run with schemagate's (own_settings_local_sql).
Engine::Applied Engine::apply_statements_of_file(const Migration& m, const Prepared& p,
                                                 int resume_at) {
    const auto start = Clock::now();
    ResumePoint at = open_no_transaction_file(m, p, resume_at);
    const int first = at.statement;
    const auto progress_sql = [&](int done) {
        return own_settings_local_sql() + "UPDATE " + table_ +
               " SET statements_done = " + std::to_string(done) + " WHERE rank = " + at.rank;
    };
    for (; at.statement < static_cast<int>(p.statements.size()); ++at.statement) {
        const std::string_view statement = p.statements[static_cast<std::size_t>(at.statement)];
        if (at.earlier_attempt && at.statement == first) {
            if (const auto index_name = concurrent_index_name(statement);
                index_name && concurrent_index_done(m, at, *index_name)) {
                conn_.exec(progress_sql(at.statement + 1));
                continue;
            }
        }
        bool recorded = false;
        try {
            recorded = run_statement(statement, progress_sql(at.statement + 1));
        } catch (const db::SqlError& e) {
            if (options_.statement_lock_timeout) {
                conn_.exec("RESET lock_timeout");
            }
            if (e.is_cancel() && stop_.requested()) {
                return {false, "stopped"};
            }
            return statement_failed(m, p, at, e);
        }
        // Outside the try: the statement ran, so an error from here on is not its failure.
        if (options_.statement_lock_timeout) {
            conn_.exec("RESET lock_timeout");
        }
        if (!recorded) {
            conn_.exec(progress_sql(at.statement + 1));
        }
    }
    if (const std::string invalid = invalid_indexes(); !invalid.empty()) {
        const std::string why = "left INVALID index(es) " + invalid +
                                " (an interrupted or failed CREATE INDEX CONCURRENTLY)";
        conn_.exec(own_settings_local_sql() + "UPDATE " + table_ +
                   " SET error = " + conn_.literal(why) + " WHERE rank = " + at.rank);
        return {false,
                m.script + " " + why + "; DROP INDEX CONCURRENTLY each of them and run again"};
    }
    conn_.exec(own_settings_local_sql() + "UPDATE " + table_ +
               " SET success = true, error = NULL, checksum = " + conn_.literal(m.checksum) +
               ", execution_ms = execution_ms + " + std::to_string(since(start).count()) +
               " WHERE rank = " + at.rank);
    return {true, ""};
}

Engine::Applied Engine::apply_with_lock_retries(const Migration& m, const Prepared& p,
                                                int resume_at) {
    wait::Backoff backoff(
        {options_.lock_retry_initial, milliseconds(30000), options_.lock_retries + 1});
    for (int attempt = 1;; ++attempt) {
        const bool last = attempt > options_.lock_retries;
        Applied applied =
            p.no_transaction ? apply_statements(m, p, resume_at) : apply_transactional(m, p, last);
        if (applied.ok || !applied.lock_timeout || !options_.statement_lock_timeout) {
            return applied;
        }
        const std::string blockers = describe_blockers();
        if (last) {
            if (!p.no_transaction) {
                applied.message = m.script + ": a lock was not granted within " +
                                  "SCHEMAGATE_STATEMENT_LOCK_TIMEOUT (" +
                                  std::to_string(options_.statement_lock_timeout->count()) +
                                  " ms) in " + std::to_string(attempt) + " attempt(s); " +
                                  (blockers.empty() ? "no other open transaction was seen"
                                                    : "oldest open transactions: " + blockers) +
                                  "; nothing of this file was applied: end the blocking session "
                                  "or run when it has finished, or raise "
                                  "SCHEMAGATE_LOCK_RETRIES or SCHEMAGATE_STATEMENT_LOCK_TIMEOUT";
            }
            if (p.no_transaction && !blockers.empty()) {
                applied.message += "; oldest open transactions: " + blockers;
            }
            return applied;
        }
        resume_at = applied.done;
        const milliseconds delay = backoff.next_delay();
        spdlog::warn(
            "lock wait timed out; trying the file again file={} attempt={} of={} delay_ms={} "
            "lock_timeout_ms={} blockers=\"{}\"",
            m.script, attempt + 1, options_.lock_retries + 1, delay.count(),
            options_.statement_lock_timeout->count(), blockers);
        if (events_.lock_retry) {
            events_.lock_retry(m, attempt + 1, delay, blockers);
        }
        if (!stop_.sleep_for(delay)) {
            return {false, "stopped", false, applied.done};
        }
    }
}

std::string Engine::describe_blockers() {
    const auto rows = conn_.query(
        "SELECT pid, coalesce(nullif(application_name, ''), '-'), state, "
        "extract(epoch FROM now() - xact_start)::integer, "
        "left(regexp_replace(query, '\\s+', ' ', 'g'), 100) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND datname = current_database() AND xact_start IS NOT "
        "NULL AND backend_type = 'client backend' ORDER BY xact_start LIMIT 3");
    std::string out;
    for (const auto& r : rows) {
        out += (out.empty() ? "" : "; ") + std::string("pid ") + r[0].value_or("?") + " (" +
               r[1].value_or("-") + ", " + r[2].value_or("?") + ", transaction open " +
               r[3].value_or("?") + "s): " + r[4].value_or("");
    }
    return out;
}

std::string Engine::invalid_indexes() {
    const auto rows = conn_.query(
        "SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ') FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT i.indisvalid AND n.nspname = " +
        conn_.literal(options_.schema));
    return rows.empty() ? "" : rows.front().front().value_or("");
}

std::string Engine::invalid_index_named(const std::string& name) {
    return conn_
        .value(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_index i JOIN pg_class c ON "
            "c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT "
            "i.indisvalid AND c.relname = " +
            conn_.literal(name) + " AND n.nspname = ANY (current_schemas(false)) LIMIT 1")
        .value_or("");
}

}  // namespace sg::migrate
