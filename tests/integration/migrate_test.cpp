// The migration engine end to end: the real binary against a real throwaway PostgreSQL.
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/fixture.hpp"

using namespace std::chrono_literals;
using sg::test::TempDatabase;
using sg::test::TempDir;

namespace {

std::map<std::string, std::string> env_for(const TempDatabase& db, const TempDir& dir,
                                           const std::string& service = "orders") {
    return {{"DATABASE_URL", db.url()},
            {"SCHEMAGATE_SERVICE", service},
            {"SCHEMAGATE_MIGRATIONS", dir.path().string()},
            {"DB_INIT_MAX_RETRIES", "3"},
            {"DB_INIT_INITIAL_DELAY", "50ms"}};
}

std::string q(const TempDatabase& db, const std::string& sql) {
    return sg::test::query_value(db.url(), sql);
}

int history_count(const TempDatabase& db, const std::string& where = "success") {
    return std::stoi(q(db, "SELECT count(*) FROM public.schemagate_history WHERE " + where));
}

std::string all_output(const sg::test::ProcessResult& r) {
    return r.out + r.err;
}

}  // namespace

TEST_CASE("migrate applies once; a re-run applies nothing") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__create_users.sql",
              "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\n");
    dir.write("V2__add_index.sql", "CREATE UNIQUE INDEX users_email ON users (lower(email));\n");
    dir.write("R__views.sql", "CREATE OR REPLACE VIEW user_emails AS SELECT email FROM users;\n");
    dir.write("seed/01_users.sql",
              "INSERT INTO users (email) VALUES ('a@example.com') ON CONFLICT DO NOTHING;\n");
    dir.write("verify/01_users.sql", "SELECT count(*) = 1 FROM users;\n");

    const auto first = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(first));
    REQUIRE(first.exit_code == 0);
    CHECK(history_count(db) == 4);
    CHECK(q(db, "SELECT count(*) FROM users") == "1");
    CHECK(all_output(first).find("applied migration version=1 description=\"create users\"") !=
          std::string::npos);
    CHECK(all_output(first).find("files_applied=4") != std::string::npos);

    const auto second = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(second));
    REQUIRE(second.exit_code == 0);
    CHECK(history_count(db) == 4);
    CHECK(all_output(second).find("files_applied=0") != std::string::npos);
    CHECK(all_output(second).find("applied migration") == std::string::npos);
}

TEST_CASE("versions are applied in numeric order: 1 < 1.1 < 2 < 10") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE seq (n text);\n");
    dir.write("V10__d.sql", "INSERT INTO seq VALUES ('10');\n");
    dir.write("V2__c.sql", "INSERT INTO seq VALUES ('2');\n");
    dir.write("V1.1__b.sql", "INSERT INTO seq VALUES ('1.1');\n");
    const auto r = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(r));
    REQUIRE(r.exit_code == 0);
    CHECK(q(db, "SELECT string_agg(version, ',' ORDER BY rank) FROM schemagate_history") ==
          "1,1.1,2,10");
    CHECK(q(db, "SELECT string_agg(n, ',' ORDER BY ctid) FROM seq") == "1.1,2,10");
}

TEST_CASE(
    "a failing second statement leaves nothing of that file, is recorded, and is retried once "
    "fixed") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__ok.sql", "CREATE TABLE kept (id int);\n");
    dir.write("V2__broken.sql",
              "CREATE TABLE half (id int);\nINSERT INTO no_such_table VALUES (1);\n");
    const auto r = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(r));
    CHECK(r.exit_code == 1);
    CHECK(all_output(r).find("V2__broken.sql: line 2") != std::string::npos);
    CHECK(all_output(r).find("no_such_table") != std::string::npos);
    CHECK(q(db, "SELECT to_regclass('public.half') IS NULL") == "t");
    CHECK(q(db, "SELECT to_regclass('public.kept') IS NOT NULL") == "t");
    CHECK(history_count(db, "version = '2' AND NOT success") == 1);

    const auto status = sg::test::run_schemagate({"status", "--json"}, env_for(db, dir));
    REQUIRE(status.exit_code == 0);
    const auto j = nlohmann::json::parse(status.out);
    CHECK(j["migrations"][1]["state"] == "failed");

    dir.write("V2__broken.sql", "CREATE TABLE half (id int);\nINSERT INTO kept VALUES (1);\n");
    const auto fixed = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(fixed));
    CHECK(fixed.exit_code == 0);
    CHECK(q(db, "SELECT to_regclass('public.half') IS NOT NULL") == "t");
    CHECK(history_count(db, "version = '2' AND success") == 1);
}

