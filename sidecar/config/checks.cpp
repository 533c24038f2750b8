#include "sidecar/config/checks.hpp"

#include "sidecar/config/values.hpp"
#include "sidecar/db/dsn.hpp"

namespace sg::config::detail {

using values::format_millis;
using values::quote;
using values::starts_with;

void check_reserved_names(Reader& r, const Config& c, bool role_given, bool schema_given) {
    if (!c.admin_url) {
        return;
    }
    if (starts_with(c.role, "pg_")) {
        r.problem(role_given ? "SCHEMAGATE_ROLE" : "SCHEMAGATE_SERVICE",
                  "the role name " + quote(c.role) +
                      " starts with pg_, which PostgreSQL reserves; set SCHEMAGATE_ROLE to "
                      "another name");
    }
    if (c.isolation != Isolation::kShared && starts_with(c.schema, "pg_")) {
        r.problem(schema_given ? "SCHEMAGATE_SCHEMA" : "SCHEMAGATE_SERVICE",
                  "the schema name " + quote(c.schema) +
                      " starts with pg_, which PostgreSQL reserves; set SCHEMAGATE_SCHEMA "
                      "to another name");
    }
}

void check_database_named(Reader& r, const Config& c, const Env& env) {
    if (c.isolation != Isolation::kDatabase || !c.admin_url) {
        return;
    }
    const auto options = db::parse_dsn(c.database_url.reveal());
    const bool named = options && options->contains("dbname") && !options->at("dbname").empty();
    const auto pgdatabase = env.find("PGDATABASE");
    if (options && !named && (pgdatabase == env.end() || pgdatabase->second.empty())) {
        r.problem("DATABASE_URL",
                  "names no database, but SCHEMAGATE_ISOLATION=database with "
                  "SCHEMAGATE_ADMIN_URL creates the database it names; add one, e.g. "
                  "postgres://orders@db:5432/orders or dbname=orders (or set PGDATABASE)");
    }
}

void check_backoff_order(Reader& r, const Config& c, bool initial_given, bool max_given) {
    if (c.initial_delay > c.max_delay && (initial_given || max_given)) {
        r.problem(initial_given ? "DB_INIT_INITIAL_DELAY" : "DB_INIT_MAX_DELAY",
                  "the first back-off delay (DB_INIT_INITIAL_DELAY, " +
                      format_millis(c.initial_delay) + ") is longer than its cap (" +
                      "DB_INIT_MAX_DELAY, " + format_millis(c.max_delay) +
                      "); make DB_INIT_INITIAL_DELAY at most DB_INIT_MAX_DELAY");
    }
}

}  // namespace sg::config::detail
