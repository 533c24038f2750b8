#include "sidecar/config/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <system_error>

#include "sidecar/config/values.hpp"
#include "sidecar/db/dsn.hpp"
#include "sidecar/text/edit_distance.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in a header

namespace sg::config {

namespace {

namespace fs = std::filesystem;
using values::bad_port_list;
using values::DurationParse;
using values::DurationStatus;
using values::ends_with;
using values::format_millis;
using values::is_control;
using values::is_extension_name;
using values::is_space;
using values::Listen;
using values::parse_count;
using values::parse_duration_detail;
using values::parse_listen;
using values::quote;
using values::starts_with;
using values::to_lower;
using values::trim;

constexpr std::string_view kPrefix = "SCHEMAGATE_";
constexpr std::string_view kPlaceholderPrefix = "SCHEMAGATE_PLACEHOLDER_";
// Reserved for the project's own test suites (e.g. the throwaway server they point at); a
// sidecar started by them inherits these and ignores them.
constexpr std::string_view kTestPrefix = "SCHEMAGATE_TEST_";
constexpr std::string_view kFileSuffix = "_FILE";
constexpr std::size_t kMaxIdentifierBytes = 63;  // PostgreSQL's NAMEDATALEN - 1
constexpr std::uintmax_t kMaxSecretFileBytes = std::uintmax_t{1024} * 1024;

constexpr std::string_view kDurationForm = "use 250ms, 5s, 5m, 1h or plain seconds";
constexpr std::string_view kDsnForm =
    "use a URI such as postgres://user@host:5432/db?sslmode=require or key=value pairs such as "
    "host=db port=5432 dbname=app user=app (the value is not shown: it may hold a password)";

std::optional<std::string> read_whole_file(const fs::path& path, std::string& error) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec) {
        error = ec.message();
        return std::nullopt;
    }
    if (fs::is_directory(status)) {
        error = "it is a directory";
        return std::nullopt;
    }
    // Only regular files (a secret mount's symlinks lead to one): a FIFO would block start-up
    // forever and a device such as /dev/zero never ends.
    if (!fs::is_regular_file(status)) {
        error = "it is not a regular file";
        return std::nullopt;
    }
    const auto size = fs::file_size(path, ec);
    if (!ec && size > kMaxSecretFileBytes) {
        error = "it is larger than 1 MiB";
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::strerror(errno);  // NOLINT(concurrency-mt-unsafe): start-up, one thread
        return std::nullopt;
    }
    // Bounded even if the file grows while it is read.
    std::string content(static_cast<std::size_t>(kMaxSecretFileBytes) + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    if (in.bad()) {
        error = "read error";
        return std::nullopt;
    }
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (content.size() > kMaxSecretFileBytes) {
        error = "it is larger than 1 MiB";
        return std::nullopt;
    }
    return content;
}

// The value of one setting after *_FILE resolution; `from_file` says where it came from, for
// messages.
struct Value {
    std::string text;
    bool from_file = false;
};

class Parser {
  public:
    Parser(const Env& env, FileReader read_file)
        : env_(env), read_file_(read_file != nullptr ? read_file : &read_whole_file) {}

    void problem(std::string_view variable, std::string message) {
        problems_.push_back({std::string(variable), std::move(message)});
    }
    [[nodiscard]] std::vector<Problem> take_problems() { return std::move(problems_); }
    [[nodiscard]] bool has_problems() const { return !problems_.empty(); }