TEST_CASE("drift of an applied file stops the run with exit 4 naming the file and both checksums") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    REQUIRE(sg::test::run_schemagate({"migrate"}, env_for(db, dir)).exit_code == 0);
    dir.write("V1__a.sql", "CREATE TABLE a (id bigint);\n");
    dir.write("V2__b.sql", "CREATE TABLE b (id int);\n");
    const auto r = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(r));
    CHECK(r.exit_code == 4);
    CHECK(all_output(r).find("V1__a.sql changed after it was applied") != std::string::npos);
    CHECK(q(db, "SELECT to_regclass('public.b') IS NULL") == "t");  // nothing applied after drift

    const auto v = sg::test::run_schemagate({"validate"}, env_for(db, dir));
    CHECK(v.exit_code == 4);
    CHECK(all_output(v).find("V1__a.sql") != std::string::npos);

    const auto repaired = sg::test::run_schemagate({"repair"}, env_for(db, dir));
    INFO(all_output(repaired));
    CHECK(repaired.exit_code == 0);
    CHECK(sg::test::run_schemagate({"migrate"}, env_for(db, dir)).exit_code == 0);
    CHECK(q(db, "SELECT to_regclass('public.b') IS NOT NULL") == "t");
}

TEST_CASE("ten concurrent migrate processes apply each file exactly once") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__t.sql", "CREATE TABLE counter (n int);\n");
    for (int i = 2; i <= 20; ++i) {
        dir.write(
            "V" + std::to_string(i) + "__step.sql",
            "INSERT INTO counter VALUES (" + std::to_string(i) + ");\nSELECT pg_sleep(0.01);\n");
    }
    std::vector<std::unique_ptr<sg::test::Process>> runners;
    for (int i = 0; i < 10; ++i) {
        runners.push_back(std::make_unique<sg::test::Process>(
            std::vector<std::string>{sg::test::schemagate_binary(), "migrate"}, env_for(db, dir)));
    }
    for (auto& p : runners) {
        const auto r = p->wait(120s);
        INFO(all_output(r));
        CHECK(r.exit_code == 0);
    }
    CHECK(q(db, "SELECT count(*) FROM counter") == "19");
    CHECK(q(db, "SELECT count(DISTINCT n) FROM counter") == "19");
    CHECK(history_count(db) == 20);
    CHECK(q(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == "0");
}

TEST_CASE(
    "three runners over CREATE INDEX CONCURRENTLY finish without deadlock; the index is valid") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__table.sql",
              "CREATE TABLE big (id int, v text);\nINSERT INTO big SELECT g, md5(g::text) FROM "
              "generate_series(1, 50000) g;\n");
    dir.write("V2__index.sql",
              "-- schemagate:no-transaction\nCREATE INDEX CONCURRENTLY big_v ON big (v);\nCREATE "
              "INDEX CONCURRENTLY big_id ON big (id);\n");
    std::vector<std::unique_ptr<sg::test::Process>> runners;
    for (int i = 0; i < 3; ++i) {
        runners.push_back(std::make_unique<sg::test::Process>(
            std::vector<std::string>{sg::test::schemagate_binary(), "migrate"}, env_for(db, dir)));
    }
    for (auto& p : runners) {
        const auto r = p->wait(120s);
        INFO(all_output(r));
        CHECK(r.exit_code == 0);
        CHECK_FALSE(r.timed_out);
    }
    CHECK(q(db,
            "SELECT bool_and(indisvalid) FROM pg_index WHERE indexrelid IN ('big_v'::regclass, "
            "'big_id'::regclass)") == "t");
    CHECK(history_count(db, "version = '2' AND success AND statements_done = 2") == 1);
}

