// The checks that involve more than one setting. parse() runs each right after the settings it
// involves, so its problem is reported among theirs. Internal to the config module.
#pragma once

#include "sidecar/config/config.hpp"
#include "sidecar/config/reader.hpp"

namespace sg::config::detail {

// Provisioning creates the role and schema; PostgreSQL reserves the pg_ prefix for its own.
// `role_given` and `schema_given`: set explicitly, not derived from SCHEMAGATE_SERVICE.
void check_reserved_names(Reader& r, const Config& c, bool role_given, bool schema_given);

// Database-per-service provisioning creates the database DATABASE_URL names: it must name one
// (or PGDATABASE must).
void check_database_named(Reader& r, const Config& c, const Env& env);

// The first back-off delay is at most its cap; reported against whichever of them was set.
void check_backoff_order(Reader& r, const Config& c, bool initial_given, bool max_given);

}  // namespace sg::config::detail
