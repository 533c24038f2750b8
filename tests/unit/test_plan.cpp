#include <doctest/doctest.h>

#include "sidecar/migrate/checksum.hpp"
#include "sidecar/migrate/plan.hpp"

using namespace sg::migrate;

namespace {

Migration file(const char* name, const char* sql = "SELECT 1;") {
    Migration m;
    const auto parsed = std::get<FileName>(parse_file_name(name));
    m.type = parsed.kind == FileKind::kVersioned ? MigrationType::kVersioned
             : parsed.kind == FileKind::kUndo    ? MigrationType::kUndo
                                                 : MigrationType::kRepeatable;
    m.version = parsed.version;
    m.description = parsed.description;
    m.script = name;
    m.sql = sql;
    m.checksum = sha256_hex(sql);
    return m;
}

Migration seed(const char* script, const char* sql = "INSERT 1;") {
    Migration m;
    m.type = MigrationType::kSeed;
    m.script = script;
    m.description = script;
    m.sql = sql;
    m.checksum = sha256_hex(sql);
    return m;
}

int next_rank = 1;

HistoryRow row(const Migration& m, bool success = true, const char* type = nullptr) {
    HistoryRow r;
    r.rank = next_rank++;
    if (m.version) {
        r.version = m.version->text();
    }
    r.description = m.description;
    r.type = type != nullptr ? type : to_string(m.type);
    r.script = m.script;
    r.checksum = m.checksum;
    r.success = success;
    return r;
}

MigrationSet set_of(std::vector<Migration> versioned, std::vector<Migration> repeatable = {},
                    std::vector<Migration> seeds = {}, std::vector<Migration> undo = {}) {
    MigrationSet s;
    s.versioned = std::move(versioned);
    s.repeatable = std::move(repeatable);
    s.seed = std::move(seeds);
    s.undo = std::move(undo);
    return s;
}

std::vector<std::string> scripts(const std::vector<Step>& steps) {
    std::vector<std::string> out;
    for (const auto& s : steps) {
        out.push_back(s.migration->script);
    }
    return out;
}

}  // namespace

TEST_CASE("empty history: everything pending in version order") {
    const auto s =
        set_of({file("V1__a.sql"), file("V1.1__b.sql"), file("V2__c.sql"), file("V10__d.sql")},
               {file("R__views.sql")}, {seed("seed/01_users.sql")});
    const Plan p = make_plan(s, {});
    CHECK(scripts(p.versioned) ==
          std::vector<std::string>{"V1__a.sql", "V1.1__b.sql", "V2__c.sql", "V10__d.sql"});
    CHECK(scripts(p.repeatable) == std::vector<std::string>{"R__views.sql"});
    CHECK(scripts(p.seed) == std::vector<std::string>{"seed/01_users.sql"});
    CHECK(p.current_version.empty());
    CHECK(p.pending() == 4);
    CHECK(p.has_work());
}

TEST_CASE("everything applied: no work") {
    const auto s =
        set_of({file("V1__a.sql"), file("V2__b.sql")}, {file("R__v.sql")}, {seed("seed/01_x.sql")});
    const std::vector<HistoryRow> h{row(s.versioned[0]), row(s.versioned[1]), row(s.repeatable[0]),
                                    row(s.seed[0])};
    const Plan p = make_plan(s, h);
    CHECK_FALSE(p.has_work());
    CHECK(p.current_version == "2");
    CHECK(p.applied == 2);
    CHECK(p.drift.empty());
}

TEST_CASE("drift of an applied versioned file; changed repeatables and seeds re-run") {
    auto v1 = file("V1__a.sql", "CREATE TABLE a();");
    auto r = file("R__v.sql", "CREATE VIEW v AS SELECT 1;");
    auto sd = seed("seed/01_x.sql", "INSERT INTO a VALUES (1);");
    std::vector<HistoryRow> h{row(v1), row(r), row(sd)};
    v1.sql = "CREATE TABLE a(id int);";
    v1.checksum = sha256_hex(v1.sql);
    r.checksum = sha256_hex("changed");
    sd.checksum = sha256_hex("changed too");
    const auto s = set_of({v1}, {r}, {sd});
    const Plan p = make_plan(s, h);
    REQUIRE(p.drift.size() == 1);
    CHECK(p.drift[0].migration->script == "V1__a.sql");
    CHECK(p.drift[0].recorded_checksum == sha256_hex("CREATE TABLE a();"));
    CHECK(scripts(p.repeatable) == std::vector<std::string>{"R__v.sql"});
    CHECK(scripts(p.seed) == std::vector<std::string>{"seed/01_x.sql"});
}

