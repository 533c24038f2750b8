// The fault suite: the real binary killed (while migrating and while provisioning), its server
// restarted, its lock holder killed or frozen, its orphaned backend still at work, its idle
// connections timed out by the server, put behind a transaction-pooling PgBouncer, its CREATE
// INDEX CONCURRENTLY interrupted, and fed a catalogue of bad input. Every loop is bounded in
// count and time; traffic stays on 127.0.0.1. The scenarios, the catalogue and their results are
// written up in tests/FAULTS.md; keep the two in step.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sidecar/db/connection.hpp"
#include "sidecar/http/client.hpp"
#include "sidecar/migrate/lock.hpp"
#include "sidecar/migrate/sql_lexer.hpp"

#include "tests/integration/fixture.hpp"

using namespace std::chrono_literals;
using sg::test::ProcessResult;
using sg::test::TempDatabase;
using sg::test::TempDir;

namespace {

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;
using Steady = std::chrono::steady_clock;

std::string all_output(const ProcessResult& r) {
    return r.out + r.err;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Never a crash: no signal, no hang, no sanitizer report.
void check_no_crash(const ProcessResult& r) {
    CHECK(r.term_signal == 0);
    CHECK_FALSE(r.timed_out);
    CHECK_FALSE(contains(all_output(r), "AddressSanitizer"));
    CHECK_FALSE(contains(all_output(r), "LeakSanitizer"));
    CHECK_FALSE(contains(all_output(r), "runtime error:"));
    CHECK_FALSE(contains(all_output(r), "unexpected error"));
}

std::mt19937& rng() {
    static std::mt19937 generator = [] {
        const char* fixed = std::getenv("SCHEMAGATE_FAULT_SEED");
        const unsigned seed = fixed != nullptr
                                  ? static_cast<unsigned>(std::strtoul(fixed, nullptr, 10))
                                  : std::random_device{}();
        MESSAGE("fault suite random seed " << seed << " (set SCHEMAGATE_FAULT_SEED to replay)");
        return std::mt19937(seed);
    }();
    return generator;
}

int random_between(int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(rng());
}

// True once `pid` runs code of ours: main.cpp's pre-initialisation blocks SIGTERM first thing,
// and later a handler catches it (the signal mask and handlers /proc shows); or once it has
// ended. Before that the process is still in the dynamic loader, which no program can guard;
// under load that alone can outlast a fixed delay after the spawn.
bool guards_sigterm(pid_t pid, std::chrono::milliseconds timeout) {
    const auto bit = std::uint64_t{1} << (SIGTERM - 1);
    const auto until = Steady::now() + timeout;
    while (Steady::now() < until) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/status");
        if (!in) {
            return true;  // reaped already
        }
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("State:", 0) == 0 && line.find_first_of("ZX", 6) != std::string::npos) {
                return true;  // exited, not yet reaped
            }
            if ((line.rfind("SigBlk:", 0) == 0 || line.rfind("SigCgt:", 0) == 0) &&
                (std::stoull(line.substr(7), nullptr, 16) & bit) != 0) {
                return true;
            }
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return false;
}

Env env_for(const std::string& url, const TempDir& dir, const std::string& schema = "public",
            const std::string& service = "faults") {
    return {{"DATABASE_URL", url},         {"SCHEMAGATE_SERVICE", service},
            {"SCHEMAGATE_SCHEMA", schema}, {"SCHEMAGATE_MIGRATIONS", dir.path().string()},
            {"DB_INIT_MAX_RETRIES", "3"},  {"DB_INIT_INITIAL_DELAY", "50ms"},
            {"DB_INIT_TIMEOUT", "5"}};
}

std::string q(const std::string& url, const std::string& sql) {
    return sg::test::query_value(url, sql);
}

// Polls `condition` every 50 ms until it holds (true) or `limit` passes (false).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
    const auto until = Steady::now() + limit;
    while (Steady::now() < until) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return condition();
}

