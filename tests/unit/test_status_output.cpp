#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sidecar/cli/status_output.hpp"

using sg::migrate::State;
using sg::migrate::StatusEntry;

namespace {

StatusEntry entry(std::string type, std::string version, std::string description, State state,
                  std::string error = "") {
    StatusEntry e;
    e.type = std::move(type);
    e.version = std::move(version);
    e.description = std::move(description);
    e.script = "x.sql";
    e.state = state;
    e.error = std::move(error);
    if (state == State::kApplied) {
        e.installed_on = "2026-12-06 10:00:00";
        e.execution_ms = 12;
    }
    return e;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

}  // namespace

TEST_CASE("status: a summary line first, aligned columns, colour only when asked") {
    sg::cli::StatusHeader h{"orders", "database", "orders_db", "orders",
                            "orders", "orders",   "2",         ""};
    const std::vector<StatusEntry> entries = {
        entry("versioned", "1", "create orders", State::kApplied),
        entry("versioned", "2", "a much longer description of what this one does to the table",
              State::kApplied),
        entry("versioned", "10", "add index", State::kPending),
        entry("repeatable", "", "views", State::kFailed, "syntax error"),
        entry("undo", "2", "drop it", State::kAvailable),
        entry("verify", "", "01_tables", State::kEveryRun),
    };
    const std::string plain = sg::cli::status_text(h, entries, false);
    const auto l = lines(plain);
    REQUIRE(l.size() >= 10);
    CHECK(l[0] == "current version 2: 2 applied, 1 pending, 1 failed");
    CHECK(l[1] ==
          "service orders  isolation database  database orders_db  schema orders  role "
          "orders");
    CHECK(plain.find("\033[") == std::string::npos);
    // Every row's STATE column starts where the header's does.
    const auto state_at = l[3].find("STATE");
    for (std::size_t i = 4; i < l.size(); ++i) {
        if (l[i].find("error:") != std::string::npos) {
            continue;
        }
        CAPTURE(l[i]);
        CHECK(l[i].at(state_at - 1) == ' ');
        CHECK(l[i].at(state_at) != ' ');
    }
    CHECK(plain.find("a much longer description of what thi...") != std::string::npos);
    CHECK(plain.find("available") != std::string::npos);
    CHECK(plain.find("every-run") != std::string::npos);
    CHECK(plain.find("error: syntax error") != std::string::npos);

    const std::string coloured = sg::cli::status_text(h, entries, true);
    CHECK(coloured.find("\033[31mfailed") != std::string::npos);
    CHECK(coloured.find("\033[33mpending") != std::string::npos);
    CHECK(coloured.find("\033[31mapplied") == std::string::npos);

    h.role = "postgres";
    CHECK(lines(sg::cli::status_text(h, entries, false))[1].ends_with(
        "role postgres (service role orders)"));
}

TEST_CASE("status --json: summary and the connected role") {
    const sg::cli::StatusHeader h{"orders", "shared", "app", "public", "app", "orders", "", ""};
    const auto j = nlohmann::json::parse(
        sg::cli::status_json(h, {entry("versioned", "1", "a", State::kPending)}));
    CHECK(j["current_version"].is_null());
    CHECK(j["role"] == "app");
    CHECK(j["service_role"] == "orders");
    CHECK(j["summary"]["pending"] == 1);
    CHECK(j["summary"]["applied"] == 0);
    CHECK(j["migrations"][0]["duration_ms"].is_null());
}