TEST_CASE("a transactional file with CREATE INDEX CONCURRENTLY is refused before anything runs") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__t.sql", "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n");
    const auto r = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(r));
    CHECK(r.exit_code == 4);
    CHECK(all_output(r).find("line 2: CREATE INDEX CONCURRENTLY cannot run inside a transaction") !=
          std::string::npos);
    CHECK(q(db, "SELECT to_regclass('public.t') IS NULL") == "t");
}

TEST_CASE("an interrupted no-transaction file resumes at the failed statement once fixed") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__t.sql", "CREATE TABLE t (id int);\n");
    dir.write("V2__steps.sql",
              "-- schemagate:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\nINSERT "
              "INTO missing VALUES (1);\n");
    const auto r = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(r));
    CHECK(r.exit_code == 1);
    CHECK(all_output(r).find("statement 2 of 2") != std::string::npos);
    CHECK(all_output(r).find("resumes at statement 2") != std::string::npos);
    dir.write("V2__steps.sql",
              "-- schemagate:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\nINSERT "
              "INTO t VALUES (1);\n");
    const auto again = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(again));
    CHECK(again.exit_code == 0);  // statement 1 is not run twice (it would fail: index exists)
    CHECK(q(db, "SELECT count(*) FROM t") == "1");
}

TEST_CASE("migrate started before the server is up finishes soon after it comes up") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE early (id int);\n");
    auto env = env_for(db, dir);
    env["DB_INIT_MAX_RETRIES"] = "0";
    sg::test::server_ctl("stop");
    sg::test::Process p({sg::test::schemagate_binary(), "migrate"}, env);
    std::this_thread::sleep_for(1500ms);
    const auto up_started = std::chrono::steady_clock::now();
    sg::test::server_ctl("start");
    const auto up = std::chrono::steady_clock::now();
    const auto r = p.wait(60s);
    const auto done = std::chrono::steady_clock::now();
    INFO(all_output(r));
    CHECK(r.exit_code == 0);
    CHECK(q(db, "SELECT to_regclass('public.early') IS NOT NULL") == "t");
    CHECK(all_output(r).find("not ready") != std::string::npos);
    // Noticed within a second of the server answering (the probe polls every 50 ms).
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(done - up).count() < 3000);
    (void)up_started;
}

TEST_CASE("a wrong password exits 3 quickly and never prints the password") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "SELECT 1;\n");
    const std::string secret = "Sup3r-Secret-Value";
    sg::test::exec(
        sg::test::admin_url(),
        "DROP ROLE IF EXISTS sg_pw_user; CREATE ROLE sg_pw_user LOGIN PASSWORD 'right-one'");
    auto env = env_for(db, dir);
    env["DATABASE_URL"] = db.url_as("sg_pw_user", secret);
    env["DB_INIT_MAX_RETRIES"] = "0";
    const auto r = sg::test::run_schemagate({"migrate"}, env, 30s);
    sg::test::exec(sg::test::admin_url(), "DROP ROLE IF EXISTS sg_pw_user");
    INFO(all_output(r));
    CHECK(r.exit_code == 3);
    CHECK(r.elapsed < 5s);
    CHECK(all_output(r).find("wrong password") != std::string::npos);
    CHECK(all_output(r).find(secret) == std::string::npos);
}

