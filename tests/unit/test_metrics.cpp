#include <cmath>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "sidecar/metrics/counters.hpp"
#include "sidecar/metrics/prometheus.hpp"

using namespace sg;
using metrics::Endpoint;
using metrics::HttpCounters;

namespace {

app::Snapshot snapshot() {
    app::Snapshot s;
    s.service = "auth";
    s.version = "0.1.0";
    s.phase = app::Phase::kMigrating;
    s.attempts = 4;
    s.init_seconds = 0;
    s.applied = 3;
    s.pending = 2;
    s.failed = 1;
    return s;
}

bool has_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) {
        if (l == line) {
            return true;
        }
    }
    return false;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) {
        lines.push_back(l);
    }
    return lines;
}

}  // namespace

TEST_CASE("every metric has HELP and TYPE lines before its samples") {
    const auto text = metrics::render(snapshot(), HttpCounters{});
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"schemagate_build_info", "gauge"},
        {"schemagate_up", "gauge"},
        {"schemagate_ready", "gauge"},
        {"schemagate_phase", "gauge"},
        {"schemagate_init_attempts_total", "counter"},
        {"schemagate_init_duration_seconds", "gauge"},
        {"schemagate_migrations_applied", "gauge"},
        {"schemagate_migrations_pending", "gauge"},
        {"schemagate_migrations_failed", "gauge"},
        {"schemagate_migration_duration_seconds", "gauge"},
        {"schemagate_lock_retries_total", "counter"},
        {"schemagate_database_up", "gauge"},
        {"schemagate_http_requests_total", "counter"},
    };
    for (const auto& metric : expected) {
        const std::string& name = metric.first;
        CAPTURE(name);
        const auto help = text.find("# HELP " + name + " ");
        std::string type_text = "# TYPE ";
        type_text.append(name).append(" ").append(metric.second).append("\n");
        const auto type_line = text.find(type_text);
        REQUIRE(help != std::string::npos);
        REQUIRE(type_line != std::string::npos);
        CHECK(help < type_line);
    }
    CHECK(text.back() == '\n');

    // Each line is a comment or `name[{labels}] value`, names are declared once.
    std::set<std::string> typed;
    for (const auto& line : lines_of(text)) {
        CAPTURE(line);
        REQUIRE_FALSE(line.empty());
        if (line.starts_with("# TYPE ")) {
            const auto name = line.substr(7, line.find(' ', 7) - 7);
            CHECK(typed.insert(name).second);
            continue;
        }
        if (line.starts_with("#")) {
            CHECK(line.starts_with("# HELP "));
            continue;
        }
        const auto name = line.substr(0, line.find_first_of("{ "));
        CHECK(typed.count(name) == 1);
        CHECK(line.find(' ') != std::string::npos);
    }
}

TEST_CASE("values of the snapshot") {
    auto s = snapshot();
    auto text = metrics::render(s, HttpCounters{});
    CHECK(has_line(text, "schemagate_build_info{version=\"0.1.0\"} 1"));
    CHECK(has_line(text, "schemagate_up 1"));
    CHECK(has_line(text, "schemagate_ready 0"));
    CHECK(has_line(text, "schemagate_phase{phase=\"waiting\"} 0"));
    CHECK(has_line(text, "schemagate_phase{phase=\"provisioning\"} 0"));
    CHECK(has_line(text, "schemagate_phase{phase=\"migrating\"} 1"));
    CHECK(has_line(text, "schemagate_phase{phase=\"seeding\"} 0"));
    CHECK(has_line(text, "schemagate_phase{phase=\"verifying\"} 0"));
    CHECK(has_line(text, "schemagate_phase{phase=\"ready\"} 0"));
    CHECK(has_line(text, "schemagate_phase{phase=\"failed\"} 0"));
    CHECK(has_line(text, "schemagate_init_attempts_total 4"));
    CHECK(has_line(text, "schemagate_init_duration_seconds 0"));
    CHECK(has_line(text, "schemagate_migrations_applied 3"));
    CHECK(has_line(text, "schemagate_migrations_pending 2"));
    CHECK(has_line(text, "schemagate_migrations_failed 1"));
    CHECK(has_line(text, "schemagate_database_up 0"));
    CHECK(text.find("schemagate_migration_duration_seconds{") == std::string::npos);
    CHECK(text.find("schemagate_http_requests_total{") == std::string::npos);

    s.phase = app::Phase::kReady;
    s.ready = true;
    s.init_seconds = 1.25;
    s.db.reachable = true;
    text = metrics::render(s, HttpCounters{});
    CHECK(has_line(text, "schemagate_ready 1"));
    CHECK(has_line(text, "schemagate_phase{phase=\"ready\"} 1"));
    CHECK(has_line(text, "schemagate_phase{phase=\"migrating\"} 0"));
    CHECK(has_line(text, "schemagate_init_duration_seconds 1.25"));
    CHECK(has_line(text, "schemagate_database_up 1"));

    s.stopping = true;
    CHECK(has_line(metrics::render(s, HttpCounters{}), "schemagate_ready 0"));
}

TEST_CASE("lock retries are counted per script, and no series before the first") {
    auto s = snapshot();
    CHECK(metrics::render(s, HttpCounters{}).find("schemagate_lock_retries_total{") ==
          std::string::npos);
    s.lock_retries = {{"V2__note.sql", 3}, {"V3__a\"b.sql", 1}};
    const auto text = metrics::render(s, HttpCounters{});
    CHECK(has_line(text, "schemagate_lock_retries_total{script=\"V2__note.sql\"} 3"));
    CHECK(has_line(text, "schemagate_lock_retries_total{script=\"V3__a\\\"b.sql\"} 1"));
}