TEST_CASE("failed versioned file is retried; interrupted no-transaction file resumes") {
    const auto s = set_of({file("V1__a.sql"), file("V2__b.sql")});
    auto failed = row(s.versioned[1], false);
    failed.statements_done = 2;
    const Plan p = make_plan(s, {row(s.versioned[0]), failed});
    REQUIRE(p.versioned.size() == 1);
    CHECK(p.versioned[0].retry);
    CHECK(p.versioned[0].resume_at == 2);
    CHECK(p.failed == 1);
    CHECK(p.current_version == "1");
}

TEST_CASE("out-of-order pending versions are planned and flagged") {
    const auto s = set_of({file("V1__a.sql"), file("V1.5__late.sql"), file("V2__b.sql")});
    const Plan p = make_plan(s, {row(s.versioned[0]), row(s.versioned[2])});
    CHECK(scripts(p.versioned) == std::vector<std::string>{"V1.5__late.sql"});
    CHECK(p.out_of_order == std::vector<std::string>{"V1.5__late.sql"});
    CHECK(sg::migrate::out_of_order_problem(p) ==
          "V1.5__late.sql is below the latest applied version 2: it was added out of order "
          "(merged from another branch?); give it a version above 2, or set "
          "SCHEMAGATE_OUT_OF_ORDER=allow to apply it where it is");
    CHECK(sg::migrate::out_of_order_problem(make_plan(s, {})).empty());
}

TEST_CASE("--target keeps versions up to it; repeatables and seeds wait for the rest") {
    const auto s = set_of({file("V1__a.sql"), file("V2__b.sql"), file("V3__c.sql")},
                          {file("R__v.sql")}, {seed("seed/01_x.sql")});
    Plan p = make_plan(s, {row(s.versioned[0])});
    CHECK(sg::migrate::limit_to_target(p, *Version::parse("2")) == 1);
    CHECK(scripts(p.versioned) == std::vector<std::string>{"V2__b.sql"});
    CHECK(p.repeatable.empty());
    CHECK(p.seed.empty());
    // A target at or above every version holds nothing back.
    p = make_plan(s, {row(s.versioned[0])});
    CHECK(sg::migrate::limit_to_target(p, *Version::parse("3")) == 0);
    CHECK(scripts(p.versioned) == std::vector<std::string>{"V2__b.sql", "V3__c.sql"});
    CHECK(scripts(p.repeatable) == std::vector<std::string>{"R__v.sql"});
    // Between versions: 2.5 keeps 2 only.
    p = make_plan(s, {});
    CHECK(sg::migrate::limit_to_target(p, *Version::parse("2.5")) == 1);
    CHECK(scripts(p.versioned) == std::vector<std::string>{"V1__a.sql", "V2__b.sql"});
}

TEST_CASE("applied version without a file is reported missing, not fatal") {
    const auto s = set_of({file("V1__a.sql")});
    const auto gone = file("V2__gone.sql");
    const Plan p = make_plan(s, {row(s.versioned[0]), row(gone)});
    CHECK(p.missing == std::vector<std::string>{"V2__gone.sql"});
    CHECK_FALSE(p.has_work());
    CHECK(p.current_version == "2");
}

TEST_CASE("an undone version is pending again") {
    const auto v2 = file("V2__b.sql");
    const auto u2 = file("U2__b.sql");
    const auto s = set_of({file("V1__a.sql"), v2}, {}, {}, {u2});
    const Plan p = make_plan(s, {row(s.versioned[0]), row(v2), row(u2)});
    CHECK(scripts(p.versioned) == std::vector<std::string>{"V2__b.sql"});
    CHECK(p.current_version == "1");
}

TEST_CASE("baseline: versions at or below it are not applied") {
    const auto s = set_of({file("V1__a.sql"), file("V2__b.sql"), file("V3__c.sql")});
    HistoryRow b;
    b.rank = next_rank++;
    b.version = "2";
    b.type = "baseline";
    b.script = "<< baseline >>";
    b.success = true;
    const Plan p = make_plan(s, {b});
    CHECK(scripts(p.versioned) == std::vector<std::string>{"V3__c.sql"});
    CHECK(p.current_version == "2");
}

TEST_CASE("status describes every state") {
    auto v1 = file("V1__a.sql");
    const auto v2 = file("V2__b.sql");
    const auto v3 = file("V3__c.sql");
    const auto gone = file("V4__gone.sql");
    std::vector<HistoryRow> h{row(v1), row(v2, false), row(gone)};
    v1.checksum = sha256_hex("edited");
    const auto s = set_of({v1, v2, v3}, {file("R__v.sql")});
    const auto entries = describe(s, h);
    REQUIRE(entries.size() == 5);
    CHECK(entries[0].state == State::kChecksumMismatch);
    CHECK(entries[1].state == State::kFailed);
    CHECK(entries[2].state == State::kPending);
    CHECK(entries[3].state == State::kMissingFile);
    CHECK(entries[3].script == "V4__gone.sql");
    CHECK(entries[4].type == "repeatable");
    CHECK(entries[4].state == State::kPending);
}

