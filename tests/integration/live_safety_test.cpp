// Safe on a live database: bounded lock waits retried with back-off, and lint before apply.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include <doctest/doctest.h>
#include <pqxx/pqxx>

#include "tests/integration/fixture.hpp"

using namespace std::chrono_literals;
using sg::test::TempDatabase;
using sg::test::TempDir;

namespace {

std::map<std::string, std::string> env_for(const TempDatabase& db, const TempDir& dir) {
    return {{"DATABASE_URL", db.url()},
            {"SCHEMAGATE_SERVICE", "orders"},
            {"SCHEMAGATE_MIGRATIONS", dir.path().string()},
            {"SCHEMAGATE_STATEMENT_LOCK_TIMEOUT", "300ms"},
            {"DB_INIT_MAX_RETRIES", "3"},
            {"DB_INIT_INITIAL_DELAY", "50ms"}};
}

std::string q(const TempDatabase& db, const std::string& sql) {
    return sg::test::query_value(db.url(), sql);
}

std::string all_output(const sg::test::ProcessResult& r) {
    return r.out + r.err;
}

// Reads the table every 50 ms on its own connection until stopped; the longest read, in ms.
class Reader {
  public:
    explicit Reader(const std::string& url)
        : thread_([this, url] {
              pqxx::connection c{url};
              while (!stop_) {
                  const auto start = std::chrono::steady_clock::now();
                  pqxx::nontransaction tx{c};
                  tx.exec("SELECT count(*) FROM orders");
                  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - start)
                                      .count();
                  longest_ = std::max<long>(longest_, static_cast<long>(ms));
                  std::this_thread::sleep_for(50ms);
              }
          }) {}
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    ~Reader() { finish(); }
    long finish() {
        stop_ = true;
        if (thread_.joinable()) {
            thread_.join();
        }
        return longest_;
    }

  private:
    std::atomic<bool> stop_{false};
    std::atomic<long> longest_{0};
    std::thread thread_;
};

void write_base(const TempDatabase& db, const TempDir& dir) {
    dir.write("V1__orders.sql",
              "CREATE TABLE orders (id bigint PRIMARY KEY, total int);\n"
              "INSERT INTO orders SELECT g, g FROM generate_series(1, 100) g;\n");
    const auto first = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(first));
    REQUIRE(first.exit_code == 0);
    dir.write("V2__note.sql", "ALTER TABLE orders ADD COLUMN note text;\n");
}

}  // namespace

