// Adopting a project from another tool: dbmate and a Flyway-compatible tool (pg-flyway) migrate a
// database for real first, then schemagate takes the history over; golang-migrate's and goose's
// history tables are written exactly as those tools write them (the tools are not packaged here).
// After the takeover nothing already applied runs again (each old file fails if it does), new
// files apply, undo works from the down sections, and a second run is a no-op.
#include <cstdlib>
#include <map>
#include <string>

#include <doctest/doctest.h>

#include "tests/integration/fixture.hpp"

using sg::test::TempDatabase;
using sg::test::TempDir;

namespace {

std::map<std::string, std::string> env_for(const TempDatabase& db, const TempDir& dir,
                                           const std::string& format = "auto") {
    return {{"DATABASE_URL", db.url()},
            {"SCHEMAGATE_SERVICE", "orders"},
            {"SCHEMAGATE_MIGRATIONS", dir.path().string()},
            {"SCHEMAGATE_FORMAT", format},
            {"DB_INIT_MAX_RETRIES", "3"},
            {"DB_INIT_INITIAL_DELAY", "50ms"}};
}

std::string q(const TempDatabase& db, const std::string& sql) {
    return sg::test::query_value(db.url(), sql);
}

std::string all_output(const sg::test::ProcessResult& r) {
    return r.out + r.err;
}

// A peer tool's path from tests/adopt/tools (tests/run sets it); FAILs the test when unset.
std::string peer(const char* variable) {
    const char* value = std::getenv(variable);  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr || *value == '\0') {
        FAIL(std::string(variable)
             << " is not set: run the tests through tests/run, which installs the peer "
                "tools (tests/adopt/tools)");
    }
    return value;
}

std::string taken_over_by(const TempDatabase& db) {
    return q(db,
             "SELECT string_agg(coalesce(version, '-') || ':' || installed_by, ',' ORDER BY rank) "
             "FROM public.schemagate_history WHERE type = 'baseline'");
}

}  // namespace

TEST_CASE("dbmate: the real tool migrates, schemagate takes over, applies the new, undoes") {
    TempDatabase db;
    TempDir dir;
    // Plain CREATE TABLE: running either file again fails.
    dir.write("20240101000001_create_users.sql",
              "-- migrate:up\nCREATE TABLE users (id int PRIMARY KEY);\n\n-- migrate:down\nDROP "
              "TABLE users;\n");
    dir.write("20240101000002_add_email.sql",
              "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_email ON users "
              "(id);\n\n-- migrate:down\nDROP INDEX users_email;\n");
    const std::string url =
        db.url() + (db.url().find('?') == std::string::npos ? "?" : "&") + "sslmode=disable";
    const auto dbmate =
        sg::test::run({peer("SCHEMAGATE_TEST_DBMATE"), "--url", url, "--migrations-dir",
                       dir.path().string(), "--no-dump-schema", "migrate"});
    INFO(all_output(dbmate));
    REQUIRE(dbmate.exit_code == 0);
    REQUIRE(q(db, "SELECT count(*) FROM schema_migrations") == "2");

    // Before the first run, status shows what will be taken over.
    const auto before = sg::test::run_schemagate({"status"}, env_for(db, dir));
    INFO(all_output(before));
    CHECK(before.exit_code == 0);
    CHECK(before.out.find("baselined (from dbmate)") != std::string::npos);
    CHECK(before.out.find("written by the next migrate") != std::string::npos);
    const auto plan = sg::test::run_schemagate({"plan"}, env_for(db, dir));
    INFO(all_output(plan));
    CHECK(plan.exit_code == 0);
    CHECK(plan.out.find("taken over from dbmate by the next migrate") != std::string::npos);

    dir.write("20240101000003_add_orders.sql",
              "-- migrate:up\nCREATE TABLE orders (id int, user_id int REFERENCES users);\n"
              "-- migrate:down\nDROP TABLE orders;\n");
    const auto first = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(first));
    REQUIRE(first.exit_code == 0);
    CHECK(all_output(first).find("took over the history of dbmate") != std::string::npos);
    CHECK(taken_over_by(db) == "20240101000001:dbmate,20240101000002:dbmate");
    CHECK(q(db, "SELECT count(*) FROM public.schemagate_history WHERE type = 'versioned'") == "1");
    CHECK(q(db, "SELECT to_regclass('public.orders') IS NOT NULL") == "t");
    CHECK(q(db, "SELECT count(*) FROM schema_migrations") == "2");  // left as it was

    const auto second = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(second));
    CHECK(second.exit_code == 0);
    CHECK(all_output(second).find("files_applied=0") != std::string::npos);

    const auto status = sg::test::run_schemagate({"status"}, env_for(db, dir));
    CHECK(status.out.find("baselined (from dbmate)") != std::string::npos);
    CHECK(status.out.find("written by the next migrate") == std::string::npos);

    // Undo runs the down sections: first the new file, then a taken-over one.
    REQUIRE(
        sg::test::run_schemagate({"undo", "--to", "20240101000001"}, env_for(db, dir)).exit_code ==
        0);
    CHECK(q(db,
            "SELECT to_regclass('public.orders') IS NULL AND to_regclass('public.users_email') "
            "IS NULL") == "t");
    // And migrate brings them back.
    const auto again = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(again));
    CHECK(again.exit_code == 0);
    CHECK(q(db, "SELECT to_regclass('public.users_email') IS NOT NULL") == "t");
}

