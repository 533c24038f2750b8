// What provisioning must make true for one service (role, database, schema, grants, extensions)
// and the SQL that gets there from the catalog facts observed. Pure: never connects, never
// logs; every name and value reaches SQL through the injected Quoter, never pasted raw.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/config/config.hpp"
#include "sidecar/config/secret.hpp"

namespace sg::provision {

struct Desired {
    config::Isolation isolation = config::Isolation::kShared;
    std::string role;                             // the service's login role
    std::optional<config::Secret> role_password;  // unset: the password is left alone
    std::string database;                         // the database DATABASE_URL names
    std::string schema;                           // the service's schema (history table there)
    std::vector<std::string> extensions;          // created in `database` before migrations
    std::string owner_of_schema;  // the role that must own `schema`; "" = leave it alone
};

// The desired state for `config`, `database` being the database DATABASE_URL opens.
//   shared:   nothing but extensions; the schema and its owner are left alone.
//   schema:   `role` owns `schema` inside the shared `database`.
//   database: `role` owns `database`; `schema` inside it is the role's too (for "public", which
//             PostgreSQL 15 gives to the database owner, only USAGE and CREATE are made sure of).
[[nodiscard]] Desired desired(const config::Config& config, const std::string& database);

// Every reason `d` cannot be provisioned at all, one line each; empty when it can.
[[nodiscard]] std::vector<std::string> problems(const Desired& d);

// Whether schemagate manages the service's role (schema and database isolation).
[[nodiscard]] bool manages_role(const Desired& d);

// Whether provisioning has anything to do (shared isolation without extensions has not).
[[nodiscard]] bool has_work(const Desired& d);

// Whether the role gets a search_path of its own in its database: "<schema>, public" (its
// schema first, then public where the extensions live). Not in shared isolation, nor in database
// isolation using "public".
[[nodiscard]] bool sets_search_path(const Desired& d);

// A name as shown in report lines and errors: plain when it is a simple lower-case identifier,
// else double-quoted with '"' doubled and control characters as \xNN. Not for SQL.
[[nodiscard]] std::string display(std::string_view name);

// The one-line error for an object that does not exist while nothing is provisioned (no
// SCHEMAGATE_ADMIN_URL), naming the fix. `what` is "database", "schema" or "role".
[[nodiscard]] std::string missing_without_admin(const Desired& d, std::string_view what);

// Quotes names and values for SQL; provision.cpp backs it with the database client's functions.
class Quoter {
  public:
    virtual ~Quoter() = default;
    [[nodiscard]] virtual std::string identifier(std::string_view name) = 0;  // "name"
    [[nodiscard]] virtual std::string literal(std::string_view text) = 0;     // 'text'
};

// ---- The plans (plan.cpp): the steps from the facts observed to the desired state.

// One statement, run on its own (CREATE DATABASE cannot run in a transaction block).
struct Step {
    std::string sql;
    std::string change;  // report line; "" when not reported (a password set that may be equal)
    std::vector<std::string> already;  // SQLSTATEs meaning a racing peer did it first: success
    bool secret = false;               // `sql` carries a password verifier: never show it
};

struct Plan {
    std::vector<Step> steps;
    std::vector<std::string> problems;  // missing privileges etc.; nothing may run when any
};

// The password as observed against the stored one (decided by the caller, which can read it).
enum class PasswordState {
    kNotWanted,  // no password configured
    kMatches,    // the stored verifier matches
    kDiffers,    // it does not: rotate
    kUnset,      // the role has no password
    kUnknown,    // cannot be compared (pg_authid unreadable): set it, without reporting a change
};

struct ExtensionFacts {
    std::string name;
    bool installed = false;       // in the target database (DatabaseFacts only)
    bool available = false;       // the server has its package (pg_available_extensions)
    bool needs_superuser = true;  // neither trusted nor superuser=false
};

// Facts from the admin connection's cluster-wide catalogs.
struct ClusterFacts {
    std::string admin_role;      // current_user
    std::string admin_database;  // current_database() of the admin connection
    bool superuser = false;
    bool createrole = false;
    bool createdb = false;
    bool role_exists = false;
    bool role_can_login = false;
    bool admin_acts_as_role = false;  // admin can use the role's privileges (member)
    PasswordState password = PasswordState::kNotWanted;
    bool database_exists = false;
    std::string database_owner;
    bool public_can_connect = false;         // PUBLIC holds CONNECT on the database
    bool role_can_connect = false;           // the role (if it exists) may connect to the database
    std::vector<ExtensionFacts> extensions;  // availability only; in Desired::extensions order
};

// Roles, membership, the database and database-level grants. `password_value` is what goes
// after PASSWORD (a SCRAM verifier, or the password itself when it cannot be pre-hashed).
[[nodiscard]] Plan plan_cluster(const Desired& d, const ClusterFacts& facts, Quoter& quote,
                                const std::optional<config::Secret>& password_value);

// Facts from an admin connection to the target database.
struct DatabaseFacts {
    std::string admin_role;
    bool superuser = false;
    bool createrole = false;
    bool admin_can_create = false;  // CREATE on the database (to create schemas, trusted exts)
    bool schema_exists = false;
    std::string schema_owner;
    bool schema_public_access = false;  // PUBLIC holds some privilege on the schema
    bool role_schema_usage = false;
    bool role_schema_create = false;
    bool search_path_ok = false;  // the role's setting in this database is the desired one
    std::vector<ExtensionFacts> extensions;  // in Desired::extensions order
};

// The schema, its grants, the role's search_path and the extensions inside `d.database`.
[[nodiscard]] Plan plan_database(const Desired& d, const DatabaseFacts& facts, Quoter& quote);

}  // namespace sg::provision
