// The history table's reads and writes: schemagate_history itself, another tool's history taken
// over on the first run, `repair` and `baseline`. The run's orchestration is engine.cpp.
#include <memory>

#include <spdlog/spdlog.h>

#include "sidecar/migrate/engine.hpp"
#include "sidecar/migrate/engine_detail.hpp"
#include "sidecar/migrate/lock.hpp"
#include "sidecar/migrate/takeover.hpp"

namespace sg::migrate {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

std::vector<HistoryRow> Engine::history() {
    std::vector<HistoryRow> out;
    if (!history_exists_) {
        read_takeover();
        if (takeover_ && takeover_->ok()) {
            out = takeover_->rows;
            for (std::size_t i = 0; i < out.size(); ++i) {
                out[i].rank = static_cast<int>(i) + 1;
            }
        }
        return out;
    }
    const auto rows = conn_.query(
        "SELECT rank, version, description, type, script, checksum, installed_by, "
        "to_char(installed_on AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), execution_ms, "
        "success, statements_done, coalesce(error, '') FROM " +
        table_ + " ORDER BY rank");
    out.reserve(rows.size());
    for (const auto& r : rows) {
        HistoryRow h;
        h.rank = std::stoi(r[0].value_or("0"));
        h.version = r[1];
        h.description = r[2].value_or("");
        h.type = r[3].value_or("");
        h.script = r[4].value_or("");
        h.checksum = r[5];
        h.installed_by = r[6].value_or("");
        h.installed_on = r[7].value_or("");
        h.execution_ms = std::stoi(r[8].value_or("0"));
        h.success = r[9] == "t";
        if (r[10]) {
            h.statements_done = std::stoi(*r[10]);
        }
        h.error = r[11].value_or("");
        out.push_back(std::move(h));
    }
    return out;
}

std::optional<Outcome> Engine::ensure_history() {
    if (history_exists_) {
        return std::nullopt;
    }
    try {
        if (!schema_exists_) {
            conn_.exec("CREATE SCHEMA IF NOT EXISTS " + conn_.identifier(options_.schema));
            schema_exists_ = true;
        }
        conn_.exec("CREATE TABLE IF NOT EXISTS " + table_ +
                   " (\n"
                   "  rank integer PRIMARY KEY,\n"
                   "  version text,\n"
                   "  description text NOT NULL,\n"
                   "  type text NOT NULL CHECK (type IN ('versioned', 'repeatable', 'seed', "
                   "'undo', 'baseline')),\n"
                   "  script text NOT NULL,\n"
                   "  checksum text,\n"
                   "  installed_by text NOT NULL DEFAULT current_user,\n"
                   "  installed_on timestamptz NOT NULL DEFAULT now(),\n"
                   "  execution_ms integer NOT NULL DEFAULT 0,\n"
                   "  success boolean NOT NULL,\n"
                   "  statements_done integer,\n"
                   "  error text\n"
                   ");\n" +
                   takeover_insert_sql());
        history_exists_ = true;
        if (takeover_ && takeover_->ok()) {
            const char* tool = to_string(takeover_->tool);
            spdlog::info(
                "took over the history of {} table={} rows={}; it is left as it was, so {} can "
                "still be used instead",
                tool, table_of(takeover_->tool), takeover_->rows.size(), tool);
        }
        takeover_.reset();
        return std::nullopt;
    } catch (const db::SqlError& e) {
        if (e.is_cancel() && stop_.requested()) {
            throw;  // a stop, not a failure: migrate() reports it as one
        }
        Outcome o;
        o.result = Result::kUnavailable;
        if (e.sqlstate == "42501") {
            o.message =
                "cannot create " +
                std::string(schema_exists_ ? "the history table in schema \"" : "schema \"") +
                options_.schema + "\" as role \"" + facts_.user +
                "\": permission denied; set SCHEMAGATE_ADMIN_URL so schemagate provisions "
                "it, or grant CREATE to the role";
        } else if (e.sqlstate == "25006") {
            o.message = std::string("cannot create the history table: ") + e.what() +
                        "; transactions of role \"" + facts_.user +
                        "\" are read-only (default_transaction_read_only): point DATABASE_URL at "
                        "the primary, or turn the setting off for this role or database";
        } else {
            o.message = std::string("cannot create the history table: ") + e.what();
        }
        return o;
    }
}

std::string Engine::version_literal(const Migration& m) {
    return m.version ? conn_.literal(m.version->text()) : std::string("NULL");
}

std::string Engine::insert_history_sql(const Migration& m, const std::string& type, bool success,
                                       const std::string& execution_ms_sql,
                                       const std::string& error,
                                       std::optional<int> statements_done) {
    return "INSERT INTO " + table_ +
           " (rank, version, description, type, script, checksum, execution_ms, success, "
           "statements_done, error) SELECT coalesce(max(rank), 0) + 1, " +
           version_literal(m) + ", " + conn_.literal(m.description) + ", " + conn_.literal(type) +
           ", " + conn_.literal(m.script) + ", " + conn_.literal(m.checksum) + ", " +
           execution_ms_sql + ", " + (success ? "true" : "false") + ", " +
           (statements_done ? std::to_string(*statements_done) : std::string("NULL")) + ", " +
           (error.empty() ? std::string("NULL") : conn_.literal(error)) + " FROM " + table_;
}

Outcome Engine::repair() {
    Outcome outcome;
    if (!history_exists_) {
        outcome.message = "nothing to repair: no history yet";
        return outcome;
    }
    const auto locks = open_locks();
    if (auto failed = take_locks(locks->lock, locks->work, Clock::now())) {
        return *failed;
    }
    const Plan plan = make_plan(files_, history());
    std::string sql = "DELETE FROM " + table_ + " WHERE NOT success AND type <> 'undo';\n";
    for (const auto& d : plan.drift) {
        sql += "UPDATE " + table_ + " SET checksum = " + conn_.literal(d.migration->checksum) +
               " WHERE type IN ('versioned', 'baseline') AND success AND version = " +
               version_literal(*d.migration) + ";\n";
        spdlog::info("accepted the changed checksum file={}", d.migration->script);
    }
    conn_.exec(sql);
    outcome.applied = static_cast<int>(plan.drift.size());
    locks->release();
    return outcome;
}

void Engine::read_takeover() {
    if (takeover_read_ || history_exists_ || !schema_exists_) {
        return;
    }
    takeover_read_ = true;
    const auto found = conn_.query(
        "SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND "
        "a.attname = 'dirty' AND a.attnum > 0 AND NOT a.attisdropped) FROM pg_class c JOIN "
        "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = " +
        conn_.literal(options_.schema) +
        " AND c.relkind IN ('r', 'p') AND c.relname IN ('flyway_schema_history', "
        "'schema_migrations', 'goose_db_version') ORDER BY 1");
    std::vector<std::pair<Tool, std::string>> tools;
    for (const auto& r : found) {
        const std::string name = r[0].value_or("");
        if (const auto tool = tool_of_table(name, r[1] == "t")) {
            tools.emplace_back(*tool, name);
        }
    }
    if (tools.empty()) {
        return;
    }
    Takeover t;
    t.tool = tools.front().first;
    if (tools.size() > 1) {
        t.problem = "schema \"" + options_.schema + "\" holds the histories of two tools (" +
                    tools[0].second + " of " + to_string(tools[0].first) + ", " + tools[1].second +
                    " of " + to_string(tools[1].first) +
                    "); schemagate will not guess which is true: drop or rename the one no longer "
                    "in use, then run schemagate again";
        takeover_ = std::move(t);
        return;
    }
    const std::string qualified = conn_.identifier(options_.schema) + "." + tools[0].second;
    try {
        takeover_ = plan_takeover(tools[0].first, tools[0].second,
                                  read_foreign_rows(tools[0].first, qualified), files_);
    } catch (const db::SqlError& e) {
        if (e.is_cancel() && stop_.requested()) {
            throw;
        }
        t.problem = "cannot read " + tools[0].second + " (the history of " +
                    to_string(tools[0].first) + ") to take it over: " + e.what() +
                    (e.sqlstate == "42501" ? "; grant SELECT on it to role \"" + facts_.user + "\""
                                           : std::string());
        takeover_ = std::move(t);
    }
}

std::vector<ForeignRow> Engine::read_foreign_rows(Tool tool, const std::string& table) {
    constexpr const char* kWhen = "'YYYY-MM-DD HH24:MI:SS'";
    std::string sql;
    switch (tool) {
        case Tool::kFlyway:
            sql =
                "SELECT installed_rank, version, description, type, script, checksum, "
                "to_char(installed_on, " +
                std::string(kWhen) + "), success, false FROM " + table;
            break;
        case Tool::kGoose:
            sql = "SELECT id, version_id::text, '', '', '', NULL, to_char(tstamp, " +
                  std::string(kWhen) + "), is_applied, false FROM " + table;
            break;
        case Tool::kGolangMigrate:
            sql = "SELECT 0, version::text, '', '', '', NULL, '', true, dirty FROM " + table;
            break;
        case Tool::kDbmate:
            sql = "SELECT 0, version::text, '', '', '', NULL, '', true, false FROM " + table;
            break;
    }
    std::vector<ForeignRow> out;
    for (const auto& r : conn_.query(sql)) {
        ForeignRow f;
        f.rank = std::stoll(r[0].value_or("0"));
        f.version = r[1];
        f.description = r[2].value_or("");
        f.type = r[3].value_or("");
        f.script = r[4].value_or("");
        if (r[5]) {
            f.checksum = std::stoll(*r[5]);
        }
        f.installed_on = r[6].value_or("");
        f.success = r[7] == "t";
        f.dirty = r[8] == "t";
        out.push_back(std::move(f));
    }
    return out;
}

const std::string* Engine::takeover_problem() {
    read_takeover();
    return (takeover_ && !takeover_->ok()) ? &takeover_->problem : nullptr;
}

std::optional<Tool> Engine::takeover_from() {
    return takeover_pending() ? std::optional<Tool>(takeover_->tool) : std::nullopt;
}

bool Engine::takeover_pending() {
    read_takeover();
    return !history_exists_ && takeover_ && takeover_->ok();
}

std::optional<Outcome> Engine::refuse_takeover(Clock::time_point start) {
    if (const std::string* problem = takeover_problem()) {
        return detail::refusal(Result::kInvalid, *problem, start);
    }
    return std::nullopt;
}

std::string Engine::takeover_insert_sql() const {
    if (!takeover_ || !takeover_->ok() || takeover_->rows.empty()) {
        return {};
    }
    // Guarded, so a table another runner filled meanwhile is not filled twice.
    std::string sql = "INSERT INTO " + table_ +
                      " (rank, version, description, type, script, checksum, installed_by, "
                      "installed_on, success) SELECT v.* FROM (VALUES ";
    int rank = 0;
    for (const auto& r : takeover_->rows) {
        sql += rank == 0 ? "(" : ", (";
        sql +=
            std::to_string(++rank) + ", " +
            (r.version ? conn_.literal(*r.version) : std::string("NULL::text")) + ", " +
            conn_.literal(r.description) + ", " + conn_.literal(r.type) + ", " +
            conn_.literal(r.script) + ", " +
            (r.checksum ? conn_.literal(*r.checksum) : std::string("NULL::text")) + ", " +
            conn_.literal(r.installed_by) + ", " +
            (r.installed_on.empty() ? std::string("now()")
                                    : conn_.literal(r.installed_on) + "::timestamp::timestamptz") +
            ", true)";
    }
    sql += ") AS v WHERE NOT EXISTS (SELECT 1 FROM " + table_ + ")";
    return sql;
}

Outcome Engine::baseline(const Version& version, const std::string& description) {
    const auto start = Clock::now();
    Outcome outcome;
    const auto refuse = [&](std::string message) {
        outcome.result = Result::kInvalid;
        outcome.message = std::move(message);
        outcome.elapsed = detail::since(start);
        return outcome;
    };
    read_takeover();
    if (takeover_) {
        return refuse("schema \"" + options_.schema + "\" holds the history of " +
                      to_string(takeover_->tool) + " (" + table_of(takeover_->tool) +
                      "): schemagate takes it over on its first run, so no baseline is needed; run "
                      "`schemagate migrate`");
    }
    const auto locks = open_locks();
    if (auto failed = take_locks(locks->lock, locks->work, start)) {
        return *failed;
    }
    history_exists_ = history_exists_ || conn_.query("SELECT to_regclass(" + conn_.literal(table_) +
                                                     ") IS NOT NULL")[0][0] == "t";
    if (const auto rows = history(); !rows.empty()) {
        return refuse(table_ + " already has " + std::to_string(rows.size()) +
                      " row(s) (the latest: " + rows.back().script +
                      "); a baseline is only for a database without history: `schemagate "
                      "status` shows what is applied");
    }
    if (auto failed = ensure_history()) {
        return *failed;
    }
    Migration marker;
    marker.version = version;
    marker.description = description.empty() ? "baseline" : description;
    marker.script = std::string(kBaselineScript);
    conn_.exec(insert_history_sql(marker, "baseline", true, "0", "", std::nullopt));
    locks->release();
    outcome.elapsed = detail::since(start);
    return outcome;
}

}  // namespace sg::migrate