TEST_CASE("flyway: a Flyway history written by pg-flyway is taken over, checksums checked") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__create_users.sql", "CREATE TABLE users (id int PRIMARY KEY);\n");
    dir.write("V2__add_email.sql", "ALTER TABLE users ADD COLUMN email text;\n");
    // Runs again only when changed; counts its runs.
    dir.write("R__runs.sql",
              "CREATE TABLE IF NOT EXISTS r_runs (n int);\nINSERT INTO r_runs VALUES (1);\n");
    const std::string url = db.url();
    const auto flyway = sg::test::run({"node", peer("SCHEMAGATE_TEST_PGFLYWAY"), "migrate",
                                       "--database-url=" + url + "?schema=public",
                                       "--locations=" + dir.path().string(),
                                       "--history-table=flyway_schema_history"});
    INFO(all_output(flyway));
    REQUIRE(flyway.exit_code == 0);
    REQUIRE(q(db, "SELECT count(*) FROM flyway_schema_history WHERE success") == "3");
    REQUIRE(q(db, "SELECT count(*) FROM r_runs") == "1");

    dir.write("V3__orders.sql",
              "CREATE TABLE orders (id int, owner text DEFAULT "
              "'${flyway:user}');\n");
    const auto first = sg::test::run_schemagate({"migrate"}, env_for(db, dir, "flyway"));
    INFO(all_output(first));
    REQUIRE(first.exit_code == 0);
    CHECK(taken_over_by(db) == "1:flyway,2:flyway,-:flyway");
    CHECK(q(db, "SELECT count(*) FROM r_runs") == "1");  // the unchanged repeatable did not rerun
    CHECK(q(db,
            "SELECT column_default FROM information_schema.columns WHERE table_name = "
            "'orders' AND column_name = 'owner'") == "'postgres'::text");
    CHECK(sg::test::run_schemagate({"migrate"}, env_for(db, dir, "flyway")).exit_code == 0);
    CHECK(q(db, "SELECT count(*) FROM r_runs") == "1");
}

TEST_CASE("flyway: a file changed after Flyway applied it, or a failed row, is refused") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__create_users.sql", "CREATE TABLE users (id int PRIMARY KEY);\n");
    const auto flyway = sg::test::run({"node", peer("SCHEMAGATE_TEST_PGFLYWAY"), "migrate",
                                       "--database-url=" + db.url() + "?schema=public",
                                       "--locations=" + dir.path().string(),
                                       "--history-table=flyway_schema_history"});
    INFO(all_output(flyway));
    REQUIRE(flyway.exit_code == 0);
    dir.write("V1__create_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\n");
    const auto changed = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(changed));
    CHECK(changed.exit_code == 4);
    CHECK(all_output(changed).find("V1__create_users.sql changed after Flyway applied it") !=
          std::string::npos);
    CHECK(q(db, "SELECT to_regclass('public.schemagate_history') IS NULL") == "t");

    dir.write("V1__create_users.sql", "CREATE TABLE users (id int PRIMARY KEY);\n");
    sg::test::exec(db.url(), "UPDATE flyway_schema_history SET success = false");
    const auto failed = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(failed));
    CHECK(failed.exit_code == 4);
    CHECK(all_output(failed).find("version 1 failed when Flyway ran it") != std::string::npos);
    CHECK(q(db, "SELECT to_regclass('public.schemagate_history') IS NULL") == "t");
}

