// Many runners against one server, and lock holders that die: every migration applied exactly
// once, at most 2 connections per runner, and how fast a waiter takes over. Every loop is bounded
// in count and time; traffic stays on 127.0.0.1. Figures are printed as MESSAGEs (tests/run
// shows them) and recorded in bench/README.md and tests/FAULTS.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "tests/integration/fixture.hpp"

using namespace std::chrono_literals;
using sg::test::TempDatabase;
using sg::test::TempDir;
using Env = std::map<std::string, std::string>;
using Steady = std::chrono::steady_clock;

namespace {

std::string q(const std::string& url, const std::string& sql) {
    return sg::test::query_value(url, sql);
}

Env env_for(const TempDatabase& db, const TempDir& dir, const std::string& schema) {
    return {{"DATABASE_URL", db.url()},       {"SCHEMAGATE_SERVICE", "scale"},
            {"SCHEMAGATE_SCHEMA", schema},    {"SCHEMAGATE_MIGRATIONS", dir.path().string()},
            {"DB_INIT_MAX_RETRIES", "20"},    {"DB_INIT_INITIAL_DELAY", "50ms"},
            {"SCHEMAGATE_LOCK_TIMEOUT", "5m"}};
}

void write_files(const TempDir& dir, int count) {
    dir.write("V1__t.sql", "CREATE TABLE counter (n int);\n");
    for (int i = 2; i <= count; ++i) {
        dir.write("V" + std::to_string(i) + "__step.sql",
                  "INSERT INTO counter VALUES (" + std::to_string(i) + ");\n");
    }
}

// Whether the runner named `app` is inside the slow file's pg_sleep(5) right now.
bool sleeping(const TempDatabase& db, const std::string& app) {
    return q(db.url(), "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + app +
                           "' AND state = 'active' AND query LIKE '%pg_sleep(5)%'") == "1";
}

long ms_since(Steady::time_point start) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - start).count());
}

// Polls `condition` every 5 ms until it holds; the milliseconds it took, or -1 after `limit`.
template <typename F>
long time_until(F condition, std::chrono::milliseconds limit) {
    const auto start = Steady::now();
    while (Steady::now() - start < limit) {
        if (condition()) {
            return ms_since(start);
        }
        std::this_thread::sleep_for(5ms);
    }
    return -1;
}

}  // namespace

