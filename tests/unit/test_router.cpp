#include <array>
#include <chrono>
#include <string>
#include <string_view>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sidecar/http/router.hpp"
#include "sidecar/metrics/prometheus.hpp"

using namespace sg;
using sg::http::Request;
using sg::http::Response;
namespace bh = boost::beast::http;
using Json = nlohmann::json;

namespace {

constexpr std::array<app::Phase, 7> kAllPhases = {
    app::Phase::kWaiting,   app::Phase::kProvisioning, app::Phase::kMigrating, app::Phase::kSeeding,
    app::Phase::kVerifying, app::Phase::kReady,        app::Phase::kFailed};

constexpr std::array<std::string_view, 5> kKnownPaths = {"/livez", "/readyz", "/health",
                                                         "/health/detailed", "/metrics"};

app::Snapshot starting(app::Phase phase = app::Phase::kWaiting) {
    app::Snapshot s;
    s.service = "auth";
    s.version = "0.1.0";
    s.isolation = "shared";
    s.database = "app";
    s.schema = "public";
    s.role = "auth";
    s.connection = "host=db port=5432 user=auth dbname=app sslmode=prefer";
    s.phase = phase;
    s.started_at = app::Clock::time_point(std::chrono::milliseconds(1700000000123));
    return s;
}

app::Snapshot ready_snapshot() {
    auto s = starting(app::Phase::kReady);
    s.ready = true;
    s.ready_at = app::Clock::time_point(std::chrono::milliseconds(1700000002500));
    s.attempts = 3;
    s.init_seconds = 2.377;
    s.phase_seconds = {{"waiting", 1.5}, {"migrating", 0.75}, {"verifying", 0.125}};
    s.current_version = "2.1";
    s.applied = 5;
    s.db.reachable = true;
    s.db.name = "app";
    s.db.server_version = "15.18";
    s.db.active_connections = 7;
    s.db.checks = {
        {"connect", true, ""}, {"read", true, ""}, {"write", true, ""}, {"transaction", true, ""}};
    s.db.checked_at = app::Clock::time_point(std::chrono::milliseconds(1700000010000));
    s.applied_this_run = {{"1", "create users", "versioned", 0.012},
                          {"", "user views", "repeatable", 0.003}};
    return s;
}

Request request(bh::verb method, std::string_view target, unsigned version = 11) {
    Request r{method, target, version};
    r.set(bh::field::host, "localhost");
    return r;
}

Response get(const app::Snapshot& s, std::string_view target) {
    const metrics::HttpCounters counters;
    return http::route(s, request(bh::verb::get, target), counters);
}

std::string header(const Response& r, bh::field f) {
    return std::string(r[f]);
}

Json json_of(const Response& r) {
    return Json::parse(r.body());
}

}  // namespace

TEST_CASE("every known path x phase x method: GET/HEAD answer, other methods get 405 + Allow") {
    const std::array<bh::verb, 8> others = {bh::verb::post,    bh::verb::put,     bh::verb::delete_,
                                            bh::verb::patch,   bh::verb::options, bh::verb::trace,
                                            bh::verb::connect, bh::verb::propfind};
    const metrics::HttpCounters counters;
    for (const auto phase : kAllPhases) {
        for (const bool ready : {false, true}) {
            auto s = starting(phase);
            s.ready = ready;
            for (const auto path : kKnownPaths) {
                CAPTURE(path);
                CAPTURE(app::to_string(phase));
                CAPTURE(ready);
                const auto g = http::route(s, request(bh::verb::get, path), counters);
                CHECK((g.result() == bh::status::ok ||
                       g.result() == bh::status::service_unavailable));
                CHECK(header(g, bh::field::server) == "schemagate");
                CHECK(header(g, bh::field::cache_control) == "no-store");
                CHECK(g[bh::field::allow].empty());
                CHECK_FALSE(g.body().empty());
                CHECK(header(g, bh::field::content_length) == std::to_string(g.body().size()));

                const auto h = http::route(s, request(bh::verb::head, path), counters);
                CHECK(h.result() == g.result());
                CHECK(h.body().empty());
                CHECK(header(h, bh::field::content_type) == header(g, bh::field::content_type));
                CHECK(header(h, bh::field::content_length) == std::to_string(g.body().size()));

                for (const auto method : others) {
                    CAPTURE(bh::to_string(method));
                    const auto r = http::route(s, request(method, path), counters);
                    CHECK(r.result() == bh::status::method_not_allowed);
                    CHECK(header(r, bh::field::allow) == "GET, HEAD");
                }
                auto brew = request(bh::verb::get, path);
                brew.method_string("BREW");
                const auto r = http::route(s, brew, counters);
                CHECK(r.result() == bh::status::method_not_allowed);
                CHECK(header(r, bh::field::allow) == "GET, HEAD");
            }
        }
    }
}