    // A variable's value; unset and empty values are both "not set" (compose writes
    // `VAR: ${X:-}` as an empty value). Secret settings may come from <VAR>_FILE.
    std::optional<Value> get(std::string_view variable) {
        const Setting* setting = find_setting(variable);
        const std::optional<std::string> direct = raw(variable);
        if (setting == nullptr || !setting->secret_file_allowed) {
            if (direct) {
                return Value{*direct, false};
            }
            return std::nullopt;
        }
        const std::string file_variable = std::string(variable) + std::string(kFileSuffix);
        const std::optional<std::string> file = raw(file_variable);
        if (direct && file) {
            problem(variable, "both " + std::string(variable) + " and " + file_variable +
                                  " are set; set only one of them");
            return std::nullopt;
        }
        if (!file) {
            if (direct) {
                return Value{*direct, false};
            }
            return std::nullopt;
        }
        std::string error;
        const fs::path path(*file);
        std::optional<std::string> content = read_file_(path, error);
        if (!content) {
            problem(file_variable, "cannot read " + quote(*file) + " (" + error +
                                       "); name a readable file holding " + std::string(variable));
            return std::nullopt;
        }
        if (ends_with(*content, "\r\n")) {
            content->resize(content->size() - 2);
        } else if (ends_with(*content, "\n")) {
            content->pop_back();
        }
        if (content->empty()) {
            problem(file_variable, "the file " + quote(*file) + " is empty; it must hold " +
                                       std::string(variable));
            return std::nullopt;
        }
        if (content->find('\0') != std::string::npos) {
            problem(file_variable, "the file " + quote(*file) +
                                       " contains a NUL byte; it must "
                                       "hold " +
                                       std::string(variable) + " as text");
            return std::nullopt;
        }
        return Value{std::move(*content), true};
    }

    // A plain (non-secret) value, surrounding whitespace removed.
    std::optional<std::string> get_trimmed(std::string_view variable) {
        auto value = get(variable);
        if (!value) {
            return std::nullopt;
        }
        const std::string_view t = trim(value->text);
        if (t.empty()) {
            return std::nullopt;
        }
        return std::string(t);
    }

    // A duration in [minimum, kMaxDuration]; nullopt when unset or invalid (then a problem is
    // recorded).
    std::optional<Millis> duration(std::string_view variable, Millis minimum = Millis{0}) {
        const auto text = get_trimmed(variable);
        if (!text) {
            return std::nullopt;
        }
        const DurationParse parsed = parse_duration_detail(*text);
        const std::string range = "from " + format_millis(minimum) + " to 168h (7 days)";
        if (parsed.status == DurationStatus::kSyntax) {
            problem(variable, quote(*text) + " is not a duration; " + std::string(kDurationForm));
            return std::nullopt;
        }
        if (parsed.status == DurationStatus::kRange || parsed.value < minimum) {
            problem(variable, quote(*text) + " is out of range; use a duration " + range + " (" +
                                  std::string(kDurationForm) + ")");
            return std::nullopt;
        }
        return parsed.value;
    }

    std::optional<std::int64_t> count(std::string_view variable, std::int64_t minimum,
                                      std::int64_t maximum, std::string_view example) {
        const auto text = get_trimmed(variable);
        if (!text) {
            return std::nullopt;
        }
        const auto value = parse_count(*text);
        if (!value || *value < minimum || *value > maximum) {
            problem(variable, quote(*text) + " is not a whole number from " +
                                  std::to_string(minimum) + " to " + std::to_string(maximum) +
                                  "; use digits only, e.g. " + std::string(example));
            return std::nullopt;
        }
        return value;
    }

