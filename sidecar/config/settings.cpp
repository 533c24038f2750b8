#include "sidecar/config/settings.hpp"

namespace sg::config {

namespace {

// What reads a connection: every command that talks to the database.
constexpr std::uint16_t kConnecting =
    kRun | kMigrate | kStatus | kValidate | kPlan | kUndo | kRepair | kBaseline;
// What prepares files for the server (placeholders ${service}, ${schema}, ${role}, ${database}).
constexpr std::uint16_t kPreparing = kRun | kMigrate | kValidate | kPlan | kUndo;
constexpr std::uint16_t kApplying = kRun | kMigrate;

}  // namespace

const std::vector<Setting>& settings() {
    static const std::vector<Setting> table = {
        {"DATABASE_URL", "database-url", "", "URL",
         "the service's connection (URI or key=value); unset = libpq defaults and PG* variables",
         true, kConnecting},
        {"SCHEMAGATE_SERVICE", "service", "", "NAME",
         "the paired service's name (required); names the lock, role and schema defaults", false,
         kConnecting | kPreparing},
        {"SCHEMAGATE_MIGRATIONS", "migrations", "/migrations", "PATH",
         "the service's migrations directory", false, kEveryCommand},
        {"SCHEMAGATE_FORMAT", "format", "auto",
         "auto|schemagate|flyway|golang-migrate|goose|dbmate",
         "the layout of the migrations directory: another tool's file names and section markers "
         "(auto: detected from the files; a directory mixing layouts is an error)",
         false, kEveryCommand},
        {"SCHEMAGATE_ISOLATION", "isolation", "shared", "shared|schema|database",
         "where the service's objects live", false, kConnecting | kPreparing},
        {"SCHEMAGATE_SCHEMA", "schema", "public", "NAME",
         "target schema, holds the history table (default: public for shared isolation, the "
         "service's name otherwise)",
         false, kConnecting | kPreparing},
        {"SCHEMAGATE_ADMIN_URL", "admin-url", "", "URL",
         "privileged connection used only to provision database, role, schema, grants and "
         "extensions; unset = provision nothing",
         true, kApplying},
        {"SCHEMAGATE_ROLE", "role", "<service>", "NAME",
         "the service's login role, created or updated when provisioning", false,
         kApplying | kPreparing},
        {"SCHEMAGATE_ROLE_PASSWORD", "role-password", "", "TEXT",
         "password set on the service's role when provisioning", true, kApplying},
        {"SCHEMAGATE_EXTENSIONS", "extensions", "", "LIST",
         "comma list of extensions created with the admin connection (uuid-ossp,pgcrypto)", false,
         kApplying},
        {"SCHEMAGATE_LISTEN", "listen", "0.0.0.0:8080", "ADDRESS",
         "HTTP address: host:port, [ipv6]:port or :port (port 0 = any free port)", false, kRun},
        {"SCHEMAGATE_LOCK_TIMEOUT", "lock-timeout", "5m", "DURATION",
         "how long to wait for another runner's migration lock", false,
         kApplying | kUndo | kRepair | kBaseline},
        {"SCHEMAGATE_STATEMENT_LOCK_TIMEOUT", "statement-lock-timeout", "3s", "DURATION",
         "lock_timeout of each migration statement, so DDL never queues traffic behind it for "
         "long (0 = off); a file that hits it rolls back and is retried",
         false, kApplying | kUndo},
        {"SCHEMAGATE_LOCK_RETRIES", "lock-retries", "10", "COUNT",
         "how many times a file that hit the statement lock timeout is retried, with capped "
         "exponential back-off and jitter, before the run fails naming the blocking session",
         false, kApplying},
        {"SCHEMAGATE_LINT", "lint", "warn", "error|warn|off",
         "what a lint finding in a pending file does (error: stop before anything is applied, "
         "exit 4; warn: log it)",
         false, kApplying | kValidate | kPlan},
        {"SCHEMAGATE_OUT_OF_ORDER", "out-of-order", "refuse", "refuse|allow",
         "a pending version below the latest applied one (merged from another branch): refuse "
         "stops before anything is applied (exit 4); allow applies it, with a warning",
         false, kApplying | kValidate | kPlan},
        {"SCHEMAGATE_VERSION_STYLE", "version-style", "sequential", "sequential|timestamp",
         "how `new` numbers a file: the next integer, or the UTC time as YYYYMMDDHHMMSS (two "
         "branches never pick the same version)",
         false, kNew},
        {"DB_INIT_MAX_RETRIES", "db-init-max-retries", "10", "COUNT",
         "connection attempts before giving up (0 = no limit)", false, kConnecting},
        {"DB_INIT_INITIAL_DELAY", "db-init-initial-delay", "0.1", "SECONDS", "first back-off delay",
         false, kConnecting},
        {"DB_INIT_MAX_DELAY", "db-init-max-delay", "30", "SECONDS", "back-off cap", false,
         kConnecting},
        {"DB_INIT_TIMEOUT", "db-init-timeout", "30", "SECONDS", "one connection attempt's timeout",
         false, kConnecting},
        {"LOG_LEVEL", "log-level", "info", "trace|debug|info|warn|error|critical|off",
         "the least severe log line written", false, kEveryCommand},
        {"SCHEMAGATE_LOG_FORMAT", "log-format", "text", "text|json",
         "json: one object per line (ts, level, msg, service, fields)", false, kEveryCommand},
        {"SCHEMAGATE_HTTP_MAX_HEADER_BYTES", "http-max-header-bytes", "8192", "BYTES",
         "largest request header accepted (431 beyond)", false, kRun},
        {"SCHEMAGATE_HTTP_MAX_CONNECTIONS", "http-max-connections", "256", "COUNT",
         "simultaneous HTTP connections", false, kRun},
        {"SCHEMAGATE_HTTP_READ_TIMEOUT", "http-read-timeout", "5s", "DURATION",
         "time a client has to send a whole request", false, kRun},
        {"SCHEMAGATE_HTTP_IDLE_TIMEOUT", "http-idle-timeout", "5s", "DURATION",
         "idle keep-alive connections are closed after this", false, kRun},
    };
    return table;
}

const Setting* find_setting(std::string_view variable) {
    for (const auto& s : settings()) {
        if (s.variable == variable) {
            return &s;
        }
    }
    return nullptr;
}

}  // namespace sg::config
