#include "sidecar/provision/observe.hpp"

#include "sidecar/provision/password.hpp"
#include "sidecar/provision/provision.hpp"

namespace sg::provision::detail {

namespace {

// Availability of each extension on the server (the same from any database).
std::vector<ExtensionFacts> observe_extensions(db::Connection& conn, Quoter& quote,
                                               const Desired& desired, bool in_database) {
    std::vector<ExtensionFacts> out;
    const bool has_trusted = conn.server_version() >= 130000;
    for (const auto& name : desired.extensions) {
        const std::string lit = quote.literal(name);
        const std::string needs_superuser =
            has_trusted ? "v.superuser AND NOT v.trusted" : std::string("v.superuser");
        std::string sql =
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = ";
        sql.append(lit)
            .append("), coalesce((SELECT ")
            .append(needs_superuser)
            .append(
                " FROM pg_catalog.pg_available_extension_versions v JOIN "
                "pg_catalog.pg_available_extensions a ON a.name = v.name AND a.default_version = "
                "v.version WHERE v.name = ")
            .append(lit)
            .append("), true), ");
        if (in_database) {
            sql.append("EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = ")
                .append(lit)
                .append(")");
        } else {
            sql.append("false");
        }
        const auto rows = conn.query(sql);
        ExtensionFacts facts;
        facts.name = name;
        if (!rows.empty() && rows.front().size() == 3) {
            facts.available = rows.front()[0] == "t";
            facts.needs_superuser = rows.front()[1] == "t";
            facts.installed = rows.front()[2] == "t";
        }
        out.push_back(std::move(facts));
    }
    return out;
}

// The one row the admin role's query returns, with all its `columns`.
const db::Row& admin_row(const db::Rows& rows, std::size_t columns) {
    if (rows.size() != 1 || rows.front().size() != columns) {
        throw Error("provisioning could not read the admin role from pg_roles");
    }
    return rows.front();
}

// The configured password against the role's stored verifier; `role` is the name as a literal.
PasswordState password_state(db::Connection& conn, const std::string& role, const Desired& desired,
                             const ClusterFacts& facts) {
    if (!manages_role(desired) || !desired.role_password) {
        return PasswordState::kNotWanted;
    }
    if (!facts.role_exists) {
        return PasswordState::kUnset;
    }
    if (!facts.superuser) {
        // pg_authid is readable by superusers only: set the password, report no change.
        return PasswordState::kUnknown;
    }
    const auto stored =
        conn.value("SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = " + role);
    if (!stored) {
        return PasswordState::kUnset;
    }
    switch (check_password(*stored, desired.role_password->reveal(), desired.role)) {
        case PasswordMatch::kMatches:
            return PasswordState::kMatches;
        case PasswordMatch::kDiffers:
            return PasswordState::kDiffers;
        case PasswordMatch::kUnknown:
            return PasswordState::kUnknown;
    }
    return PasswordState::kNotWanted;  // not reached: every PasswordMatch is handled above
}

}  // namespace

ClusterFacts observe_cluster(db::Connection& conn, Quoter& quote, const Desired& desired) {
    const std::string role = quote.literal(desired.role);
    const std::string db = quote.literal(desired.database);
    const auto rows = conn.query(
        "SELECT current_user, r.rolsuper, r.rolcreaterole, r.rolcreatedb, t.oid IS NOT NULL, "
        "coalesce(t.rolcanlogin, false), "
        "CASE WHEN t.oid IS NULL THEN false ELSE pg_has_role(current_user, t.oid, 'USAGE') END, "
        "d.oid IS NOT NULL, coalesce(pg_get_userbyid(d.datdba)::text, ''), "
        "CASE WHEN d.oid IS NULL THEN false "
        "ELSE has_database_privilege('public', d.oid, 'CONNECT') END, "
        "CASE WHEN d.oid IS NULL OR t.oid IS NULL THEN false "
        "ELSE has_database_privilege(t.oid, d.oid, 'CONNECT') END, current_database() "
        "FROM pg_catalog.pg_roles r "
        "LEFT JOIN pg_catalog.pg_roles t ON t.rolname = " +
        role + " LEFT JOIN pg_catalog.pg_database d ON d.datname = " + db +
        " WHERE r.rolname = current_user");
    const db::Row& r = admin_row(rows, 12);
    ClusterFacts facts;
    facts.admin_role = r[0].value_or("");
    facts.superuser = r[1] == "t";
    facts.createrole = r[2] == "t";
    facts.createdb = r[3] == "t";
    facts.role_exists = r[4] == "t";
    facts.role_can_login = r[5] == "t";
    facts.admin_acts_as_role = r[6] == "t";
    facts.database_exists = r[7] == "t";
    facts.database_owner = r[8].value_or("");
    facts.public_can_connect = r[9] == "t";
    facts.role_can_connect = r[10] == "t";
    facts.admin_database = r[11].value_or("");

    facts.password = password_state(conn, role, desired, facts);
    facts.extensions = observe_extensions(conn, quote, desired, false);
    return facts;
}

DatabaseFacts observe_database(db::Connection& conn, Quoter& quote, const Desired& desired) {
    const std::string role = quote.literal(desired.role);
    const std::string schema = quote.literal(desired.schema);
    const auto rows = conn.query(
        "SELECT current_user, r.rolsuper, r.rolcreaterole, "
        "has_database_privilege(current_database(), 'CREATE'), n.oid IS NOT NULL, "
        "coalesce(pg_get_userbyid(n.nspowner)::text, ''), "
        "coalesce((SELECT bool_or(a.grantee = 0) FROM aclexplode(n.nspacl) a), false), "
        "CASE WHEN n.oid IS NULL OR t.oid IS NULL THEN false "
        "ELSE has_schema_privilege(t.oid, n.oid, 'USAGE') END, "
        "CASE WHEN n.oid IS NULL OR t.oid IS NULL THEN false "
        "ELSE has_schema_privilege(t.oid, n.oid, 'CREATE') END, "
        "coalesce((SELECT bool_or(c = 'search_path=' || quote_ident(" +
        schema +
        ") || ', public') FROM pg_catalog.pg_db_role_setting s, unnest(s.setconfig) c "
        "WHERE s.setrole = t.oid AND s.setdatabase = (SELECT oid FROM pg_catalog.pg_database "
        "WHERE datname = current_database())), false) "
        "FROM pg_catalog.pg_roles r "
        "LEFT JOIN pg_catalog.pg_roles t ON t.rolname = " +
        role + " LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = " + schema +
        " WHERE r.rolname = current_user");
    const db::Row& r = admin_row(rows, 10);
    DatabaseFacts facts;
    facts.admin_role = r[0].value_or("");
    facts.superuser = r[1] == "t";
    facts.createrole = r[2] == "t";
    facts.admin_can_create = r[3] == "t";
    facts.schema_exists = r[4] == "t";
    facts.schema_owner = r[5].value_or("");
    facts.schema_public_access = r[6] == "t";
    facts.role_schema_usage = r[7] == "t";
    facts.role_schema_create = r[8] == "t";
    facts.search_path_ok = r[9] == "t";
    facts.extensions = observe_extensions(conn, quote, desired, true);
    return facts;
}

}  // namespace sg::provision::detail
