#include "sidecar/http/router.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <utility>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "sidecar/metrics/prometheus.hpp"

namespace sg::http {

namespace beast_http = boost::beast::http;
using Json = nlohmann::ordered_json;

namespace {

constexpr std::string_view kServer = "schemagate";
constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kJson = "application/json";

Response make_response(beast_http::status status, unsigned version, bool keep_alive,
                       std::string_view content_type, std::string body) {
    Response res{status, version};
    res.set(beast_http::field::server, kServer);
    res.set(beast_http::field::content_type, content_type);
    res.set(beast_http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

// Reasons come from the database and the worker; a reason is one line in every answer.
std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f') {
            c = ' ';
        }
    }
    return out;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const char a =
            text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
        if (a != prefix[i]) {
            return false;
        }
    }
    return true;
}

std::string_view query_of(std::string_view target) {
    if (const auto hash = target.find('#'); hash != std::string_view::npos) {
        target = target.substr(0, hash);
    }
    const auto question = target.find('?');
    if (question == std::string_view::npos) {
        return {};
    }
    return target.substr(question + 1);
}

std::string phase_reason(const app::Snapshot& s) {
    std::string reason(app::to_string(s.phase));
    if (!s.last_error.empty()) {
        reason.append(": ").append(s.last_error);
    }
    return one_line(reason);
}

Json json_or_null(std::string_view text) {
    return text.empty() ? Json(nullptr) : Json(text);
}

Json time_or_null(const std::optional<app::Clock::time_point>& time) {
    if (!time || time->time_since_epoch().count() == 0) {
        return nullptr;
    }
    const auto text = iso8601_utc(*time);
    return text.empty() ? Json(nullptr) : Json(text);
}

Json health_json(const app::Snapshot& s, bool detailed) {
    const bool up = s.db.reachable;
    Json database = {
        {"status", up ? "up" : "down"},
        {"name", s.db.name.empty() ? s.database : s.db.name},
        {"schema", s.schema},
        {"role", s.role},
    };
    if (detailed) {
        database["error"] = json_or_null(one_line(s.db.error));
        database["checked_at"] = time_or_null(s.db.checked_at);
    }
    Json body = {
        {"status", health_status(s)},
        {"service", s.service},
        {"version", s.version},
        {"phase", app::to_string(s.phase)},
        {"isolation", s.isolation},
        {"database", std::move(database)},
        {"migrations",
         {
             {"current_version", json_or_null(s.current_version)},
             {"applied", s.applied},
             {"pending", s.pending},
             {"failed", s.failed},
             {"lock_wait", json_or_null(one_line(s.lock_wait))},
         }},
        {"last_error", json_or_null(one_line(s.last_error))},
    };
    if (!detailed) {
        return body;
    }
    body["connection"] = s.connection;
    Json checks = Json::array();
    for (const auto& check : readiness_checks(s)) {
        checks.push_back({{"name", check.name}, {"ok", check.ok}, {"reason", check.reason}});
    }
    body["checks"] = std::move(checks);
    body["server_version"] = json_or_null(s.db.server_version);
    body["active_connections"] = s.db.active_connections;
    Json phases = Json::object();
    for (const auto& [name, seconds] : s.phase_seconds) {
        phases[name] = seconds;
    }
    body["init"] = {
        {"attempts", s.attempts},
        {"seconds", s.init_seconds},
        {"started_at", time_or_null(s.started_at)},
        {"ready_at", time_or_null(s.ready_at)},
        {"phases", std::move(phases)},
    };
    Json applied = Json::array();
    for (const auto& m : s.applied_this_run) {
        applied.push_back({{"version", json_or_null(m.version)},
                           {"description", m.description},
                           {"type", m.type},
                           {"seconds", m.seconds}});
    }
    body["applied_this_run"] = std::move(applied);
    return body;
}

std::string readyz_body(const app::Snapshot& s, bool verbose) {
    const bool ready = is_ready(s);
    if (!verbose) {
        if (s.stopping) {
            return "shutting down";
        }
        return ready ? "ok" : std::string(app::to_string(s.phase));
    }
    std::string body;
    for (const auto& check : readiness_checks(s)) {
        body.append(check.ok ? "[+]" : "[-]").append(check.name).append(" ");
        body.append(check.ok ? std::string_view("ok") : std::string_view(check.reason));
        body.append("\n");
    }
    body.append(ready ? "readyz check passed\n" : "readyz check failed\n");
    return body;
}

}  // namespace

std::string_view target_path(std::string_view target) {
    if (iequals_prefix(target, "http://") || iequals_prefix(target, "https://")) {
        const auto authority = target.find("//") + 2;
        const auto slash = target.find_first_of("/?#", authority);
        if (slash == std::string_view::npos || target[slash] != '/') {
            return "/";
        }
        target = target.substr(slash);
    }
    const auto end = target.find_first_of("?#");
    return end == std::string_view::npos ? target : target.substr(0, end);
}

bool has_query_flag(std::string_view target, std::string_view flag) {
    auto query = query_of(target);
    while (!query.empty()) {
        const auto amp = query.find_first_of("&;");
        const auto param = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto equals = param.find('=');
        const auto key = param.substr(0, equals);
        if (key != flag) {
            continue;
        }
        const auto value =
            equals == std::string_view::npos ? std::string_view{} : param.substr(equals + 1);
        return value != "0" && value != "false";
    }
    return false;
}