TEST_CASE("status shows a renamed repeatable's or seed's old history row as missing-file") {
    const auto old_view = file("R__views.sql");
    const auto new_view = file("R__user_views.sql");
    const auto old_seed = seed("seed/01_users.sql");
    const std::vector<HistoryRow> h{row(old_view), row(old_seed)};
    const auto s = set_of({}, {new_view}, {seed("seed/01_people.sql")});
    const auto entries = describe(s, h);
    REQUIRE(entries.size() == 4);
    CHECK(entries[0].script == "R__user_views.sql");
    CHECK(entries[0].state == State::kPending);
    CHECK(entries[1].script == "R__views.sql");
    CHECK(entries[1].type == "repeatable");
    CHECK(entries[1].state == State::kMissingFile);
    CHECK(entries[2].script == "seed/01_people.sql");
    CHECK(entries[2].state == State::kPending);
    CHECK(entries[3].script == "seed/01_users.sql");
    CHECK(entries[3].state == State::kMissingFile);
}

TEST_CASE("undo plan: latest only, or everything above --to, all or nothing") {
    const auto v1 = file("V1__a.sql");
    const auto v2 = file("V2__b.sql");
    const auto v3 = file("V3__c.sql");
    const auto u2 = file("U2__b.sql");
    const auto u3 = file("U3__c.sql");
    const auto s = set_of({v1, v2, v3}, {}, {}, {u2, u3});
    const std::vector<HistoryRow> h{row(v1), row(v2), row(v3)};

    auto p = make_undo_plan(s, h, std::nullopt);
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0]->script == "U3__c.sql");

    p = make_undo_plan(s, h, Version::parse("1"));
    REQUIRE(p.steps.size() == 2);
    CHECK(p.steps[0]->script == "U3__c.sql");
    CHECK(p.steps[1]->script == "U2__b.sql");

    p = make_undo_plan(s, h, Version::parse("0"));
    CHECK(p.steps.empty());
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0].find("no U1__") != std::string::npos);

    // Nothing to undo is not a problem (exit 0, as in goose and golang-migrate).
    p = make_undo_plan(s, {}, std::nullopt);
    CHECK(p.steps.empty());
    CHECK(p.problems.empty());
    CHECK(p.nothing == "nothing to undo: no versioned migration is applied");
    p = make_undo_plan(s, h, Version::parse("3"));
    CHECK(p.steps.empty());
    CHECK(p.problems.empty());
    CHECK(p.nothing == "nothing to undo: no applied version is above 3 (the current version is 3)");
    p = make_undo_plan(s, h, Version::parse("7"));
    CHECK(p.problems.empty());
    CHECK(p.nothing.find("above 7") != std::string::npos);
}

TEST_CASE("taken-over rows: applied per file, drift caught, a gap stays pending, undo possible") {
    auto v1 = file("V1__a.sql");
    const auto v2 = file("V2__b.sql");
    const auto v3 = file("V3__c.sql");
    auto r1 = row(v1, true, "baseline");
    r1.installed_by = "goose";
    auto r3 = row(v3, true, "baseline");
    r3.installed_by = "goose";
    const auto s = set_of({v1, v2, v3}, {}, {}, {file("U3__c.sql")});
    const Plan p = make_plan(s, {r1, r3});
    // Unlike a `schemagate baseline` row, a taken-over row stands for its own file only: the
    // version goose never applied is pending (and out of order).
    CHECK(scripts(p.versioned) == std::vector<std::string>{"V2__b.sql"});
    CHECK(p.out_of_order == std::vector<std::string>{"V2__b.sql"});
    CHECK(p.current_version == "3");
    const auto entries = describe(s, {r1, r3});
    CHECK(entries[0].state == State::kBaselined);
    CHECK(entries[0].taken_over_from == "goose");
    CHECK(entries[1].state == State::kPending);
    const auto undo = make_undo_plan(s, {r1, r3}, std::nullopt);
    REQUIRE(undo.steps.size() == 1);
    CHECK(undo.steps[0]->script == "U3__c.sql");

    v1.checksum = sha256_hex("edited");
    const auto edited = set_of({v1, v2, v3});
    const Plan drift = make_plan(edited, {r1, r3});
    REQUIRE(drift.drift.size() == 1);
    CHECK(drift.drift[0].migration->script == "V1__a.sql");
    CHECK(describe(edited, {r1, r3})[0].state == State::kChecksumMismatch);
}
