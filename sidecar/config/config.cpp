#include "sidecar/config/config.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <utility>

#include "sidecar/config/checks.hpp"
#include "sidecar/config/reader.hpp"
#include "sidecar/config/values.hpp"

namespace sg::config {

namespace {

using detail::check_backoff_order;
using detail::check_database_named;
using detail::check_reserved_names;
using detail::kMaxIdentifierBytes;
using detail::Reader;
using values::is_control;
using values::is_extension_name;
using values::parse_count;
using values::parse_listen;
using values::quote;
using values::to_lower;
using values::trim;

// SCHEMAGATE_SERVICE; true when a usable name was given (the role and schema defaults follow it).
bool read_service(Reader& r, Config& c, Requirements requirements) {
    auto service = r.get("SCHEMAGATE_SERVICE");
    if (!service) {
        if (requirements.service) {
            r.problem("SCHEMAGATE_SERVICE",
                      "is required; set it to the paired service's name, e.g. "
                      "SCHEMAGATE_SERVICE=orders (or --service orders)");
        }
        return false;
    }
    const std::string& name = service->text;
    if (std::any_of(name.begin(), name.end(), is_control)) {
        r.problem("SCHEMAGATE_SERVICE", quote(name) +
                                            " contains control characters; use a plain name such "
                                            "as orders or user-service");
        return false;
    }
    if (identifier_for(name).size() > kMaxIdentifierBytes) {
        r.problem("SCHEMAGATE_SERVICE",
                  quote(name) + " is " + std::to_string(name.size()) +
                      " bytes long; use at most 63 bytes (it names a PostgreSQL role and "
                      "schema), e.g. user-service");
        return false;
    }
    c.service = name;
    return true;
}

void read_migrations_dir(Reader& r, Config& c) {
    if (auto dir = r.get("SCHEMAGATE_MIGRATIONS")) {
        if (std::any_of(dir->text.begin(), dir->text.end(), is_control)) {
            r.problem("SCHEMAGATE_MIGRATIONS",
                      quote(dir->text) +
                          " contains control characters; use a directory path "
                          "such as /migrations");
        } else {
            c.migrations = dir->text;
        }
    }
}

void read_isolation(Reader& r, Config& c) {
    if (auto isolation = r.get_trimmed("SCHEMAGATE_ISOLATION")) {
        const std::string lowered = to_lower(*isolation);
        if (lowered == "shared") {
            c.isolation = Isolation::kShared;
        } else if (lowered == "schema") {
            c.isolation = Isolation::kSchema;
        } else if (lowered == "database") {
            c.isolation = Isolation::kDatabase;
        } else {
            r.problem("SCHEMAGATE_ISOLATION",
                      quote(*isolation) +
                          " is not an isolation mode; use shared, schema or "
                          "database");
        }
    }
}

// SCHEMAGATE_SCHEMA: public for shared isolation, the service's identifier otherwise. True when
// it was set.
bool read_schema(Reader& r, Config& c, bool service_ok) {
    const auto schema = r.get("SCHEMAGATE_SCHEMA");
    if (schema) {
        if (r.check_identifier("SCHEMAGATE_SCHEMA", schema->text, "schema")) {
            c.schema = schema->text;
        }
    } else if (c.isolation == Isolation::kShared) {
        c.schema = "public";
    } else if (service_ok) {
        c.schema = identifier_for(c.service);
    }
    return schema.has_value();
}

// SCHEMAGATE_ROLE: the service's identifier unless set. True when it was set.
bool read_role(Reader& r, Config& c, bool service_ok) {
    const auto role = r.get("SCHEMAGATE_ROLE");
    if (role) {
        if (r.check_identifier("SCHEMAGATE_ROLE", role->text, "role")) {
            c.role = role->text;
        }
    } else if (service_ok) {
        c.role = identifier_for(c.service);
    }
    return role.has_value();
}

void read_extensions(Reader& r, Config& c) {
    auto list = r.get("SCHEMAGATE_EXTENSIONS");
    if (!list) {
        return;
    }
    std::string_view rest = list->text;
    while (true) {
        const std::size_t comma = rest.find(',');
        const std::string_view item = trim(rest.substr(0, comma));
        if (!item.empty()) {
            if (!is_extension_name(item)) {
                r.problem("SCHEMAGATE_EXTENSIONS",
                          quote(item) +
                              " is not an extension name; use a comma list of "
                              "names made of letters, digits, _ and -, e.g. "
                              "uuid-ossp,pgcrypto");
            } else if (std::find(c.extensions.begin(), c.extensions.end(), item) ==
                       c.extensions.end()) {
                c.extensions.emplace_back(item);
            }
        }
        if (comma == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(comma + 1);
    }
}

// What provisioning creates: the database DATABASE_URL names, the schema, the role and its
// password, the extensions.
void read_provisioning(Reader& r, Config& c, const Env& env, bool service_ok) {
    const bool schema_given = read_schema(r, c, service_ok);
    if (auto admin = r.dsn("SCHEMAGATE_ADMIN_URL")) {
        c.admin_url = std::move(*admin);
    }
    const bool role_given = read_role(r, c, service_ok);
    if (auto password = r.get("SCHEMAGATE_ROLE_PASSWORD")) {
        c.role_password = Secret(std::move(password->text));
    }
    check_reserved_names(r, c, role_given, schema_given);
    check_database_named(r, c, env);
    read_extensions(r, c);
}

void read_listen(Reader& r, Config& c) {
    auto listen = r.get_trimmed("SCHEMAGATE_LISTEN");
    if (!listen) {
        return;
    }
    if (auto parsed = parse_listen(*listen)) {
        c.listen_host = std::move(parsed->host);
        c.listen_port = parsed->port;
        return;
    }
    std::string hint;
    if (parse_count(*listen)) {
        hint = " (did you mean :" + *listen + "?)";
    }
    r.problem("SCHEMAGATE_LISTEN",
              quote(*listen) + " is not an address" + hint +
                  "; use host:port, [ipv6]:port or :port with a port from 0 to 65535, "
                  "e.g. 0.0.0.0:8080");
}

// How long a runner waits for the migration lock and each statement for its locks.
void read_locking(Reader& r, Config& c) {
    if (auto d = r.duration("SCHEMAGATE_LOCK_TIMEOUT")) {
        c.lock_timeout = *d;
    }
    if (auto d = r.duration("SCHEMAGATE_STATEMENT_LOCK_TIMEOUT")) {
        if (d->count() == 0) {
            c.statement_lock_timeout.reset();
        } else {
            c.statement_lock_timeout = *d;
        }
    }
    if (auto n = r.count("SCHEMAGATE_LOCK_RETRIES", 0, 1000, "10, or 0 for no retry")) {
        c.lock_retries = static_cast<int>(*n);
    }
}

// How the migrations directory is read and what its pending files may do: lint, layout, order,
// the numbering `new` uses.
void read_migration_rules(Reader& r, Config& c) {
    if (auto lint = r.get_trimmed("SCHEMAGATE_LINT")) {
        if (const auto parsed = parse_lint_mode(*lint)) {
            c.lint = *parsed;
        } else {
            r.problem("SCHEMAGATE_LINT",
                      quote(*lint) + " is not a lint mode; use error, warn or off");
        }
    }
    if (auto text = r.get_trimmed("SCHEMAGATE_FORMAT")) {
        const std::string lowered = to_lower(*text);
        static constexpr std::array<std::string_view, 6> kFormats = {
            "auto", "schemagate", "flyway", "golang-migrate", "goose", "dbmate"};
        if (std::find(kFormats.begin(), kFormats.end(), lowered) != kFormats.end()) {
            c.format = lowered;
        } else {
            r.problem("SCHEMAGATE_FORMAT",
                      quote(*text) +
                          " is not a layout; use auto, schemagate, flyway, golang-migrate, goose "
                          "or dbmate");
        }
    }
    if (auto text = r.get_trimmed("SCHEMAGATE_OUT_OF_ORDER")) {
        const std::string lowered = to_lower(*text);
        if (lowered == "refuse" || lowered == "allow") {
            c.out_of_order_allowed = lowered == "allow";
        } else {
            r.problem("SCHEMAGATE_OUT_OF_ORDER",
                      quote(*text) + " is not a choice; use refuse or allow");
        }
    }
    if (auto text = r.get_trimmed("SCHEMAGATE_VERSION_STYLE")) {
        const std::string lowered = to_lower(*text);
        if (lowered == "sequential" || lowered == "timestamp") {
            c.timestamp_versions = lowered == "timestamp";
        } else {
            r.problem("SCHEMAGATE_VERSION_STYLE",
                      quote(*text) + " is not a style; use sequential or timestamp");
        }
    }
}

// DB_INIT_*: the attempts, back-off and timeout of connecting.
void read_connect_backoff(Reader& r, Config& c) {
    if (auto n = r.count("DB_INIT_MAX_RETRIES", 0, INT_MAX, "10, or 0 for no limit")) {
        c.max_retries = static_cast<int>(*n);
    }
    const auto initial = r.duration("DB_INIT_INITIAL_DELAY", Millis{1});
    if (initial) {
        c.initial_delay = *initial;
    }
    const auto max_delay = r.duration("DB_INIT_MAX_DELAY", Millis{1});
    if (max_delay) {
        c.max_delay = *max_delay;
    }
    check_backoff_order(r, c, initial.has_value(), max_delay.has_value());
    if (auto d = r.duration("DB_INIT_TIMEOUT", Millis{1})) {
        c.connect_timeout = *d;
    }
}

// LOG_LEVEL and SCHEMAGATE_LOG_FORMAT.
void read_logging(Reader& r, Config& c) {
    if (auto level = r.get_trimmed("LOG_LEVEL")) {
        const std::string lowered = to_lower(*level);
        static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kLevels = {{
            {"trace", "trace"},
            {"debug", "debug"},
            {"info", "info"},
            {"warn", "warning"},
            {"warning", "warning"},
            {"error", "error"},
            {"critical", "critical"},
            {"off", "off"},
        }};
        const auto it = std::find_if(kLevels.begin(), kLevels.end(),
                                     [&](const auto& entry) { return entry.first == lowered; });
        if (it == kLevels.end()) {
            r.problem("LOG_LEVEL", quote(*level) +
                                       " is not a log level; use trace, debug, info, "
                                       "warn, error, critical or off");
        } else {
            c.log_level = std::string(it->second);
        }
    }
    if (auto format = r.get_trimmed("SCHEMAGATE_LOG_FORMAT")) {
        if (const auto parsed = parse_log_format(*format)) {
            c.log_format = *parsed;
        } else {
            r.problem("SCHEMAGATE_LOG_FORMAT",
                      quote(*format) + " is not a log format; use text or json");
        }
    }
}

void read_http_limits(Reader& r, HttpLimits& http) {
    if (auto n =
            r.count("SCHEMAGATE_HTTP_MAX_HEADER_BYTES", 1024, std::int64_t{1024} * 1024, "8192")) {
        http.max_header_bytes = static_cast<std::size_t>(*n);
    }
    if (auto n = r.count("SCHEMAGATE_HTTP_MAX_CONNECTIONS", 1, 65536, "256")) {
        http.max_connections = static_cast<std::size_t>(*n);
    }
    if (auto d = r.duration("SCHEMAGATE_HTTP_READ_TIMEOUT", Millis{1})) {
        http.read_timeout = *d;
    }
    if (auto d = r.duration("SCHEMAGATE_HTTP_IDLE_TIMEOUT", Millis{1})) {
        http.idle_timeout = *d;
    }
}

}  // namespace

// Service name -> PostgreSQL identifier: ASCII letters are lower-cased and '-', '.' and ' '
// become '_' ("User-Service.v2" -> "user_service_v2"); every other byte (digits, '_', non-ASCII
// UTF-8, punctuation) is kept as it is and the name is quoted wherever it is used in SQL.
// The mapping is byte for byte, so the identifier is exactly as long as the name.
std::string identifier_for(std::string_view service) {
    std::string out;
    out.reserve(service.size());
    for (const char c : service) {
        if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else if (c == '-' || c == '.' || c == ' ') {
            out += '_';
        } else {
            out += c;
        }
    }
    return out;
}

// One step per group of settings. The order of the steps is the order problems are reported in.
ParseResult parse(const Env& env, Requirements requirements, FileReader read_file) {
    Reader r(env, read_file);
    Config c;
    if (auto url = r.dsn("DATABASE_URL")) {
        c.database_url = std::move(*url);
    }
    const bool service_ok = read_service(r, c, requirements);
    read_migrations_dir(r, c);
    read_isolation(r, c);
    read_provisioning(r, c, env, service_ok);
    read_listen(r, c);
    read_locking(r, c);
    read_migration_rules(r, c);
    read_connect_backoff(r, c);
    read_logging(r, c);
    read_http_limits(r, c.http);
    r.read_placeholders(c.placeholders);
    r.check_unknown();
    if (r.has_problems()) {
        return r.take_problems();
    }
    return c;
}

}  // namespace sg::config
