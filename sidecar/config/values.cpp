#include "sidecar/config/values.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <limits>

namespace sg::config {

namespace values {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}
bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}
bool is_control(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// The first element of a libpq port list ("5432,5433"; empty elements take the default) that
// is not a port number, or nullopt when all are.
std::optional<std::string> bad_port_list(std::string_view ports) {
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = ports.find(',', start);
        const std::string_view one = ports.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (!one.empty()) {
            const bool digits = one.size() <= 5 && std::all_of(one.begin(), one.end(), [](char c) {
                                    return c >= '0' && c <= '9';
                                });
            if (!digits || std::stoi(std::string(one)) < 1 || std::stoi(std::string(one)) > 65535) {
                return std::string(one);
            }
        }
        if (comma == std::string_view::npos) {
            return std::nullopt;
        }
        start = comma + 1;
    }
}

// A user's (non-secret) value for a message: quoted, control bytes escaped, long values cut.
std::string quote(std::string_view value) {
    constexpr std::size_t kShown = 80;
    std::string out = "\"";
    for (std::size_t i = 0; i < value.size() && i < kShown; ++i) {
        const auto u = static_cast<unsigned char>(value[i]);
        if (u < 0x20 || u == 0x7f) {
            static constexpr std::string_view kHex = "0123456789abcdef";
            out += "\\x";
            out += kHex[u >> 4U];
            out += kHex[u & 0xfU];
        } else if (value[i] == '"' || value[i] == '\\') {
            out += '\\';
            out += value[i];
        } else {
            out += value[i];
        }
    }
    if (value.size() > kShown) {
        out += "...";
    }
    out += '"';
    return out;
}

std::string format_millis(Millis ms) {
    const auto count = ms.count();
    if (count % 3'600'000 == 0 && count != 0) {
        return std::to_string(count / 3'600'000) + "h";
    }
    if (count % 60'000 == 0 && count != 0) {
        return std::to_string(count / 60'000) + "m";
    }
    if (count % 1000 == 0) {
        return std::to_string(count / 1000) + "s";
    }
    return std::to_string(count) + "ms";
}

DurationParse parse_duration_detail(std::string_view text) {
    std::size_t digits_end = 0;
    while (digits_end < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits_end])) != 0 ||
            text[digits_end] == '.')) {
        ++digits_end;
    }
    const std::string_view number = text.substr(0, digits_end);
    const std::string_view unit = text.substr(digits_end);
    std::int64_t unit_ms = 0;
    if (unit.empty() || unit == "s") {
        unit_ms = 1000;
    } else if (unit == "ms") {
        unit_ms = 1;
    } else if (unit == "m") {
        unit_ms = 60'000;
    } else if (unit == "h") {
        unit_ms = 3'600'000;
    } else {
        return {};
    }
    const std::size_t dot = number.find('.');
    if (dot != std::string_view::npos && number.find('.', dot + 1) != std::string_view::npos) {
        return {};
    }
    std::string_view whole = number.substr(0, dot);
    const std::string_view fraction =
        dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
    if (whole.empty() && fraction.empty()) {
        return {};
    }
    while (whole.size() > 1 && whole.front() == '0') {
        whole.remove_prefix(1);
    }
    if (whole.size() > 12) {  // far beyond the 7-day bound; avoids overflow below
        return {DurationStatus::kRange, Millis{0}};
    }
    std::int64_t whole_value = 0;
    for (const char c : whole) {
        whole_value = whole_value * 10 + (c - '0');
    }
    // At most nine fraction digits count (sub-nanosecond digits cannot change the result).
    const std::string_view used = fraction.substr(0, 9);
    std::int64_t numerator = 0;
    std::int64_t denominator = 1;
    for (const char c : used) {
        numerator = numerator * 10 + (c - '0');
        denominator *= 10;
    }
    const std::int64_t ms =
        whole_value * unit_ms + (numerator * unit_ms + denominator / 2) / denominator;
    if (ms > kMaxDuration.count()) {
        return {DurationStatus::kRange, Millis{0}};
    }
    return {DurationStatus::kOk, Millis{ms}};
}

std::optional<std::int64_t> parse_count(std::string_view text) {
    if (text.empty() || text.size() > 18) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    for (const char c : text) {
        if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

std::optional<Listen> parse_listen(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (host.empty()) {
            return std::nullopt;
        }
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) {
            return std::nullopt;  // a bare IPv6 address: it needs brackets
        }
    }
    const bool host_ok = std::none_of(host.begin(), host.end(), [](char c) {
        return is_space(c) || is_control(c) || c == '[' || c == ']' || c == '/' || c == '@';
    });
    const auto number = parse_count(port);
    if (!host_ok || !number || port.size() > 5 || *number > 65535) {
        return std::nullopt;
    }
    return Listen{host.empty() ? "0.0.0.0" : std::string(host),
                  static_cast<std::uint16_t>(*number)};
}

bool is_extension_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    });
}

}  // namespace values

using values::DurationParse;
using values::DurationStatus;
using values::Listen;
using values::parse_duration_detail;
using values::parse_listen;
using values::to_lower;
using values::trim;

std::optional<Millis> parse_duration(std::string_view text) {
    const DurationParse parsed = parse_duration_detail(text);
    if (parsed.status != DurationStatus::kOk) {
        return std::nullopt;
    }
    return parsed.value;
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
    const std::string lowered = to_lower(trim(text));
    if (lowered == "text") {
        return LogFormat::kText;
    }
    if (lowered == "json") {
        return LogFormat::kJson;
    }
    return std::nullopt;
}

std::optional<LintMode> parse_lint_mode(std::string_view text) {
    const std::string lowered = to_lower(trim(text));
    if (lowered == "error") {
        return LintMode::kError;
    }
    if (lowered == "warn" || lowered == "warning") {
        return LintMode::kWarn;
    }
    if (lowered == "off") {
        return LintMode::kOff;
    }
    return std::nullopt;
}

std::string_view to_string(Isolation isolation) {
    switch (isolation) {
        case Isolation::kShared:
            return "shared";
        case Isolation::kSchema:
            return "schema";
        case Isolation::kDatabase:
            return "database";
    }
    return "shared";
}

std::string_view to_string(LogFormat format) {
    return format == LogFormat::kJson ? "json" : "text";
}

std::string_view to_string(LintMode mode) {
    switch (mode) {
        case LintMode::kError:
            return "error";
        case LintMode::kOff:
            return "off";
        case LintMode::kWarn:
            break;
    }
    return "warn";
}

std::string local_url(std::string_view listen, std::string_view path) {
    const std::optional<Listen> parsed = parse_listen(listen);
    const Config defaults;
    std::string host = parsed ? parsed->host : defaults.listen_host;
    const std::uint16_t port = parsed ? parsed->port : defaults.listen_port;
    if (host == "0.0.0.0") {
        host = "127.0.0.1";
    } else if (host == "::") {
        host = "[::1]";
    } else if (host.find(':') != std::string::npos) {
        host = "[" + host + "]";
    }
    std::string url = "http://";
    url += host;
    url += ':';
    url += std::to_string(port);
    url += path;
    return url;
}

}  // namespace sg::config