// The expected status, written out independently of the router's helpers: /livez and /metrics
// always answer 200; /readyz 200 only once initialisation succeeded (latched) and not stopping;
// /health 200 only when ready, in phase ready, the database reachable and not stopping.
unsigned expected_status(std::string_view path, const app::Snapshot& s) {
    if (path == "/livez" || path == "/metrics") {
        return 200;
    }
    if (path.starts_with("/readyz")) {
        return s.ready && !s.stopping ? 200 : 503;
    }
    return s.ready && !s.stopping && s.phase == app::Phase::kReady && s.db.reachable ? 200 : 503;
}

TEST_CASE("status of every path x phase x readiness x database x stopping, for GET and HEAD") {
    const metrics::HttpCounters counters;
    constexpr std::array<std::string_view, 7> kTargets = {
        "/livez",           "/readyz",  "/readyz?verbose",  "/health",
        "/health/detailed", "/metrics", "/readyz?verbose=0"};
    int combinations = 0;
    for (const auto phase : kAllPhases) {
        for (const bool ready : {false, true}) {
            for (const bool reachable : {false, true}) {
                for (const bool stopping : {false, true}) {
                    auto s = ready ? ready_snapshot() : starting();
                    s.phase = phase;
                    s.db.reachable = reachable;
                    s.stopping = stopping;
                    for (const auto target : kTargets) {
                        CAPTURE(target);
                        CAPTURE(app::to_string(phase));
                        CAPTURE(ready);
                        CAPTURE(reachable);
                        CAPTURE(stopping);
                        const auto g = http::route(s, request(bh::verb::get, target), counters);
                        CHECK(g.result_int() == expected_status(target, s));
                        // A stopping sidecar asks every client to close; otherwise HTTP/1.1
                        // keeps the connection.
                        CHECK(g.keep_alive() == !stopping);
                        const auto h = http::route(s, request(bh::verb::head, target), counters);
                        CHECK(h.result_int() == g.result_int());
                        CHECK(h.body().empty());
                        CHECK(header(h, bh::field::content_length) ==
                              std::to_string(g.body().size()));
                        CHECK(h.keep_alive() == g.keep_alive());
                        ++combinations;
                    }
                }
            }
        }
    }
    CHECK(combinations == 7 * 2 * 2 * 2 * 7);
}

TEST_CASE("/health and /health/detailed name the phase and the status in every phase") {
    for (const auto phase : kAllPhases) {
        for (const bool ready : {false, true}) {
            CAPTURE(app::to_string(phase));
            CAPTURE(ready);
            auto s = ready ? ready_snapshot() : starting();
            s.phase = phase;
            for (const std::string_view path : {"/health", "/health/detailed"}) {
                const auto j = json_of(get(s, path));
                CHECK(j["phase"] == app::to_string(phase));
                std::string expected = "starting";
                if (phase == app::Phase::kFailed) {
                    expected = "failed";
                } else if (ready) {
                    expected = phase == app::Phase::kReady ? "ok" : "degraded";
                }
                CHECK(j["status"] == expected);
                CHECK(j["service"] == "auth");
                CHECK(j["isolation"] == "shared");
                CHECK(j["database"]["schema"] == "public");
                CHECK(j["database"]["role"] == "auth");
            }
            const auto metrics_body = get(s, "/metrics").body();
            CHECK(metrics_body.find("schemagate_ready " + std::string(ready ? "1" : "0") + "\n") !=
                  std::string::npos);
        }
    }
}

