// The one logger: spdlog to stderr, as text or as one JSON object per line
// ({"ts","level","msg","service","fields"}). Trailing key=value pairs of a message become
// `fields` in JSON. Never given secrets: callers pass masked values only.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sg::log {

enum class Format { kText, kJson };

// Installs the default logger. `level` is spdlog's name (trace ... off).
void setup(std::string_view level, Format format, std::string service);

// Splits "applied migration version=3 description=\"add orders\"" into its text and its fields.
struct Parsed {
    std::string text;
    std::vector<std::pair<std::string, std::string>> fields;
};
[[nodiscard]] Parsed parse_fields(std::string_view message);

// One JSON line for a record (exposed for tests).
[[nodiscard]] std::string json_line(std::string_view timestamp, std::string_view level,
                                    std::string_view message, std::string_view service);

}  // namespace sg::log
