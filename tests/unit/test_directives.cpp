#include <string>

#include <doctest/doctest.h>

#include "sidecar/migrate/directives.hpp"

using namespace sg::migrate;

TEST_CASE("no directives") {
    for (const char* sql : {"", "SELECT 1;", "-- just a comment\nSELECT 1;", "\n\n"}) {
        CAPTURE(sql);
        const Directives d = parse_directives(sql);
        CHECK_FALSE(d.no_transaction);
        CHECK_FALSE(d.no_placeholders);
        CHECK(d.errors.empty());
        CHECK(d.ok());
    }
}

TEST_CASE("known directives among the leading comments and blank lines") {
    const Directives d =
        parse_directives("-- schemagate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);\n");
    CHECK(d.no_transaction);
    CHECK_FALSE(d.no_placeholders);
    CHECK(d.ok());

    const Directives both = parse_directives(
        "-- Add an index without locking writes.\n"
        "\n"
        "/* see the runbook */\n"
        "--schemagate:no-placeholders\n"
        "--   SchemaGate:No-Transaction   \n"
        "\n"
        "CREATE INDEX CONCURRENTLY i ON t (x);\n");
    CHECK(both.no_transaction);
    CHECK(both.no_placeholders);
    CHECK(both.errors.empty());

    // A space after the colon is tolerated; so is a repeated directive.
    const Directives spaced =
        parse_directives("-- schemagate: no-transaction\n-- schemagate:no-transaction\nSELECT 1");
    CHECK(spaced.no_transaction);
    CHECK(spaced.ok());
}

TEST_CASE("a byte-order mark and CRLF line endings are tolerated") {
    const Directives d = parse_directives(
        "\xEF\xBB\xBF-- schemagate:no-transaction\r\n-- schemagate:no-placeholders\r\nVACUUM;\r\n");
    CHECK(d.no_transaction);
    CHECK(d.no_placeholders);
    CHECK(d.errors.empty());
}

TEST_CASE("an unknown directive is an error with its line and a suggestion") {
    const Directives d = parse_directives("-- header\n-- schemagate:no-transation\nSELECT 1;");
    CHECK_FALSE(d.no_transaction);
    REQUIRE(d.errors.size() == 1);
    CHECK(d.errors[0].line == 2);
    CHECK(d.errors[0].message ==
          "unknown directive \"schemagate:no-transation\" (did you mean no-transaction?)");

    const Directives swapped = parse_directives("-- schemagate:no-placehodlers\n");
    REQUIRE(swapped.errors.size() == 1);
    CHECK(swapped.errors[0].message ==
          "unknown directive \"schemagate:no-placehodlers\" (did you mean no-placeholders?)");

    const Directives underscore = parse_directives("-- schemagate:no_transaction\n");
    REQUIRE(underscore.errors.size() == 1);
    CHECK(underscore.errors[0].message.find("did you mean no-transaction?") != std::string::npos);

    const Directives far = parse_directives("\r\n\r\n-- schemagate:repeatable\n");
    REQUIRE(far.errors.size() == 1);
    CHECK(far.errors[0].line == 3);
    CHECK(far.errors[0].message ==
          "unknown directive \"schemagate:repeatable\"; known: no-transaction, no-placeholders, "
          "allow");
}

TEST_CASE("an empty directive and text after a directive are errors") {
    const Directives empty = parse_directives("-- schemagate:\nSELECT 1;");
    REQUIRE(empty.errors.size() == 1);
    CHECK(empty.errors[0].line == 1);
    CHECK(empty.errors[0].message ==
          "empty directive \"schemagate:\"; known: no-transaction, no-placeholders, allow");

    const Directives extra = parse_directives("-- schemagate:no-transaction because CIC\n");
    CHECK(extra.no_transaction);
    REQUIRE(extra.errors.size() == 1);
    CHECK(extra.errors[0].message ==
          "unexpected text after directive \"schemagate:no-transaction\": \"because CIC\"");
}

TEST_CASE("a directive after the first statement is an error and has no effect") {
    const Directives d =
        parse_directives("CREATE TABLE t (x int);\n\n-- schemagate:no-transaction\nSELECT 1;\n");
    CHECK_FALSE(d.no_transaction);
    REQUIRE(d.errors.size() == 1);
    CHECK(d.errors[0].line == 3);
    CHECK(d.errors[0].message ==
          "directive \"schemagate:no-transaction\" is after the first statement; directives must "
          "come before the first statement");

    // On the same line as the first statement, after it, is also too late.
    const Directives same_line = parse_directives("SELECT 1; -- schemagate:no-placeholders\n");
    CHECK_FALSE(same_line.no_placeholders);
    CHECK(same_line.errors.size() == 1);
}

TEST_CASE("directive-like text that is not a -- comment line is not a directive") {
    const Directives d = parse_directives(
        "/* schemagate:no-transaction */\n"
        "-- see schemagate:no-transaction in the docs\n"
        "--- schemagate:no-transaction\n"
        "SELECT '-- schemagate:no-transaction';\n"
        "SELECT $$\n-- schemagate:no-transaction\n$$;\n");
    CHECK_FALSE(d.no_transaction);
    CHECK(d.errors.empty());
}

TEST_CASE("an empty statement before a directive does not make it misplaced") {
    const Directives d = parse_directives(";\n-- schemagate:no-transaction\nVACUUM;");
    CHECK(d.no_transaction);
    CHECK(d.errors.empty());
}

TEST_CASE("allow directives: file-wide before the first statement, per statement after it") {
    const Directives d = parse_directives(
        "-- schemagate:allow drop-column the column has been unused since release 12\n"
        "ALTER TABLE t DROP COLUMN c;\n"
        "-- SchemaGate:Allow Index-Not-Concurrent   the table is tiny\n"
        "CREATE INDEX ON t (x);\n");
    CHECK(d.errors.empty());
    REQUIRE(d.allows.size() == 2);
    CHECK(d.allows[0].line == 1);
    CHECK(d.allows[0].rule == "drop-column");
    CHECK(d.allows[0].reason == "the column has been unused since release 12");
    CHECK(d.allows[0].whole_file);
    CHECK(d.allows[1].line == 3);
    CHECK(d.allows[1].rule == "index-not-concurrent");
    CHECK(d.allows[1].reason == "the table is tiny");
    CHECK_FALSE(d.allows[1].whole_file);
}

TEST_CASE("an allow directive needs a rule id and a reason") {
    for (const char* text : {"-- schemagate:allow\nSELECT 1;",
                             "-- schemagate:allow truncate\n"
                             "SELECT 1;",
                             "SELECT 1;\n-- schemagate:allow   truncate   \nSELECT 2;"}) {
        CAPTURE(text);
        const Directives d = parse_directives(text);
        CHECK(d.allows.empty());
        REQUIRE(d.errors.size() == 1);
        CHECK(d.errors[0].message.find("needs a rule id and the reason") != std::string::npos);
    }
}