TEST_CASE("404 and 405 answers: headers, HEAD and keep-alive") {
    const auto s = ready_snapshot();
    const metrics::HttpCounters counters;

    const auto nf = http::route(s, request(bh::verb::get, "/nope"), counters);
    CHECK(nf.result() == bh::status::not_found);
    CHECK(nf.body() == "not found\n");
    CHECK(header(nf, bh::field::content_type) == "text/plain; charset=utf-8");
    CHECK(nf.keep_alive());  // a wrong path is no reason to drop a keep-alive client

    const auto nf_head = http::route(s, request(bh::verb::head, "/nope"), counters);
    CHECK(nf_head.result() == bh::status::not_found);
    CHECK(nf_head.body().empty());
    CHECK(header(nf_head, bh::field::content_length) == std::to_string(nf.body().size()));

    for (const auto target : {"/livez", "/readyz?verbose", "/health/detailed"}) {
        CAPTURE(target);
        const auto na = http::route(s, request(bh::verb::post, target), counters);
        CHECK(na.result() == bh::status::method_not_allowed);
        CHECK(na.body() == "method not allowed\n");
        CHECK(header(na, bh::field::allow) == "GET, HEAD");
        CHECK(header(na, bh::field::content_length) == std::to_string(na.body().size()));
        CHECK(na.keep_alive());
    }
}

TEST_CASE("/livez answers 200 ok in every phase, also when the database is down or stopping") {
    for (const auto phase : kAllPhases) {
        auto s = starting(phase);
        s.db.reachable = false;
        const auto r = get(s, "/livez");
        CHECK(r.result() == bh::status::ok);
        CHECK(r.body() == "ok");
        CHECK(header(r, bh::field::content_type) == "text/plain; charset=utf-8");
    }
    auto s = ready_snapshot();
    s.stopping = true;
    const auto r = get(s, "/livez");
    CHECK(r.result() == bh::status::ok);
    CHECK_FALSE(r.keep_alive());  // a stopping sidecar asks clients to go
}

TEST_CASE("/readyz answers 503 with the phase until ready, then 200") {
    for (const auto phase : kAllPhases) {
        if (phase == app::Phase::kReady) {
            continue;
        }
        const auto r = get(starting(phase), "/readyz");
        CHECK(r.result() == bh::status::service_unavailable);
        CHECK(r.body() == app::to_string(phase));
    }
    const auto r = get(ready_snapshot(), "/readyz");
    CHECK(r.result() == bh::status::ok);
    CHECK(r.body() == "ok");
    CHECK(r.keep_alive());
}

TEST_CASE("/readyz stays 200 once ready is latched, whatever the database does later") {
    auto s = ready_snapshot();
    s.db.reachable = false;
    s.db.error = "connection refused";
    s.db.checks = {{"connect", false, "connection refused"}};
    s.phase = app::Phase::kWaiting;  // re-initialising after a lost connection
    s.last_error = "lost the database connection";
    const auto r = get(s, "/readyz");
    CHECK(r.result() == bh::status::ok);
    CHECK(r.body() == "ok");
}

TEST_CASE("/readyz answers 503 shutting down when stopping") {
    auto s = ready_snapshot();
    s.stopping = true;
    const auto r = get(s, "/readyz");
    CHECK(r.result() == bh::status::service_unavailable);
    CHECK(r.body() == "shutting down");
    CHECK_FALSE(r.keep_alive());
    CHECK(header(r, bh::field::connection) == "close");

    const auto v = get(s, "/readyz?verbose");
    CHECK(v.result() == bh::status::service_unavailable);
    CHECK(v.body().find("[-]shutdown shutting down\n") != std::string::npos);
    CHECK(v.body().ends_with("readyz check failed\n"));
}

TEST_CASE("/readyz?verbose lists every check before ready") {
    auto s = starting(app::Phase::kWaiting);
    s.last_error = "connection refused\nis the server running?";
    const auto r = get(s, "/readyz?verbose");
    CHECK(r.result() == bh::status::service_unavailable);
    CHECK(r.body() ==
          "[-]initialisation waiting: connection refused is the server running?\n"
          "[-]migrations not applied yet\n"
          "[-]database not checked yet\n"
          "[+]shutdown ok\n"
          "readyz check failed\n");
}

TEST_CASE("/readyz?verbose after ready lists the database checks and passes") {
    auto s = ready_snapshot();
    const auto r = get(s, "/readyz?verbose");
    CHECK(r.result() == bh::status::ok);
    CHECK(r.body() ==
          "[+]initialisation ok\n"
          "[+]migrations ok\n"
          "[+]connect ok\n"
          "[+]read ok\n"
          "[+]write ok\n"
          "[+]transaction ok\n"
          "[+]shutdown ok\n"
          "readyz check passed\n");

    // Latched: a later database problem shows as a failed line, the verdict stays.
    s.db.checks[2] = {"write", false, "permission denied for table t"};
    const auto later = get(s, "/readyz?verbose");
    CHECK(later.result() == bh::status::ok);
    CHECK(later.body().find("[-]write permission denied for table t\n") != std::string::npos);
    CHECK(later.body().ends_with("readyz check passed\n"));
}

