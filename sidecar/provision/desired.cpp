#include "sidecar/provision/desired.hpp"

#include <algorithm>
#include <array>

namespace sg::provision {

namespace {

using config::Isolation;

constexpr std::size_t kMaxNameBytes = 63;  // NAMEDATALEN - 1

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

}  // namespace sg::provision
