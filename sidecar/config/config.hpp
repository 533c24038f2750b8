// Settings: environment + flags + *_FILE secrets -> one validated Config, or every problem at once.
// Pure: reads only the files that *_FILE variables name; never logs, never connects.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sidecar/config/secret.hpp"
#include "sidecar/config/settings.hpp"

namespace sg::config {

using Env = std::map<std::string, std::string, std::less<>>;
using Millis = std::chrono::milliseconds;

enum class Isolation { kShared, kSchema, kDatabase };
enum class LogFormat { kText, kJson };
// SCHEMAGATE_LINT: what a lint finding in a pending file does.
enum class LintMode { kError, kWarn, kOff };

[[nodiscard]] std::string_view to_string(Isolation isolation);
[[nodiscard]] std::string_view to_string(LogFormat format);
[[nodiscard]] std::string_view to_string(LintMode mode);

// Durations are accepted from 0 up to this bound (some settings need at least 1ms).
inline constexpr Millis kMaxDuration{std::chrono::hours(24 * 7)};

struct HttpLimits {
    std::size_t max_header_bytes = std::size_t{8} * 1024;
    std::size_t max_connections = 256;
    Millis read_timeout{5000};  // the time a client has to send a whole request
    Millis idle_timeout{5000};  // keep-alive connections idle longer are closed
    // At the cap, a client still sending its request (or reading its answer) after this long, or
    // a quarter of read_timeout if that is shorter, may lose its place to a new connection. A
    // local probe sends its whole request in one segment right after connecting; only a slow
    // client is still at it after a tenth of a second. Not a setting (tests lengthen it).
    Millis slow_grace{100};
};

struct Config {
    std::string service;  // as given (e.g. "user-service")
    std::filesystem::path migrations{"/migrations"};
    // SCHEMAGATE_FORMAT, lower-cased: auto, schemagate, flyway, golang-migrate, goose or dbmate
    // (migrate::parse_format reads it; config does not import migrate).
    std::string format = "auto";
    Isolation isolation = Isolation::kShared;
    std::string schema;   // effective target schema
    Secret database_url;  // may be empty: libpq defaults and PG* variables apply
    std::optional<Secret> admin_url;
    std::string role;  // effective role name
    std::optional<Secret> role_password;
    std::vector<std::string> extensions;
    std::string listen_host = "0.0.0.0";
    std::uint16_t listen_port = 8080;
    Millis lock_timeout{std::chrono::minutes(5)};
    std::optional<Millis> statement_lock_timeout{std::chrono::seconds(3)};  // nullopt = off
    int lock_retries = 10;  // retries of a file that hit the statement lock timeout
    LintMode lint = LintMode::kWarn;
    bool out_of_order_allowed = false;  // SCHEMAGATE_OUT_OF_ORDER=allow
    bool timestamp_versions = false;    // SCHEMAGATE_VERSION_STYLE=timestamp (for `new`)
    std::string target_version;  // `migrate --target` (a flag, not a setting); "" = every version
    int max_retries = 10;        // 0 = no limit
    Millis initial_delay{100};
    Millis max_delay{30000};
    Millis connect_timeout{30000};
    std::string log_level = "info";
    LogFormat log_format = LogFormat::kText;
    std::map<std::string, std::string> placeholders;  // SCHEMAGATE_PLACEHOLDER_<NAME> -> ${name}
    HttpLimits http;
};

// A problem names the variable (or flag) it came from and what is accepted.
struct Problem {
    std::string variable;
    std::string message;
    [[nodiscard]] std::string line() const { return variable + ": " + message; }
};

struct Requirements {
    bool service = true;  // SCHEMAGATE_SERVICE must be set (everything touching the database)
};

using ParseResult = std::variant<Config, std::vector<Problem>>;

// `env` is the process environment with the command-line flags already applied over it
// (see set_override). Files named by *_FILE are read through `read_file` so tests inject them.
using FileReader = std::optional<std::string> (*)(const std::filesystem::path&, std::string& error);
[[nodiscard]] ParseResult parse(const Env& env, Requirements requirements = {},
                                FileReader read_file = nullptr);

// "250ms", "5s", "5m", "1h", "1.5s" or plain seconds ("30", "0.25") -> milliseconds, rounded to
// the nearest millisecond. nullopt for anything else: signs, spaces, other units, empty text, or
// more than kMaxDuration.
[[nodiscard]] std::optional<Millis> parse_duration(std::string_view text);

// SCHEMAGATE_LOG_FORMAT's value: "text" or "json", any case, blanks around ignored.
[[nodiscard]] std::optional<LogFormat> parse_log_format(std::string_view text);

// SCHEMAGATE_LINT's value: "error", "warn" or "off", any case, blanks around ignored.
[[nodiscard]] std::optional<LintMode> parse_lint_mode(std::string_view text);

// The long flag of a variable: DATABASE_URL -> "database-url",
// SCHEMAGATE_LOCK_TIMEOUT -> "lock-timeout".
[[nodiscard]] std::string flag_for(std::string_view variable);

// Valid PostgreSQL identifier derived from a service name: lower-cased, '-', '.', ' ' -> '_'.
// "user-service" -> "user_service". Other characters are kept (and quoted when used).
[[nodiscard]] std::string identifier_for(std::string_view service);

// The URL at which this host reaches a server listening on SCHEMAGATE_LISTEN `listen`, for
// `path`: a wildcard address is reached on loopback (0.0.0.0 and "" -> 127.0.0.1, :: -> [::1]),
// any other address as itself (IPv6 in brackets). Unparsable text: the default port on
// 127.0.0.1. "0.0.0.0:8080" -> "http://127.0.0.1:8080/readyz", "[::1]:9000" ->
// "http://[::1]:9000/readyz".
[[nodiscard]] std::string local_url(std::string_view listen, std::string_view path);

// Sets a flag's value over the environment: `variable` wins over its other form, so
// --database-url-file drops DATABASE_URL and --database-url drops DATABASE_URL_FILE (otherwise
// parse() would report both as set).
void set_override(Env& env, std::string_view variable, std::string value);

// Process environment as a map.
[[nodiscard]] Env process_environment();

}  // namespace sg::config