TEST_CASE("/readyz?verbose names failed and pending migrations") {
    auto s = starting(app::Phase::kFailed);
    s.failed = 1;
    s.pending = 2;
    s.last_error = "V3__x.sql: syntax error at or near \"SELEC\"";
    auto body = get(s, "/readyz?verbose").body();
    CHECK(body.find("[-]initialisation failed: V3__x.sql: syntax error at or near \"SELEC\"\n") !=
          std::string::npos);
    CHECK(body.find("[-]migrations 1 failed\n") != std::string::npos);

    s.failed = 0;
    body = get(s, "/readyz?verbose").body();
    CHECK(body.find("[-]migrations 2 pending\n") != std::string::npos);

    s.pending = 0;
    body = get(s, "/readyz?verbose").body();
    CHECK(body.find("[-]migrations not confirmed: initialisation failed\n") != std::string::npos);

    auto seeding = starting(app::Phase::kSeeding);
    body = get(seeding, "/readyz?verbose").body();
    CHECK(body.find("[+]migrations ok\n") != std::string::npos);
}

TEST_CASE("verbose is read from the query; other queries are ignored") {
    const auto s = starting(app::Phase::kMigrating);
    CHECK(get(s, "/readyz?verbose=1").body().starts_with("[-]initialisation"));
    CHECK(get(s, "/readyz?a=b&verbose").body().starts_with("[-]initialisation"));
    CHECK(get(s, "/readyz?verbose=0").body() == "migrating");
    CHECK(get(s, "/readyz?verbose=false").body() == "migrating");
    CHECK(get(s, "/readyz?verbosely").body() == "migrating");
    CHECK(get(s, "/readyz?x=1").body() == "migrating");
    CHECK(get(s, "/livez?verbose").body() == "ok");
    CHECK(get(s, "/health?x=y").result() == bh::status::service_unavailable);
}

TEST_CASE("/health reports each status with the right code") {
    auto s = starting(app::Phase::kMigrating);
    auto r = get(s, "/health");
    CHECK(r.result() == bh::status::service_unavailable);
    CHECK(header(r, bh::field::content_type) == "application/json");
    CHECK(header(r, bh::field::cache_control) == "no-store");
    CHECK(json_of(r)["status"] == "starting");

    s = ready_snapshot();
    r = get(s, "/health");
    CHECK(r.result() == bh::status::ok);
    CHECK(json_of(r)["status"] == "ok");

    s.db.reachable = false;
    r = get(s, "/health");
    CHECK(r.result() == bh::status::service_unavailable);
    CHECK(json_of(r)["status"] == "degraded");
    CHECK(json_of(r)["database"]["status"] == "down");

    s = ready_snapshot();
    s.phase = app::Phase::kWaiting;  // reconnecting after a lost connection
    CHECK(json_of(get(s, "/health"))["status"] == "degraded");

    s = starting(app::Phase::kFailed);
    s.last_error = "verify/01_tables_exist.sql returned false";
    r = get(s, "/health");
    CHECK(r.result() == bh::status::service_unavailable);
    CHECK(json_of(r)["status"] == "failed");
    CHECK(json_of(r)["last_error"] == "verify/01_tables_exist.sql returned false");

    s = ready_snapshot();
    s.stopping = true;
    r = get(s, "/health");
    CHECK(r.result() == bh::status::service_unavailable);
    CHECK(json_of(r)["status"] == "stopping");
}

TEST_CASE("/health shows the lock wait going on now, on one line") {
    auto s = ready_snapshot();
    s.phase = app::Phase::kMigrating;
    s.lock_wait = "V3__idx.sql: lock not granted, attempt 2 of 5\nblocked by pid 42";
    const auto j = json_of(get(s, "/health"));
    CHECK(j["migrations"]["lock_wait"] ==
          "V3__idx.sql: lock not granted, attempt 2 of 5 blocked by pid 42");
}

TEST_CASE("/health carries identity, database and migrations fields") {
    const auto j = json_of(get(ready_snapshot(), "/health"));
    CHECK(j["service"] == "auth");
    CHECK(j["version"] == "0.1.0");
    CHECK(j["phase"] == "ready");
    CHECK(j["isolation"] == "shared");
    CHECK(j["database"] ==
          Json{{"status", "up"}, {"name", "app"}, {"schema", "public"}, {"role", "auth"}});
    CHECK(j["migrations"] == Json{{"current_version", "2.1"},
                                  {"applied", 5},
                                  {"pending", 0},
                                  {"failed", 0},
                                  {"lock_wait", nullptr}});
    CHECK(j["last_error"].is_null());
    CHECK_FALSE(j.contains("connection"));  // details only in /health/detailed
    CHECK_FALSE(j.contains("checks"));

    const auto empty = json_of(get(starting(), "/health"));
    CHECK(empty["migrations"]["current_version"].is_null());
    CHECK(empty["database"]["name"] == "app");  // from the configuration until connected
    CHECK(empty["database"]["status"] == "down");
}

