#include "sidecar/provision/desired.hpp"

#include <algorithm>
#include <array>

namespace sg::provision {

namespace {

using config::Isolation;

constexpr std::size_t kMaxNameBytes = 63;  // NAMEDATALEN - 1

// Duplicate-object SQLSTATEs a racing peer causes: the object is there, which is what we want.
const std::vector<std::string> role_race = {"42710", "23505"};
const std::vector<std::string> database_race = {"42P04", "23505"};
const std::vector<std::string> schema_race = {"42P06", "23505"};
const std::vector<std::string> extension_race = {"42710", "23505"};
// A racing peer inserted the same catalog row (a grant, a role setting) first.
const std::vector<std::string> row_race = {"23505"};

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return "";
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// Problems every name shares: empty, too long, NUL.
void check_name(std::vector<std::string>& out, std::string_view variable, std::string_view what,
                std::string_view name) {
    if (name.empty()) {
        out.push_back(std::string(variable) + ": the " + std::string(what) + " name is empty");
    } else if (name.size() > kMaxNameBytes) {
        out.push_back(std::string(variable) + ": " + std::string(what) + " name " + display(name) +
                      " is longer than 63 bytes, which PostgreSQL would silently truncate");
    } else if (name.find('\0') != std::string_view::npos) {
        out.push_back(std::string(variable) + ": the " + std::string(what) +
                      " name contains a NUL byte");
    }
}

std::string admin(const std::string& role) {
    return "SCHEMAGATE_ADMIN_URL's role " + display(role);
}

bool may_manage_roles(bool superuser, bool createrole) {
    return superuser || createrole;
}

}  // namespace

Desired desired(const config::Config& config, const std::string& database) {
    Desired d;
    d.isolation = config.isolation;
    d.role = config.role;
    if (config.role_password && !config.role_password->empty()) {
        d.role_password = config.role_password;
    }
    d.database = database;
    d.schema = config.schema;
    if (d.schema.empty()) {
        d.schema = config.isolation == Isolation::kSchema ? config.role : std::string("public");
    }
    for (const auto& raw : config.extensions) {
        std::string name = trimmed(raw);
        if (!name.empty() &&
            std::find(d.extensions.begin(), d.extensions.end(), name) == d.extensions.end()) {
            d.extensions.push_back(std::move(name));
        }
    }
    switch (config.isolation) {
        case Isolation::kShared:
            break;
        case Isolation::kSchema:
            d.owner_of_schema = d.role;
            break;
        case Isolation::kDatabase:
            if (d.schema != "public") {
                d.owner_of_schema = d.role;
            }
            break;
    }
    return d;
}

bool manages_role(const Desired& d) {
    return d.isolation != Isolation::kShared;
}

bool has_work(const Desired& d) {
    return manages_role(d) || !d.extensions.empty();
}

bool sets_search_path(const Desired& d) {
    return manages_role(d) && !d.owner_of_schema.empty();
}

std::vector<std::string> problems(const Desired& d) {
    std::vector<std::string> out;
    if (!has_work(d)) {
        return out;
    }
    if (d.database.empty()) {
        out.emplace_back(
            "DATABASE_URL: names no database, so there is nothing to provision into; give one "
            "(e.g. postgres://user@host/orders_db)");
    } else {
        check_name(out, "DATABASE_URL", "database", d.database);
    }
    if (d.isolation == Isolation::kDatabase) {
        static constexpr std::array<std::string_view, 3> kServerDatabases = {
            "postgres", "template0", "template1"};
        if (std::find(kServerDatabases.begin(), kServerDatabases.end(), d.database) !=
            kServerDatabases.end()) {
            out.push_back(
                "DATABASE_URL: database isolation gives the service a database of its "
                "own, and " +
                display(d.database) +
                " belongs to the server; name the service's database instead (e.g. "
                "postgres://user@host/orders_db)");
        }
    }
    if (manages_role(d)) {
        check_name(out, "SCHEMAGATE_ROLE", "role", d.role);
        if (starts_with(d.role, "pg_")) {
            out.push_back(
                "SCHEMAGATE_ROLE: role names starting with \"pg_\" are reserved by "
                "PostgreSQL; choose another (" +
                display(d.role) + ")");
        } else if (d.role == "public" || d.role == "none") {
            out.push_back("SCHEMAGATE_ROLE: " + display(d.role) +
                          " is a reserved role name in PostgreSQL; choose another");
        }
        check_name(out, "SCHEMAGATE_SCHEMA", "schema", d.schema);
        if (d.isolation == Isolation::kSchema && d.schema == "public") {
            out.emplace_back(
                "SCHEMAGATE_SCHEMA: schema isolation gives the service a schema of its own, and "
                "\"public\" is shared by everyone; choose another schema or use "
                "SCHEMAGATE_ISOLATION=shared");
        } else if (!d.owner_of_schema.empty() &&
                   (starts_with(d.schema, "pg_") || d.schema == "information_schema")) {
            out.push_back("SCHEMAGATE_SCHEMA: " + display(d.schema) +
                          " is reserved for the system; choose another schema");
        }
    }
    for (const auto& extension : d.extensions) {
        check_name(out, "SCHEMAGATE_EXTENSIONS", "extension", extension);
    }
    return out;
}

std::string display(std::string_view name) {
    const bool simple = !name.empty() && (name.front() < '0' || name.front() > '9') &&
                        std::all_of(name.begin(), name.end(), [](char c) {
                            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                        });
    if (simple) {
        return std::string(name);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"') {
            out += "\"\"";
        } else if (byte < 0x20U || byte == 0x7FU) {
            out += "\\x";
            out += kHex[byte >> 4U];
            out += kHex[byte & 0x0FU];
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

std::string missing_without_admin(const Desired& d, std::string_view what) {
    const std::string fix =
        "set SCHEMAGATE_ADMIN_URL to a privileged connection so schemagate provisions it";
    if (what == "database") {
        std::string line = "database " + display(d.database) + " does not exist: create it, or ";
        if (d.isolation == Isolation::kShared) {
            return line +
                   "use SCHEMAGATE_ISOLATION=database with SCHEMAGATE_ADMIN_URL so schemagate "
                   "creates it";
        }
        return line + fix;
    }
    if (what == "schema") {
        if (d.isolation == Isolation::kShared) {
            return "schema " + display(d.schema) + " does not exist in database " +
                   display(d.database) +
                   ": create it, or use SCHEMAGATE_ISOLATION=schema with SCHEMAGATE_ADMIN_URL so "
                   "schemagate creates it";
        }
        return "schema " + display(d.schema) + " does not exist in database " +
               display(d.database) + ": create it owned by role " + display(d.role) + ", or " + fix;
    }
    return "role " + display(d.role) + " does not exist: create it, or " + fix;
}

Plan plan_cluster(const Desired& d, const ClusterFacts& facts, Quoter& quote,
                  const std::optional<config::Secret>& password_value) {
    Plan plan;
    const bool roles_ok = may_manage_roles(facts.superuser, facts.createrole);
    const bool databases_ok = facts.superuser || facts.createdb;
    const std::string db = quote.identifier(d.database);

    if (manages_role(d)) {
        const std::string role = quote.identifier(d.role);
        if (facts.admin_role == d.role) {
            plan.problems.push_back("SCHEMAGATE_ROLE " + display(d.role) + " is " +
                                    admin(facts.admin_role) +
                                    " itself; the service needs a login role of its own");
            return plan;
        }
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
        } else {
            if (!facts.role_can_login) {
                if (!roles_ok) {
                    plan.problems.push_back(admin(facts.admin_role) + " cannot let role " +
                                            display(d.role) +
                                            " log in (needs CREATEROLE or superuser)");
                }
                plan.steps.push_back({"ALTER ROLE " + role + " LOGIN",
                                      "allowed role " + display(d.role) + " to log in", row_race,
                                      false});
            }
            const bool set_password =
                password_value && (facts.password == PasswordState::kDiffers ||
                                   facts.password == PasswordState::kUnset ||
                                   facts.password == PasswordState::kUnknown);
            if (set_password) {
                if (!roles_ok) {
                    plan.problems.push_back(admin(facts.admin_role) +
                                            " cannot set the password of role " + display(d.role) +
                                            " (needs CREATEROLE or superuser)");
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
        if (!facts.superuser && !facts.admin_acts_as_role) {
            // Giving a database or schema to a role needs membership in it (PostgreSQL 15).
            if (!facts.createrole) {
                plan.problems.push_back(admin(facts.admin_role) + " cannot act as role " +
                                        display(d.role) +
                                        " to give it its objects (needs superuser, CREATEROLE, or "
                                        "GRANT " +
                                        display(d.role) + " TO " + display(facts.admin_role) + ")");
            }
            plan.steps.push_back({"GRANT " + role + " TO " + quote.identifier(facts.admin_role),
                                  "granted role " + display(d.role) + " to admin role " +
                                      display(facts.admin_role) + " (to give it its objects)",
                                  row_race, false});
        }
    }

    switch (d.isolation) {
        case Isolation::kDatabase: {
            const std::string role = quote.identifier(d.role);
            bool public_connects = facts.public_can_connect;
            if (!facts.database_exists) {
                if (!databases_ok) {
                    plan.problems.push_back(
                        admin(facts.admin_role) +
                        " cannot create databases (needs CREATEDB or superuser): ALTER ROLE " +
                        display(facts.admin_role) + " CREATEDB, or create database " +
                        display(d.database) + " owned by " + display(d.role) + " yourself");
                }
                plan.steps.push_back(
                    {"CREATE DATABASE " + db + " OWNER " + role,
                     "created database " + display(d.database) + " owned by " + display(d.role),
                     database_race, false});
                public_connects = true;  // PostgreSQL's default for a new database
            } else if (facts.database_owner != d.role) {
                if (!databases_ok) {
                    plan.problems.push_back(admin(facts.admin_role) + " cannot give database " +
                                            display(d.database) + " to role " + display(d.role) +
                                            " (needs superuser, or CREATEDB and membership in " +
                                            display(facts.database_owner) + ")");
                }
                plan.steps.push_back({"ALTER DATABASE " + db + " OWNER TO " + role,
                                      "gave database " + display(d.database) + " (owned by " +
                                          display(facts.database_owner) + ") to role " +
                                          display(d.role),
                                      row_race, false});
            } else if (!facts.role_can_connect) {
                plan.steps.push_back({"GRANT CONNECT ON DATABASE " + db + " TO " + role,
                                      "granted CONNECT on database " + display(d.database) +
                                          " to " + display(d.role),
                                      row_race, false});
            }
            if (public_connects) {
                plan.steps.push_back(
                    {"REVOKE CONNECT, TEMPORARY ON DATABASE " + db + " FROM PUBLIC",
                     "revoked CONNECT on database " + display(d.database) + " from PUBLIC",
                     row_race, false});
            }
            break;
        }
        case Isolation::kSchema: {
            bool role_connects =
                facts.role_exists ? facts.role_can_connect : facts.public_can_connect;
            if (!facts.database_exists) {
                if (!databases_ok) {
                    plan.problems.push_back(
                        admin(facts.admin_role) +
                        " cannot create databases (needs CREATEDB or superuser): ALTER ROLE " +
                        display(facts.admin_role) + " CREATEDB, or create database " +
                        display(d.database) + " yourself");
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
                     "granted CONNECT on database " + display(d.database) + " to " +
                         display(d.role),
                     row_race, false});
            }
            break;
        }
        case Isolation::kShared:
            if (!facts.database_exists) {
                plan.problems.push_back(
                    "database " + display(d.database) +
                    " does not exist, and shared isolation creates none: create it, or use "
                    "SCHEMAGATE_ISOLATION=database");
            }
            break;
    }

    for (const auto& extension : facts.extensions) {
        if (!extension.available) {
            plan.problems.push_back("extension " + display(extension.name) +
                                    " is not available on the server: install its package (e.g. "
                                    "postgresql-contrib) or remove it from SCHEMAGATE_EXTENSIONS");
        } else if (!facts.superuser && extension.needs_superuser) {
            plan.problems.push_back(admin(facts.admin_role) + " cannot create extension " +
                                    display(extension.name) +
                                    " (it is not trusted and needs a superuser): create it "
                                    "yourself or use a superuser in SCHEMAGATE_ADMIN_URL");
        }
    }
    return plan;
}

Plan plan_database(const Desired& d, const DatabaseFacts& facts, Quoter& quote) {
    Plan plan;
    const std::string db = quote.identifier(d.database);
    const std::string schema = quote.identifier(d.schema);
    const bool creates_ok = facts.superuser || facts.admin_can_create;

    if (manages_role(d)) {
        const std::string role = quote.identifier(d.role);
        if (!facts.schema_exists) {
            if (!creates_ok) {
                plan.problems.push_back(
                    admin(facts.admin_role) + " cannot create schemas in database " +
                    display(d.database) +
                    " (needs CREATE on it: GRANT CREATE "
                    "ON DATABASE " +
                    display(d.database) + " TO " + display(facts.admin_role) + ")");
            }
            plan.steps.push_back(
                {"CREATE SCHEMA " + schema + " AUTHORIZATION " + role,
                 "created schema " + display(d.schema) + " owned by " + display(d.role),
                 schema_race, false});
        } else if (!d.owner_of_schema.empty()) {
            if (facts.schema_owner != d.owner_of_schema) {
                plan.steps.push_back({"ALTER SCHEMA " + schema + " OWNER TO " + role,
                                      "gave schema " + display(d.schema) + " (owned by " +
                                          display(facts.schema_owner) + ") to role " +
                                          display(d.role),
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
                                  "revoked PUBLIC's access to schema " + display(d.schema),
                                  row_race, false});
        }
        if (sets_search_path(d) && !facts.search_path_ok) {
            if (!may_manage_roles(facts.superuser, facts.createrole)) {
                plan.problems.push_back(admin(facts.admin_role) +
                                        " cannot set the search_path of role " + display(d.role) +
                                        " (needs CREATEROLE or superuser)");
            }
            plan.steps.push_back({"ALTER ROLE " + role + " IN DATABASE " + db +
                                      " SET search_path = " + schema + ", public",
                                  "set search_path of role " + display(d.role) + " in database " +
                                      display(d.database) + " to " + display(d.schema) + ", public",
                                  row_race, false});
        }
    }

    for (const auto& extension : facts.extensions) {
        if (extension.installed) {
            continue;
        }
        if (!extension.available) {
            plan.problems.push_back("extension " + display(extension.name) +
                                    " is not available on the server: install its package (e.g. "
                                    "postgresql-contrib) or remove it from SCHEMAGATE_EXTENSIONS");
            continue;
        }
        if (!facts.superuser && extension.needs_superuser) {
            plan.problems.push_back(admin(facts.admin_role) + " cannot create extension " +
                                    display(extension.name) +
                                    " (it is not trusted and needs a superuser): create it "
                                    "yourself or use a superuser in SCHEMAGATE_ADMIN_URL");
            continue;
        }
        if (!creates_ok) {
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
    return plan;
}

}  // namespace sg::provision
