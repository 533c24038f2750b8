// The value parsers of the settings: text helpers, durations, counts, ports, listen addresses,
// quoting for messages. Used across the config module; pure, so the unit tests and the fuzzer
// reach them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sidecar/config/config.hpp"

namespace sg::config::values {

[[nodiscard]] bool starts_with(std::string_view text, std::string_view prefix);
[[nodiscard]] bool ends_with(std::string_view text, std::string_view suffix);
[[nodiscard]] bool is_space(char c);
[[nodiscard]] bool is_control(char c);
[[nodiscard]] std::string_view trim(std::string_view text);
[[nodiscard]] std::string to_lower(std::string_view text);
// What is wrong with libpq's comma list of ports, or nullopt when every element is 1-65535.
[[nodiscard]] std::optional<std::string> bad_port_list(std::string_view ports);
// `value` in double quotes for a message, control bytes escaped, long values cut.
[[nodiscard]] std::string quote(std::string_view value);
// 300000 ms -> "5m", 1500 -> "1500ms".
[[nodiscard]] std::string format_millis(Millis ms);

enum class DurationStatus { kOk, kSyntax, kRange };

struct DurationParse {
    DurationStatus status = DurationStatus::kSyntax;
    Millis value{0};
};

[[nodiscard]] DurationParse parse_duration_detail(std::string_view text);
// A plain non-negative decimal number.
[[nodiscard]] std::optional<std::int64_t> parse_count(std::string_view text);

struct Listen {
    std::string host;
    std::uint16_t port = 0;
};

// host:port, [v6]:port or :port (all addresses); nullopt when malformed.
[[nodiscard]] std::optional<Listen> parse_listen(std::string_view text);
// A name `CREATE EXTENSION` accepts unquoted: letters, digits, '_' and '-'.
[[nodiscard]] bool is_extension_name(std::string_view name);

}  // namespace sg::config::values