TEST_CASE("/health/detailed adds connection, checks, server, init timings and this run") {
    const auto r = get(ready_snapshot(), "/health/detailed");
    CHECK(r.result() == bh::status::ok);
    const auto j = json_of(r);
    CHECK(j["status"] == "ok");
    CHECK(j["service"] == "auth");
    CHECK(j["migrations"]["applied"] == 5);
    CHECK(j["connection"] == "host=db port=5432 user=auth dbname=app sslmode=prefer");
    CHECK(j["server_version"] == "15.18");
    CHECK(j["active_connections"] == 7);
    REQUIRE(j["checks"].is_array());
    CHECK(j["checks"][2] == Json{{"name", "connect"}, {"ok", true}, {"reason", ""}});
    CHECK(j["init"]["attempts"] == 3);
    CHECK(j["init"]["seconds"] == doctest::Approx(2.377));
    CHECK(j["init"]["started_at"] == "2023-11-14T22:13:20.123Z");
    CHECK(j["init"]["ready_at"] == "2023-11-14T22:13:22.500Z");
    CHECK(j["init"]["phases"]["waiting"] == doctest::Approx(1.5));
    CHECK(j["init"]["phases"]["migrating"] == doctest::Approx(0.75));
    CHECK(j["database"]["checked_at"] == "2023-11-14T22:13:30.000Z");
    REQUIRE(j["applied_this_run"].size() == 2);
    CHECK(j["applied_this_run"][0] == Json{{"version", "1"},
                                           {"description", "create users"},
                                           {"type", "versioned"},
                                           {"seconds", 0.012}});
    CHECK(j["applied_this_run"][1]["version"].is_null());

    const auto s = json_of(get(starting(), "/health/detailed"));
    CHECK(s["init"]["ready_at"].is_null());
    CHECK(s["server_version"].is_null());
    CHECK(s["applied_this_run"] == Json::array());
}

TEST_CASE("/health survives text that is not UTF-8 and keeps errors on one line") {
    auto s = starting(app::Phase::kFailed);
    s.last_error = "bad \xff\xfe bytes\nsecond line";
    s.db.error = "\xc3";
    s.db.checks = {{"connect", false, "\x80"}};
    for (const std::string_view path :
         {"/health", "/health/detailed", "/readyz?verbose", "/metrics"}) {
        CAPTURE(path);
        Response r;
        CHECK_NOTHROW(r = get(s, path));
        CHECK_FALSE(r.body().empty());
    }
    const auto j = json_of(get(s, "/health"));
    CHECK(j["last_error"].get<std::string>().find('\n') == std::string::npos);
}

TEST_CASE("unknown paths are 404 for every method") {
    const auto s = ready_snapshot();
    const metrics::HttpCounters counters;
    for (const std::string_view target :
         {"/", "/livez/", "/LIVEZ", "/readyz/x", "/health/", "/metricsx", "*", "/health/detailed/x",
          "", "//livez", "/livez%20"}) {
        CAPTURE(target);
        for (const auto method :
             {bh::verb::get, bh::verb::head, bh::verb::post, bh::verb::delete_}) {
            const auto r = http::route(s, request(method, target), counters);
            CHECK(r.result() == bh::status::not_found);
            CHECK(r[bh::field::allow].empty());
            if (method == bh::verb::head) {
                CHECK(r.body().empty());
            }
        }
    }
}

TEST_CASE("absolute-form targets route by their path") {
    const auto s = ready_snapshot();
    CHECK(get(s, "http://localhost:8080/livez").result() == bh::status::ok);
    CHECK(get(s, "HTTP://x/readyz?verbose").body().ends_with("readyz check passed\n"));
    CHECK(get(s, "http://x").result() == bh::status::not_found);
}

