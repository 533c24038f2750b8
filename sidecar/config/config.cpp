#include "sidecar/config/config.hpp"

#include <algorithm>
#include <array>
#include <climits>

#include "sidecar/config/reader.hpp"
#include "sidecar/config/values.hpp"
#include "sidecar/db/dsn.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in a header

namespace sg::config {

namespace {

using detail::kFileSuffix;
using detail::kMaxIdentifierBytes;
using detail::kPrefix;
using values::ends_with;
using values::format_millis;
using values::is_control;
using values::is_extension_name;
using values::parse_count;
using values::parse_listen;
using values::quote;
using values::starts_with;
using values::to_lower;
using values::trim;

}  // namespace

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

std::string flag_for(std::string_view variable) {
    if (starts_with(variable, kPrefix)) {
        variable.remove_prefix(kPrefix.size());
    }
    std::string flag = to_lower(variable);
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
}

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

void set_override(Env& env, std::string_view variable, std::string value) {
    if (ends_with(variable, kFileSuffix)) {
        const std::string_view base = variable.substr(0, variable.size() - kFileSuffix.size());
        if (const Setting* s = find_setting(base); s != nullptr && s->secret_file_allowed) {
            env.erase(std::string(base));
        }
    } else if (const Setting* s = find_setting(variable); s != nullptr && s->secret_file_allowed) {
        env.erase(std::string(variable) + std::string(kFileSuffix));
    }
    env[std::string(variable)] = std::move(value);
}

Env process_environment() {
    Env env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const std::size_t eq = text.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            continue;
        }
        env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
    return env;
}

