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