TEST_CASE("the answer keeps the HTTP version and the client's keep-alive wish") {
    const auto s = ready_snapshot();
    const metrics::HttpCounters counters;

    auto r = http::route(s, request(bh::verb::get, "/readyz", 10), counters);
    CHECK(r.version() == 10);
    CHECK_FALSE(r.keep_alive());

    auto keep = request(bh::verb::get, "/readyz", 10);
    keep.set(bh::field::connection, "keep-alive");
    r = http::route(s, keep, counters);
    CHECK(r.version() == 10);
    CHECK(r.keep_alive());
    CHECK(header(r, bh::field::connection) == "keep-alive");

    r = http::route(s, request(bh::verb::get, "/readyz", 11), counters);
    CHECK(r.version() == 11);
    CHECK(r.keep_alive());

    auto close = request(bh::verb::get, "/readyz", 11);
    close.set(bh::field::connection, "close");
    r = http::route(s, close, counters);
    CHECK_FALSE(r.keep_alive());
    CHECK(header(r, bh::field::connection) == "close");
}

TEST_CASE("/metrics answers the exposition format with its content type") {
    metrics::HttpCounters counters;
    counters.record(metrics::Endpoint::kReadyz, 200);
    const auto r = http::route(ready_snapshot(), request(bh::verb::get, "/metrics"), counters);
    CHECK(r.result() == bh::status::ok);
    CHECK(header(r, bh::field::content_type) == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(r.body() == metrics::render(ready_snapshot(), counters));
    CHECK(r.body().find("schemagate_http_requests_total{path=\"/readyz\",code=\"200\"} 1\n") !=
          std::string::npos);
}

TEST_CASE("error answers close the connection") {
    const auto r = http::error_response(bh::status::request_header_fields_too_large, 11);
    CHECK(r.result_int() == 431);
    CHECK(r.body() == "Request Header Fields Too Large\n");
    CHECK_FALSE(r.keep_alive());
    CHECK(header(r, bh::field::server) == "schemagate");
    CHECK(http::error_response(bh::status::bad_request, 10).version() == 10);
    CHECK(http::error_response(bh::status::bad_request, 20).version() == 11);
}

TEST_CASE("target_path and has_query_flag") {
    CHECK(http::target_path("/readyz?verbose") == "/readyz");
    CHECK(http::target_path("/readyz#x") == "/readyz");
    CHECK(http::target_path("/a?b#c") == "/a");
    CHECK(http::target_path("http://h:1/x/y?z") == "/x/y");
    CHECK(http::target_path("https://h") == "/");
    CHECK(http::target_path("http://h?x") == "/");
    CHECK(http::target_path("") == "");

    CHECK(http::has_query_flag("/r?verbose", "verbose"));
    CHECK(http::has_query_flag("/r?verbose=", "verbose"));
    CHECK(http::has_query_flag("/r?verbose=yes", "verbose"));
    CHECK(http::has_query_flag("/r?x&verbose", "verbose"));
    CHECK(http::has_query_flag("/r?x;verbose", "verbose"));
    CHECK_FALSE(http::has_query_flag("/r?verbose=0", "verbose"));
    CHECK_FALSE(http::has_query_flag("/r?verbose=false", "verbose"));
    CHECK_FALSE(http::has_query_flag("/r", "verbose"));
    CHECK_FALSE(http::has_query_flag("/r?", "verbose"));
    CHECK_FALSE(http::has_query_flag("/r?xverbose", "verbose"));
    CHECK_FALSE(http::has_query_flag("/r#?verbose", "verbose"));
    CHECK_FALSE(http::has_query_flag("/r?a#verbose", "verbose"));
}

TEST_CASE("iso8601_utc") {
    using std::chrono::milliseconds;
    CHECK(http::iso8601_utc(app::Clock::time_point{}) == "1970-01-01T00:00:00.000Z");
    CHECK(http::iso8601_utc(app::Clock::time_point(milliseconds(1700000000123))) ==
          "2023-11-14T22:13:20.123Z");
    CHECK(http::iso8601_utc(app::Clock::time_point(milliseconds(951782400999))) ==
          "2000-02-29T00:00:00.999Z");
    CHECK(http::iso8601_utc(app::Clock::time_point(milliseconds(-1))) ==
          "1969-12-31T23:59:59.999Z");
}

TEST_CASE("readiness and health status helpers") {
    auto s = starting();
    CHECK_FALSE(http::is_ready(s));
    CHECK(http::health_status(s) == "starting");
    s.ready = true;
    CHECK(http::is_ready(s));
    s.stopping = true;
    CHECK_FALSE(http::is_ready(s));
    CHECK(http::health_status(s) == "stopping");
}