TEST_SUITE("live safety") {
    TEST_CASE(
        "a lock wait is bounded: readers never queue long behind us, and the file is "
        "retried until the blocker commits") {
        TempDatabase db;
        TempDir dir;
        write_base(db, dir);
        auto env = env_for(db, dir);
        env["SCHEMAGATE_LOCK_RETRIES"] = "30";

        pqxx::connection blocker{db.url() + "?application_name=sg-blocker"};
        pqxx::work tx{blocker};
        tx.exec("SELECT count(*) FROM orders");  // holds ACCESS SHARE until it commits
        Reader reader(db.url());
        sg::test::Process p({sg::test::schemagate_binary(), "migrate"}, env);
        CHECK(p.wait_for_output("trying the file again", 15s));
        std::this_thread::sleep_for(1500ms);
        tx.commit();
        const auto r = p.wait(60s);
        const long longest = reader.finish();
        INFO(all_output(r));
        CHECK(r.exit_code == 0);
        CHECK(all_output(r).find("sg-blocker") != std::string::npos);
        CHECK(all_output(r).find("idle in transaction") != std::string::npos);
        CHECK(q(db,
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' "
                "AND column_name = 'note'") == "1");
        CHECK(q(db, "SELECT count(*) FROM schemagate_history WHERE NOT success") == "0");
        MESSAGE("longest read of the table during the run: " << longest << " ms (lock timeout "
                                                             << "300 ms)");
        // The ALTER queues for at most the lock timeout, so a read behind it waits no longer.
        CHECK(longest <= 300 + 700);
    }

    TEST_CASE(
        "lock retries exhausted: exit 1 naming the blocker's pid and application; "
        "nothing applied") {
        TempDatabase db;
        TempDir dir;
        write_base(db, dir);
        auto env = env_for(db, dir);
        env["SCHEMAGATE_LOCK_RETRIES"] = "2";

        pqxx::connection blocker{db.url() + "?application_name=sg-blocker"};
        const std::string pid = std::to_string(blocker.backendpid());
        pqxx::work tx{blocker};
        tx.exec("SELECT count(*) FROM orders");
        const auto r = sg::test::run_schemagate({"migrate"}, env, 60s);
        INFO(all_output(r));
        CHECK(r.exit_code == 1);
        const std::string out = all_output(r);
        CHECK(out.find("in 3 attempt(s)") != std::string::npos);
        CHECK(out.find("pid " + pid + " (sg-blocker, idle in transaction") != std::string::npos);
        CHECK(out.find("sg-blocker") != std::string::npos);
        CHECK(out.find("SCHEMAGATE_LOCK_RETRIES") != std::string::npos);
        tx.abort();
        CHECK(q(db,
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' "
                "AND column_name = 'note'") == "0");
        CHECK(q(db, "SELECT count(*) FROM schemagate_history WHERE success") == "1");
        // Once the blocker is gone the next run applies it.
        const auto again = sg::test::run_schemagate({"migrate"}, env, 60s);
        INFO(all_output(again));
        CHECK(again.exit_code == 0);
    }

    TEST_CASE("a retried CREATE INDEX CONCURRENTLY leaves no INVALID index behind") {
        TempDatabase db;
        TempDir dir;
        write_base(db, dir);
        dir.write("V2__note.sql",
                  "-- schemagate:no-transaction\n"
                  "CREATE INDEX CONCURRENTLY orders_total ON orders (total);\n");
        auto env = env_for(db, dir);
        env["SCHEMAGATE_LOCK_RETRIES"] = "30";
        // A transaction that wrote to the table: the build waits for it to end (a lock wait).
        pqxx::connection blocker{db.url() + "?application_name=sg-blocker"};
        pqxx::work tx{blocker};
        tx.exec("UPDATE orders SET total = total WHERE id = 1");
        sg::test::Process p({sg::test::schemagate_binary(), "migrate"}, env);
        CHECK(p.wait_for_output("trying the file again", 15s));
        std::this_thread::sleep_for(800ms);
        tx.commit();
        const auto r = p.wait(60s);
        INFO(all_output(r));
        CHECK(r.exit_code == 0);
        CHECK(q(db,
                "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = 'orders_total' AND i.indisvalid") == "1");
        CHECK(q(db, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == "0");
    }

    TEST_CASE("SCHEMAGATE_LINT=error stops the run before anything is applied; warn logs it") {
        TempDatabase db;
        TempDir dir;
        write_base(db, dir);
        dir.write("V2__note.sql", "ALTER TABLE orders ADD COLUMN note text;\n");
        dir.write("V3__index.sql", "CREATE INDEX orders_total ON orders (total);\n");
        auto env = env_for(db, dir);
        env["SCHEMAGATE_LINT"] = "error";
        const auto refused = sg::test::run_schemagate({"migrate"}, env);
        INFO(all_output(refused));
        CHECK(refused.exit_code == 4);
        CHECK(all_output(refused).find("V3__index.sql:1: index-not-concurrent: CREATE INDEX on "
                                       "existing table public.orders") != std::string::npos);
        CHECK(q(db, "SELECT count(*) FROM schemagate_history") == "1");

        const auto online = sg::test::run_schemagate({"validate"}, env);
        CHECK(online.exit_code == 4);
        CHECK(online.err.find("error: V3__index.sql:1: index-not-concurrent") != std::string::npos);
        // Offline everything is pending: orders is created by V1, so indexing it is fine, but a
        // table no file creates exists already.
        TempDir other;
        other.write("V1__legacy.sql", "CREATE INDEX legacy_a ON legacy (a);\n");
        auto offline_env = env;
        offline_env["SCHEMAGATE_MIGRATIONS"] = other.path().string();
        const auto offline = sg::test::run_schemagate({"validate", "--offline"}, offline_env);
        CHECK(offline.exit_code == 4);
        CHECK(offline.err.find("index-not-concurrent") != std::string::npos);
        CHECK(sg::test::run_schemagate({"validate", "--offline"}, env).exit_code == 0);

        // Silenced with a reason: applied, and the reason is shown by validate.
        dir.write("V3__index.sql",
                  "-- schemagate:allow index-not-concurrent the table is tiny\n"
                  "CREATE INDEX orders_total ON orders (total);\n");
        const auto allowed = sg::test::run_schemagate({"validate"}, env);
        INFO(all_output(allowed));
        CHECK(allowed.exit_code == 0);
        CHECK(allowed.err.find("(allowed: the table is tiny)") != std::string::npos);

        dir.write("V4__drop.sql", "ALTER TABLE orders DROP COLUMN note;\n");
        env["SCHEMAGATE_LINT"] = "warn";
        const auto warned = sg::test::run_schemagate({"migrate"}, env);
        INFO(all_output(warned));
        CHECK(warned.exit_code == 0);
        CHECK(all_output(warned).find("lint: V4__drop.sql:1: drop-column") != std::string::npos);
        CHECK(q(db, "SELECT count(*) FROM schemagate_history WHERE success") == "4");

        // A no-op restart lints nothing (and so pays nothing).
        const auto noop = sg::test::run_schemagate({"migrate"}, env);
        CHECK(noop.exit_code == 0);
        CHECK(all_output(noop).find("lint:") == std::string::npos);
    }

    TEST_CASE("plan reads the history, changes nothing and shows the pending files' locks") {
        TempDatabase db;
        TempDir dir;
        write_base(db, dir);
        dir.write("V3__drop.sql",
                  "-- schemagate:allow drop-column nobody reads it since 2.0\n"
                  "ALTER TABLE orders DROP COLUMN total;\n");
        const auto env = env_for(db, dir);
        const std::string history_before = q(db, "SELECT count(*) FROM schemagate_history");
        const auto r = sg::test::run_schemagate({"plan"}, env);
        INFO(all_output(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("2 file(s) to apply") == 0);
        CHECK(r.out.find("V1__orders.sql") == std::string::npos);  // applied: not shown
        CHECK(r.out.find("takes ACCESS EXCLUSIVE on public.orders") != std::string::npos);
        CHECK(r.out.find("(reason: nobody reads it since 2.0)") != std::string::npos);
        CHECK(q(db, "SELECT count(*) FROM schemagate_history") == history_before);
        CHECK(q(db,
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' "
                "AND column_name = 'note'") == "0");
        const auto json = sg::test::run_schemagate({"plan", "--json"}, env);
        CHECK(json.exit_code == 0);
        CHECK(json.out.find("\"relation\": \"public.orders\"") != std::string::npos);
    }
}