    // A connection string, validated with libpq's parser; the value never appears in a message.
    std::optional<Secret> dsn(std::string_view variable) {
        auto value = get(variable);
        if (!value) {
            return std::nullopt;
        }
        if (!db::parse_dsn(value->text)) {
            const std::string where = value->from_file
                                          ? "the value read from " + std::string(variable) + "_FILE"
                                          : "the value";
            const std::string why = db::dsn_problem(value->text);
            problem(variable, where + " is not a valid libpq connection string" +
                                  (why.empty() ? "" : ": " + why) + "; " + std::string(kDsnForm));
            return std::nullopt;
        }
        // libpq parses these only when connecting; a typo there is a setting error, not an
        // unreachable database.
        const auto options = *db::parse_dsn(value->text);
        if (const auto port = options.find("port"); port != options.end()) {
            if (const auto bad = bad_port_list(port->second)) {
                problem(variable, "port " + quote(*bad) + " is not a port number (1-65535); " +
                                      std::string(kDsnForm));
                return std::nullopt;
            }
        }
        if (const auto mode = options.find("sslmode"); mode != options.end()) {
            static constexpr std::array<std::string_view, 6> kModes = {
                "disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
            if (std::find(kModes.begin(), kModes.end(), mode->second) == kModes.end()) {
                problem(variable, "sslmode " + quote(mode->second) +
                                      " is not one of disable, allow, prefer, require, "
                                      "verify-ca, verify-full");
                return std::nullopt;
            }
        }
        return Secret(std::move(value->text));
    }

    // A PostgreSQL name used as given (quoted when used): 1..63 bytes, no control characters.
    bool check_identifier(std::string_view variable, std::string_view name, std::string_view what) {
        if (name.empty()) {
            problem(variable, "is empty; give a " + std::string(what) + " name");
            return false;
        }
        if (std::any_of(name.begin(), name.end(), is_control)) {
            problem(variable, quote(name) + " contains control characters; use a plain " +
                                  std::string(what) + " name such as orders_app");
            return false;
        }
        if (name.size() > kMaxIdentifierBytes) {
            problem(variable, quote(name) + " is " + std::to_string(name.size()) +
                                  " bytes long; PostgreSQL " + std::string(what) +
                                  " names are at most 63 bytes");
            return false;
        }
        return true;
    }

    // SCHEMAGATE_* variables that are not settings, _FILE forms, placeholders or test-only.
    void check_unknown(const std::vector<std::string>& known) {
        for (const auto& [name, value] : env_) {
            if (!starts_with(name, kPrefix) || starts_with(name, kPlaceholderPrefix) ||
                starts_with(name, kTestPrefix)) {
                continue;
            }
            if (std::find(known.begin(), known.end(), name) != known.end()) {
                continue;
            }
            if (ends_with(name, kFileSuffix)) {
                const std::string_view base =
                    std::string_view(name).substr(0, name.size() - kFileSuffix.size());
                if (const Setting* s = find_setting(base); s != nullptr) {
                    problem(name, std::string(base) +
                                      " cannot be given as a file; only the *_URL and "
                                      "*_PASSWORD settings have a _FILE form");
                    continue;
                }
            }
            if (starts_with(name, "SCHEMAGATE_PLACEHOLDER")) {
                problem(name,
                        "unknown setting; placeholders are written "
                        "SCHEMAGATE_PLACEHOLDER_<NAME> (letters, digits, _)");
                continue;
            }
            const std::string suggestion = closest(name, known);
            if (!suggestion.empty()) {
                problem(name, "unknown setting; did you mean " + suggestion + "?");
            } else {
                problem(name,
                        "unknown setting; see `schemagate --help` for the settings "
                        "(placeholders are SCHEMAGATE_PLACEHOLDER_<NAME>)");
            }
        }
    }

    void read_placeholders(std::map<std::string, std::string>& out) {
        std::map<std::string, std::string> origin;  // placeholder -> variable that set it
        for (const auto& [name, value] : env_) {
            if (!starts_with(name, kPlaceholderPrefix)) {
                continue;
            }
            const std::string_view key = std::string_view(name).substr(kPlaceholderPrefix.size());
            const bool valid = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
            });
            if (!valid) {
                problem(name,
                        "placeholder names use letters, digits and _ only; write "
                        "SCHEMAGATE_PLACEHOLDER_<NAME>, e.g. SCHEMAGATE_PLACEHOLDER_APP_USER "
                        "for ${app_user}");
                continue;
            }
            const std::string lowered = to_lower(key);
            static constexpr std::array<std::string_view, 4> kBuiltIn = {"service", "schema",
                                                                         "role", "database"};
            if (std::find(kBuiltIn.begin(), kBuiltIn.end(), lowered) != kBuiltIn.end()) {
                problem(name, "${" + lowered +
                                  "} is built in and cannot be overridden; set "
                                  "the matching setting or pick another name");
                continue;
            }
            if (const auto it = origin.find(lowered); it != origin.end()) {
                std::string message = "both ";
                message.append(it->second).append(" and ").append(name);
                message.append(" define ${").append(lowered).append("}; keep one");
                problem(name, std::move(message));
                continue;
            }
            origin.emplace(lowered, name);
            out[lowered] = value;
        }
    }