TEST_CASE(
    "scale: 100 migrate runners of one service at once: each file once, <= 2 connections "
    "per runner") {
    constexpr int kRunners = 100;
    constexpr int kFiles = 20;
    TempDatabase db;
    TempDir dir;
    write_files(dir, kFiles);

    // One runner alone, for the ratio.
    const auto alone = sg::test::run_schemagate({"migrate"}, env_for(db, dir, "alone"), 60s);
    INFO(alone.out << alone.err);
    REQUIRE(alone.exit_code == 0);

    sg::test::exec(db.url(), "CREATE SCHEMA many");
    // Each runner names itself (PGAPPNAME), so the server tells their connections apart.
    std::atomic<bool> sampling{true};
    std::atomic<int> most_per_runner{0};
    std::atomic<int> most_total{0};
    std::thread sampler([&] {
        const auto until = Steady::now() + 300s;
        while (sampling && Steady::now() < until) {
            const auto rows = sg::test::query_rows(
                db.url(),
                "SELECT coalesce(max(n), 0), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM "
                "pg_stat_activity WHERE application_name LIKE 'runner-%' GROUP BY "
                "application_name) per");
            most_per_runner = std::max(most_per_runner.load(), std::stoi(rows.at(0).at(0)));
            most_total = std::max(most_total.load(), std::stoi(rows.at(0).at(1)));
            std::this_thread::sleep_for(10ms);
        }
    });
    // Started at once: every runner waits at a start gate (a file that appears once all are
    // spawned; a FIFO would leave a runner that opens it after the writer closed blocked).
    const auto gate = dir.path() / "start-gate";
    std::vector<std::unique_ptr<sg::test::Process>> runners;
    for (int i = 0; i < kRunners; ++i) {
        auto env = env_for(db, dir, "many");
        env["PGAPPNAME"] = "runner-" + std::to_string(i);
        runners.push_back(std::make_unique<sg::test::Process>(
            std::vector<std::string>{
                "sh", "-c", "while [ ! -e \"$0\" ]; do sleep 0.01; done; exec \"$1\" migrate",
                gate.string(), sg::test::schemagate_binary()},
            env));
    }
    const auto start = Steady::now();
    std::ofstream(gate) << "go\n";
    int ok = 0;
    for (auto& p : runners) {
        const auto r = p->wait(240s);
        INFO(r.out << r.err);
        CHECK(r.term_signal == 0);
        CHECK(r.exit_code == 0);
        ok += r.exit_code == 0 ? 1 : 0;
    }
    const long wall = ms_since(start);
    sampling = false;
    sampler.join();

    CHECK(ok == kRunners);
    CHECK(q(db.url(), "SELECT count(*) FROM many.counter") == std::to_string(kFiles - 1));
    CHECK(q(db.url(), "SELECT count(DISTINCT n) FROM many.counter") == std::to_string(kFiles - 1));
    CHECK(q(db.url(), "SELECT count(*) FROM many.schemagate_history WHERE success") ==
          std::to_string(kFiles));
    CHECK(q(db.url(), "SELECT count(*) FROM many.schemagate_history WHERE NOT success") == "0");
    CHECK(q(db.url(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == "0");
    CHECK(most_per_runner.load() >= 1);  // the sampler saw them at all
    CHECK(most_per_runner.load() <= 2);
    MESSAGE("scale: " << kRunners << " runners x " << kFiles << " files: all exit 0 in " << wall
                      << " ms; one runner alone " << alone.elapsed.count() << " ms ("
                      << (alone.elapsed.count() > 0 ? wall / alone.elapsed.count() : 0)
                      << "x); at most " << most_per_runner.load() << " connections per runner, "
                      << most_total.load() << " at once");
}

TEST_CASE(
    "takeover: the lock holder SIGKILLed mid-statement; a waiter runs the file within the "
    "poll interval plus the server's dead-client check") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__slow.sql", "CREATE TABLE slow_t (id int);\nSELECT pg_sleep(5);\n");
    std::vector<long> taken;
    for (int trial = 1; trial <= 3; ++trial) {
        CAPTURE(trial);
        const std::string schema = "k" + std::to_string(trial);
        auto env = env_for(db, dir, schema);
        env["PGAPPNAME"] = "holder";
        sg::test::Process holder({sg::test::schemagate_binary(), "migrate"}, env);
        REQUIRE(time_until([&] { return sleeping(db, "holder"); }, 20s) >= 0);
        env["PGAPPNAME"] = "waiter";
        sg::test::Process waiter({sg::test::schemagate_binary(), "migrate"}, env);
        REQUIRE(waiter.wait_for_output("waiting for the migration lock", 20s));
        const auto killed = Steady::now();
        holder.signal(SIGKILL);
        const long took = time_until([&] { return sleeping(db, "waiter"); }, 20s);
        CHECK(took >= 0);
        taken.push_back(took >= 0 ? took : ms_since(killed));
        const auto r = waiter.wait(60s);
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(q(db.url(), "SELECT count(*) FROM " + schema + ".schemagate_history WHERE success") ==
              "1");
    }
    std::sort(taken.begin(), taken.end());
    // The lock connection's backend ends at once (its client's socket closed); the working
    // backend notices its dead client within client_connection_check_interval (1 s) and rolls
    // back; the waiter polls every 100-300 ms. Bound: 1 s + 0.3 s, with room for a slow machine.
    CHECK(taken.back() <= 3000);
    MESSAGE("takeover after SIGKILL of the holder: median " << taken[1] << " ms (min " << taken[0]
                                                            << ", max " << taken[2] << ")");
}

TEST_CASE(
    "takeover: the lock holder's backends killed (a dropped network, seen by the server); "
    "a waiter takes over within the poll interval; the holder fails cleanly") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__slow.sql", "CREATE TABLE slow_t (id int);\nSELECT pg_sleep(5);\n");
    dir.write("verify/01_keepalives.sql",
              "SELECT current_setting('tcp_keepalives_idle') = '10' AND "
              "current_setting('tcp_keepalives_count') = '3';\n");
    std::vector<long> taken;
    for (int trial = 1; trial <= 3; ++trial) {
        CAPTURE(trial);
        const std::string schema = "n" + std::to_string(trial);
        auto env = env_for(db, dir, schema);
        env["PGAPPNAME"] = "holder";
        env["DB_INIT_MAX_RETRIES"] = "1";
        sg::test::Process holder({sg::test::schemagate_binary(), "migrate"}, env);
        REQUIRE(time_until([&] { return sleeping(db, "holder"); }, 20s) >= 0);
        env["PGAPPNAME"] = "waiter";
        sg::test::Process waiter({sg::test::schemagate_binary(), "migrate"}, env);
        REQUIRE(waiter.wait_for_output("waiting for the migration lock", 20s));
        REQUIRE(q(db.url(),
                  "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                  "application_name = 'holder'") == "2");
        const long took = time_until([&] { return sleeping(db, "waiter"); }, 20s);
        CHECK(took >= 0);
        taken.push_back(took);
        const auto h = holder.wait(30s);
        INFO(h.out << h.err);
        CHECK(h.term_signal == 0);
        CHECK(h.exit_code != 0);  // it lost its connection mid-file: said, nothing half-applied
        const auto r = waiter.wait(60s);
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);  // its verify also saw the server-side keepalives in place
        CHECK(q(db.url(), "SELECT count(*) FROM " + schema + ".schemagate_history WHERE success") ==
              "1");
        CHECK(q(db.url(), "SELECT count(*) FROM " + schema +
                              ".schemagate_history WHERE NOT "
                              "success") == "0");
    }
    std::sort(taken.begin(), taken.end());
    CHECK(taken.back() <= 1500);  // the poll interval is 100-300 ms
    MESSAGE("takeover after the holder's backends were killed: median "
            << taken[1] << " ms (min " << taken[0] << ", max " << taken[2] << ")");
}