TEST_CASE("golang-migrate: schema_migrations(version, dirty) is taken over; dirty is refused") {
    TempDatabase db;
    TempDir dir;
    dir.write("1_create_users.up.sql",
              "BEGIN;\nCREATE TABLE users (id int PRIMARY KEY);\nCOMMIT;\n");
    dir.write("1_create_users.down.sql", "DROP TABLE users;\n");
    dir.write("2_add_email.up.sql", "ALTER TABLE users ADD COLUMN email text;\n");
    dir.write("2_add_email.down.sql", "ALTER TABLE users DROP COLUMN email;\n");
    // What golang-migrate's postgres driver creates and leaves after `migrate up` to version 2.
    sg::test::exec(db.url(),
                   "CREATE TABLE users (id int PRIMARY KEY); ALTER TABLE users ADD COLUMN email "
                   "text; CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, "
                   "dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (2, true)");
    const auto dirty = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(dirty));
    CHECK(dirty.exit_code == 4);
    CHECK(all_output(dirty).find("version 2 is dirty") != std::string::npos);
    CHECK(all_output(dirty).find("migrate force 2") != std::string::npos);

    sg::test::exec(db.url(), "UPDATE schema_migrations SET dirty = false");
    dir.write("3_orders.up.sql", "CREATE TABLE orders (id int);\n");
    dir.write("3_orders.down.sql", "DROP TABLE orders;\n");
    const auto first = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(first));
    REQUIRE(first.exit_code == 0);
    CHECK(taken_over_by(db) == "1:golang-migrate,2:golang-migrate");
    CHECK(q(db, "SELECT to_regclass('public.orders') IS NOT NULL") == "t");
    CHECK(q(db, "SELECT version || ':' || dirty FROM schema_migrations") == "2:false");
    CHECK(all_output(sg::test::run_schemagate({"migrate"}, env_for(db, dir)))
              .find("files_applied=0") != std::string::npos);
    REQUIRE(sg::test::run_schemagate({"undo", "--to", "1"}, env_for(db, dir)).exit_code == 0);
    CHECK(q(db, "SELECT to_regclass('public.orders') IS NULL") == "t");
    CHECK(q(db,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND "
            "column_name = 'email'") == "0");
}

TEST_CASE("goose: goose_db_version's latest row per version decides; the rolled-back one runs") {
    TempDatabase db;
    TempDir dir;
    dir.write("00001_create_users.sql",
              "-- +goose Up\nCREATE TABLE users (id int PRIMARY KEY);\n-- +goose Down\nDROP TABLE "
              "users;\n");
    dir.write("00002_touch.sql",
              "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION touch() RETURNS int AS $$\n"
              "BEGIN\n  RETURN 1;\nEND;\n$$ LANGUAGE plpgsql;\n-- +goose StatementEnd\n"
              "-- +goose Down\nDROP FUNCTION touch();\n");
    dir.write("00003_orders.sql",
              "-- +goose Up\nCREATE TABLE orders (id int);\n-- +goose Down\nDROP TABLE orders;\n");
    // goose up to 3, then goose down once: version 3's latest row is is_applied = false.
    sg::test::exec(db.url(),
                   "CREATE TABLE users (id int PRIMARY KEY); CREATE FUNCTION touch() RETURNS int "
                   "AS 'SELECT 1' LANGUAGE sql; CREATE TABLE goose_db_version (id serial NOT NULL, "
                   "version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp "
                   "NULL default now(), PRIMARY KEY(id)); INSERT INTO goose_db_version "
                   "(version_id, is_applied) VALUES (0, true), (1, true), (2, true), (3, true), "
                   "(3, false)");
    const auto first = sg::test::run_schemagate({"migrate"}, env_for(db, dir, "goose"));
    INFO(all_output(first));
    REQUIRE(first.exit_code == 0);
    CHECK(taken_over_by(db) == "1:goose,2:goose");
    CHECK(q(db, "SELECT version FROM public.schemagate_history WHERE type = 'versioned'") == "3");
    CHECK(q(db, "SELECT to_regclass('public.orders') IS NOT NULL") == "t");
}