  private:
    std::optional<std::string> raw(std::string_view variable) const {
        const auto it = env_.find(variable);
        if (it == env_.end() || it->second.empty()) {
            return std::nullopt;
        }
        return it->second;
    }

    static std::string closest(std::string_view name, const std::vector<std::string>& known) {
        std::string best;
        std::size_t best_distance = std::numeric_limits<std::size_t>::max();
        const std::string_view bare = name.substr(kPrefix.size());
        for (const auto& candidate : known) {
            std::size_t d = 0;
            std::size_t length = 0;
            if (starts_with(candidate, kPrefix)) {
                d = text::edit_distance(bare, std::string_view(candidate).substr(kPrefix.size()));
                length = candidate.size() - kPrefix.size();
            } else {
                // SCHEMAGATE_LOG_LEVEL -> LOG_LEVEL, SCHEMAGATE_DATABASE_URL -> DATABASE_URL
                d = text::edit_distance(bare, candidate);
                length = candidate.size();
            }
            if (d <= std::max<std::size_t>(2, length / 3) && d < best_distance) {
                best_distance = d;
                best = candidate;
            }
        }
        return best;
    }

    const Env& env_;
    FileReader read_file_;
    std::vector<Problem> problems_;
};

}  // namespace

std::string_view to_string(Isolation isolation) {
    switch (isolation) {
        case Isolation::kShared:
            return "shared";
        case Isolation::kSchema:
            return "schema";
        case Isolation::kDatabase:
            return "database";
    }
    return "shared";
}

std::string_view to_string(LogFormat format) {
    return format == LogFormat::kJson ? "json" : "text";
}

std::string_view to_string(LintMode mode) {
    switch (mode) {
        case LintMode::kError:
            return "error";
        case LintMode::kOff:
            return "off";
        case LintMode::kWarn:
            break;
    }
    return "warn";
}

std::string flag_for(std::string_view variable) {
    if (starts_with(variable, kPrefix)) {
        variable.remove_prefix(kPrefix.size());
    }
    std::string flag = to_lower(variable);
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
}

// Service name -> PostgreSQL identifier: ASCII letters are lower-cased and '-', '.' and ' '
// become '_' ("User-Service.v2" -> "user_service_v2"); every other byte (digits, '_', non-ASCII
// UTF-8, punctuation) is kept as it is and the name is quoted wherever it is used in SQL.
// The mapping is byte for byte, so the identifier is exactly as long as the name.
std::string identifier_for(std::string_view service) {
    std::string out;
    out.reserve(service.size());
    for (const char c : service) {
        if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else if (c == '-' || c == '.' || c == ' ') {
            out += '_';
        } else {
            out += c;
        }
    }
    return out;
}

void set_override(Env& env, std::string_view variable, std::string value) {
    if (ends_with(variable, kFileSuffix)) {
        const std::string_view base = variable.substr(0, variable.size() - kFileSuffix.size());
        if (const Setting* s = find_setting(base); s != nullptr && s->secret_file_allowed) {
            env.erase(std::string(base));
        }
    } else if (const Setting* s = find_setting(variable); s != nullptr && s->secret_file_allowed) {
        env.erase(std::string(variable) + std::string(kFileSuffix));
    }
    env[std::string(variable)] = std::move(value);
}

Env process_environment() {
    Env env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const std::size_t eq = text.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            continue;
        }
        env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
    return env;
}