int advisory_locks(const std::string& url) {
    return std::stoi(q(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"));
}

// ---- A long multi-statement migration set ------------------------------------------------------
// Transactional files 1, 2, 3 and 5 each create t<n>_a, t<n>_b, t<n>_c with sleeps between, so
// a kill lands inside a file; file 4 runs outside a transaction (statement by statement) and
// inserts rows a re-run would duplicate; R__ is a repeatable view.
const std::vector<int> kTransactional = {1, 2, 3, 5};

void write_long_set(const TempDir& dir, double sleep_s) {
    const std::string pause = "SELECT pg_sleep(" + std::to_string(sleep_s) + ");\n";
    for (const int n : kTransactional) {
        const std::string t = "t" + std::to_string(n);
        dir.write("V" + std::to_string(n) + "__step_" + std::to_string(n) + ".sql",
                  "CREATE TABLE " + t + "_a (id int PRIMARY KEY);\n" + pause + "CREATE TABLE " + t +
                      "_b (id int REFERENCES " + t + "_a (id));\n" + pause + "INSERT INTO " + t +
                      "_a SELECT g FROM generate_series(1, 100) g;\n" + pause + "CREATE TABLE " +
                      t + "_c AS SELECT id FROM " + t + "_a;\n");
    }
    dir.write("V4__outside_a_transaction.sql",
              "-- schemagate:no-transaction\n"
              "CREATE TABLE nt (id int) ;\n" +
                  pause + "INSERT INTO nt SELECT 1 FROM (SELECT pg_sleep(" +
                  std::to_string(sleep_s) + ")) s;\n" + pause +
                  "CREATE INDEX CONCURRENTLY nt_id ON nt (id);\n"
                  "INSERT INTO nt SELECT 2 FROM (SELECT pg_sleep(" +
                  std::to_string(sleep_s) +
                  ")) s;\n"
                  "ALTER TABLE nt ADD COLUMN note text;\n");
    dir.write("R__views.sql", "CREATE OR REPLACE VIEW all_ids AS SELECT id FROM t1_a;\n");
}

// One consistent snapshot of a schema: for each transactional file, its objects exist iff its
// history has exactly one success row. Returns "" when consistent, else what is wrong.
std::string inconsistency(const std::string& url, const std::string& schema) {
    auto conn = sg::db::Connection::open(url);
    conn->exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
    std::string problems;
    const bool has_history =
        conn->value("SELECT to_regclass(" + conn->literal(schema + ".schemagate_history") +
                    ") IS NOT NULL") == "t";
    for (const int n : kTransactional) {
        const std::string t = "t" + std::to_string(n);
        const int objects =
            std::stoi(conn->value("SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = "
                                  "c.relnamespace WHERE s.nspname = " +
                                  conn->literal(schema) + " AND c.relname IN ('" + t + "_a', '" +
                                  t + "_b', '" + t + "_c')")
                          .value_or("0"));
        int ok_rows = 0;
        if (has_history) {
            ok_rows = std::stoi(conn->value("SELECT count(*) FROM " + conn->identifier(schema) +
                                            ".schemagate_history WHERE type = 'versioned' AND "
                                            "success AND version = '" +
                                            std::to_string(n) + "'")
                                    .value_or("0"));
        }
        if (!((objects == 0 && ok_rows == 0) || (objects == 3 && ok_rows == 1))) {
            problems += "V" + std::to_string(n) + ": " + std::to_string(objects) +
                        " of 3 objects, " + std::to_string(ok_rows) + " success row(s); ";
        }
        if (objects == 3) {
            const auto rows =
                conn->value("SELECT count(*) FROM " + conn->identifier(schema) + "." + t + "_c");
            if (rows != "100") {
                problems += t + "_c has " + rows.value_or("?") + " rows; ";
            }
        }
    }
    conn->exec("COMMIT");
    return problems;
}

// After a converging run: everything applied exactly once, the no-transaction file's rows not
// duplicated, its index valid.
std::string not_converged(const std::string& url, const std::string& schema) {
    std::string problems = inconsistency(url, schema);
    const std::string h = "\"" + schema + "\".schemagate_history";
    const std::string ok_versions = q(url, "SELECT string_agg(version, ',' ORDER BY rank) FROM " +
                                               h + " WHERE type = 'versioned' AND success");
    if (ok_versions != "1,2,3,4,5") {
        problems += "versions applied: " + ok_versions + "; ";
    }
    const std::string nt =
        q(url, "SELECT to_regclass('\"" + schema + "\".nt') IS NOT NULL") == "t"
            ? q(url, "SELECT string_agg(id::text, ',' ORDER BY id) FROM \"" + schema + "\".nt")
            : "(no table)";
    if (nt != "1,2") {
        problems += "nt rows: " + nt + " (want 1,2); ";
    }
    if (q(url,
          "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN "
          "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" +
              schema + "' AND c.relname = 'nt_id' AND i.indisvalid") != "1") {
        problems += "nt_id is missing or INVALID; ";
    }
    if (q(url, "SELECT count(*) FROM information_schema.columns WHERE table_schema = '" + schema +
                   "' AND table_name = 'nt' AND column_name = 'note'") != "1") {
        problems += "nt.note missing; ";
    }
    if (q(url, "SELECT count(*) FROM " + h + " WHERE type = 'repeatable' AND success") != "1") {
        problems += "repeatable not applied once; ";
    }
    return problems;
}

}  // namespace

TEST_SUITE("fault") {
    // ---- 1. SIGKILL of `migrate` at random moments -----------------------------------------
    TEST_CASE(
        "fault: SIGKILL of migrate at random moments never half-applies; the rerun converges") {
        TempDatabase db;
        TempDir dir;
        write_long_set(dir, 0.04);
        // How long an undisturbed run takes, so kills land anywhere inside one.
        const auto calibrate = sg::test::run_schemagate({"migrate"}, env_for(db.url(), dir, "k0"));
        REQUIRE_MESSAGE(calibrate.exit_code == 0, all_output(calibrate));
        CHECK(not_converged(db.url(), "k0").empty());
        const auto span_ms = static_cast<int>(calibrate.elapsed.count());
        MESSAGE("undisturbed run: " << span_ms << " ms");

        constexpr int kTrials = 24;
        int mid_run = 0;
        int finished_first = 0;
        int rerun_failures = 0;
        for (int trial = 1; trial <= kTrials; ++trial) {
            const std::string schema = "k" + std::to_string(trial);
            const auto env = env_for(db.url(), dir, schema);
            const int delay_ms = random_between(20, span_ms + 50);
            CAPTURE(trial);
            CAPTURE(delay_ms);
            sg::test::Process p({sg::test::schemagate_binary(), "migrate"}, env);
            std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
            p.signal(SIGKILL);
            const auto killed = p.wait(10s);
            if (killed.term_signal == SIGKILL) {
                ++mid_run;
            } else {
                ++finished_first;
            }
            // Right after the kill, in one snapshot: no file is half there.
            const std::string right_after = inconsistency(db.url(), schema);
            CHECK_MESSAGE(right_after.empty(), "right after the kill: " << right_after);

            const auto rerun = sg::test::run_schemagate({"migrate"}, env, 60s);
            INFO(all_output(rerun));
            check_no_crash(rerun);
            if (rerun.exit_code != 0) {
                ++rerun_failures;
            }
            CHECK(rerun.exit_code == 0);
            const std::string after = not_converged(db.url(), schema);
            CHECK_MESSAGE(after.empty(), "after the rerun: " << after);
            CHECK(eventually([&] { return advisory_locks(db.url()) == 0; }, 3s));
        }
        MESSAGE("SIGKILL trials=" << kTrials << " killed mid-run=" << mid_run
                                  << " finished before the kill=" << finished_first
                                  << " reruns failed=" << rerun_failures);
        CHECK(mid_run >= kTrials / 2);
    }

    TEST_CASE(
        "fault: SIGTERM at random moments: exit 0 within 5 s, never a crash; the rerun "
        "converges") {
        TempDatabase db;
        TempDir dir;
        write_long_set(dir, 0.04);
        constexpr int kTrials = 12;
        int mid_run = 0;
        for (int trial = 1; trial <= kTrials; ++trial) {
            const std::string schema = "t" + std::to_string(trial);
            const bool daemon = trial % 2 == 0;
            const int delay_ms = random_between(50, 900);
            CAPTURE(trial);
            CAPTURE(daemon);
            CAPTURE(delay_ms);
            auto env = env_for(db.url(), dir, schema);
            env["SCHEMAGATE_LISTEN"] = "127.0.0.1:" + std::to_string(sg::test::free_port());
            sg::test::Process p({sg::test::schemagate_binary(), daemon ? "run" : "migrate"}, env);
            std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
            REQUIRE(guards_sigterm(p.pid(), 10s));  // still loading: signal when it is not
            if (!contains(p.output_so_far(), "finished")) {
                ++mid_run;
            }
            const auto sent = Steady::now();
            p.signal(SIGTERM);
            const auto r = p.wait(10s);
            INFO(all_output(r));
            check_no_crash(r);
            CHECK(r.exit_code == 0);
            CHECK(Steady::now() - sent < 5s);
            const std::string right_after = inconsistency(db.url(), schema);
            CHECK_MESSAGE(right_after.empty(), "after SIGTERM: " << right_after);
            const auto rerun = sg::test::run_schemagate({"migrate"}, env, 60s);
            INFO(all_output(rerun));
            CHECK(rerun.exit_code == 0);
            const std::string after = not_converged(db.url(), schema);
            CHECK_MESSAGE(after.empty(), "after the rerun: " << after);
        }
        MESSAGE("SIGTERM trials=" << kTrials << " mid-run=" << mid_run);
        CHECK(eventually([&] { return advisory_locks(db.url()) == 0; }, 3s));
    }

    // Start-up is where a stop signal once found no handler (under ASan it is slow enough to
    // hit): main blocks the signals first thing, so one sent early waits for the handler. A
    // process still in the dynamic loader after the delay (its time varies with the machine's
    // load and is no part of the program) is signalled the moment it runs code of ours.
    TEST_CASE("fault: SIGTERM right after start, five times in a row: exit 0, never the signal") {
        TempDatabase db;
        TempDir dir;
        write_long_set(dir, 0.04);
        for (int round = 1; round <= 5; ++round) {
            for (const bool daemon : {false, true}) {
                const int delay_ms = random_between(20, 160);
                CAPTURE(round);
                CAPTURE(daemon);
                CAPTURE(delay_ms);
                auto env = env_for(db.url(), dir, "early" + std::to_string(round));
                env["SCHEMAGATE_LISTEN"] = "127.0.0.1:" + std::to_string(sg::test::free_port());
                sg::test::Process p({sg::test::schemagate_binary(), daemon ? "run" : "migrate"},
                                    env);
                std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
                REQUIRE(guards_sigterm(p.pid(), 10s));  // still loading: signal when it is not
                p.signal(SIGTERM);
                const auto r = p.wait(10s);
                INFO(all_output(r));
                check_no_crash(r);
                CHECK(r.exit_code == 0);
            }
        }
        CHECK(eventually([&] { return advisory_locks(db.url()) == 0; }, 3s));
    }

    TEST_CASE("fault: SIGTERM while the history table is being created is a stop: exit 0") {
        TempDatabase db;
        TempDir dir;
        dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
        const auto env = env_for(db.url(), dir, "held");
        // Another session creates the same schema and keeps its transaction open: ours waits in
        // CREATE SCHEMA until SIGTERM cancels it.
        auto blocker = sg::db::Connection::open(db.url());
        blocker->exec("BEGIN");
        blocker->exec("CREATE SCHEMA held");
        sg::test::Process p({sg::test::schemagate_binary(), "migrate"}, env);
        const std::string waiting =
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE SCHEMA IF NOT EXISTS%' "
            "AND wait_event_type = 'Lock' AND datname = current_database()";
        REQUIRE_MESSAGE(eventually([&] { return q(db.url(), waiting) == "1"; }, 15s),
                        p.output_so_far());
        p.signal(SIGTERM);
        const auto r = p.wait(10s);
        INFO(all_output(r));
        check_no_crash(r);
        CHECK(r.exit_code == 0);
        CHECK_FALSE(contains(all_output(r), "cannot create the history table"));
        blocker->exec("ROLLBACK");
        CHECK(sg::test::run_schemagate({"migrate"}, env, 60s).exit_code == 0);
    }

    // ---- 2. The server restarted mid-migration -----------------------------------------------
    TEST_CASE(
        "fault: server restarts mid-migration: migrate exits non-zero and a rerun converges") {
        TempDatabase db;
        TempDir dir;
        write_long_set(dir, 0.08);
        constexpr int kTrials = 6;
        int hit = 0;
        for (int trial = 1; trial <= kTrials; ++trial) {
            const std::string schema = "m" + std::to_string(trial);
            const std::string mode = trial % 2 == 0 ? "restart-immediate" : "restart";
            const int delay_ms = random_between(150, 900);
            CAPTURE(trial);
            CAPTURE(mode);
            CAPTURE(delay_ms);
            const auto env = env_for(db.url(), dir, schema);
            sg::test::Process p({sg::test::schemagate_binary(), "migrate"}, env);
            std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
            sg::test::server_ctl(mode);
            const auto r = p.wait(60s);
            INFO(all_output(r));
            check_no_crash(r);
            if (r.exit_code != 0) {
                ++hit;
                CHECK(r.exit_code == 3);
                CHECK((contains(all_output(r), "lost the database connection") ||
                       contains(all_output(r), "database unreachable")));
            }
            const std::string right_after = inconsistency(db.url(), schema);
            CHECK_MESSAGE(right_after.empty(), "after the restart: " << right_after);
            const auto rerun = sg::test::run_schemagate({"migrate"}, env, 60s);
            INFO(all_output(rerun));
            CHECK(rerun.exit_code == 0);
            const std::string after = not_converged(db.url(), schema);
            CHECK_MESSAGE(after.empty(), "after the rerun: " << after);
        }
        MESSAGE("migrate restart trials=" << kTrials << " interrupted mid-migration=" << hit);
        CHECK(hit >= kTrials / 2);
        CHECK(eventually([&] { return advisory_locks(db.url()) == 0; }, 3s));
    }

    TEST_CASE("fault: server restarts mid-migration: run recovers by itself and reaches ready") {
        TempDatabase db;
        TempDir dir;
        write_long_set(dir, 0.08);
        constexpr int kTrials = 6;
        int recovered_after_loss = 0;
        for (int trial = 1; trial <= kTrials; ++trial) {
            const std::string schema = "r" + std::to_string(trial);
            const std::string mode = trial % 2 == 0 ? "restart-immediate" : "restart";
            const int delay_ms = random_between(150, 900);
            CAPTURE(trial);
            CAPTURE(mode);
            CAPTURE(delay_ms);
            auto env = env_for(db.url(), dir, schema);
            const auto port = sg::test::free_port();
            env["SCHEMAGATE_LISTEN"] = "127.0.0.1:" + std::to_string(port);
            env["DB_INIT_MAX_RETRIES"] = "0";
            env["DB_INIT_MAX_DELAY"] = "2";
            const std::string readyz = "http://127.0.0.1:" + std::to_string(port) + "/readyz";
            sg::test::Process p({sg::test::schemagate_binary(), "run"}, env);
            std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
            sg::test::server_ctl(mode);
            const bool ready =
                eventually([&] { return sg::http::get_status(readyz, 1s).status == 200U; }, 30s);
            CHECK(ready);
            p.signal(SIGTERM);
            const auto r = p.wait(15s);
            INFO(all_output(r));
            check_no_crash(r);
            CHECK(r.exit_code == 0);
            if (contains(all_output(r), "lost the database connection") ||
                contains(all_output(r), "not ready")) {
                ++recovered_after_loss;
            }
            const std::string after = not_converged(db.url(), schema);
            CHECK_MESSAGE(after.empty(), "after run recovered: " << after);
        }
        MESSAGE("run restart trials=" << kTrials << " recovered after losing the server="
                                      << recovered_after_loss);
        CHECK(recovered_after_loss >= kTrials / 2);
        CHECK(eventually([&] { return advisory_locks(db.url()) == 0; }, 3s));
    }

    // ---- 3. The lock holder killed while others wait -----------------------------------------
    TEST_CASE("fault: the lock holder is SIGKILLed while two others wait; a waiter finishes") {
        TempDatabase db;
        TempDir dir;
        dir.write("V1__slow.sql",
                  "CREATE TABLE slow_a (id int);\nSELECT pg_sleep(3);\nCREATE TABLE slow_b (id "
                  "int);\n");
        dir.write("V2__next.sql", "CREATE TABLE next_one (id int);\n");
        constexpr int kTrials = 3;
        for (int trial = 1; trial <= kTrials; ++trial) {
            CAPTURE(trial);
            const std::string schema = "h" + std::to_string(trial);
            const auto env = env_for(db.url(), dir, schema);
            sg::test::Process holder({sg::test::schemagate_binary(), "migrate"}, env);
            REQUIRE(eventually(
                [&] {
                    return q(db.url(),
                             "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
                             "query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid() AND datname = "
                             "current_database()") == "1";
                },
                10s));
            sg::test::Process w1({sg::test::schemagate_binary(), "migrate"}, env);
            sg::test::Process w2({sg::test::schemagate_binary(), "migrate"}, env);
            CHECK(w1.wait_for_output("waiting for the migration lock", 10s));
            CHECK(w2.wait_for_output("waiting for the migration lock", 10s));
            holder.signal(SIGKILL);
            CHECK(holder.wait(10s).term_signal == SIGKILL);
            for (auto* w : {&w1, &w2}) {
                const auto r = w->wait(60s);
                INFO(all_output(r));
                check_no_crash(r);
                CHECK(r.exit_code == 0);
            }
            const std::string h = schema + ".schemagate_history";
            CHECK(q(db.url(), "SELECT string_agg(version, ',' ORDER BY rank) FROM " + h +
                                  " WHERE success") == "1,2");
            CHECK(q(db.url(), "SELECT count(*) FROM " + h + " WHERE NOT success") == "0");
            CHECK(q(db.url(), "SELECT to_regclass('" + schema + ".slow_b') IS NOT NULL") == "t");
            CHECK(eventually([&] { return advisory_locks(db.url()) == 0; }, 3s));
        }
    }

    TEST_CASE(
        "fault: a frozen lock holder (SIGSTOP): the waiter times out naming it; thawed, it "
        "finishes") {
        TempDatabase db;
        TempDir dir;
        dir.write("V1__slow.sql", "SELECT pg_sleep(1);\nCREATE TABLE thawed (id int);\n");
        auto env = env_for(db.url(), dir);
        sg::test::Process holder({sg::test::schemagate_binary(), "migrate"}, env);
        REQUIRE(eventually([&] { return advisory_locks(db.url()) == 2; }, 10s));  // both locks
        holder.signal(SIGSTOP);
        env["SCHEMAGATE_LOCK_TIMEOUT"] = "2s";
        const auto waiter = sg::test::run_schemagate({"migrate"}, env, 30s);
        INFO(all_output(waiter));
        check_no_crash(waiter);
        CHECK(waiter.exit_code == 5);
        CHECK(contains(all_output(waiter), "waiting for the migration lock holder=\"pid "));
        CHECK(contains(all_output(waiter), "schemagate-faults"));
        holder.signal(SIGCONT);
        const auto r = holder.wait(30s);
        INFO(all_output(r));
        CHECK(r.exit_code == 0);
        CHECK(q(db.url(), "SELECT count(*) FROM schemagate_history WHERE success") == "1");
        CHECK(q(db.url(), "SELECT count(*) FROM schemagate_history WHERE NOT success") == "0");
    }

    TEST_CASE("fault: a killed runner's backend still working holds the next runner off") {
        // What a backend whose client was SIGKILLed looks like to the next runner on a server
        // that does not notice dead clients (before PostgreSQL 14): it still holds the work lock.
        TempDatabase db;
        TempDir dir;
        dir.write("V1__a.sql", "CREATE TABLE after_orphan (id int);\n");
        auto env = env_for(db.url(), dir);
        env["SCHEMAGATE_LOCK_TIMEOUT"] = "1s";
        auto orphan = sg::db::Connection::open(db.url());
        const std::string key =
            std::to_string(sg::migrate::work_lock_key(db.name(), "public", "faults"));
        orphan->exec("SELECT pg_advisory_lock(" + key + ")");
        const auto held_off = sg::test::run_schemagate({"migrate"}, env, 30s);
        INFO(all_output(held_off));
        check_no_crash(held_off);
        CHECK(held_off.exit_code == 5);
        CHECK(contains(all_output(held_off), "work lock (an earlier runner's orphaned session)"));
        CHECK(contains(all_output(held_off), "pid " + std::to_string(orphan->backend_pid())));
        CHECK(q(db.url(), "SELECT to_regclass('public.after_orphan') IS NULL") == "t");
        CHECK(advisory_locks(db.url()) == 1);  // only the orphan's: the migration lock went back

        // The orphan ends while the next runner waits: it goes on at once.
        env["SCHEMAGATE_LOCK_TIMEOUT"] = "30s";
        sg::test::Process next({sg::test::schemagate_binary(), "migrate"}, env);
        CHECK(next.wait_for_output("waiting for the work lock", 10s));
        orphan.reset();
        const auto r = next.wait(30s);
        INFO(all_output(r));
        CHECK(r.exit_code == 0);
        CHECK(q(db.url(), "SELECT to_regclass('public.after_orphan') IS NOT NULL") == "t");
        CHECK(eventually([&] { return advisory_locks(db.url()) == 0; }, 3s));
    }

    TEST_CASE("fault: a role's idle_session_timeout neither frees the lock nor ends a waiter") {
        TempDatabase db;
        TempDir dir;
        dir.write("V1__slow.sql", "SELECT pg_sleep(2.5);\nCREATE TABLE idle_ok (id int);\n");
        sg::test::exec(db.url(),
                       "DROP ROLE IF EXISTS sg_fault_idle; CREATE ROLE sg_fault_idle "
                       "LOGIN SUPERUSER PASSWORD 'idle-pw'; ALTER ROLE sg_fault_idle SET "
                       "idle_session_timeout = '1s'");
        auto env = env_for(db.url_as("sg_fault_idle", "idle-pw"), dir);
        sg::test::Process first({sg::test::schemagate_binary(), "migrate"}, env);
        sg::test::Process second({sg::test::schemagate_binary(), "migrate"}, env);
        for (auto* p : {&first, &second}) {
            const auto r = p->wait(60s);
            INFO(all_output(r));
            check_no_crash(r);
            CHECK(r.exit_code == 0);
            CHECK_FALSE(contains(all_output(r), "not held at release"));
        }
        CHECK(q(db.url(), "SELECT count(*) FROM schemagate_history WHERE success") == "1");
        CHECK(eventually([&] { return advisory_locks(db.url()) == 0; }, 3s));
        sg::test::exec(db.url(), "DROP OWNED BY sg_fault_idle; DROP ROLE sg_fault_idle");
    }

    // ---- 4. Through PgBouncer in transaction pooling mode --------------------------------------
    TEST_CASE(
        "fault: through a transaction-pooling PgBouncer migrate refuses and strands no lock") {
        const fs::path pgbouncer = "/usr/sbin/pgbouncer";
        REQUIRE_MESSAGE(fs::exists(pgbouncer),
                        "pgbouncer is not installed (Debian package pgbouncer); tests/run "
                        "installs it");
        TempDatabase db;
        TempDir dir;
        TempDir conf;
        dir.write("V1__a.sql", "CREATE TABLE through_pooler (id int);\n");
        const std::string admin = sg::test::admin_url();
        // postgresql://postgres:<pw>@127.0.0.1:<port>/postgres
        const auto at = admin.find('@');
        const auto colon = admin.find(':', admin.find("//") + 2);
        const std::string password = admin.substr(colon + 1, at - colon - 1);
        const char* server_port = std::getenv("SCHEMAGATE_TEST_PGPORT");
        REQUIRE(server_port != nullptr);
        const auto port = sg::test::free_port();
        conf.write("users.txt", "\"postgres\" \"\"\n");
        conf.write(
            "pgbouncer.ini",
            "[databases]\n* = host=127.0.0.1 port=" + std::string(server_port) +
                " user=postgres password=" + password +
                "\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = " + std::to_string(port) +
                "\nunix_socket_dir =\nauth_type = trust\nauth_file = " +
                (conf.path() / "users.txt").string() +
                "\npool_mode = transaction\nmax_client_conn = 50\ndefault_pool_size = "
                "5\nignore_startup_parameters = extra_float_digits,options\n");
        // PgBouncer will not run as root: as root it drops to `nobody`, who must read the files.
        std::vector<std::string> argv{pgbouncer.string()};
        if (::geteuid() == 0) {
            fs::permissions(conf.path(), fs::perms::owner_all | fs::perms::group_read |
                                             fs::perms::group_exec | fs::perms::others_read |
                                             fs::perms::others_exec);
            for (const char* f : {"users.txt", "pgbouncer.ini"}) {
                fs::permissions(conf.path() / f, fs::perms::owner_read | fs::perms::owner_write |
                                                     fs::perms::group_read |
                                                     fs::perms::others_read);
            }
            argv.insert(argv.end(), {"-u", "nobody"});
        }
        argv.push_back((conf.path() / "pgbouncer.ini").string());
        sg::test::Process bouncer(argv);
        const std::string pooled = "postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/" +
                                   db.name() + "?sslmode=disable";
        REQUIRE_MESSAGE(eventually([&] { return sg::db::server_answers(pooled); }, 10s),
                        bouncer.output_so_far());

        auto env = env_for(pooled, dir);
        const auto r = sg::test::run_schemagate({"migrate"}, env, 60s);
        INFO(all_output(r));
        INFO(bouncer.output_so_far());
        check_no_crash(r);
        CHECK(r.exit_code == 1);
        CHECK(contains(all_output(r), "connection pooler"));
        CHECK(contains(all_output(r), "point DATABASE_URL at PostgreSQL itself"));
        // One line names the cause and the fix.
        std::size_t lines_with_fix = 0;
        for (std::size_t pos = 0;
             (pos = all_output(r).find("connection pooler", pos)) != std::string::npos; ++pos) {
            ++lines_with_fix;
        }
        CHECK(lines_with_fix >= 1);
        CHECK(q(db.url(), "SELECT to_regclass('public.through_pooler') IS NULL") == "t");
        CHECK(eventually([&] { return advisory_locks(db.url()) == 0; }, 3s));
        // The same through the server itself works.
        env["DATABASE_URL"] = db.url();
        const auto direct = sg::test::run_schemagate({"migrate"}, env, 60s);
        INFO(all_output(direct));
        CHECK(direct.exit_code == 0);
        bouncer.signal(SIGTERM);
        (void)bouncer.wait(10s);
    }

    // ---- 5. An interrupted CREATE INDEX CONCURRENTLY -----------------------------------------
    TEST_CASE("fault: a migrate killed mid CREATE INDEX CONCURRENTLY; the next run repairs it") {
        TempDatabase db;
        TempDir dir;
        dir.write("V1__table.sql",
                  "CREATE TABLE big (id int, v text);\nINSERT INTO big SELECT g, md5(g::text) FROM "
                  "generate_series(1, 20000) g;\n");
        dir.write("V2__index.sql",
                  "-- schemagate:no-transaction\nINSERT INTO big VALUES (0, 'zero');\nCREATE "
                  "INDEX CONCURRENTLY big_v ON big (v);\nINSERT INTO big VALUES (-1, 'minus');\n");
        const auto env = env_for(db.url(), dir);
        auto blocker = sg::db::Connection::open(db.url());
        {
            // V1 first, then a writer keeps a transaction open so the build waits for it.
            TempDir only_v1;
            only_v1.write("V1__table.sql",
                          "CREATE TABLE big (id int, v text);\nINSERT INTO big "
                          "SELECT g, md5(g::text) FROM generate_series(1, "
                          "20000) g;\n");
            REQUIRE(sg::test::run_schemagate({"migrate"}, env_for(db.url(), only_v1)).exit_code ==
                    0);
        }
        blocker->exec("BEGIN");
        blocker->exec("LOCK TABLE big IN ROW EXCLUSIVE MODE");
        sg::test::Process p({sg::test::schemagate_binary(), "migrate"}, env);
        const std::string building =
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' "
            "AND wait_event_type = 'Lock' AND datname = current_database()";
        REQUIRE_MESSAGE(eventually([&] { return q(db.url(), building) == "1"; }, 15s),
                        p.output_so_far());
        p.signal(SIGKILL);
        CHECK(p.wait(10s).term_signal == SIGKILL);
        // The server notices its client is gone and abandons the build by itself.
        CHECK_MESSAGE(eventually([&] { return q(db.url(), building) == "0"; }, 5s),
                      "the orphaned CREATE INDEX CONCURRENTLY kept running after its client died");
        (void)q(db.url(),
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE "
                "'CREATE INDEX CONCURRENTLY%' AND pid <> pg_backend_pid() AND datname = "
                "current_database()");
        blocker->exec("ROLLBACK");
        CHECK(q(db.url(), "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass") ==
              "f");
        CHECK(q(db.url(), "SELECT statements_done FROM schemagate_history WHERE version = '2'") ==
              "1");
        const auto status = sg::test::run_schemagate({"status"}, env, 30s);
        CHECK(status.exit_code == 0);
        CHECK(contains(status.out,
                       "interrupted after 1 statement(s) were recorded; the next run "
                       "resumes at statement 2"));

        const auto again = sg::test::run_schemagate({"migrate"}, env, 60s);
        INFO(all_output(again));
        check_no_crash(again);
        CHECK(again.exit_code == 0);
        CHECK(contains(all_output(again), "V2__index.sql"));
        CHECK(contains(all_output(again), "big_v"));
        CHECK(contains(all_output(again), "INVALID"));
        CHECK(q(db.url(), "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass") ==
              "t");
        CHECK(q(db.url(), "SELECT count(*) FROM big WHERE id <= 0") == "2");  // each once
        CHECK(q(db.url(),
                "SELECT statements_done FROM schemagate_history WHERE version = '2' AND "
                "success") == "3");
    }

    TEST_CASE(
        "fault: a crash restart mid CREATE INDEX CONCURRENTLY under run: it repairs and "
        "gets ready") {
        TempDatabase db;
        TempDir dir;
        dir.write("V1__table.sql",
                  "CREATE TABLE big (id int, v text);\nINSERT INTO big SELECT g, md5(g::text) FROM "
                  "generate_series(1, 20000) g;\n");
        auto env = env_for(db.url(), dir);
        REQUIRE(sg::test::run_schemagate({"migrate"}, env).exit_code == 0);
        dir.write("V2__index.sql",
                  "-- schemagate:no-transaction\nCREATE INDEX CONCURRENTLY big_v ON big (v);\n");
        auto blocker = sg::db::Connection::open(db.url());
        blocker->exec("BEGIN");
        blocker->exec("LOCK TABLE big IN ROW EXCLUSIVE MODE");
        const auto port = sg::test::free_port();
        env["SCHEMAGATE_LISTEN"] = "127.0.0.1:" + std::to_string(port);
        env["DB_INIT_MAX_RETRIES"] = "0";
        env["DB_INIT_MAX_DELAY"] = "2";
        sg::test::Process p({sg::test::schemagate_binary(), "run"}, env);
        const std::string building =
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' "
            "AND wait_event_type = 'Lock' AND datname = current_database()";
        REQUIRE_MESSAGE(eventually([&] { return q(db.url(), building) == "1"; }, 15s),
                        p.output_so_far());
        // The throwaway server runs with synchronous_commit = off: without a checkpoint a crash
        // may lose the last commits (the INVALID index too), which is a different scenario.
        sg::test::exec(db.url(), "CHECKPOINT");
        sg::test::server_ctl("restart-immediate");  // also ends the blocker's transaction
        const std::string readyz = "http://127.0.0.1:" + std::to_string(port) + "/readyz";
        CHECK(eventually([&] { return sg::http::get_status(readyz, 1s).status == 200U; }, 30s));
        p.signal(SIGTERM);
        const auto r = p.wait(15s);
        INFO(all_output(r));
        check_no_crash(r);
        CHECK(r.exit_code == 0);
        CHECK(contains(all_output(r), "dropping the INVALID index"));
        CHECK(q(db.url(), "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass") ==
              "t");
        CHECK(q(db.url(),
                "SELECT count(*) FROM schemagate_history WHERE version = '2' AND "
                "success") == "1");
    }

    TEST_CASE(
        "fault: an INVALID index left by a failed unique build is reported with file and "
        "index") {
        TempDatabase db;
        TempDir dir;
        dir.write("V1__table.sql",
                  "CREATE TABLE dup (v int);\nINSERT INTO dup VALUES (1), (1), (2);\n");
        dir.write("V2__unique.sql",
                  "-- schemagate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY dup_v ON dup "
                  "(v);\n");
        const auto env = env_for(db.url(), dir);
        const auto r = sg::test::run_schemagate({"migrate"}, env, 60s);
        INFO(all_output(r));
        check_no_crash(r);
        CHECK(r.exit_code == 1);
        CHECK(contains(all_output(r), "V2__unique.sql"));
        CHECK(contains(all_output(r), "dup_v"));
        CHECK(q(db.url(), "SELECT indisvalid FROM pg_index WHERE indexrelid = 'dup_v'::regclass") ==
              "f");
        // The data fixed, the next run drops the leftover and builds the index.
        sg::test::exec(db.url(),
                       "DELETE FROM dup WHERE ctid = (SELECT min(ctid) FROM dup WHERE v "
                       "= 1)");
        const auto again = sg::test::run_schemagate({"migrate"}, env, 60s);
        INFO(all_output(again));
        CHECK(again.exit_code == 0);
        CHECK(q(db.url(), "SELECT indisvalid FROM pg_index WHERE indexrelid = 'dup_v'::regclass") ==
              "t");
    }
}

TEST_CASE("fault: the index a CREATE INDEX CONCURRENTLY statement names, as PostgreSQL reads it") {
    using sg::migrate::concurrent_index_name;
    CHECK(concurrent_index_name("CREATE INDEX CONCURRENTLY big_v ON big (v)") == "big_v");
    CHECK(concurrent_index_name("create unique index concurrently IF NOT EXISTS Big_V on t (v)") ==
          "big_v");
    CHECK(concurrent_index_name("CREATE INDEX CONCURRENTLY \"Mixed \"\"q\"\"\" ON t (v)") ==
          "Mixed \"q\"");
    CHECK(concurrent_index_name("-- c\nCREATE /* x */ INDEX CONCURRENTLY i2 ON t (v)") == "i2");
    CHECK_FALSE(concurrent_index_name("CREATE INDEX CONCURRENTLY ON t (v)").has_value());
    CHECK_FALSE(concurrent_index_name("CREATE INDEX i ON t (v)").has_value());
    CHECK_FALSE(concurrent_index_name("DROP INDEX CONCURRENTLY i").has_value());
    CHECK_FALSE(concurrent_index_name("CREATE INDEX CONCURRENTLY").has_value());
}

// ---- 6. The bad-input catalogue
// ------------------------------------------------------------------ One row per bad input: how to
// make it, the exit code SPEC promises, the line that must appear. The same table, with results, is
// in tests/FAULTS.md.
namespace {

struct Case {
    const TempDatabase& db;
    const TempDir& dir;
    std::string schema;
    Env env;
    std::vector<std::string> args{"migrate"};
    bool as_nobody = false;  // run as an unprivileged OS user (root reads any file)
    std::chrono::milliseconds timeout{30s};
    std::vector<std::function<void()>> cleanup;
};

struct BadInput {
    std::string name;
    std::function<void(Case&)> setup;
    int exit_code;
    std::string line;
    // "" when the database holds what it should after the run; by default: nothing applied.
    std::function<std::string(const Case&)> after;
};

std::string relations_in(const Case& c) {
    return q(c.db.url(),
             "SELECT coalesce(string_agg(c.relname, ',' ORDER BY c.relname), '') FROM pg_class c "
             "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" +
                 c.schema + "' AND c.relname NOT LIKE 'schemagate_history%'");
}

std::string nothing_applied(const Case& c) {
    const std::string rel = relations_in(c);
    return rel.empty() ? "" : "applied: " + rel;
}

std::function<std::string(const Case&)> only(const std::string& expected) {
    return [expected](const Case& c) {
        const std::string rel = relations_in(c);
        return rel == expected ? "" : "relations: " + rel + " (want " + expected + ")";
    };
}

std::function<void(Case&)> set(const std::string& name, const std::string& value) {
    return [name, value](Case& c) { c.env[name] = value; };
}

std::function<void(Case&)> file(const std::string& name, const std::string& content) {
    return [name, content](Case& c) { c.dir.write(name, content); };
}

std::string password_of(const std::string& url) {
    const auto at = url.find('@');
    const auto colon = url.find(':', url.find("//") + 2);
    return url.substr(colon + 1, at - colon - 1);
}

std::string port_of_server() {
    const char* port = std::getenv("SCHEMAGATE_TEST_PGPORT");
    return port != nullptr ? port : "5432";
}

// A TCP listener on 127.0.0.1 that is not PostgreSQL: `silent` completes handshakes (the kernel
// does) and never says a word; otherwise it answers every connection with an HTTP error.
class FakeServer {
  public:
    explicit FakeServer(bool silent) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(fd_, 64) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
        if (!silent) {
            thread_ = std::jthread([this](const std::stop_token& stop) {
                while (!stop.stop_requested()) {
                    pollfd p{fd_, POLLIN, 0};
                    if (::poll(&p, 1, 100) <= 0) {
                        continue;
                    }
                    const int c = ::accept(fd_, nullptr, nullptr);
                    if (c < 0) {
                        continue;
                    }
                    constexpr std::string_view kAnswer = "HTTP/1.1 400 Bad Request\r\n\r\n";
                    (void)::send(c, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL);
                    ::close(c);
                }
            });
        }
    }
    ~FakeServer() {
        thread_ = {};  // requests stop and joins
        ::close(fd_);
    }
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;
    [[nodiscard]] std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::jthread thread_;
};

std::vector<BadInput> catalogue() {
    std::vector<BadInput> rows;
    const auto add = [&rows](std::string name, std::function<void(Case&)> setup, int exit_code,
                             std::string line,
                             std::function<std::string(const Case&)> after = nothing_applied) {
        rows.push_back(
            {std::move(name), std::move(setup), exit_code, std::move(line), std::move(after)});
    };
    // Settings: exit 2, nothing touched.
    add("duration with an unknown unit", set("SCHEMAGATE_LOCK_TIMEOUT", "5x"), 2,
        "SCHEMAGATE_LOCK_TIMEOUT");
    add("negative duration", set("DB_INIT_MAX_DELAY", "-3"), 2, "DB_INIT_MAX_DELAY");
    add("overflowing duration", set("SCHEMAGATE_LOCK_TIMEOUT", "99999999999999999999999s"), 2,
        "SCHEMAGATE_LOCK_TIMEOUT");
    add("duration that is only a unit", set("DB_INIT_INITIAL_DELAY", "ms"), 2,
        "DB_INIT_INITIAL_DELAY");
    add("port out of range", set("SCHEMAGATE_LISTEN", "127.0.0.1:70000"), 2, "SCHEMAGATE_LISTEN");
    add("port not a number", set("SCHEMAGATE_LISTEN", "127.0.0.1:http"), 2, "SCHEMAGATE_LISTEN");
    add("listen address without a port", set("SCHEMAGATE_LISTEN", "127.0.0.1"), 2,
        "SCHEMAGATE_LISTEN");
    add("URL with a bad port", set("DATABASE_URL", "postgresql://u@127.0.0.1:99x/db"), 2,
        "DATABASE_URL");
    add("URL with a foreign scheme", set("DATABASE_URL", "mysql://u@127.0.0.1/db"), 2,
        "DATABASE_URL");
    add("key=value string with an open quote", set("DATABASE_URL", "host='127.0.0.1 dbname=x"), 2,
        "DATABASE_URL");
    add(
        "both DATABASE_URL and DATABASE_URL_FILE",
        [](Case& c) {
            c.env["DATABASE_URL_FILE"] = c.dir.write("secret_url", c.env["DATABASE_URL"]).string();
        },
        2, "both DATABASE_URL and DATABASE_URL_FILE");
    add(
        "both SCHEMAGATE_ROLE_PASSWORD and its _FILE",
        [](Case& c) {
            c.env["SCHEMAGATE_ROLE_PASSWORD"] = "pw";
            c.env["SCHEMAGATE_ROLE_PASSWORD_FILE"] = c.dir.write("secret_pw", "pw\n").string();
        },
        2, "SCHEMAGATE_ROLE_PASSWORD_FILE");
    add(
        "secret file missing",
        [](Case& c) {
            c.env.erase("DATABASE_URL");
            c.env["DATABASE_URL_FILE"] = (c.dir.path() / "no_such_secret").string();
        },
        2, "DATABASE_URL_FILE");
    add(
        "secret file is a directory",
        [](Case& c) {
            c.env.erase("DATABASE_URL");
            c.env["DATABASE_URL_FILE"] = c.dir.path().string();
        },
        2, "DATABASE_URL_FILE");
    add(
        "secret file unreadable (mode 000)",
        [](Case& c) {
            const auto path = c.dir.write("secret_url", c.env["DATABASE_URL"]);
            fs::permissions(path, fs::perms::none);
            c.env.erase("DATABASE_URL");
            c.env["DATABASE_URL_FILE"] = path.string();
            c.as_nobody = true;
        },
        2, "DATABASE_URL_FILE");
    add(
        "secret file is a FIFO nobody writes",
        [](Case& c) {
            const auto path = c.dir.path() / "secret_fifo";
            REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
            c.env.erase("DATABASE_URL");
            c.env["DATABASE_URL_FILE"] = path.string();
            c.timeout = 10s;
        },
        2, "DATABASE_URL_FILE");
    add(
        "secret file is an endless device",
        [](Case& c) {
            c.env.erase("DATABASE_URL");
            c.env["DATABASE_URL_FILE"] = "/dev/zero";
            c.timeout = 10s;
        },
        2, "DATABASE_URL_FILE");
    add("unknown SCHEMAGATE_ variable (typo)", set("SCHEMAGATE_MIGRATION", "/x"), 2,
        "SCHEMAGATE_MIGRATIONS");
    add("unknown SCHEMAGATE_ variable", set("SCHEMAGATE_FROBNICATE", "1"), 2,
        "SCHEMAGATE_FROBNICATE");
    add("isolation mode that does not exist", set("SCHEMAGATE_ISOLATION", "cluster"), 2,
        "SCHEMAGATE_ISOLATION");
    add("log level that does not exist", set("LOG_LEVEL", "loud"), 2, "LOG_LEVEL");
    add("log format that does not exist", set("SCHEMAGATE_LOG_FORMAT", "xml"), 2,
        "SCHEMAGATE_LOG_FORMAT");
    add("retries not a number", set("DB_INIT_MAX_RETRIES", "many"), 2, "DB_INIT_MAX_RETRIES");
    add(
        "service missing", [](Case& c) { c.env.erase("SCHEMAGATE_SERVICE"); }, 2,
        "SCHEMAGATE_SERVICE");
    add("migrations directory missing", set("SCHEMAGATE_MIGRATIONS", "/nonexistent/migrations"), 2,
        "/nonexistent/migrations");
    add(
        "migrations path is a regular file",
        [](Case& c) {
            c.env["SCHEMAGATE_MIGRATIONS"] = c.dir.write("not_a_dir.txt", "x\n").string();
        },
        2, "not_a_dir.txt is not a directory");
    add("URL with an unknown parameter",
        set("DATABASE_URL", "postgresql://u:hunter2@127.0.0.1/db?sslmdoe=require"), 2,
        "unknown parameter \"sslmdoe\" (did you mean sslmode?)");
    add("key=value string with an unknown parameter",
        set("DATABASE_URL", "host=127.0.0.1 dbname=db colour=blue"), 2,
        "unknown parameter \"colour\"");
    add(
        "unknown flag",
        [](Case& c) {
            c.args = {"migrate", "--no-such-flag"};
        },
        2, "--no-such-flag");
    add(
        "unknown command", [](Case& c) { c.args = {"migrat"}; }, 2, "migrat");
    add(
        "flag with a bad duration",
        [](Case& c) {
            c.args = {"migrate", "--lock-timeout", "5y"};
        },
        2, "SCHEMAGATE_LOCK_TIMEOUT");

    // Migration files: exit 4, nothing applied (not even the valid V1).
    add("name without the double underscore", file("V2_add_things.sql", "SELECT 1;\n"), 4,
        "V2_add_things.sql");
    add("version that is not a number", file("Vtwo__things.sql", "SELECT 1;\n"), 4,
        "Vtwo__things.sql");
    add("version larger than a number can be", file("V99999999999999999999__x.sql", "SELECT 1;\n"),
        4, "too large: each part of a version is a number up to 20 digits");
    add("duplicate version", file("V1__again.sql", "SELECT 1;\n"), 4,
        "duplicate migration version 1");
    add("empty file", file("V2__empty.sql", ""), 4, "V2__empty.sql: is empty");
    add("only comments", file("V2__comments.sql", "-- nothing here\n/* nor here */\n"), 4,
        "V2__comments.sql: has no SQL statement");
    add("not UTF-8", file("V2__latin1.sql", "SELECT 'caf\xe9';\n"), 4,
        "V2__latin1.sql: line 1: not valid UTF-8");
    // A NUL would end the text libpq sends: refused when read, in every kind of file.
    for (const char* name :
         {"V2__nul.sql", "R__nul.sql", "U1__nul.sql", "seed/01_nul.sql", "verify/01_nul.sql"}) {
        add(std::string("NUL byte in ") + name,
            file(name, std::string("SELECT 1;\nSELECT '") + '\0' +
                           "';\nCREATE TABLE after_nul (id int);\n"),
            4, std::string(name) + ": line 2: contains a NUL byte");
    }
    add(
        "larger than 64 MiB",
        [](Case& c) {
            const auto path = c.dir.write("V2__huge.sql", "SELECT 1;\n");
            fs::resize_file(path, std::uintmax_t{65} * 1024 * 1024);
        },
        4, "V2__huge.sql: is 65 MiB");
    add(
        "unreadable file (mode 000)",
        [](Case& c) {
            fs::permissions(c.dir.write("V2__secret.sql", "SELECT 1;\n"), fs::perms::none);
            c.as_nobody = true;
        },
        4, "V2__secret.sql: cannot read");
    add(
        "symlink loop",
        [](Case& c) { fs::create_symlink("V2__loop.sql", c.dir.path() / "V2__loop.sql"); }, 4,
        "V2__loop.sql: is a symbolic link loop");
    add(
        "dangling symlink",
        [](Case& c) { fs::create_symlink("/nonexistent.sql", c.dir.path() / "V2__gone.sql"); }, 4,
        "V2__gone.sql: is a broken symbolic link");
    add(
        "a FIFO named like a migration",
        [](Case& c) { REQUIRE(::mkfifo((c.dir.path() / "V2__fifo.sql").c_str(), 0600) == 0); }, 4,
        "V2__fifo.sql: is not a regular file (a FIFO");
    add("unknown directive",
        file("V2__typo.sql", "-- schemagate:no-transation\nCREATE INDEX i ON ok_table (id);\n"), 4,
        "did you mean no-transaction");
    add("directive after the first statement",
        file("V2__late.sql", "SELECT 1;\n-- schemagate:no-transaction\nSELECT 2;\n"), 4,
        "after the first statement");
    add("unterminated dollar quote",
        file("V2__dollar.sql", "DO $body$\nBEGIN\n  PERFORM 1;\nEND;\n"), 4, "V2__dollar.sql");
    add("unterminated string", file("V2__quote.sql", "SELECT 'open;\n"), 4, "V2__quote.sql");
    add("transaction control in a file",
        file("V2__commit.sql", "BEGIN;\nCREATE TABLE x (id int);\nCOMMIT;\n"), 4,
        "line 1: transaction control");
    add("CREATE INDEX CONCURRENTLY in a transactional file",
        file("V2__cic.sql", "CREATE INDEX CONCURRENTLY i ON ok_table (id);\n"), 4,
        "cannot run inside a transaction");
    add("unknown placeholder", file("V2__ph.sql", "SELECT '${nope}';\n"), 4,
        "unknown placeholder ${nope}");
    add("seed file without a number", file("seed/users.sql", "SELECT 1;\n"), 4,
        "seed/users.sql: name it NN_<name>.sql");
    add("undo of a version that does not exist", file("U9__nothing.sql", "SELECT 1;\n"), 4,
        "no V9__*.sql");
    add("BOM and CRLF are accepted",
        file("V2__windows.sql",
             "\xEF\xBB\xBF"
             "CREATE TABLE crlf_ok (id int);\r\n"),
        0, "migrate finished", only("crlf_ok,ok_table"));

    // SQL errors: exit 1, the failing file leaves nothing, earlier files stay.
    add("syntax error", file("V2__syntax.sql", "CREATE TABLE syn (id int);\nSELEC 1;\n"), 1,
        "V2__syntax.sql: line 2", only("ok_table"));
    add("runtime error in the last statement",
        file("V2__divide.sql", "CREATE TABLE div (id int);\nSELECT 1 / 0;\n"), 1,
        "division by zero", only("ok_table"));
    add("failing no-transaction statement",
        file("V2__nt.sql",
             "-- schemagate:no-transaction\nCREATE TABLE nt_kept (id int);\nSELECT 1 / 0;\n"),
        1, "resumes at statement 2", only("nt_kept,ok_table"));
    add("verify that returns false", file("verify/01_never.sql", "SELECT false;\n"), 1,
        "verify/01_never.sql returned false", only("ok_table"));
    add("seed that fails", file("seed/01_bad.sql", "INSERT INTO missing VALUES (1);\n"), 1,
        "seed/01_bad.sql", only("ok_table"));
    add(
        "role without CREATE on the schema",
        [](Case& c) {
            sg::test::exec(c.db.url(),
                           "DROP ROLE IF EXISTS sg_fault_reader; CREATE ROLE sg_fault_reader "
                           "LOGIN PASSWORD 'reader-pw'; CREATE SCHEMA " +
                               c.schema + "; GRANT USAGE ON SCHEMA " + c.schema +
                               " TO sg_fault_reader");
            c.env["DATABASE_URL"] = c.db.url_as("sg_fault_reader", "reader-pw");
            c.cleanup.push_back([&c] {
                sg::test::exec(c.db.url(), "DROP SCHEMA IF EXISTS " + c.schema +
                                               " CASCADE; DROP ROLE IF EXISTS sg_fault_reader");
            });
        },
        1, "permission denied");
    add(
        "statement the role may not run",
        [](Case& c) {
            sg::test::exec(c.db.url(),
                           "DROP ROLE IF EXISTS sg_fault_owner; CREATE ROLE sg_fault_owner LOGIN "
                           "PASSWORD 'owner-pw'; CREATE SCHEMA " +
                               c.schema + " AUTHORIZATION sg_fault_owner");
            c.env["DATABASE_URL"] = c.db.url_as("sg_fault_owner", "owner-pw");
            c.dir.write("V2__superuser.sql",
                        "CREATE TABLE mine (id int);\nALTER ROLE postgres CONNECTION LIMIT 5;\n");
            c.cleanup.push_back([&c] {
                sg::test::exec(c.db.url(), "DROP SCHEMA IF EXISTS " + c.schema +
                                               " CASCADE; DROP ROLE IF EXISTS sg_fault_owner");
            });
        },
        1, "the role lacks a privilege", only("ok_table"));

    add(
        "role whose transactions are read-only by default",
        [](Case& c) {
            sg::test::exec(c.db.url(),
                           "DROP ROLE IF EXISTS sg_fault_ro; CREATE ROLE sg_fault_ro LOGIN "
                           "SUPERUSER PASSWORD 'ro-pw'; ALTER ROLE sg_fault_ro SET "
                           "default_transaction_read_only = on");
            c.env["DATABASE_URL"] = c.db.url_as("sg_fault_ro", "ro-pw");
            c.cleanup.push_back([&c] { sg::test::exec(c.db.url(), "DROP ROLE sg_fault_ro"); });
        },
        1, "are read-only (default_transaction_read_only): point DATABASE_URL at the primary");

    // Connection: exit 3 (5 for the lock), nothing applied.
    add(
        "wrong password",
        [](Case& c) {
            std::string url = c.env["DATABASE_URL"];
            const std::string pw = password_of(url);
            url.replace(url.find(pw), pw.size(), "not-the-password");
            c.env["DATABASE_URL"] = url;
        },
        3, "password");
    add(
        "database that does not exist",
        [](Case& c) {
            c.env["DATABASE_URL"] = "postgresql://postgres:" + password_of(c.env["DATABASE_URL"]) +
                                    "@127.0.0.1:" + port_of_server() + "/sgt_no_such_db";
        },
        3, "sgt_no_such_db");
    add(
        "nothing listens, retries exhausted",
        [](Case& c) {
            c.env["DATABASE_URL"] =
                "postgresql://postgres:x@127.0.0.1:" + std::to_string(sg::test::free_port()) +
                "/db";
            c.env["DB_INIT_MAX_RETRIES"] = "2";
        },
        3, "DB_INIT_MAX_RETRIES");
    add(
        "a listener that never answers (black hole)",
        [](Case& c) {
            auto fake = std::make_shared<FakeServer>(true);
            c.env["DATABASE_URL"] =
                "postgresql://postgres:x@127.0.0.1:" + std::to_string(fake->port()) +
                "/db?sslmode=disable";
            c.env["DB_INIT_TIMEOUT"] = "1";
            c.env["DB_INIT_MAX_RETRIES"] = "2";
            c.cleanup.push_back([fake] {});
        },
        3, "timeout expired");
    add(
        "a listener that is not PostgreSQL (answers HTTP)",
        [](Case& c) {
            auto fake = std::make_shared<FakeServer>(false);
            c.env["DATABASE_URL"] =
                "postgresql://postgres:x@127.0.0.1:" + std::to_string(fake->port()) +
                "/db?sslmode=disable";
            c.env["DB_INIT_MAX_RETRIES"] = "2";
            c.cleanup.push_back([fake] {});
        },
        3, "expected authentication request from server");
    add(
        "lock held by someone else past SCHEMAGATE_LOCK_TIMEOUT",
        [](Case& c) {
            c.env["SCHEMAGATE_LOCK_TIMEOUT"] = "1s";
            // Hold the service's lock from a connection of our own.
            auto holder = std::shared_ptr<sg::db::Connection>(sg::db::Connection::open(c.db.url()));
            holder->exec("SELECT pg_advisory_lock(" +
                         std::to_string(sg::migrate::lock_key(c.db.name(), c.schema, "faults")) +
                         ")");
            c.cleanup.push_back([holder] { holder->exec("SELECT pg_advisory_unlock_all()"); });
        },
        5, "SCHEMAGATE_LOCK_TIMEOUT");

    // The other commands.
    add(
        "validate --offline with a badly named file",
        [](Case& c) {
            c.dir.write("V2_add_things.sql", "SELECT 1;\n");
            c.args = {"validate", "--offline"};
        },
        4, "V2_add_things.sql");
    add(
        "undo --to that is not a version",
        [](Case& c) {
            c.args = {"undo", "--to", "abc"};
        },
        2, "--to abc: not a version");
    add(
        "new without a usable description",
        [](Case& c) {
            c.args = {"new", "--- ///"};
        },
        2, "the description needs letters or digits");
    add(
        "new with a path in the description",
        [](Case& c) {
            c.args = {"new", "../../etc/passwd"};
        },
        0, "V2__etc_passwd.sql",
        [](const Case& c) {
            return fs::exists(c.dir.path() / "V2__etc_passwd.sql") ? std::string()
                                                                   : "V2__etc_passwd.sql missing";
        });
    add(
        "status with nothing listening",
        [](Case& c) {
            c.env["DATABASE_URL"] =
                "postgresql://postgres:x@127.0.0.1:" + std::to_string(sg::test::free_port()) +
                "/db";
            c.args = {"status"};
        },
        3, "database unreachable");
    add(
        "one connection attempt allowed, nothing listening",
        [](Case& c) {
            c.env["DATABASE_URL"] =
                "postgresql://postgres:x@127.0.0.1:" + std::to_string(sg::test::free_port()) +
                "/db";
            c.env["DB_INIT_MAX_RETRIES"] = "1";
        },
        3, "gave up after 1 attempt (");
    add(
        "new while a file has a version too large",
        [](Case& c) {
            c.dir.write("V99999999999999999999__x.sql", "SELECT 1;\n");
            c.args = {"new", "next one"};
        },
        4, "the next version cannot be chosen");
    add(
        "healthcheck with nothing listening",
        [](Case& c) {
            c.args = {"healthcheck", "--url",
                      "http://127.0.0.1:" + std::to_string(sg::test::free_port()) + "/readyz"};
        },
        1, "connection refused");
    add(
        "healthcheck with a URL that is not http",
        [](Case& c) {
            c.args = {"healthcheck", "--url", "ftp://x/"};
        },
        1, "invalid URL");
    // Other tools' layouts and histories: refused before anything is applied.
    add("SCHEMAGATE_FORMAT that is not a layout", set("SCHEMAGATE_FORMAT", "liquibase"), 2,
        "SCHEMAGATE_FORMAT");
    add("a directory mixing two tools' layouts", file("00002_g.sql", "-- +goose Up\nSELECT 1;\n"),
        4, "keep one layout per directory");
    add(
        "goose file with an unclosed StatementBegin",
        [](Case& c) {
            c.env["SCHEMAGATE_FORMAT"] = "goose";
            fs::remove(c.dir.path() / "V1__ok.sql");
            c.dir.write("00001_fn.sql",
                        "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE fn (id int);\n");
        },
        4, "StatementBegin has no StatementEnd");
    add(
        "dirty golang-migrate history",
        [](Case& c) {
            sg::test::exec(c.db.url(), "CREATE SCHEMA " + c.schema + "; CREATE TABLE " + c.schema +
                                           ".schema_migrations (version bigint PRIMARY KEY, "
                                           "dirty boolean NOT NULL); INSERT INTO " +
                                           c.schema + ".schema_migrations VALUES (1, true)");
        },
        4, "version 1 is dirty", only("schema_migrations,schema_migrations_pkey"));
    add(
        "another tool's history naming a version without a file",
        [](Case& c) {
            sg::test::exec(c.db.url(), "CREATE SCHEMA " + c.schema + "; CREATE TABLE " + c.schema +
                                           ".schema_migrations (version varchar(128) PRIMARY "
                                           "KEY); INSERT INTO " +
                                           c.schema + ".schema_migrations VALUES ('7')");
        },
        4, "records version 7 as applied by dbmate, but no file",
        only("schema_migrations,schema_migrations_pkey"));
    return rows;
}

}  // namespace

