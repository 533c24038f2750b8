#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sidecar/cli/plan_output.hpp"

namespace {

sg::migrate::MigrationSet two_files() {
    sg::migrate::MigrationSet set;
    sg::migrate::Migration v1;
    v1.version = sg::migrate::Version::parse("1");
    v1.description = "orders";
    v1.script = "V1__orders.sql";
    v1.sql = "CREATE TABLE orders (id int);\n";
    sg::migrate::Migration v2 = v1;
    v2.version = sg::migrate::Version::parse("2");
    v2.description = "note";
    v2.script = "V2__note.sql";
    v2.sql =
        "-- schemagate:allow drop-column unused since 1.4\n"
        "ALTER TABLE ${schema}.orders DROP COLUMN note;\nCREATE INDEX i ON orders (id);\n";
    set.versioned = {v1, v2};
    return set;
}

}  // namespace

TEST_CASE("plan output: each statement's lock and relation, findings with their reasons") {
    const auto set = two_files();
    // V1 applied: only V2 is pending.
    sg::migrate::Plan plan;
    plan.versioned.push_back({&set.versioned[1], 0, false});
    const auto report = sg::lint::lint_plan(set, plan, {{"schema", "shop"}}, "shop");
    const std::string text = sg::cli::plan_text(report, "shop", "test");
    CHECK(text.find("1 file(s) to apply (test), 1 lint finding(s), 1 silenced") == 0);
    CHECK(text.find("V2 note  (V2__note.sql, in one transaction)") != std::string::npos);
    // Placeholders are resolved.
    CHECK(text.find("line 2: ALTER TABLE shop.orders DROP COLUMN note") != std::string::npos);
    CHECK(text.find("takes ACCESS EXCLUSIVE on shop.orders") != std::string::npos);
    CHECK(text.find("takes SHARE on shop.orders") != std::string::npos);
    CHECK(text.find("allowed warning drop-column") != std::string::npos);
    CHECK(text.find("(reason: unused since 1.4)") != std::string::npos);
    CHECK(text.find("error index-not-concurrent") != std::string::npos);

    const auto json = nlohmann::json::parse(sg::cli::plan_json(report, "shop", "test"));
    REQUIRE(json["files"].size() == 1);
    const auto& statements = json["files"][0]["statements"];
    REQUIRE(statements.size() == 2);
    CHECK(statements[0]["locks"][0]["mode"] == "ACCESS EXCLUSIVE");
    CHECK(statements[0]["locks"][0]["relation"] == "shop.orders");
    CHECK(statements[0]["findings"][0]["reason"] == "unused since 1.4");
    CHECK(statements[1]["findings"][0]["allowed"] == false);

    // Offline: everything pending, so orders is new and nothing about locking it fires.
    const auto offline =
        sg::lint::lint_plan(set, sg::migrate::make_plan(set, {}), {{"schema", "shop"}}, "shop");
    CHECK(offline.active().empty());
    CHECK(sg::cli::plan_text(offline, "shop", "x").find("2 file(s) to apply") == 0);
}
