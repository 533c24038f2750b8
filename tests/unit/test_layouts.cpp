// The layout readers (golang-migrate, goose, dbmate, Flyway) on the cases those tools document.
#include <map>

#include <doctest/doctest.h>

#include "sidecar/migrate/layout.hpp"
#include "sidecar/migrate/lint.hpp"
#include "sidecar/migrate/placeholders.hpp"
#include "sidecar/migrate/sql_lexer.hpp"

using namespace sg::migrate;

namespace {

LayoutRead read(Format format, const std::string& name, const std::string& text,
                const std::map<std::string, std::string>& env = {}) {
    return reader_for(format).read(name, text, [&env](const std::string& key) {
        const auto it = env.find(key);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
}

std::string problems_of(const LayoutRead& r) {
    std::string out;
    for (const auto& p : r.problems) {
        out += p + "\n";
    }
    return out;
}

std::vector<std::string> statements_of(const std::string& sql) {
    std::vector<std::string> out;
    for (const auto& st : split_statements(sql).statements) {
        out.emplace_back(st.text);
    }
    return out;
}

}  // namespace

TEST_CASE("format names parse case-insensitively; unknown ones do not") {
    CHECK(parse_format("golang-migrate") == Format::kGolangMigrate);
    CHECK(parse_format("GOOSE") == Format::kGoose);
    CHECK(parse_format("Auto") == Format::kAuto);
    CHECK_FALSE(parse_format("liquibase").has_value());
    for (const char* name : {"auto", "schemagate", "flyway", "golang-migrate", "goose", "dbmate"}) {
        CHECK(parse_format(name).has_value());  // every name config accepts
    }
}

TEST_CASE("auto detects each tool's files; unmarked numbered files are nobody's") {
    CHECK(detect_format("V1__init.sql", "CREATE TABLE a();") == Format::kSchemagate);
    CHECK(detect_format("20240101120000_init.up.sql", "x") == Format::kGolangMigrate);
    CHECK(detect_format("1_init.down.sql", "x") == Format::kGolangMigrate);
    CHECK(detect_format("00001_init.sql", "-- +goose Up\nCREATE TABLE a();\n") == Format::kGoose);
    CHECK(detect_format("00001_init.sql", "--  +GOOSE   up\nSELECT 1;\n") == Format::kGoose);
    CHECK(detect_format("20151129054053_init.sql", "-- migrate:up\nSELECT 1;\n") ==
          Format::kDbmate);
    CHECK_FALSE(detect_format("00001_init.sql", "CREATE TABLE a();").has_value());
    CHECK_FALSE(detect_format("init.sql", "-- +goose Up\nSELECT 1;").has_value());
}

TEST_CASE("golang-migrate: timestamp versions, up and down files, outer BEGIN/COMMIT blanked") {
    const auto up = read(Format::kGolangMigrate, "20240102030405_add_users.up.sql",
                         "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n");
    REQUIRE(up.problems.empty());
    REQUIRE(up.migrations.size() == 1);
    const Migration& m = up.migrations[0];
    CHECK(m.type == MigrationType::kVersioned);
    CHECK(m.version->text() == "20240102030405");
    CHECK(m.description == "add users");
    CHECK(m.no_placeholders);
    // The statement keeps its line; the transaction pair is gone, the checksum is of the file.
    CHECK(statements_of(m.sql) == std::vector<std::string>{"CREATE TABLE users (id int)"});
    CHECK(split_statements(m.sql).statements[0].line == 2);
    CHECK(m.sql.size() == std::string("BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n").size());

    const auto down = read(Format::kGolangMigrate, "1_x.down.sql", "DROP TABLE users;");
    REQUIRE(down.migrations.size() == 1);
    CHECK(down.migrations[0].type == MigrationType::kUndo);
    CHECK(down.migrations[0].version->text() == "1");

    // BEGIN ISOLATION LEVEL ... is not a bare wrapper: kept (lint then names it).
    const auto iso = read(Format::kGolangMigrate, "2_y.up.sql",
                          "BEGIN ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nCOMMIT;\n");
    CHECK(statements_of(iso.migrations[0].sql).size() == 3);
    // A COMMIT in the middle is not an outer pair either.
    const auto mid = read(Format::kGolangMigrate, "3_z.up.sql", "SELECT 1;\nCOMMIT;\nSELECT 2;\n");
    CHECK(statements_of(mid.migrations[0].sql).size() == 3);

    CHECK_FALSE(read(Format::kGolangMigrate, "V1__x.sql", "SELECT 1;").problems.empty());
    CHECK(problems_of(read(Format::kGolangMigrate, "99999999999999999999999_x.up.sql", "SELECT 1;"))
              .find("too large") != std::string::npos);
}

TEST_CASE("goose: Up and Down sections keep the file's line numbers") {
    const std::string text =
        "-- a header comment\n"
        "-- +goose Up\n"
        "CREATE TABLE post (id int);\n"
        "\n"
        "-- +goose Down\n"
        "DROP TABLE post;\n";
    const auto r = read(Format::kGoose, "00002_create_post.sql", text);
    REQUIRE_MESSAGE(r.problems.empty(), problems_of(r));
    REQUIRE(r.migrations.size() == 2);
    const Migration& up = r.migrations[0];
    const Migration& down = r.migrations[1];
    CHECK(up.type == MigrationType::kVersioned);
    CHECK(up.version->text() == "2");
    CHECK(up.description == "create post");
    CHECK(statements_of(up.sql) == std::vector<std::string>{"CREATE TABLE post (id int)"});
    CHECK(split_statements(up.sql).statements[0].line == 3);
    CHECK(down.type == MigrationType::kUndo);
    CHECK(statements_of(down.sql) == std::vector<std::string>{"DROP TABLE post"});
    CHECK(split_statements(down.sql).statements[0].line == 6);
    // Editing the Down section is not a change of what was applied.
    const auto edited = read(Format::kGoose, "00002_create_post.sql", text + "-- more\n");
    CHECK(edited.migrations[0].checksum == up.checksum);
}

TEST_CASE("goose: StatementBegin/End around dollar quoting, checked in pairs") {
    const std::string text =
        "-- +goose Up\n"
        "-- +goose StatementBegin\n"
        "CREATE FUNCTION f() RETURNS trigger AS $$\n"
        "BEGIN\n"
        "  NEW.updated = now(); RETURN NEW;\n"
        "END;\n"
        "$$ LANGUAGE plpgsql;\n"
        "-- +goose StatementEnd\n"
        "SELECT 1;\n"
        "-- +goose Down\n"
        "DROP FUNCTION f();\n";
    const auto r = read(Format::kGoose, "3_fn.sql", text);
    REQUIRE_MESSAGE(r.problems.empty(), problems_of(r));
    const auto statements = statements_of(r.migrations[0].sql);
    REQUIRE(statements.size() == 2);
    CHECK(statements[0].starts_with("CREATE FUNCTION f()"));
    CHECK(statements[0].ends_with("LANGUAGE plpgsql"));

    CHECK(problems_of(read(Format::kGoose, "4_a.sql",
                           "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n"))
              .find("line 2: StatementBegin has no StatementEnd") != std::string::npos);
    CHECK(problems_of(
              read(Format::kGoose, "4_a.sql", "-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n"))
              .find("line 3: StatementEnd without a StatementBegin") != std::string::npos);
    CHECK(problems_of(read(Format::kGoose, "4_a.sql",
                           "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose Down\n"))
              .find("line 4: -- +goose down inside the StatementBegin block") != std::string::npos);
}

TEST_CASE("goose: NO TRANSACTION, unknown annotations, SQL before Up, no Up at all") {
    const auto r = read(Format::kGoose, "5_idx.sql",
                        "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON "
                        "t (a);\n-- +goose Down\nDROP INDEX CONCURRENTLY i;\n");
    REQUIRE_MESSAGE(r.problems.empty(), problems_of(r));
    CHECK(r.migrations[0].no_transaction);
    CHECK(r.migrations[1].no_transaction);
    // lint accepts CONCURRENTLY there and prepares it statement by statement.
    const auto prepared = prepare(r.migrations[0], {});
    REQUIRE(std::holds_alternative<Prepared>(prepared));
    CHECK(std::get<Prepared>(prepared).no_transaction);

    CHECK(problems_of(read(Format::kGoose, "6_a.sql", "-- +goose Up\n-- +goose NoTx\nSELECT 1;\n"))
              .find("line 2: unknown goose annotation \"+goose notx\"") != std::string::npos);
    CHECK(problems_of(read(Format::kGoose, "6_a.sql", "SELECT 0;\n-- +goose Up\nSELECT 1;\n"))
              .find("line 1: SQL before -- +goose Up") != std::string::npos);
    CHECK(problems_of(read(Format::kGoose, "6_a.sql", "SELECT 1;\n"))
              .find("has no -- +goose Up line") != std::string::npos);
    CHECK(problems_of(read(Format::kGoose, "6_a.sql", "-- +goose Up\n-- nothing\n"))
              .find("Up section holds no SQL") != std::string::npos);
    CHECK(problems_of(read(Format::kGoose, "6_a.sql",
                           "-- +goose Down\nSELECT 2;\n-- +goose Up\nSELECT 1;\n"))
              .find("line 1: -- +goose Down before -- +goose Up") != std::string::npos);
}

TEST_CASE("goose: ENVSUB substitutes ${VAR} forms between ON and OFF only") {
    const std::string text =
        "-- +goose Up\n"
        "-- +goose ENVSUB ON\n"
        "CREATE ROLE ${APP_ROLE};\n"
        "SELECT '${MISSING:-fallback}', '${EMPTY:-dflt}', '${EMPTY-kept}';\n"
        "-- +goose ENVSUB OFF\n"
        "SELECT '${APP_ROLE}';\n";
    const auto r = read(Format::kGoose, "7_env.sql", text, {{"APP_ROLE", "reader"}, {"EMPTY", ""}});
    REQUIRE_MESSAGE(r.problems.empty(), problems_of(r));
    const auto statements = statements_of(r.migrations[0].sql);
    REQUIRE(statements.size() == 3);
    CHECK(statements[0] == "CREATE ROLE reader");
    CHECK(statements[1] == "SELECT 'fallback', 'dflt', ''");
    CHECK(statements[2] == "SELECT '${APP_ROLE}'");
    // The checksum is of the file, so a different environment is not drift.
    const auto other =
        read(Format::kGoose, "7_env.sql", text, {{"APP_ROLE", "writer"}, {"EMPTY", ""}});
    CHECK(other.migrations[0].checksum == r.migrations[0].checksum);
    CHECK(problems_of(read(Format::kGoose, "7_env.sql", text, {{"EMPTY", ""}}))
              .find("line 3: ${APP_ROLE} is not set in the environment") != std::string::npos);
}

TEST_CASE("dbmate: migrate:up / migrate:down with transaction:false, timestamp versions") {
    const std::string text =
        "-- migrate:up transaction:false\n"
        "CREATE INDEX CONCURRENTLY users_email ON users (email);\n"
        "\n"
        "-- migrate:down\n"
        "DROP INDEX users_email;\n";
    const auto r = read(Format::kDbmate, "20151129054053_add_index.sql", text);
    REQUIRE_MESSAGE(r.problems.empty(), problems_of(r));
    REQUIRE(r.migrations.size() == 2);
    CHECK(r.migrations[0].version->text() == "20151129054053");
    CHECK(r.migrations[0].description == "add index");
    CHECK(r.migrations[0].no_transaction);
    CHECK_FALSE(r.migrations[1].no_transaction);
    CHECK(split_statements(r.migrations[1].sql).statements[0].line == 5);

    const auto no_down =
        read(Format::kDbmate, "20151129054054_x.sql", "-- migrate:up\nSELECT 1;\n");
    CHECK(no_down.migrations.size() == 1);
    CHECK(problems_of(
              read(Format::kDbmate, "1_x.sql", "-- migrate:up transaction:maybe\nSELECT 1;\n"))
              .find("unknown dbmate option \"transaction:maybe\"") != std::string::npos);
    CHECK(problems_of(read(Format::kDbmate, "1_x.sql", "SELECT 1;\n"))
              .find("has no -- migrate:up line") != std::string::npos);
    // "-- migrate:upgrade" is a comment, not a marker.
    CHECK(problems_of(read(Format::kDbmate, "1_x.sql", "-- migrate:upgrade\nSELECT 1;\n"))
              .find("has no -- migrate:up line") != std::string::npos);
}

TEST_CASE("flyway: V/U/R as schemagate; B files refused with the way out; flyway placeholders") {
    const auto v = read(Format::kFlyway, "V1__init.sql", "SELECT '${flyway:defaultSchema}';");
    REQUIRE(v.migrations.size() == 1);
    CHECK(problems_of(read(Format::kFlyway, "B5__base.sql", "SELECT 1;"))
              .find("Flyway baseline migration (B file)") != std::string::npos);
    Placeholders values{{"service", "s"}};
    add_flyway_placeholders(values, {"app", "alice", "db1", "2026-01-01 00:00:00", "/w"});
    Migration m = v.migrations[0];
    m.sql =
        "SELECT '${flyway:defaultSchema}', '${FLYWAY:user}', '${flyway:database}', "
        "'${flyway:filename}';";
    const auto prepared = prepare(m, values);
    REQUIRE(std::holds_alternative<Prepared>(prepared));
    CHECK(std::get<Prepared>(prepared).text == "SELECT 'app', 'alice', 'db1', 'V1__init.sql';");
    m.sql = "SELECT '${flyway:nope}';";
    const auto bad = prepare(m, values);
    REQUIRE(std::holds_alternative<std::string>(bad));
    CHECK(std::get<std::string>(bad).find("unknown placeholder ${flyway:nope}") !=
          std::string::npos);
}

TEST_CASE("new files in each layout are read back by the same layout") {
    for (const Format f :
         {Format::kSchemagate, Format::kGolangMigrate, Format::kGoose, Format::kDbmate}) {
        CAPTURE(std::string(to_string(f)));
        const auto files = reader_for(f).new_files("00007", "add_orders", "add orders");
        REQUIRE_FALSE(files.empty());
        for (const auto& nf : files) {
            CHECK(detect_format(nf.name, nf.text + "SELECT 1;\n") == f);
        }
        // Once the SQL is written, the migration reads with version 7.
        std::string text = files.front().text;
        const std::string marker = f == Format::kGoose    ? "-- +goose Up\n"
                                   : f == Format::kDbmate ? "-- migrate:up\n"
                                                          : "\n";
        REQUIRE(text.find(marker) != std::string::npos);
        text.insert(text.find(marker) + marker.size(), "SELECT 1;\n");
        const auto r = reader_for(f).read(files.front().name, text, {});
        REQUIRE_FALSE(r.migrations.empty());
        CHECK(r.migrations.front().version->text() == "7");
    }
}