ParseResult parse(const Env& env, Requirements requirements, FileReader read_file) {
    Parser p(env, read_file);
    Config c;

    // Which variables exist at all, for unknown-name detection and suggestions.
    std::vector<std::string> known;
    for (const auto& s : settings()) {
        known.emplace_back(s.variable);
        if (s.secret_file_allowed) {
            known.push_back(std::string(s.variable) + std::string(kFileSuffix));
        }
    }

    // DATABASE_URL
    if (auto url = p.dsn("DATABASE_URL")) {
        c.database_url = std::move(*url);
    }

    // SCHEMAGATE_SERVICE
    bool service_ok = false;
    if (auto service = p.get("SCHEMAGATE_SERVICE")) {
        const std::string& name = service->text;
        if (std::any_of(name.begin(), name.end(), is_control)) {
            p.problem("SCHEMAGATE_SERVICE",
                      quote(name) +
                          " contains control characters; use a plain name such as "
                          "orders or user-service");
        } else if (identifier_for(name).size() > kMaxIdentifierBytes) {
            p.problem("SCHEMAGATE_SERVICE",
                      quote(name) + " is " + std::to_string(name.size()) +
                          " bytes long; use at most 63 bytes (it names a PostgreSQL role and "
                          "schema), e.g. user-service");
        } else {
            c.service = name;
            service_ok = true;
        }
    } else if (requirements.service) {
        p.problem("SCHEMAGATE_SERVICE",
                  "is required; set it to the paired service's name, e.g. "
                  "SCHEMAGATE_SERVICE=orders (or --service orders)");
    }
    const std::string service_identifier = identifier_for(c.service);

    // SCHEMAGATE_MIGRATIONS
    if (auto dir = p.get("SCHEMAGATE_MIGRATIONS")) {
        if (std::any_of(dir->text.begin(), dir->text.end(), is_control)) {
            p.problem("SCHEMAGATE_MIGRATIONS",
                      quote(dir->text) +
                          " contains control characters; use a directory path "
                          "such as /migrations");
        } else {
            c.migrations = dir->text;
        }
    }

    // SCHEMAGATE_ISOLATION
    if (auto isolation = p.get_trimmed("SCHEMAGATE_ISOLATION")) {
        const std::string lowered = to_lower(*isolation);
        if (lowered == "shared") {
            c.isolation = Isolation::kShared;
        } else if (lowered == "schema") {
            c.isolation = Isolation::kSchema;
        } else if (lowered == "database") {
            c.isolation = Isolation::kDatabase;
        } else {
            p.problem("SCHEMAGATE_ISOLATION",
                      quote(*isolation) +
                          " is not an isolation mode; use shared, schema or "
                          "database");
        }
    }

    // SCHEMAGATE_SCHEMA: public for shared isolation, the service's identifier otherwise.
    const auto schema = p.get("SCHEMAGATE_SCHEMA");
    if (schema) {
        if (p.check_identifier("SCHEMAGATE_SCHEMA", schema->text, "schema")) {
            c.schema = schema->text;
        }
    } else if (c.isolation == Isolation::kShared) {
        c.schema = "public";
    } else if (service_ok) {
        c.schema = service_identifier;
    }

    // SCHEMAGATE_ADMIN_URL
    if (auto admin = p.dsn("SCHEMAGATE_ADMIN_URL")) {
        c.admin_url = std::move(*admin);
    }

    // SCHEMAGATE_ROLE / SCHEMAGATE_ROLE_PASSWORD
    const auto role = p.get("SCHEMAGATE_ROLE");
    if (role) {
        if (p.check_identifier("SCHEMAGATE_ROLE", role->text, "role")) {
            c.role = role->text;
        }
    } else if (service_ok) {
        c.role = service_identifier;
    }
    if (auto password = p.get("SCHEMAGATE_ROLE_PASSWORD")) {
        c.role_password = Secret(std::move(password->text));
    }

    // Provisioning creates these names; PostgreSQL reserves the pg_ prefix for its own.
    if (c.admin_url) {
        if (starts_with(c.role, "pg_")) {
            p.problem(role ? "SCHEMAGATE_ROLE" : "SCHEMAGATE_SERVICE",
                      "the role name " + quote(c.role) +
                          " starts with pg_, which PostgreSQL reserves; set SCHEMAGATE_ROLE to "
                          "another name");
        }
        if (c.isolation != Isolation::kShared && starts_with(c.schema, "pg_")) {
            p.problem(schema ? "SCHEMAGATE_SCHEMA" : "SCHEMAGATE_SERVICE",
                      "the schema name " + quote(c.schema) +
                          " starts with pg_, which PostgreSQL reserves; set SCHEMAGATE_SCHEMA "
                          "to another name");
        }
    }

    // Database-per-service provisioning creates the database DATABASE_URL names: it must name one.
    if (c.isolation == Isolation::kDatabase && c.admin_url) {
        const auto options = db::parse_dsn(c.database_url.reveal());
        const bool named = options && options->contains("dbname") && !options->at("dbname").empty();
        const auto pgdatabase = env.find("PGDATABASE");
        if (options && !named && (pgdatabase == env.end() || pgdatabase->second.empty())) {
            p.problem("DATABASE_URL",
                      "names no database, but SCHEMAGATE_ISOLATION=database with "
                      "SCHEMAGATE_ADMIN_URL creates the database it names; add one, e.g. "
                      "postgres://orders@db:5432/orders or dbname=orders (or set PGDATABASE)");
        }
    }

    // SCHEMAGATE_EXTENSIONS
    if (auto list = p.get("SCHEMAGATE_EXTENSIONS")) {
        std::string_view rest = list->text;
        while (true) {
            const std::size_t comma = rest.find(',');
            const std::string_view item = trim(rest.substr(0, comma));
            if (!item.empty()) {
                if (!is_extension_name(item)) {
                    p.problem("SCHEMAGATE_EXTENSIONS",
                              quote(item) +
                                  " is not an extension name; use a comma list of "
                                  "names made of letters, digits, _ and -, e.g. "
                                  "uuid-ossp,pgcrypto");
                } else if (std::find(c.extensions.begin(), c.extensions.end(), item) ==
                           c.extensions.end()) {
                    c.extensions.emplace_back(item);
                }
            }
            if (comma == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(comma + 1);
        }
    }

    // SCHEMAGATE_LISTEN
    if (auto listen = p.get_trimmed("SCHEMAGATE_LISTEN")) {
        if (auto parsed = parse_listen(*listen)) {
            c.listen_host = std::move(parsed->host);
            c.listen_port = parsed->port;
        } else {
            std::string hint;
            if (parse_count(*listen)) {
                hint = " (did you mean :" + *listen + "?)";
            }
            p.problem("SCHEMAGATE_LISTEN",
                      quote(*listen) + " is not an address" + hint +
                          "; use host:port, [ipv6]:port or :port with a port from 0 to 65535, "
                          "e.g. 0.0.0.0:8080");
        }
    }

    // Durations and counts.
    if (auto d = p.duration("SCHEMAGATE_LOCK_TIMEOUT")) {
        c.lock_timeout = *d;
    }
    if (auto d = p.duration("SCHEMAGATE_STATEMENT_LOCK_TIMEOUT")) {
        if (d->count() == 0) {
            c.statement_lock_timeout.reset();
        } else {
            c.statement_lock_timeout = *d;
        }
    }
    if (auto n = p.count("SCHEMAGATE_LOCK_RETRIES", 0, 1000, "10, or 0 for no retry")) {
        c.lock_retries = static_cast<int>(*n);
    }
    if (auto lint = p.get_trimmed("SCHEMAGATE_LINT")) {
        if (const auto parsed = parse_lint_mode(*lint)) {
            c.lint = *parsed;
        } else {
            p.problem("SCHEMAGATE_LINT",
                      quote(*lint) + " is not a lint mode; use error, warn or off");
        }
    }
    if (auto text = p.get_trimmed("SCHEMAGATE_FORMAT")) {
        const std::string lowered = to_lower(*text);
        static constexpr std::array<std::string_view, 6> kFormats = {
            "auto", "schemagate", "flyway", "golang-migrate", "goose", "dbmate"};
        if (std::find(kFormats.begin(), kFormats.end(), lowered) != kFormats.end()) {
            c.format = lowered;
        } else {
            p.problem("SCHEMAGATE_FORMAT",
                      quote(*text) +
                          " is not a layout; use auto, schemagate, flyway, golang-migrate, goose "
                          "or dbmate");
        }
    }
    if (auto text = p.get_trimmed("SCHEMAGATE_OUT_OF_ORDER")) {
        const std::string lowered = to_lower(*text);
        if (lowered == "refuse" || lowered == "allow") {
            c.out_of_order_allowed = lowered == "allow";
        } else {
            p.problem("SCHEMAGATE_OUT_OF_ORDER",
                      quote(*text) + " is not a choice; use refuse or allow");
        }
    }
    if (auto text = p.get_trimmed("SCHEMAGATE_VERSION_STYLE")) {
        const std::string lowered = to_lower(*text);
        if (lowered == "sequential" || lowered == "timestamp") {
            c.timestamp_versions = lowered == "timestamp";
        } else {
            p.problem("SCHEMAGATE_VERSION_STYLE",
                      quote(*text) + " is not a style; use sequential or timestamp");
        }
    }
    if (auto n = p.count("DB_INIT_MAX_RETRIES", 0, INT_MAX, "10, or 0 for no limit")) {
        c.max_retries = static_cast<int>(*n);
    }
    const auto initial = p.duration("DB_INIT_INITIAL_DELAY", Millis{1});
    if (initial) {
        c.initial_delay = *initial;
    }
    const auto max_delay = p.duration("DB_INIT_MAX_DELAY", Millis{1});
    if (max_delay) {
        c.max_delay = *max_delay;
    }
    if (c.initial_delay > c.max_delay && (initial || max_delay)) {
        p.problem(initial ? "DB_INIT_INITIAL_DELAY" : "DB_INIT_MAX_DELAY",
                  "the first back-off delay (DB_INIT_INITIAL_DELAY, " +
                      format_millis(c.initial_delay) + ") is longer than its cap (" +
                      "DB_INIT_MAX_DELAY, " + format_millis(c.max_delay) +
                      "); make DB_INIT_INITIAL_DELAY at most DB_INIT_MAX_DELAY");
    }
    if (auto d = p.duration("DB_INIT_TIMEOUT", Millis{1})) {
        c.connect_timeout = *d;
    }

    // LOG_LEVEL / SCHEMAGATE_LOG_FORMAT
    if (auto level = p.get_trimmed("LOG_LEVEL")) {
        const std::string lowered = to_lower(*level);
        static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kLevels = {{
            {"trace", "trace"},
            {"debug", "debug"},
            {"info", "info"},
            {"warn", "warning"},
            {"warning", "warning"},
            {"error", "error"},
            {"critical", "critical"},
            {"off", "off"},
        }};
        const auto it = std::find_if(kLevels.begin(), kLevels.end(),
                                     [&](const auto& entry) { return entry.first == lowered; });
        if (it == kLevels.end()) {
            p.problem("LOG_LEVEL", quote(*level) +
                                       " is not a log level; use trace, debug, info, "
                                       "warn, error, critical or off");
        } else {
            c.log_level = std::string(it->second);
        }
    }
    if (auto format = p.get_trimmed("SCHEMAGATE_LOG_FORMAT")) {
        if (const auto parsed = parse_log_format(*format)) {
            c.log_format = *parsed;
        } else {
            p.problem("SCHEMAGATE_LOG_FORMAT",
                      quote(*format) + " is not a log format; use text or json");
        }
    }

    // HTTP limits.
    if (auto n =
            p.count("SCHEMAGATE_HTTP_MAX_HEADER_BYTES", 1024, std::int64_t{1024} * 1024, "8192")) {
        c.http.max_header_bytes = static_cast<std::size_t>(*n);
    }
    if (auto n = p.count("SCHEMAGATE_HTTP_MAX_CONNECTIONS", 1, 65536, "256")) {
        c.http.max_connections = static_cast<std::size_t>(*n);
    }
    if (auto d = p.duration("SCHEMAGATE_HTTP_READ_TIMEOUT", Millis{1})) {
        c.http.read_timeout = *d;
    }
    if (auto d = p.duration("SCHEMAGATE_HTTP_IDLE_TIMEOUT", Millis{1})) {
        c.http.idle_timeout = *d;
    }

    p.read_placeholders(c.placeholders);
    p.check_unknown(known);

    if (p.has_problems()) {
        return p.take_problems();
    }
    return c;
}

}  // namespace sg::config