TEST_CASE("placeholders are substituted; an unknown one is a validation error with file and line") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql",
              "CREATE TABLE ${service}_items (note text DEFAULT '${greeting} from ${schema}');\n");
    auto env = env_for(db, dir, "shop");
    env["SCHEMAGATE_PLACEHOLDER_GREETING"] = "hello";
    const auto r = sg::test::run_schemagate({"migrate"}, env);
    INFO(all_output(r));
    REQUIRE(r.exit_code == 0);
    CHECK(q(db,
            "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = "
            "'shop_items'::regclass") == "'hello from public'::text");

    dir.write("V2__b.sql", "SELECT 1;\nSELECT '${nope}';\n");
    const auto bad = sg::test::run_schemagate({"validate", "--offline"}, env);
    INFO(all_output(bad));
    CHECK(bad.exit_code == 4);
    CHECK(all_output(bad).find("V2__b.sql: line 2: unknown placeholder ${nope}") !=
          std::string::npos);
}

TEST_CASE("an upper-case .SQL file or an editor backup is named by validate and migrate") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    dir.write("V2__b.SQL", "CREATE TABLE b (id int);\n");
    dir.write("V1__a.sql~", "CREATE TABLE a (id int);\n");
    dir.write("seed/01_users.sql.bak", "SELECT 1;\n");
    dir.write("README.md", "notes\n");
    const auto v = sg::test::run_schemagate({"validate", "--offline"}, env_for(db, dir));
    INFO(all_output(v));
    CHECK(v.exit_code == 0);
    CHECK(v.err.find("warning: ignored: V2__b.SQL: the extension must be lower-case .sql") !=
          std::string::npos);
    CHECK(v.err.find("warning: ignored: V1__a.sql~: an editor's backup") != std::string::npos);
    CHECK(v.err.find("ignored: seed/01_users.sql.bak") != std::string::npos);
    CHECK(v.err.find("README.md") == std::string::npos);
    const auto m = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(m));
    CHECK(m.exit_code == 0);
    CHECK(all_output(m).find("ignored: V2__b.SQL") != std::string::npos);
    CHECK(q(db, "SELECT to_regclass('public.b') IS NULL") == "t");
}

TEST_CASE("a version below the latest applied one is refused, or applied with OUT_OF_ORDER=allow") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    dir.write("V3__c.sql", "CREATE TABLE c (id int);\n");
    REQUIRE(sg::test::run_schemagate({"migrate"}, env_for(db, dir)).exit_code == 0);
    dir.write("V2__from_a_branch.sql", "CREATE TABLE b (id int);\n");
    dir.write("V4__d.sql", "CREATE TABLE d (id int);\n");

    const auto refused = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(refused));
    CHECK(refused.exit_code == 4);
    CHECK(all_output(refused).find("V2__from_a_branch.sql is below the latest applied version 3") !=
          std::string::npos);
    CHECK(all_output(refused).find("SCHEMAGATE_OUT_OF_ORDER=allow") != std::string::npos);
    CHECK(q(db, "SELECT to_regclass('public.b') IS NULL AND to_regclass('public.d') IS NULL") ==
          "t");
    const auto validate = sg::test::run_schemagate({"validate"}, env_for(db, dir));
    CHECK(validate.exit_code == 4);
    CHECK(validate.err.find("V2__from_a_branch.sql is below") != std::string::npos);

    auto env = env_for(db, dir);
    env["SCHEMAGATE_OUT_OF_ORDER"] = "allow";
    const auto allowed = sg::test::run_schemagate({"migrate"}, env);
    INFO(all_output(allowed));
    CHECK(allowed.exit_code == 0);
    CHECK(all_output(allowed).find("V2__from_a_branch.sql") != std::string::npos);
    CHECK(q(db,
            "SELECT to_regclass('public.b') IS NOT NULL AND to_regclass('public.d') IS NOT "
            "NULL") == "t");
    // Once applied it is in order for every later run.
    CHECK(sg::test::run_schemagate({"migrate"}, env_for(db, dir)).exit_code == 0);
}