ParseResult parse(const Env& env, Requirements requirements, FileReader read_file) {
    detail::Reader p(env, read_file);
    Config c;

    // DATABASE_URL
    if (auto url = p.dsn("DATABASE_URL")) {
        c.database_url = std::move(*url);
    }

    // SCHEMAGATE_SERVICE
    bool service_ok = false;
    if (auto service = p.get("SCHEMAGATE_SERVICE")) {
        const std::string& name = service->text;
        if (std::any_of(name.begin(), name.end(), is_control)) {
            p.problem("SCHEMAGATE_SERVICE",
                      quote(name) +
                          " contains control characters; use a plain name such as "
                          "orders or user-service");
        } else if (identifier_for(name).size() > kMaxIdentifierBytes) {
            p.problem("SCHEMAGATE_SERVICE",
                      quote(name) + " is " + std::to_string(name.size()) +
                          " bytes long; use at most 63 bytes (it names a PostgreSQL role and "
                          "schema), e.g. user-service");
        } else {
            c.service = name;
            service_ok = true;
        }
    } else if (requirements.service) {
        p.problem("SCHEMAGATE_SERVICE",
                  "is required; set it to the paired service's name, e.g. "
                  "SCHEMAGATE_SERVICE=orders (or --service orders)");
    }
    const std::string service_identifier = identifier_for(c.service);

    // SCHEMAGATE_MIGRATIONS
    if (auto dir = p.get("SCHEMAGATE_MIGRATIONS")) {
        if (std::any_of(dir->text.begin(), dir->text.end(), is_control)) {
            p.problem("SCHEMAGATE_MIGRATIONS",
                      quote(dir->text) +
                          " contains control characters; use a directory path "
                          "such as /migrations");
        } else {
            c.migrations = dir->text;
        }
    }

    // SCHEMAGATE_ISOLATION
    if (auto isolation = p.get_trimmed("SCHEMAGATE_ISOLATION")) {
        const std::string lowered = to_lower(*isolation);
        if (lowered == "shared") {
            c.isolation = Isolation::kShared;
        } else if (lowered == "schema") {
            c.isolation = Isolation::kSchema;
        } else if (lowered == "database") {
            c.isolation = Isolation::kDatabase;
        } else {
            p.problem("SCHEMAGATE_ISOLATION",
                      quote(*isolation) +
                          " is not an isolation mode; use shared, schema or "
                          "database");
        }
    }

    // SCHEMAGATE_SCHEMA: public for shared isolation, the service's identifier otherwise.
    const auto schema = p.get("SCHEMAGATE_SCHEMA");
    if (schema) {
        if (p.check_identifier("SCHEMAGATE_SCHEMA", schema->text, "schema")) {
            c.schema = schema->text;
        }
    } else if (c.isolation == Isolation::kShared) {
        c.schema = "public";
    } else if (service_ok) {
        c.schema = service_identifier;
    }

    // SCHEMAGATE_ADMIN_URL
    if (auto admin = p.dsn("SCHEMAGATE_ADMIN_URL")) {
        c.admin_url = std::move(*admin);
    }

    // SCHEMAGATE_ROLE / SCHEMAGATE_ROLE_PASSWORD
    const auto role = p.get("SCHEMAGATE_ROLE");
    if (role) {
        if (p.check_identifier("SCHEMAGATE_ROLE", role->text, "role")) {
            c.role = role->text;
        }
    } else if (service_ok) {
        c.role = service_identifier;
    }
    if (auto password = p.get("SCHEMAGATE_ROLE_PASSWORD")) {
        c.role_password = Secret(std::move(password->text));
    }

    // Provisioning creates these names; PostgreSQL reserves the pg_ prefix for its own.
    if (c.admin_url) {
        if (starts_with(c.role, "pg_")) {
            p.problem(role ? "SCHEMAGATE_ROLE" : "SCHEMAGATE_SERVICE",
                      "the role name " + quote(c.role) +
                          " starts with pg_, which PostgreSQL reserves; set SCHEMAGATE_ROLE to "
                          "another name");
        }
        if (c.isolation != Isolation::kShared && starts_with(c.schema, "pg_")) {
            p.problem(schema ? "SCHEMAGATE_SCHEMA" : "SCHEMAGATE_SERVICE",
                      "the schema name " + quote(c.schema) +
                          " starts with pg_, which PostgreSQL reserves; set SCHEMAGATE_SCHEMA "
                          "to another name");
        }
    }

    // Database-per-service provisioning creates the database DATABASE_URL names: it must name one.
    if (c.isolation == Isolation::kDatabase && c.admin_url) {
        const auto options = db::parse_dsn(c.database_url.reveal());
        const bool named = options && options->contains("dbname") && !options->at("dbname").empty();
        const auto pgdatabase = env.find("PGDATABASE");
        if (options && !named && (pgdatabase == env.end() || pgdatabase->second.empty())) {
            p.problem("DATABASE_URL",
                      "names no database, but SCHEMAGATE_ISOLATION=database with "
                      "SCHEMAGATE_ADMIN_URL creates the database it names; add one, e.g. "
                      "postgres://orders@db:5432/orders or dbname=orders (or set PGDATABASE)");
        }
    }

    // SCHEMAGATE_EXTENSIONS
    if (auto list = p.get("SCHEMAGATE_EXTENSIONS")) {
        std::string_view rest = list->text;
        while (true) {
            const std::size_t comma = rest.find(',');
            const std::string_view item = trim(rest.substr(0, comma));
            if (!item.empty()) {
                if (!is_extension_name(item)) {
                    p.problem("SCHEMAGATE_EXTENSIONS",
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

    // SCHEMAGATE_LISTEN
    if (auto listen = p.get_trimmed("SCHEMAGATE_LISTEN")) {
        if (auto parsed = parse_listen(*listen)) {
            c.listen_host = std::move(parsed->host);
            c.listen_port = parsed->port;
        } else {
            std::string hint;
            if (parse_count(*listen)) {
                hint = " (did you mean :" + *listen + "?)";
            }
            p.problem("SCHEMAGATE_LISTEN",
                      quote(*listen) + " is not an address" + hint +
                          "; use host:port, [ipv6]:port or :port with a port from 0 to 65535, "
                          "e.g. 0.0.0.0:8080");
        }
    }

    // Durations and counts.
    if (auto d = p.duration("SCHEMAGATE_LOCK_TIMEOUT")) {
        c.lock_timeout = *d;
    }
    if (auto d = p.duration("SCHEMAGATE_STATEMENT_LOCK_TIMEOUT")) {
        if (d->count() == 0) {
            c.statement_lock_timeout.reset();
        } else {
            c.statement_lock_timeout = *d;
        }
    }
    if (auto n = p.count("SCHEMAGATE_LOCK_RETRIES", 0, 1000, "10, or 0 for no retry")) {
        c.lock_retries = static_cast<int>(*n);
    }
    if (auto lint = p.get_trimmed("SCHEMAGATE_LINT")) {
        if (const auto parsed = parse_lint_mode(*lint)) {
            c.lint = *parsed;
        } else {
            p.problem("SCHEMAGATE_LINT",
                      quote(*lint) + " is not a lint mode; use error, warn or off");
        }
    }
    if (auto text = p.get_trimmed("SCHEMAGATE_FORMAT")) {
        const std::string lowered = to_lower(*text);
        static constexpr std::array<std::string_view, 6> kFormats = {
            "auto", "schemagate", "flyway", "golang-migrate", "goose", "dbmate"};
        if (std::find(kFormats.begin(), kFormats.end(), lowered) != kFormats.end()) {
            c.format = lowered;
        } else {
            p.problem("SCHEMAGATE_FORMAT",
                      quote(*text) +
                          " is not a layout; use auto, schemagate, flyway, golang-migrate, goose "
                          "or dbmate");
        }
    }
    if (auto text = p.get_trimmed("SCHEMAGATE_OUT_OF_ORDER")) {
        const std::string lowered = to_lower(*text);
        if (lowered == "refuse" || lowered == "allow") {
            c.out_of_order_allowed = lowered == "allow";
        } else {
            p.problem("SCHEMAGATE_OUT_OF_ORDER",
                      quote(*text) + " is not a choice; use refuse or allow");
        }
    }
    if (auto text = p.get_trimmed("SCHEMAGATE_VERSION_STYLE")) {
        const std::string lowered = to_lower(*text);
        if (lowered == "sequential" || lowered == "timestamp") {
            c.timestamp_versions = lowered == "timestamp";
        } else {
            p.problem("SCHEMAGATE_VERSION_STYLE",
                      quote(*text) + " is not a style; use sequential or timestamp");
        }
    }
    if (auto n = p.count("DB_INIT_MAX_RETRIES", 0, INT_MAX, "10, or 0 for no limit")) {
        c.max_retries = static_cast<int>(*n);
    }
    const auto initial = p.duration("DB_INIT_INITIAL_DELAY", Millis{1});
    if (initial) {
        c.initial_delay = *initial;
    }
    const auto max_delay = p.duration("DB_INIT_MAX_DELAY", Millis{1});
    if (max_delay) {
        c.max_delay = *max_delay;
    }
    if (c.initial_delay > c.max_delay && (initial || max_delay)) {
        p.problem(initial ? "DB_INIT_INITIAL_DELAY" : "DB_INIT_MAX_DELAY",
                  "the first back-off delay (DB_INIT_INITIAL_DELAY, " +
                      format_millis(c.initial_delay) + ") is longer than its cap (" +
                      "DB_INIT_MAX_DELAY, " + format_millis(c.max_delay) +
                      "); make DB_INIT_INITIAL_DELAY at most DB_INIT_MAX_DELAY");
    }
    if (auto d = p.duration("DB_INIT_TIMEOUT", Millis{1})) {
        c.connect_timeout = *d;
    }

    // LOG_LEVEL / SCHEMAGATE_LOG_FORMAT
    if (auto level = p.get_trimmed("LOG_LEVEL")) {
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
            p.problem("LOG_LEVEL", quote(*level) +
                                       " is not a log level; use trace, debug, info, "
                                       "warn, error, critical or off");
        } else {
            c.log_level = std::string(it->second);
        }
    }
    if (auto format = p.get_trimmed("SCHEMAGATE_LOG_FORMAT")) {
        if (const auto parsed = parse_log_format(*format)) {
            c.log_format = *parsed;
        } else {
            p.problem("SCHEMAGATE_LOG_FORMAT",
                      quote(*format) + " is not a log format; use text or json");
        }
    }

    // HTTP limits.
    if (auto n =
            p.count("SCHEMAGATE_HTTP_MAX_HEADER_BYTES", 1024, std::int64_t{1024} * 1024, "8192")) {
        c.http.max_header_bytes = static_cast<std::size_t>(*n);
    }
    if (auto n = p.count("SCHEMAGATE_HTTP_MAX_CONNECTIONS", 1, 65536, "256")) {
        c.http.max_connections = static_cast<std::size_t>(*n);
    }
    if (auto d = p.duration("SCHEMAGATE_HTTP_READ_TIMEOUT", Millis{1})) {
        c.http.read_timeout = *d;
    }
    if (auto d = p.duration("SCHEMAGATE_HTTP_IDLE_TIMEOUT", Millis{1})) {
        c.http.idle_timeout = *d;
    }

    p.read_placeholders(c.placeholders);
    p.check_unknown();

    if (p.has_problems()) {
        return p.take_problems();
    }
    return c;
}

}  // namespace sg::config