TEST_CASE("takeover refuses a version without a file and two tools' histories at once") {
    TempDatabase db;
    TempDir dir;
    dir.write("20240101000001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
    sg::test::exec(db.url(),
                   "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY); INSERT INTO "
                   "schema_migrations VALUES ('20240101000001'), ('20240101000002')");
    const auto missing = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(missing));
    CHECK(missing.exit_code == 4);
    CHECK(all_output(missing).find("records version 20240101000002 as applied by dbmate, but no "
                                   "file") != std::string::npos);
    const auto plan = sg::test::run_schemagate({"plan"}, env_for(db, dir));
    CHECK(plan.exit_code == 4);
    CHECK(all_output(plan).find("the next migrate refuses to run") != std::string::npos);
    const auto validate = sg::test::run_schemagate({"validate"}, env_for(db, dir));
    CHECK(validate.exit_code == 4);
    CHECK(all_output(validate).find("records version 20240101000002") != std::string::npos);
    CHECK(q(db,
            "SELECT to_regclass('public.a') IS NULL AND to_regclass('public.schemagate_history')"
            " IS NULL") == "t");

    sg::test::exec(db.url(),
                   "DELETE FROM schema_migrations WHERE version = '20240101000002'; "
                   "CREATE TABLE goose_db_version (id serial, version_id bigint, "
                   "is_applied boolean, tstamp timestamp)");
    const auto two = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(two));
    CHECK(two.exit_code == 4);
    CHECK(all_output(two).find("holds the histories of two tools") != std::string::npos);
}

TEST_CASE("baseline: versions up to V count as applied and never run; only on an empty history") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    dir.write("V2__b.sql", "CREATE TABLE b (id int);\n");
    dir.write("V3__c.sql", "CREATE TABLE c (id int);\n");
    sg::test::exec(db.url(), "CREATE TABLE a (id int); CREATE TABLE b (id int)");
    const auto base = sg::test::run_schemagate(
        {"baseline", "--version", "2", "--description", "objects made by hand"}, env_for(db, dir));
    INFO(all_output(base));
    REQUIRE(base.exit_code == 0);
    CHECK(all_output(base).find("files_counted_as_applied=2") != std::string::npos);
    CHECK(q(db,
            "SELECT version || ' ' || description || ' ' || script FROM "
            "public.schemagate_history") == "2 objects made by hand << baseline >>");
    const auto again = sg::test::run_schemagate({"baseline", "--version", "3"}, env_for(db, dir));
    INFO(all_output(again));
    CHECK(again.exit_code == 4);
    CHECK(all_output(again).find("a baseline is only for a database without history") !=
          std::string::npos);
    const auto migrate = sg::test::run_schemagate({"migrate"}, env_for(db, dir));
    INFO(all_output(migrate));
    REQUIRE(migrate.exit_code == 0);
    CHECK(q(db,
            "SELECT string_agg(version, ',' ORDER BY rank) FROM public.schemagate_history "
            "WHERE type = 'versioned'") == "3");
    CHECK(sg::test::run_schemagate({"baseline", "--version", "x"}, env_for(db, dir)).exit_code ==
          2);

    TempDatabase other;
    sg::test::exec(other.url(),
                   "CREATE TABLE goose_db_version (id serial, version_id bigint, "
                   "is_applied boolean, tstamp timestamp)");
    const auto goose =
        sg::test::run_schemagate({"baseline", "--version", "1"}, env_for(other, dir));
    CHECK(goose.exit_code == 4);
    CHECK(all_output(goose).find("takes it over on its first run") != std::string::npos);
}