TEST_CASE("one duration series per script applied in this run") {
    auto s = snapshot();
    s.applied_this_run = {
        {"1", "create users", "versioned", 0.012}, {"1.1", "add index", "versioned", 1.5},
        {"", "user views", "repeatable", 0.003},   {"", "01_demo_users", "seed", 0.25},
        {"1.1", "add index", "versioned", 2.0},  // applied again after a retry: last wins
    };
    const auto text = metrics::render(s, HttpCounters{});
    CHECK(has_line(
        text, "schemagate_migration_duration_seconds{version=\"1\",type=\"versioned\"} 0.012"));
    CHECK(has_line(text,
                   "schemagate_migration_duration_seconds{version=\"1.1\",type=\"versioned\"} 2"));
    CHECK(has_line(
        text,
        "schemagate_migration_duration_seconds{version=\"user views\",type=\"repeatable\"} 0.003"));
    CHECK(has_line(
        text,
        "schemagate_migration_duration_seconds{version=\"01_demo_users\",type=\"seed\"} 0.25"));
    std::size_t series = 0;
    for (const auto& line : lines_of(text)) {
        series += line.starts_with("schemagate_migration_duration_seconds{") ? 1U : 0U;
    }
    CHECK(series == 4);
}

TEST_CASE("label values are escaped") {
    CHECK(metrics::escape_label_value("plain") == "plain");
    CHECK(metrics::escape_label_value("a\"b") == "a\\\"b");
    CHECK(metrics::escape_label_value("a\\b") == "a\\\\b");
    CHECK(metrics::escape_label_value("a\nb") == "a\\nb");
    CHECK(metrics::escape_label_value("\\\"\n") == "\\\\\\\"\\n");
    CHECK(metrics::escape_label_value("") == "");

    auto s = snapshot();
    s.version = "1.0 \"beta\"\n\\x";
    s.applied_this_run = {{"", "say \"hi\"", "repeatable", 1}};
    const auto text = metrics::render(s, HttpCounters{});
    CHECK(has_line(text, "schemagate_build_info{version=\"1.0 \\\"beta\\\"\\n\\\\x\"} 1"));
    CHECK(has_line(
        text,
        "schemagate_migration_duration_seconds{version=\"say \\\"hi\\\"\",type=\"repeatable\"} 1"));
}

TEST_CASE("sample values") {
    CHECK(metrics::format_value(0) == "0");
    CHECK(metrics::format_value(1) == "1");
    CHECK(metrics::format_value(0.1) == "0.1");
    CHECK(metrics::format_value(-2.5) == "-2.5");
    CHECK(metrics::format_value(1e-9) == "1e-09");
    CHECK(metrics::format_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(metrics::format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(metrics::format_value(std::nan("")) == "NaN");

    auto s = snapshot();
    s.attempts = -1;  // never negative on the wire
    CHECK(has_line(metrics::render(s, HttpCounters{}), "schemagate_init_attempts_total 0"));
}

TEST_CASE("HTTP request counters: bounded labels, only counted series appear") {
    HttpCounters counters;
    counters.record(Endpoint::kReadyz, 200);
    counters.record(Endpoint::kReadyz, 200);
    counters.record(Endpoint::kReadyz, 503);
    counters.record(Endpoint::kOther, 404);
    counters.record(Endpoint::kOther, 431);
    counters.record(Endpoint::kHealthDetailed, 200);
    counters.record(Endpoint::kLivez, 299);  // not a code we answer: one "other" bucket
    CHECK(counters.count(Endpoint::kReadyz, 200) == 2);
    CHECK(counters.count(Endpoint::kReadyz, 503) == 1);
    CHECK(counters.count(Endpoint::kLivez, 200) == 0);

    const auto text = metrics::render(snapshot(), counters);
    CHECK(has_line(text, "schemagate_http_requests_total{path=\"/readyz\",code=\"200\"} 2"));
    CHECK(has_line(text, "schemagate_http_requests_total{path=\"/readyz\",code=\"503\"} 1"));
    CHECK(has_line(text, "schemagate_http_requests_total{path=\"other\",code=\"404\"} 1"));
    CHECK(has_line(text, "schemagate_http_requests_total{path=\"other\",code=\"431\"} 1"));
    CHECK(
        has_line(text, "schemagate_http_requests_total{path=\"/health/detailed\",code=\"200\"} 1"));
    CHECK(has_line(text, "schemagate_http_requests_total{path=\"/livez\",code=\"other\"} 1"));
    std::size_t series = 0;
    for (const auto& line : lines_of(text)) {
        series += line.starts_with("schemagate_http_requests_total{") ? 1U : 0U;
    }
    CHECK(series == 6);
}

TEST_CASE("paths map to endpoints exactly") {
    CHECK(metrics::endpoint_for_path("/livez") == Endpoint::kLivez);
    CHECK(metrics::endpoint_for_path("/readyz") == Endpoint::kReadyz);
    CHECK(metrics::endpoint_for_path("/health") == Endpoint::kHealth);
    CHECK(metrics::endpoint_for_path("/health/detailed") == Endpoint::kHealthDetailed);
    CHECK(metrics::endpoint_for_path("/metrics") == Endpoint::kMetrics);
    CHECK(metrics::endpoint_for_path("/metrics/") == Endpoint::kOther);
    CHECK(metrics::endpoint_for_path("") == Endpoint::kOther);
    CHECK(metrics::endpoint_for_path("other") == Endpoint::kOther);
    CHECK(metrics::path_label(Endpoint::kOther) == "other");
    CHECK(metrics::path_label(Endpoint::kHealthDetailed) == "/health/detailed");
}
