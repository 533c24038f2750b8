// Prometheus text exposition (format 0.0.4) of the lifecycle snapshot and the HTTP counters.
// Pure: formats what it is given; never reads the database, never logs.
#pragma once

#include <string>
#include <string_view>

#include "sidecar/app/status.hpp"
#include "sidecar/metrics/counters.hpp"

namespace sg::metrics {

// The Content-Type of the exposition.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Every metric with its # HELP and # TYPE lines, in a stable order.
[[nodiscard]] std::string render(const app::Snapshot& snapshot, const HttpCounters& counters);

// Label value escaping: backslash, double quote and line feed become \\, \" and \n.
[[nodiscard]] std::string escape_label_value(std::string_view value);

// A sample value: shortest round-trip form, "+Inf", "-Inf" or "NaN".
[[nodiscard]] std::string format_value(double value);

}  // namespace sg::metrics