TEST_CASE("migrate --target applies up to that version; seeds and verify wait for the rest") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    dir.write("V2__b.sql", "CREATE TABLE b (id int);\n");
    dir.write("V3__c.sql", "CREATE TABLE c (id int);\n");
    dir.write("seed/01_c.sql", "INSERT INTO c VALUES (1) ON CONFLICT DO NOTHING;\n");
    dir.write("verify/01_c.sql", "SELECT count(*) = 1 FROM c;\n");
    const auto to2 = sg::test::run_schemagate({"migrate", "--target", "2"}, env_for(db, dir));
    INFO(all_output(to2));
    CHECK(to2.exit_code == 0);
    CHECK(all_output(to2).find("target version 2 reached; 1 newer version(s) stay pending") !=
          std::string::npos);
    CHECK(q(db, "SELECT to_regclass('public.b') IS NOT NULL AND to_regclass('public.c') IS NULL") ==
          "t");
    CHECK(history_count(db, "type = 'seed'") == 0);

    const auto bad = sg::test::run_schemagate({"migrate", "--target", "two"}, env_for(db, dir));
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("--target two: not a version") != std::string::npos);

    const auto rest = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(rest));
    CHECK(rest.exit_code == 0);
    CHECK(q(db, "SELECT count(*) FROM c") == "1");
    CHECK(history_count(db, "type = 'seed'") == 1);
}

TEST_CASE("repeatables re-run only when their checksum changes, after versioned ones") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    dir.write("R__view.sql", "CREATE OR REPLACE VIEW v AS SELECT 1 AS one;\n");
    REQUIRE(sg::test::run_schemagate({"migrate"}, env_for(db, dir)).exit_code == 0);
    REQUIRE(sg::test::run_schemagate({"migrate"}, env_for(db, dir)).exit_code == 0);
    CHECK(history_count(db, "type = 'repeatable'") == 1);
    dir.write("R__view.sql", "CREATE OR REPLACE VIEW v AS SELECT 1 AS one, 2 AS two;\n");
    REQUIRE(sg::test::run_schemagate({"migrate"}, env_for(db, dir)).exit_code == 0);
    CHECK(history_count(db, "type = 'repeatable'") == 2);
    CHECK(q(db, "SELECT two FROM v") == "2");
}

TEST_CASE("undo applies U files newest first and records them") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    dir.write("V2__b.sql", "CREATE TABLE b (id int);\n");
    dir.write("V3__c.sql", "CREATE TABLE c (id int);\n");
    dir.write("U2__b.sql", "DROP TABLE b;\n");
    dir.write("U3__c.sql", "DROP TABLE c;\n");
    REQUIRE(sg::test::run_schemagate({"migrate"}, env_for(db, dir)).exit_code == 0);

    const auto one = sg::test::run_schemagate({"undo"}, env_for(db, dir));
    INFO(all_output(one));
    CHECK(one.exit_code == 0);
    CHECK(q(db, "SELECT to_regclass('public.c') IS NULL AND to_regclass('public.b') IS NOT NULL") ==
          "t");

    const auto refused = sg::test::run_schemagate({"undo", "--to", "0"}, env_for(db, dir));
    CHECK(refused.exit_code == 4);  // V1 has no U file: all or nothing
    CHECK(q(db, "SELECT to_regclass('public.b') IS NOT NULL") == "t");

    const auto to1 = sg::test::run_schemagate({"undo", "--to", "1"}, env_for(db, dir));
    CHECK(to1.exit_code == 0);
    CHECK(q(db, "SELECT to_regclass('public.b') IS NULL AND to_regclass('public.a') IS NOT NULL") ==
          "t");
    CHECK(history_count(db, "type = 'undo'") == 2);

    // Nothing above --to: exit 0, said, nothing recorded.
    const auto nothing = sg::test::run_schemagate({"undo", "--to", "5"}, env_for(db, dir));
    INFO(all_output(nothing));
    CHECK(nothing.exit_code == 0);
    CHECK(all_output(nothing).find("nothing to undo: no applied version is above 5 (the current "
                                   "version is 1)") != std::string::npos);
    CHECK(history_count(db, "type = 'undo'") == 2);

    // Undone versions are pending again.
    REQUIRE(sg::test::run_schemagate({"migrate"}, env_for(db, dir)).exit_code == 0);
    CHECK(q(db, "SELECT to_regclass('public.c') IS NOT NULL") == "t");
}

