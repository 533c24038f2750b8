#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sidecar/log/log.hpp"

using sg::log::json_line;
using sg::log::parse_fields;

TEST_CASE("trailing key=value pairs become fields") {
    const auto p = parse_fields("applied migration version=3 description=\"add orders\" ms=12");
    CHECK(p.text == "applied migration");
    REQUIRE(p.fields.size() == 3);
    CHECK(p.fields[0] == std::pair<std::string, std::string>{"version", "3"});
    CHECK(p.fields[1] == std::pair<std::string, std::string>{"description", "add orders"});
    CHECK(p.fields[2] == std::pair<std::string, std::string>{"ms", "12"});
}

TEST_CASE("messages without fields stay whole") {
    CHECK(parse_fields("plain message").text == "plain message");
    CHECK(parse_fields("plain message").fields.empty());
    CHECK(parse_fields("a=b").fields.size() == 1);
}

TEST_CASE("json lines are valid JSON with quotes, newlines and invalid UTF-8 escaped") {
    const std::string line = json_line("2026-01-01T00:00:00.000Z", "info",
                                       "he said \"hi\"\nand left key=\"va\\\"l\" bad=\xff", "svc");
    CHECK(line.find('\n') == std::string::npos);
    const auto j = nlohmann::json::parse(line);
    CHECK(j["level"] == "info");
    CHECK(j["service"] == "svc");
    CHECK(j["msg"].get<std::string>().find("he said \"hi\"\nand left") == 0);
    CHECK(j["fields"]["key"] == "va\"l");
    CHECK(j["ts"] == "2026-01-01T00:00:00.000Z");
}

TEST_CASE("a key=value inside the sentence stays in it; only the trailing run is fields") {
    const auto p = parse_fields(
        "V2__x.sql is below 3; or set SCHEMAGATE_OUT_OF_ORDER=allow to "
        "apply it file=V2__x.sql line=4");
    CHECK(p.text == "V2__x.sql is below 3; or set SCHEMAGATE_OUT_OF_ORDER=allow to apply it");
    REQUIRE(p.fields.size() == 2);
    CHECK(p.fields[0] == std::pair<std::string, std::string>{"file", "V2__x.sql"});
    CHECK(parse_fields("set a=\"open quote").fields.empty());
}

TEST_CASE("json fields keep numbers as numbers, versions and other text as strings") {
    const auto j = nlohmann::json::parse(
        json_line("t", "info",
                  "applied migration version=1.10 ms=12 ratio=0.25 delta=-3 code=007 libpq=15.18 "
                  "sqlstate=42601 name=x2 current_version=2",
                  "svc"));
    CHECK(j["fields"]["ms"] == 12);
    CHECK(j["fields"]["ratio"] == 0.25);
    CHECK(j["fields"]["delta"] == -3);
    CHECK(j["fields"]["version"] == "1.10");
    CHECK(j["fields"]["current_version"] == "2");
    CHECK(j["fields"]["code"] == "007");
    CHECK(j["fields"]["libpq"] == "15.18");
    CHECK(j["fields"]["sqlstate"] == "42601");  // a code, like 42P01: text
}
