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

#include "sidecar/text/edit_distance.hpp"

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

namespace {

// A parameter name as users write them: short, letters, digits and underscores. Anything else
// may be a piece of a password that a stray '?' or space cut off, and is never shown.
bool looks_like_name(std::string_view text) {
    if (text.empty() || text.size() > 40) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

// libpq's own keyword closest to `name`, if it is close (a typo), else "".
std::string closest_keyword(std::string_view name) {
    std::unique_ptr<PQconninfoOption, ConninfoFree> defaults(PQconndefaults());
    std::string best;
    std::size_t best_distance = 3;
    for (const PQconninfoOption* o = defaults.get(); o != nullptr && o->keyword != nullptr; ++o) {
        const std::size_t d = text::edit_distance(name, o->keyword);
        if (d < best_distance) {
            best_distance = d;
            best = o->keyword;
        }
    }
    return best;
}

}  // namespace

std::string dsn_problem(const std::string& dsn) {
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, ConninfoFree> options(PQconninfoParse(dsn.c_str(), &error));
    if (options || error == nullptr) {
        if (error != nullptr) {
            PQfreemem(error);
        }
        return {};
    }
    const std::string message(error);
    PQfreemem(error);
    // libpq: invalid URI query parameter: "foo" / invalid connection option "foo"
    const bool uri_parameter = message.rfind("invalid URI query parameter: \"", 0) == 0;
    if (!uri_parameter && message.rfind("invalid connection option \"", 0) != 0) {
        return {};
    }
    const auto open = message.find('"');
    const auto close = message.find('"', open + 1);
    if (close == std::string::npos) {
        return {};
    }
    const std::string name = message.substr(open + 1, close - open - 1);
    // In a URI, an '@' after the '?' means the '?' was part of the user or password.
    const auto query = dsn.find('?');
    if (!looks_like_name(name) || (uri_parameter && query != std::string::npos &&
                                   dsn.find('@', query) != std::string::npos)) {
        return {};
    }
    std::string text = "unknown parameter \"" + name + "\"";
    if (const std::string near = closest_keyword(name); !near.empty()) {
        text += " (did you mean " + near + "?)";
    } else {
        text += " (libpq's parameters: host, port, dbname, user, sslmode, connect_timeout, ...)";
    }
    return text;
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