TEST_CASE("a failed verify check fails the run with exit 1 naming the file") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    dir.write("verify/01_rows.sql", "SELECT count(*) > 0 FROM a;\n");
    const auto r = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(r));
    CHECK(r.exit_code == 1);
    CHECK(all_output(r).find("verify/01_rows.sql returned false") != std::string::npos);
}

TEST_CASE("bad file names and duplicate versions are validation errors naming the files") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "SELECT 1;\n");
    dir.write("V1.0__dup.sql", "SELECT 1;\n");
    dir.write("v2__lower.sql", "SELECT 1;\n");
    dir.write("notes.md", "ignored\n");
    const auto r = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(r));
    CHECK(r.exit_code == 4);
    CHECK(all_output(r).find("duplicate migration version 1") != std::string::npos);
    CHECK(all_output(r).find("v2__lower.sql") != std::string::npos);
    CHECK(q(db, "SELECT to_regclass('public.schemagate_history') IS NULL") == "t");
}

TEST_CASE("status shows every migration; new creates the next file") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    dir.write("V2__b.sql", "CREATE TABLE b (id int);\n");
    REQUIRE(sg::test::run_schemagate({"migrate"}, env_for(db, dir)).exit_code == 0);
    const auto created = sg::test::run_schemagate({"new", "Add orders table"}, env_for(db, dir));
    INFO(all_output(created));
    REQUIRE(created.exit_code == 0);
    CHECK(created.out.find("V3__add_orders_table.sql") != std::string::npos);
    dir.write("V3__add_orders_table.sql", "CREATE TABLE orders (id int);\n");
    dir.write("U2__b.sql", "DROP TABLE b;\n");
    dir.write("verify/01_a.sql", "SELECT to_regclass('a') IS NOT NULL;\n");

    const auto table = sg::test::run_schemagate({"status"}, env_for(db, dir));
    INFO(all_output(table));
    CHECK(table.exit_code == 0);
    CHECK(table.out.rfind("current version 2: 2 applied, 1 pending, 0 failed\n", 0) == 0);
    CHECK(table.out.find("b                 undo       available") != std::string::npos);
    CHECK(table.out.find("01_a              verify     every-run") != std::string::npos);
    CHECK(table.out.find("\033[") == std::string::npos);  // not a terminal: no colour
    CHECK(table.out.find("pending") != std::string::npos);
    CHECK(table.out.find("database " + db.name() + "  ") != std::string::npos);
    const auto json = sg::test::run_schemagate({"status", "--json"}, env_for(db, dir));
    const auto j = nlohmann::json::parse(json.out);
    CHECK(j["database"] == db.name());
    CHECK(j["summary"]["pending"] == 1);
    CHECK(j["current_version"] == "2");
    REQUIRE(j["migrations"].size() == 5);
    CHECK(j["migrations"][0]["state"] == "applied");
    CHECK(j["migrations"][2]["state"] == "pending");
    CHECK(j["migrations"][2]["version"] == "3");
}

