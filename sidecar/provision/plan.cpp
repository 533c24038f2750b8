// The plans of desired.hpp: the steps from the catalog facts observed to the desired state, one
// function per object (role, membership, database, schema, search_path, extensions), and the
// privileges each step needs, checked before anything runs.
#include <optional>

#include "sidecar/provision/desired.hpp"

namespace sg::provision {

namespace {

using config::Isolation;

// Duplicate-object SQLSTATEs a racing peer causes: the object is there, which is what we want.
const std::vector<std::string> role_race = {"42710", "23505"};
const std::vector<std::string> database_race = {"42P04", "23505"};
const std::vector<std::string> schema_race = {"42P06", "23505"};
const std::vector<std::string> extension_race = {"42710", "23505"};
// A racing peer inserted the same catalog row (a grant, a role setting) first.
const std::vector<std::string> row_race = {"23505"};

std::string admin(const std::string& role) {
    return "SCHEMAGATE_ADMIN_URL's role " + display(role);
}

bool may_manage_roles(bool superuser, bool createrole) {
    return superuser || createrole;
}

bool may_create_databases(const ClusterFacts& facts) {
    return facts.superuser || facts.createdb;
}

// `what` is the database as the fix names it ("orders_db owned by orders").
std::string cannot_create_database(const ClusterFacts& facts, const std::string& what) {
    return admin(facts.admin_role) +
           " cannot create databases (needs CREATEDB or superuser): ALTER ROLE " +
           display(facts.admin_role) + " CREATEDB, or create database " + what + " yourself";
}

// Schemas and extensions inside the target database.
bool may_create_in_database(const DatabaseFacts& facts) {
    return facts.superuser || facts.admin_can_create;
}

// Why the admin role cannot create `extension` whatever its privileges in the database: the
// server lacks it, or it needs a superuser the admin role is not.
std::optional<std::string> extension_problem(const ExtensionFacts& extension, bool superuser,
                                             const std::string& admin_role) {
    if (!extension.available) {
        return "extension " + display(extension.name) +
               " is not available on the server: install its package (e.g. "
               "postgresql-contrib) or remove it from SCHEMAGATE_EXTENSIONS";
    }
    if (!superuser && extension.needs_superuser) {
        return admin(admin_role) + " cannot create extension " + display(extension.name) +
               " (it is not trusted and needs a superuser): create it "
               "yourself or use a superuser in SCHEMAGATE_ADMIN_URL";
    }
    return std::nullopt;
}

// ---- the cluster -------------------------------------------------------------------------------

// The role: created with LOGIN and its password, or, when it exists, allowed to log in and given
// the configured password.
void plan_role(Plan& plan, const Desired& d, const ClusterFacts& facts, Quoter& quote,
               const std::optional<config::Secret>& password_value) {
    const bool roles_ok = may_manage_roles(facts.superuser, facts.createrole);
    const std::string role = quote.identifier(d.role);
    const std::string password_sql =
        password_value ? " PASSWORD " + quote.literal(password_value->reveal()) : "";
    if (!facts.role_exists) {
        if (!roles_ok) {
            plan.problems.push_back(admin(facts.admin_role) +
                                    " cannot create roles (needs CREATEROLE or superuser): "
                                    "ALTER ROLE " +
                                    display(facts.admin_role) + " CREATEROLE, or create role " +
                                    display(d.role) + " yourself");
        }
        plan.steps.push_back({"CREATE ROLE " + role + " LOGIN" + password_sql,
                              "created role " + display(d.role), role_race,
                              password_value.has_value()});
        return;
    }
    if (!facts.role_can_login) {
        if (!roles_ok) {
            plan.problems.push_back(admin(facts.admin_role) + " cannot let role " +
                                    display(d.role) + " log in (needs CREATEROLE or superuser)");
        }
        plan.steps.push_back({"ALTER ROLE " + role + " LOGIN",
                              "allowed role " + display(d.role) + " to log in", row_race, false});
    }
    const bool set_password = password_value && (facts.password == PasswordState::kDiffers ||
                                                 facts.password == PasswordState::kUnset ||
                                                 facts.password == PasswordState::kUnknown);
    if (set_password) {
        if (!roles_ok) {
            plan.problems.push_back(admin(facts.admin_role) + " cannot set the password of role " +
                                    display(d.role) + " (needs CREATEROLE or superuser)");
        }
        std::string change;
        if (facts.password == PasswordState::kDiffers) {
            change = "rotated password of role " + display(d.role);
        } else if (facts.password == PasswordState::kUnset) {
            change = "set password of role " + display(d.role);
        }
        plan.steps.push_back({"ALTER ROLE " + role + password_sql, change, row_race, true});
    }
}

// Giving a database or schema to a role needs membership in it (PostgreSQL 15).
void plan_membership(Plan& plan, const Desired& d, const ClusterFacts& facts, Quoter& quote) {
    if (facts.superuser || facts.admin_acts_as_role) {
        return;
    }
    if (!facts.createrole) {
        plan.problems.push_back(admin(facts.admin_role) + " cannot act as role " + display(d.role) +
                                " to give it its objects (needs superuser, CREATEROLE, or "
                                "GRANT " +
                                display(d.role) + " TO " + display(facts.admin_role) + ")");
    }
    plan.steps.push_back(
        {"GRANT " + quote.identifier(d.role) + " TO " + quote.identifier(facts.admin_role),
         "granted role " + display(d.role) + " to admin role " + display(facts.admin_role) +
             " (to give it its objects)",
         row_race, false});
}

// Database isolation: the service's own database, owned by its role, closed to PUBLIC.
void plan_own_database(Plan& plan, const Desired& d, const ClusterFacts& facts, Quoter& quote) {
    const std::string db = quote.identifier(d.database);
    const std::string role = quote.identifier(d.role);
    bool public_connects = facts.public_can_connect;
    if (!facts.database_exists) {
        if (!may_create_databases(facts)) {
            plan.problems.push_back(cannot_create_database(
                facts, display(d.database) + " owned by " + display(d.role)));
        }
        plan.steps.push_back(
            {"CREATE DATABASE " + db + " OWNER " + role,
             "created database " + display(d.database) + " owned by " + display(d.role),
             database_race, false});
        public_connects = true;  // PostgreSQL's default for a new database
    } else if (facts.database_owner != d.role) {
        if (!may_create_databases(facts)) {
            plan.problems.push_back(admin(facts.admin_role) + " cannot give database " +
                                    display(d.database) + " to role " + display(d.role) +
                                    " (needs superuser, or CREATEDB and membership in " +
                                    display(facts.database_owner) + ")");
        }
        plan.steps.push_back({"ALTER DATABASE " + db + " OWNER TO " + role,
                              "gave database " + display(d.database) + " (owned by " +
                                  display(facts.database_owner) + ") to role " + display(d.role),
                              row_race, false});
    } else if (!facts.role_can_connect) {
        plan.steps.push_back(
            {"GRANT CONNECT ON DATABASE " + db + " TO " + role,
             "granted CONNECT on database " + display(d.database) + " to " + display(d.role),
             row_race, false});
    }
    if (public_connects) {
        plan.steps.push_back({"REVOKE CONNECT, TEMPORARY ON DATABASE " + db + " FROM PUBLIC",
                              "revoked CONNECT on database " + display(d.database) + " from PUBLIC",
                              row_race, false});
    }
}

// Schema isolation: the database schema-isolated services share, which the role may connect to.
void plan_shared_database(Plan& plan, const Desired& d, const ClusterFacts& facts, Quoter& quote) {
    const std::string db = quote.identifier(d.database);
    bool role_connects = facts.role_exists ? facts.role_can_connect : facts.public_can_connect;
    if (!facts.database_exists) {
        if (!may_create_databases(facts)) {
            plan.problems.push_back(cannot_create_database(facts, display(d.database)));
        }
        plan.steps.push_back({"CREATE DATABASE " + db,
                              "created database " + display(d.database) +
                                  " (shared by schema-isolated "
                                  "services)",
                              database_race, false});
        role_connects = true;  // PUBLIC may connect to a new database
    }
    if (!role_connects) {
        plan.steps.push_back(
            {"GRANT CONNECT ON DATABASE " + db + " TO " + quote.identifier(d.role),
             "granted CONNECT on database " + display(d.database) + " to " + display(d.role),
             row_race, false});
    }
}

// ---- inside the target database ----------------------------------------------------------------

// The schema: created for the role or given to it, and closed to PUBLIC; for "public" in the
// service's own database, USAGE and CREATE on it.
void plan_schema(Plan& plan, const Desired& d, const DatabaseFacts& facts, Quoter& quote) {
    const std::string schema = quote.identifier(d.schema);
    const std::string role = quote.identifier(d.role);
    if (!facts.schema_exists) {
        if (!may_create_in_database(facts)) {
            plan.problems.push_back(admin(facts.admin_role) +
                                    " cannot create schemas in database " + display(d.database) +
                                    " (needs CREATE on it: GRANT CREATE "
                                    "ON DATABASE " +
                                    display(d.database) + " TO " + display(facts.admin_role) + ")");
        }
        plan.steps.push_back(
            {"CREATE SCHEMA " + schema + " AUTHORIZATION " + role,
             "created schema " + display(d.schema) + " owned by " + display(d.role), schema_race,
             false});
    } else if (!d.owner_of_schema.empty()) {
        if (facts.schema_owner != d.owner_of_schema) {
            plan.steps.push_back({"ALTER SCHEMA " + schema + " OWNER TO " + role,
                                  "gave schema " + display(d.schema) + " (owned by " +
                                      display(facts.schema_owner) + ") to role " + display(d.role),
                                  row_race, false});
        }
    } else if (!facts.role_schema_usage || !facts.role_schema_create) {
        // "public" in the service's own database: PostgreSQL 15 gives it to the database
        // owner already; older servers or changed templates may not.
        plan.steps.push_back(
            {"GRANT USAGE, CREATE ON SCHEMA " + schema + " TO " + role,
             "granted USAGE, CREATE on schema " + display(d.schema) + " to " + display(d.role),
             row_race, false});
    }
    if (!d.owner_of_schema.empty() && facts.schema_exists && facts.schema_public_access) {
        plan.steps.push_back({"REVOKE ALL ON SCHEMA " + schema + " FROM PUBLIC",
                              "revoked PUBLIC's access to schema " + display(d.schema), row_race,
                              false});
    }
}

// The role's search_path in its database: "<schema>, public".
void plan_search_path(Plan& plan, const Desired& d, const DatabaseFacts& facts, Quoter& quote) {
    if (!sets_search_path(d) || facts.search_path_ok) {
        return;
    }
    if (!may_manage_roles(facts.superuser, facts.createrole)) {
        plan.problems.push_back(admin(facts.admin_role) + " cannot set the search_path of role " +
                                display(d.role) + " (needs CREATEROLE or superuser)");
    }
    const std::string schema = quote.identifier(d.schema);
    plan.steps.push_back({"ALTER ROLE " + quote.identifier(d.role) + " IN DATABASE " +
                              quote.identifier(d.database) + " SET search_path = " + schema +
                              ", public",
                          "set search_path of role " + display(d.role) + " in database " +
                              display(d.database) + " to " + display(d.schema) + ", public",
                          row_race, false});
}

// The extensions not installed yet.
void plan_extensions(Plan& plan, const Desired& d, const DatabaseFacts& facts, Quoter& quote) {
    for (const auto& extension : facts.extensions) {
        if (extension.installed) {
            continue;
        }
        if (auto problem = extension_problem(extension, facts.superuser, facts.admin_role)) {
            plan.problems.push_back(std::move(*problem));
            continue;
        }
        if (!may_create_in_database(facts)) {
            plan.problems.push_back(admin(facts.admin_role) + " cannot create extension " +
                                    display(extension.name) + " in database " +
                                    display(d.database) + " (needs CREATE on it)");
            continue;
        }
        plan.steps.push_back(
            {"CREATE EXTENSION " + quote.identifier(extension.name),
             "created extension " + display(extension.name) + " in database " + display(d.database),
             extension_race, false});
    }
}

}  // namespace

Plan plan_cluster(const Desired& d, const ClusterFacts& facts, Quoter& quote,
                  const std::optional<config::Secret>& password_value) {
    Plan plan;
    if (manages_role(d)) {
        if (facts.admin_role == d.role) {
            plan.problems.push_back("SCHEMAGATE_ROLE " + display(d.role) + " is " +
                                    admin(facts.admin_role) +
                                    " itself; the service needs a login role of its own");
            return plan;
        }
        plan_role(plan, d, facts, quote, password_value);
        plan_membership(plan, d, facts, quote);
    }
    switch (d.isolation) {
        case Isolation::kDatabase:
            plan_own_database(plan, d, facts, quote);
            break;
        case Isolation::kSchema:
            plan_shared_database(plan, d, facts, quote);
            break;
        case Isolation::kShared:
            if (!facts.database_exists) {
                plan.problems.push_back(
                    "database " + display(d.database) +
                    " does not exist, and shared isolation creates none: create it, or use "
                    "SCHEMAGATE_ISOLATION=database");
            }
            break;
    }
    // Extensions are created inside the database later; what no privilege there can fix shows
    // now, before the cluster steps run.
    for (const auto& extension : facts.extensions) {
        if (auto problem = extension_problem(extension, facts.superuser, facts.admin_role)) {
            plan.problems.push_back(std::move(*problem));
        }
    }
    return plan;
}

Plan plan_database(const Desired& d, const DatabaseFacts& facts, Quoter& quote) {
    Plan plan;
    if (manages_role(d)) {
        plan_schema(plan, d, facts, quote);
        plan_search_path(plan, d, facts, quote);
    }
    plan_extensions(plan, d, facts, quote);
    return plan;
}

}  // namespace sg::provision