bool is_ready(const app::Snapshot& snapshot) {
    return snapshot.ready && !snapshot.stopping;
}

std::string_view health_status(const app::Snapshot& s) {
    if (s.stopping) {
        return "stopping";
    }
    if (s.phase == app::Phase::kFailed) {
        return "failed";
    }
    if (!s.ready) {
        return "starting";
    }
    return s.phase == app::Phase::kReady && s.db.reachable ? "ok" : "degraded";
}

std::vector<app::Check> readiness_checks(const app::Snapshot& s) {
    std::vector<app::Check> checks;
    checks.reserve(s.db.checks.size() + 3);

    checks.push_back({"initialisation", s.ready, s.ready ? std::string() : phase_reason(s)});

    app::Check migrations{"migrations", false, {}};
    if (s.failed > 0) {
        migrations.reason = std::to_string(s.failed) + " failed";
    } else if (s.pending > 0) {
        migrations.reason = std::to_string(s.pending) + " pending";
    } else if (s.ready || s.phase == app::Phase::kSeeding || s.phase == app::Phase::kVerifying) {
        migrations.ok = true;
    } else if (s.phase == app::Phase::kFailed) {
        migrations.reason = "not confirmed: initialisation failed";
    } else {
        migrations.reason = "not applied yet";
    }
    checks.push_back(std::move(migrations));

    if (s.db.checks.empty()) {
        std::string reason;
        if (!s.db.reachable) {
            reason = s.db.error.empty() ? "not checked yet" : one_line(s.db.error);
        }
        checks.push_back({"database", s.db.reachable, std::move(reason)});
    }
    for (const auto& check : s.db.checks) {
        std::string reason;
        if (!check.ok) {
            reason = check.reason.empty() ? "failed" : one_line(check.reason);
        }
        checks.push_back({one_line(check.name), check.ok, std::move(reason)});
    }

    checks.push_back(
        {"shutdown", !s.stopping, s.stopping ? std::string("shutting down") : std::string()});
    return checks;
}

std::string iso8601_utc(app::Clock::time_point time) {
    const auto since_epoch = time.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
    const auto whole = static_cast<std::time_t>(seconds.count());
    std::tm tm{};
    if (gmtime_r(&whole, &tm) == nullptr) {
        return {};
    }
    char buffer[40];
    const int written = std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                      tm.tm_min, tm.tm_sec, static_cast<int>(millis.count()));
    if (written <= 0 || static_cast<std::size_t>(written) >= sizeof buffer) {
        return {};
    }
    return {buffer, static_cast<std::size_t>(written)};
}

Response error_response(beast_http::status status, unsigned version) {
    std::string body(beast_http::obsolete_reason(status));
    body.push_back('\n');
    return make_response(status, version == 10 ? 10 : 11, false, kText, std::move(body));
}

namespace {

Response answer(const app::Snapshot& snapshot, const Request& request,
                const metrics::HttpCounters& counters) {
    const unsigned version = request.version() == 10 ? 10 : 11;
    const bool keep_alive = request.keep_alive() && !snapshot.stopping;
    const auto target = request.target();
    const auto endpoint = metrics::endpoint_for_path(target_path(target));

    if (endpoint == metrics::Endpoint::kOther) {
        return make_response(beast_http::status::not_found, version, keep_alive, kText,
                             "not found\n");
    }
    const auto method = request.method();
    if (method != beast_http::verb::get && method != beast_http::verb::head) {
        auto res = make_response(beast_http::status::method_not_allowed, version, keep_alive, kText,
                                 "method not allowed\n");
        res.set(beast_http::field::allow, "GET, HEAD");
        return res;
    }

    Response res;
    switch (endpoint) {
        case metrics::Endpoint::kLivez:
            res = make_response(beast_http::status::ok, version, keep_alive, kText, "ok");
            break;
        case metrics::Endpoint::kReadyz:
            res = make_response(is_ready(snapshot) ? beast_http::status::ok
                                                   : beast_http::status::service_unavailable,
                                version, keep_alive, kText,
                                readyz_body(snapshot, has_query_flag(target, "verbose")));
            break;
        case metrics::Endpoint::kHealth:
        case metrics::Endpoint::kHealthDetailed: {
            const auto json = health_json(snapshot, endpoint == metrics::Endpoint::kHealthDetailed);
            // Text from the database may not be valid UTF-8: replace, never throw.
            auto body = json.dump(-1, ' ', false, Json::error_handler_t::replace);
            body.push_back('\n');
            res = make_response(health_status(snapshot) == "ok"
                                    ? beast_http::status::ok
                                    : beast_http::status::service_unavailable,
                                version, keep_alive, kJson, std::move(body));
            break;
        }
        case metrics::Endpoint::kMetrics:
            res = make_response(beast_http::status::ok, version, keep_alive, metrics::kContentType,
                                metrics::render(snapshot, counters));
            break;
        case metrics::Endpoint::kOther:  // answered above
            res = make_response(beast_http::status::not_found, version, keep_alive, kText,
                                "not found\n");
            break;
    }
    return res;
}

}  // namespace

Response route(const app::Snapshot& snapshot, const Request& request,
               const metrics::HttpCounters& counters) {
    auto res = answer(snapshot, request, counters);
    if (request.method() == beast_http::verb::head) {
        res.body().clear();  // Content-Length stays that of the GET answer
    }
    return res;
}

}  // namespace sg::http