TEST_CASE("first contact: bare, --version, -V, help [command], <command> --help") {
    const auto bare = sg::test::run_schemagate({}, {});
    CHECK(bare.exit_code == 0);
    CHECK(bare.out.find("Commands:") != std::string::npos);
    CHECK(bare.out.find("  migrate ") != std::string::npos);
    CHECK(sg::test::run_schemagate({"--help"}, {}).out == bare.out);
    CHECK(sg::test::run_schemagate({"help"}, {}).out == bare.out);
    for (const char* flag : {"--version", "-V"}) {
        const auto v = sg::test::run_schemagate({flag}, {});
        CHECK(v.exit_code == 0);
        CHECK(v.out.rfind("schemagate ", 0) == 0);
        CHECK(v.out.find("libpq") != std::string::npos);
    }
    const auto help_migrate = sg::test::run_schemagate({"help", "migrate"}, {});
    CHECK(help_migrate.exit_code == 0);
    CHECK(help_migrate.out.find("--target VERSION") != std::string::npos);
    CHECK(sg::test::run_schemagate({"migrate", "--help"}, {}).out == help_migrate.out);
    CHECK(sg::test::run_schemagate({"migrate", "-h"}, {}).out == help_migrate.out);
    const auto unknown = sg::test::run_schemagate({"help", "migrat"}, {});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("unknown command \"migrat\"") != std::string::npos);
    // A flag the command does not read is refused, naming where to look.
    const auto stray = sg::test::run_schemagate({"new", "x", "--listen", ":1"}, {});
    CHECK(stray.exit_code == 2);
    CHECK(stray.err.find("see `schemagate help new`") != std::string::npos);
}

TEST_CASE("new --timestamp names the file by UTC time; SCHEMAGATE_VERSION_STYLE sets the default") {
    TempDir dir;
    dir.write("V1__a.sql", "SELECT 1;\n");
    const std::map<std::string, std::string> env{{"SCHEMAGATE_MIGRATIONS", dir.path().string()}};
    const auto stamped = sg::test::run_schemagate({"new", "--timestamp", "add orders"}, env);
    INFO(all_output(stamped));
    REQUIRE(stamped.exit_code == 0);
    const auto name =
        std::filesystem::path(stamped.out.substr(0, stamped.out.find('\n'))).filename().string();
    CHECK(name.size() == std::string("V20261206193005__add_orders.sql").size());
    CHECK(name.rfind("V20", 0) == 0);
    CHECK(name.ends_with("__add_orders.sql"));
    // The next sequential file goes above the timestamp: never below an existing version.
    auto next = sg::test::run_schemagate({"new", "more"}, env);
    CHECK(next.exit_code == 0);
    const auto stamp = std::stoull(name.substr(1, 14));
    CHECK(next.out.find("V" + std::to_string(stamp + 1) + "__more.sql") != std::string::npos);
    auto styled = env;
    styled["SCHEMAGATE_VERSION_STYLE"] = "timestamp";
    dir.write("V" + std::to_string(stamp + 1) + "__more.sql", "SELECT 1;\n");
    const auto by_setting = sg::test::run_schemagate({"new", "third"}, styled);
    CHECK(by_setting.exit_code == 0);
    const auto both = sg::test::run_schemagate({"new", "--timestamp", "--sequential", "x"}, env);
    CHECK(both.exit_code == 2);
}

TEST_CASE("a failure's JSON log line carries file, line and sqlstate; figures are numbers") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__ok.sql", "CREATE TABLE ok (id int);\n");
    dir.write("V2__bad.sql", "CREATE TABLE bad (id int);\nSELEC 1;\n");
    auto env = env_for(db, dir);
    env["SCHEMAGATE_LOG_FORMAT"] = "json";
    const auto r = sg::test::run_schemagate({"migrate"}, env);
    INFO(all_output(r));
    CHECK(r.exit_code == 1);
    bool failure_seen = false;
    bool banner_seen = false;
    std::size_t start = 0;
    const std::string& err = r.err;
    while (start < err.size()) {
        const auto end = err.find('\n', start);
        const auto j = nlohmann::json::parse(err.substr(start, end - start));
        start = end + 1;
        const auto msg = j["msg"].get<std::string>();
        if (msg.rfind("migrate failed:", 0) == 0) {
            failure_seen = true;
            CHECK(j["fields"]["file"] == "V2__bad.sql");
            CHECK(j["fields"]["line"] == 2);
            CHECK(j["fields"]["sqlstate"] == "42601");
        }
        if (msg.rfind("schemagate ", 0) == 0 && j["fields"].contains("command")) {
            banner_seen = true;
            CHECK(j["fields"]["lock_timeout_ms"] == 300000);
            CHECK_FALSE(j["fields"].contains("listen"));  // migrate serves no HTTP
            CHECK_FALSE(j["fields"].contains("lock_timeout_s"));
        }
    }
    CHECK(failure_seen);
    CHECK(banner_seen);
}

