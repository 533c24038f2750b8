// Taking over another tool's history: what counts as applied, what is refused.
#include <doctest/doctest.h>

#include "sidecar/migrate/checksum.hpp"
#include "sidecar/migrate/takeover.hpp"

using namespace sg::migrate;

namespace {

Migration versioned(const std::string& version, const std::string& script,
                    const std::string& sql = "SELECT 1;\n") {
    Migration m;
    m.type = MigrationType::kVersioned;
    m.version = Version::parse(version);
    m.description = script;
    m.script = script;
    m.sql = sql;
    m.checksum = sha256_hex(sql);
    return m;
}

MigrationSet files_of(std::vector<Migration> versioned_files,
                      std::vector<Migration> repeatable = {}) {
    MigrationSet s;
    s.versioned = std::move(versioned_files);
    s.repeatable = std::move(repeatable);
    return s;
}

ForeignRow row(std::int64_t rank, std::optional<std::string> version, bool success = true) {
    ForeignRow r;
    r.rank = rank;
    r.version = std::move(version);
    r.success = success;
    r.type = "SQL";
    return r;
}

std::string versions(const Takeover& t) {
    std::string out;
    for (const auto& r : t.rows) {
        out += (out.empty() ? "" : ",") + r.version.value_or("-") +
               (r.script == kBaselineScript ? "<" : "");
    }
    return out;
}

}  // namespace

TEST_CASE("flyway_checksum is Flyway's CRC-32 over the lines without their breaks") {
    CHECK(flyway_checksum("CREATE TABLE users (id int PRIMARY KEY);\n") == -2134990597);
    CHECK(flyway_checksum("line1\nline2\n") == -2086620103);
    CHECK(flyway_checksum("line1\r\nline2") == -2086620103);
    CHECK(flyway_checksum("\xEF\xBB\xBFline1\nline2") == -2086620103);
    CHECK(flyway_checksum("") == 0);
}

TEST_CASE("tables name their tools; schema_migrations by its dirty column") {
    CHECK(tool_of_table("flyway_schema_history", false) == Tool::kFlyway);
    CHECK(tool_of_table("goose_db_version", false) == Tool::kGoose);
    CHECK(tool_of_table("schema_migrations", true) == Tool::kGolangMigrate);
    CHECK(tool_of_table("schema_migrations", false) == Tool::kDbmate);
    CHECK_FALSE(tool_of_table("migrations", false).has_value());
}

TEST_CASE("golang-migrate: every file up to the current version; dirty and missing refused") {
    const auto files = files_of(
        {versioned("1", "1_a.up.sql"), versioned("2", "2_b.up.sql"), versioned("3", "3_c.up.sql")});
    const auto t = plan_takeover(Tool::kGolangMigrate, "schema_migrations", {row(0, "2")}, files);
    REQUIRE(t.ok());
    CHECK(versions(t) == "1,2");
    CHECK(t.rows[0].installed_by == "golang-migrate");
    CHECK(t.rows[0].type == "baseline");
    CHECK(t.rows[0].checksum == files.versioned[0].checksum);

    auto dirty = row(0, "2");
    dirty.dirty = true;
    const auto refused = plan_takeover(Tool::kGolangMigrate, "schema_migrations", {dirty}, files);
    CHECK(refused.problem.find("version 2 is dirty") != std::string::npos);
    CHECK(refused.rows.empty());
    CHECK(plan_takeover(Tool::kGolangMigrate, "schema_migrations", {row(0, "9")}, files)
              .problem.find("records version 9 as applied") != std::string::npos);
    CHECK(plan_takeover(Tool::kGolangMigrate, "schema_migrations", {}, files).rows.empty());
    CHECK(plan_takeover(Tool::kGolangMigrate, "schema_migrations", {row(0, "-1")}, files).ok());
}

TEST_CASE("goose: the latest row of each version decides; version 0 is goose's own") {
    const auto files = files_of({versioned("1", "00001_a.sql"), versioned("2", "00002_b.sql"),
                                 versioned("3", "00003_c.sql")});
    const auto t = plan_takeover(Tool::kGoose, "goose_db_version",
                                 {row(1, "0"), row(2, "1"), row(3, "2"), row(4, "3"),
                                  row(5, "3", false), row(6, "2", false), row(7, "2")},
                                 files);
    REQUIRE(t.ok());
    CHECK(versions(t) == "1,2");
}

TEST_CASE("dbmate: each listed version, which must have its file") {
    const auto files = files_of({versioned("20240101000001", "20240101000001_a.sql")});
    CHECK(versions(plan_takeover(Tool::kDbmate, "schema_migrations", {row(0, "20240101000001")},
                                 files)) == "20240101000001");
    CHECK_FALSE(plan_takeover(Tool::kDbmate, "schema_migrations",
                              {row(0, "20240101000001"), row(0, "20240101000002")}, files)
                    .ok());
}

TEST_CASE("flyway: baselines, undo, failed rows, checksums and repeatables") {
    auto v1 = versioned("1", "V1__a.sql", "CREATE TABLE a (id int);\n");
    auto v2 = versioned("2", "V2__b.sql", "CREATE TABLE b (id int);\n");
    auto v3 = versioned("3", "V3__c.sql", "CREATE TABLE c (id int);\n");
    Migration r = versioned("1", "R__v.sql", "CREATE OR REPLACE VIEW v AS SELECT 1;\n");
    r.type = MigrationType::kRepeatable;
    r.version.reset();
    const auto files = files_of({v1, v2, v3}, {r});

    auto base = row(1, "1");
    base.type = "BASELINE";
    base.script = "<< Flyway Baseline >>";
    auto schema = row(0, "0");
    schema.type = "SCHEMA";
    auto two = row(2, "2");
    two.checksum = flyway_checksum(v2.sql);
    auto three = row(3, "3");
    auto undo3 = row(4, "3");
    undo3.type = "UNDO_SQL";
    auto rep = row(5, std::nullopt);
    rep.script = "R__v.sql";
    rep.checksum = flyway_checksum(r.sql);
    const auto t = plan_takeover(Tool::kFlyway, "flyway_schema_history",
                                 {schema, base, two, three, undo3, rep}, files);
    REQUIRE_MESSAGE(t.ok(), t.problem);
    CHECK(versions(t) == "1<,2,-");  // the baseline, V2, the unchanged repeatable; V3 undone

    auto changed = two;
    changed.checksum = 12345;
    CHECK(plan_takeover(Tool::kFlyway, "flyway_schema_history", {changed}, files)
              .problem.find("V2__b.sql changed after Flyway applied it") != std::string::npos);
    auto failed = two;
    failed.success = false;
    CHECK(plan_takeover(Tool::kFlyway, "flyway_schema_history", {failed}, files)
              .problem.find("version 2 failed when Flyway ran it") != std::string::npos);
    auto rep_changed = rep;
    rep_changed.checksum = 1;
    CHECK(versions(plan_takeover(Tool::kFlyway, "flyway_schema_history", {rep_changed}, files))
              .empty());  // it runs again, as Flyway would
}