namespace {

// The lines of `output` that report a problem: everything but trace/debug/info log lines.
std::vector<std::string> problem_lines(const std::string& output) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < output.size()) {
        auto end = output.find('\n', start);
        if (end == std::string::npos) {
            end = output.size();
        }
        const std::string line = output.substr(start, end - start);
        start = end + 1;
        const auto space = line.find(' ');
        const std::string level =
            space == std::string::npos
                ? ""
                : line.substr(space + 1, line.find(' ', space + 1) - space - 1);
        const bool quiet_log = !line.empty() && line.front() >= '0' && line.front() <= '9' &&
                               (level == "trace" || level == "debug" || level == "info");
        if (!line.empty() && !quiet_log) {
            out.push_back(line);
        }
    }
    return out;
}

// Escapes a table cell for tests/FAULTS.md.
std::string cell(std::string text) {
    constexpr std::size_t kMax = 200;
    if (text.size() > kMax) {
        text = text.substr(0, kMax) + "...";
    }
    std::string out;
    for (const char c : text) {
        if (c == '|') {
            out += "\\|";
        } else if (c == '`') {
            out += '\'';
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

TEST_CASE("fault: the bad-input catalogue: one clear line, the documented exit code, no crash") {
    TempDatabase db;
    const auto rows = catalogue();
    MESSAGE("bad-input catalogue rows=" << rows.size());
    CHECK(rows.size() >= 30);
    int index = 0;
    int passed = 0;
    for (const auto& row : rows) {
        ++index;
        TempDir dir;
        dir.write("V1__ok.sql", "CREATE TABLE ok_table (id int);\n");
        Case c{db, dir, "c" + std::to_string(index), {}, {"migrate"}, false, 30s, {}};
        c.env = env_for(db.url(), dir, c.schema);
        c.env["DB_INIT_MAX_RETRIES"] = "1";
        row.setup(c);
        std::vector<std::string> argv{sg::test::schemagate_binary()};
        if (c.as_nobody && ::geteuid() == 0) {
            fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read |
                                            fs::perms::group_exec | fs::perms::others_read |
                                            fs::perms::others_exec);
            argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    sg::test::schemagate_binary()};
        }
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        const auto r = sg::test::run(argv, c.env, c.timeout);
        const std::string output = all_output(r);
        INFO("row " << index << ": " << row.name);
        INFO(output);
        check_no_crash(r);
        CHECK(r.exit_code == row.exit_code);
        // The expected text is on a line of its own that reports the problem (not the banner).
        std::string matched;
        for (const auto& line :
             row.exit_code == 0 ? std::vector<std::string>{output} : problem_lines(output)) {
            if (contains(line, row.line)) {
                matched = line;
                break;
            }
        }
        CHECK_MESSAGE(!matched.empty(), "expected a problem line with: " << row.line);
        // Said once: no second line repeating the same problem.
        const auto lines = problem_lines(output);
        const bool once = row.exit_code == 0 ||
                          std::count_if(lines.begin(), lines.end(), [&](const std::string& line) {
                              return contains(line, row.line);
                          }) == 1;
        CHECK_MESSAGE(once, "the problem is reported on more than one line");
        // Plain lines: no TAB or other control byte from libpq or a file reaches the output.
        const bool plain = std::none_of(output.begin(), output.end(), [](char ch) {
            const auto u = static_cast<unsigned char>(ch);
            return (u < 0x20 && ch != '\n') || u == 0x7f;
        });
        CHECK_MESSAGE(plain, "a control byte in the output");
        const std::string after = row.after(c);
        CHECK_MESSAGE(after.empty(), after);
        const bool ok = r.exit_code == row.exit_code && !matched.empty() && once && plain &&
                        after.empty() && r.term_signal == 0 && !r.timed_out;
        if (ok) {
            ++passed;
        }
        if (const char* report = std::getenv("SCHEMAGATE_FAULT_REPORT")) {
            std::ofstream out(report, std::ios::app);
            out << "| " << index << " | " << cell(row.name) << " | " << row.exit_code << " | "
                << (r.term_signal != 0 ? "signal " + std::to_string(r.term_signal)
                                       : std::to_string(r.exit_code))
                << " | `" << cell(row.exit_code == 0 ? row.line : matched) << "` | "
                << (ok ? "pass" : "FAIL") << " |\n";
        }
        for (const auto& undo : c.cleanup) {
            undo();
        }
    }
    MESSAGE("bad-input catalogue passed " << passed << " of " << rows.size());
}

TEST_CASE("fault: SIGKILL during provisioning (database isolation); the rerun converges") {
    TempDir dir;
    dir.write("V1__t.sql", "CREATE TABLE provisioned_t (id int);\n");
    const std::string admin = sg::test::admin_url();
    constexpr int kTrials = 6;
    int killed = 0;
    for (int trial = 1; trial <= kTrials; ++trial) {
        CAPTURE(trial);
        const std::string suffix = std::to_string(::getpid()) + "_" + std::to_string(trial);
        const std::string service = "fprov" + suffix;
        const std::string database = "fprovdb" + suffix;
        const Env env{{"DATABASE_URL", "postgresql://" + service + ":pw-" + suffix +
                                           "@127.0.0.1:" + port_of_server() + "/" + database},
                      {"SCHEMAGATE_ADMIN_URL", admin},
                      {"SCHEMAGATE_SERVICE", service},
                      {"SCHEMAGATE_ISOLATION", "database"},
                      {"SCHEMAGATE_ROLE_PASSWORD", "pw-" + suffix},
                      {"SCHEMAGATE_MIGRATIONS", dir.path().string()},
                      {"DB_INIT_MAX_RETRIES", "3"},
                      {"DB_INIT_INITIAL_DELAY", "50ms"}};
        sg::test::Process p({sg::test::schemagate_binary(), "migrate"}, env);
        std::this_thread::sleep_for(std::chrono::milliseconds(random_between(20, 400)));
        p.signal(SIGKILL);
        if (p.wait(10s).term_signal == SIGKILL) {
            ++killed;
        }
        const auto rerun = sg::test::run_schemagate({"migrate"}, env, 60s);
        INFO(all_output(rerun));
        check_no_crash(rerun);
        CHECK(rerun.exit_code == 0);
        const std::string url = "postgresql://" + service + ":pw-" + suffix +
                                "@127.0.0.1:" + port_of_server() + "/" + database;
        CHECK(q(url, "SELECT count(*) FROM pg_class WHERE relname = 'provisioned_t'") == "1");
        CHECK(q(url, "SELECT count(*) FROM pg_class WHERE relname = 'schemagate_history'") == "1");
        CHECK(q(url,
                "SELECT datdba::regrole::text FROM pg_database WHERE datname = "
                "current_database()") == service);
        sg::test::exec(admin, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        sg::test::exec(admin, "DROP ROLE IF EXISTS " + service);
    }
    MESSAGE("provisioning SIGKILL trials=" << kTrials << " killed mid-run=" << killed);
}