TEST_CASE("configuration errors exit 2 and name the variable") {
    TempDir dir;
    const auto r =
        sg::test::run_schemagate({"migrate"}, {{"SCHEMAGATE_MIGRATIONS", dir.path().string()},
                                               {"SCHEMAGATE_LOCK_TIMEOUT", "soon"},
                                               {"SCHEMAGATE_SERIVCE", "typo"}});
    INFO(all_output(r));
    CHECK(r.exit_code == 2);
    CHECK(all_output(r).find("SCHEMAGATE_SERVICE") != std::string::npos);
    CHECK(all_output(r).find("SCHEMAGATE_LOCK_TIMEOUT") != std::string::npos);
    CHECK(all_output(r).find("SCHEMAGATE_SERIVCE") != std::string::npos);
}

TEST_CASE("session settings a file makes end with it: the next file and the history see ours") {
    TempDatabase db;
    TempDir dir;
    sg::test::exec(db.url(),
                   "DO $$ BEGIN CREATE ROLE sg_leak_nopriv NOLOGIN; EXCEPTION WHEN "
                   "duplicate_object THEN NULL; END $$");
    // Each setting a file may change; SET ROLE to a role that may not write the history.
    const std::string leak =
        "CREATE SCHEMA IF NOT EXISTS leak_other;\n"
        "SET search_path TO leak_other;\n"
        "SET statement_timeout = '123s';\n"
        "SET lock_timeout = '45s';\n"
        "SET ROLE sg_leak_nopriv;\n";
    // Fails (and so fails the run) when anything leaked into the file that runs it.
    const std::string check =
        "DO $$ BEGIN\n"
        "  IF current_user <> session_user THEN RAISE EXCEPTION 'role leaked: %', current_user;"
        " END IF;\n"
        "  IF current_setting('statement_timeout') = '123s' THEN"
        " RAISE EXCEPTION 'statement_timeout leaked'; END IF;\n"
        "  IF current_setting('lock_timeout') = '45s' THEN"
        " RAISE EXCEPTION 'lock_timeout leaked'; END IF;\n"
        "  IF current_schema() <> 'public' THEN"
        " RAISE EXCEPTION 'search_path leaked: %', current_setting('search_path'); END IF;\n"
        "END $$;\n";
    dir.write("V1__leak.sql", leak);
    dir.write("V2__check.sql", check + "CREATE TABLE after_leak (id int);\n");
    dir.write("V3__leak_no_tx.sql", "-- schemagate:no-transaction\n" + leak + "SELECT 1;\n");
    dir.write("V4__check.sql", check);
    dir.write("R__leak.sql", leak);
    dir.write("seed/01_check.sql", check);
    dir.write("seed/02_leak.sql", leak);
    dir.write("verify/01_check.sql", check + "SELECT true;\n");
    dir.write("verify/02_leak.sql", "SET ROLE sg_leak_nopriv;\nSELECT true;\n");
    dir.write("verify/03_clean.sql",
              "SELECT current_user = session_user AND current_schema() = 'public' AND "
              "current_setting('statement_timeout') <> '123s';\n");

    const auto r = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(r));
    CHECK(r.exit_code == 0);
    CHECK(q(db, "SELECT to_regclass('public.after_leak') IS NOT NULL") == "t");
    CHECK(q(db,
            "SELECT count(*) FROM public.schemagate_history WHERE success AND installed_by = "
            "current_user") == "7");
    CHECK(all_output(r).find("permission denied") == std::string::npos);

    // The history rows were written by the connecting role; a second run is a no-op.
    const auto again = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(again));
    CHECK(again.exit_code == 0);
    CHECK(all_output(again).find("files_applied=0") != std::string::npos);
    sg::test::exec(db.url(), "DROP SCHEMA IF EXISTS leak_other CASCADE");
}
