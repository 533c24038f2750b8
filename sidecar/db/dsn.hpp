// Connection strings: parse (libpq's own parser), add our defaults, describe without secrets.
// Never connects and never logs; nothing here returns a password except parse_dsn's map.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sg::db {

// Keyword -> value of the options a connection string sets explicitly (URI or key=value form;
// a URI's "postgres://a:1,b:2/db" gives host="a,b" port="1,2"). libpq's defaults and PG*
// variables are not filled in. May contain the password: never log it.
using DsnOptions = std::map<std::string, std::string>;

// Parses with PQconninfoParse. The empty string is valid (all libpq defaults); nullopt when libpq
// rejects the string. libpq's error text is dropped because it may echo the value.
[[nodiscard]] std::optional<DsnOptions> parse_dsn(const std::string& dsn);

// Why libpq rejects `dsn`, when that can be said without echoing any of the value: the name of
// an unknown parameter (`?foo=bar`, `foo=bar`), which is not a secret when it looks like a name,
// with the closest libpq keyword. "" when the reason could reveal the value (then say nothing).
[[nodiscard]] std::string dsn_problem(const std::string& dsn);

// A value quoted for the key=value form when it needs to be: empty, whitespace, ' or \ inside
// -> '...' with ' and \ escaped by a backslash.
[[nodiscard]] std::string quote_conninfo_value(std::string_view value);

// The key=value form of `options`, each value quoted as needed. parse_dsn(to_conninfo(o)) == o.
[[nodiscard]] std::string to_conninfo(const DsnOptions& options);

// Looks up an environment variable; std::getenv when empty. Injected by tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The key=value connection string for `dsn` plus, each only where the user did not set it:
//   connect_timeout=<seconds, rounded up, at least 1>   (unless PGCONNECT_TIMEOUT is set)
//   keepalives=1 keepalives_idle=10 keepalives_interval=5 keepalives_count=3
//   application_name=schemagate-<service_identifier>    (unless PGAPPNAME is set)
//   fallback_application_name=schemagate-<service_identifier>
// A `dsn` libpq cannot parse is returned unchanged, so connecting reports libpq's own error.
// Options set through a pg_service.conf `service=` entry are not seen here: ours win over them.
[[nodiscard]] std::string with_defaults(const std::string& dsn, std::string_view service_identifier,
                                        std::chrono::milliseconds connect_timeout,
                                        const EnvLookup& env = {});

// "host=db port=5432 user=app dbname=orders sslmode=require": only the keys `dsn` sets, in that
// order, never the password. "(libpq defaults)" when none is set, "(invalid connection string)"
// when libpq rejects it.
[[nodiscard]] std::string describe(const std::string& dsn);

// The database a connection with `dsn` opens, resolved as libpq does: dbname in `dsn`, else
// PGDATABASE, else the user (user in `dsn`, else PGUSER, else the OS user name). "" when none
// can be found or `dsn` does not parse.
[[nodiscard]] std::string database_name(const std::string& dsn, const EnvLookup& env = {});

// `dsn` (key=value form) with its dbname replaced, e.g. to connect the admin URL to the service's
// database. Throws std::invalid_argument (without the value) when `dsn` does not parse.
[[nodiscard]] std::string with_database(const std::string& dsn, std::string_view dbname);

}  // namespace sg::db
