#include "sidecar/db/dsn.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <vector>

#include <libpq-fe.h>
#include <pwd.h>
#include <unistd.h>

namespace sg::db {

namespace {

struct ConninfoFree {
    void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

std::optional<std::string> lookup(const EnvLookup& env, const std::string& name) {
    if (env) {
        return env(name);
    }
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string(value);
}

bool is_set(const std::optional<std::string>& value) {
    return value.has_value() && !value->empty();
}

std::string os_user_name() {
    std::array<char, 4096> buffer{};
    passwd entry{};
    passwd* found = nullptr;
    if (getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
        found != nullptr && found->pw_name != nullptr) {
        return found->pw_name;
    }
    return {};
}

}  // namespace

std::optional<DsnOptions> parse_dsn(const std::string& dsn) {
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, ConninfoFree> options(PQconninfoParse(dsn.c_str(), &error));
    if (error != nullptr) {
        PQfreemem(error);
    }
    if (!options) {
        return std::nullopt;
    }
    DsnOptions result;
    for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
        if (o->val != nullptr) {
            result.emplace(o->keyword, o->val);
        }
    }
    return result;
}

std::string quote_conninfo_value(std::string_view value) {
    bool needs_quotes = value.empty();
    for (const char c : value) {
        if (c == '\'' || c == '\\' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
            c == '\f' || c == '\v') {
            needs_quotes = true;
            break;
        }
    }
    if (!needs_quotes) {
        return std::string(value);
    }
    std::string quoted = "'";
    for (const char c : value) {
        if (c == '\'' || c == '\\') {
            quoted += '\\';
        }
        quoted += c;
    }
    quoted += '\'';
    return quoted;
}

std::string to_conninfo(const DsnOptions& options) {
    std::string out;
    for (const auto& [key, value] : options) {
        if (!out.empty()) {
            out += ' ';
        }
        out += key;
        out += '=';
        out += quote_conninfo_value(value);
    }
    return out;
}

std::string with_defaults(const std::string& dsn, std::string_view service_identifier,
                          std::chrono::milliseconds connect_timeout, const EnvLookup& env) {
    auto options = parse_dsn(dsn);
    if (!options) {
        return dsn;
    }
    const auto add = [&](const std::string& key, const std::string& value) {
        options->try_emplace(key, value);
    };
    if (!options->contains("connect_timeout") && !is_set(lookup(env, "PGCONNECT_TIMEOUT"))) {
        const auto ms = std::max<std::chrono::milliseconds::rep>(connect_timeout.count(), 0);
        const auto seconds = std::max<std::chrono::milliseconds::rep>((ms + 999) / 1000, 1);
        add("connect_timeout", std::to_string(seconds));
    }
    add("keepalives", "1");
    add("keepalives_idle", "10");
    add("keepalives_interval", "5");
    add("keepalives_count", "3");
    const std::string name = "schemagate-" + std::string(service_identifier);
    if (!options->contains("application_name") && !is_set(lookup(env, "PGAPPNAME"))) {
        add("application_name", name);
    }
    add("fallback_application_name", name);
    return to_conninfo(*options);
}

std::string describe(const std::string& dsn) {
    const auto options = parse_dsn(dsn);
    if (!options) {
        return "(invalid connection string)";
    }
    static constexpr std::array<const char*, 5> kShown = {"host", "port", "user", "dbname",
                                                          "sslmode"};
    std::string out;
    for (const char* key : kShown) {
        const auto it = options->find(key);
        if (it == options->end()) {
            continue;
        }
        if (!out.empty()) {
            out += ' ';
        }
        out += key;
        out += '=';
        out += quote_conninfo_value(it->second);
    }
    if (out.empty()) {
        // hostaddr alone, or nothing at all: say so rather than print an empty string.
        const auto hostaddr = options->find("hostaddr");
        if (hostaddr != options->end()) {
            return "hostaddr=" + quote_conninfo_value(hostaddr->second);
        }
        return "(libpq defaults)";
    }
    return out;
}

std::string database_name(const std::string& dsn, const EnvLookup& env) {
    const auto options = parse_dsn(dsn);
    if (!options) {
        return {};
    }
    if (const auto it = options->find("dbname"); it != options->end() && !it->second.empty()) {
        return it->second;
    }
    if (auto value = lookup(env, "PGDATABASE"); is_set(value)) {
        return *value;
    }
    if (const auto it = options->find("user"); it != options->end() && !it->second.empty()) {
        return it->second;
    }
    if (auto value = lookup(env, "PGUSER"); is_set(value)) {
        return *value;
    }
    return os_user_name();
}

std::string with_database(const std::string& dsn, std::string_view dbname) {
    auto options = parse_dsn(dsn);
    if (!options) {
        throw std::invalid_argument("the connection string is not valid libpq syntax");
    }
    (*options)["dbname"] = std::string(dbname);
    return to_conninfo(*options);
}

}  // namespace sg::db
