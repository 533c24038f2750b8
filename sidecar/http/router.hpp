// Routing of /livez, /readyz, /health, /health/detailed and /metrics: request + snapshot ->
// response. Pure: reads only the snapshot and counters it is given; never touches the database,
// never does I/O, never logs. Answers never contain secrets (the snapshot holds none).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include "sidecar/app/status.hpp"
#include "sidecar/metrics/counters.hpp"

namespace sg::http {

using Request = boost::beast::http::request<boost::beast::http::empty_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// The answer to one request. HEAD gets the GET answer's headers (Content-Length included) and no
// body. Unknown paths get 404; a method other than GET/HEAD on a known path gets 405 with
// `Allow: GET, HEAD`. The response keeps the request's HTTP version and keep-alive wish, except
// that a stopping sidecar asks clients to close.
[[nodiscard]] Response route(const app::Snapshot& snapshot, const Request& request,
                             const metrics::HttpCounters& counters);

// An answer the server gives without routing (400, 408, 413, 431, 505, ...): a short text body
// naming the status, `Connection: close`.
[[nodiscard]] Response error_response(boost::beast::http::status status, unsigned version);

// The path of a request target: "/readyz?verbose" -> "/readyz"; absolute form
// "http://host:8080/readyz?x" -> "/readyz".
[[nodiscard]] std::string_view target_path(std::string_view target);

// Whether the query string of `target` turns `flag` on: "?verbose", "?verbose=1", "?a&verbose"
// do; "?verbose=0", "?verbose=false" and "?verbosely" do not.
[[nodiscard]] bool has_query_flag(std::string_view target, std::string_view flag);

// The checks /readyz?verbose lists, in order: initialisation, migrations, the database checks of
// the snapshot, shutdown.
[[nodiscard]] std::vector<app::Check> readiness_checks(const app::Snapshot& snapshot);

// Whether /readyz answers 200: initialisation succeeded once (latched) and not stopping.
[[nodiscard]] bool is_ready(const app::Snapshot& snapshot);

// The "status" of /health: "ok", "starting", "degraded", "failed" or "stopping".
[[nodiscard]] std::string_view health_status(const app::Snapshot& snapshot);

// ISO-8601 UTC with milliseconds: "2024-05-01T12:00:00.123Z".
[[nodiscard]] std::string iso8601_utc(app::Clock::time_point time);

}  // namespace sg::http
