#include "sidecar/config/reader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <limits>
#include <utility>

#include "sidecar/config/values.hpp"
#include "sidecar/db/dsn.hpp"
#include "sidecar/text/edit_distance.hpp"

namespace sg::config::detail {

namespace {

namespace fs = std::filesystem;
using values::bad_port_list;
using values::DurationParse;
using values::DurationStatus;
using values::ends_with;
using values::format_millis;
using values::is_control;
using values::parse_count;
using values::parse_duration_detail;
using values::quote;
using values::starts_with;
using values::to_lower;
using values::trim;

constexpr std::string_view kPlaceholderPrefix = "SCHEMAGATE_PLACEHOLDER_";
// Reserved for the project's own test suites (e.g. the throwaway server they point at); a
// sidecar started by them inherits these and ignores them.
constexpr std::string_view kTestPrefix = "SCHEMAGATE_TEST_";

constexpr std::string_view kDurationForm = "use 250ms, 5s, 5m, 1h or plain seconds";
constexpr std::string_view kDsnForm =
    "use a URI such as postgres://user@host:5432/db?sslmode=require or key=value pairs such as "
    "host=db port=5432 dbname=app user=app (the value is not shown: it may hold a password)";

// Which variables exist at all, for unknown-name detection and suggestions.
std::vector<std::string> known_variables() {
    std::vector<std::string> known;
    for (const auto& s : settings()) {
        known.emplace_back(s.variable);
        if (s.secret_file_allowed) {
            known.push_back(std::string(s.variable) + std::string(kFileSuffix));
        }
    }
    return known;
}

// The known variable nearest to `name` by edit distance, or "" when none is near enough.
std::string closest(std::string_view name, const std::vector<std::string>& known) {
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

}  // namespace

Reader::Reader(const Env& env, FileReader read_file)
    : env_(env), read_file_(read_file != nullptr ? read_file : &read_secret_file) {}

std::optional<Value> Reader::get(std::string_view variable) {
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
    return read_file_value(variable, file_variable, *file);
}

// The content of the file <VAR>_FILE names: one final line break dropped, never empty, text.
std::optional<Value> Reader::read_file_value(std::string_view variable,
                                             const std::string& file_variable,
                                             const std::string& file) {
    std::string error;
    const fs::path path(file);
    std::optional<std::string> content = read_file_(path, error);
    if (!content) {
        problem(file_variable, "cannot read " + quote(file) + " (" + error +
                                   "); name a readable file holding " + std::string(variable));
        return std::nullopt;
    }
    if (ends_with(*content, "\r\n")) {
        content->resize(content->size() - 2);
    } else if (ends_with(*content, "\n")) {
        content->pop_back();
    }
    if (content->empty()) {
        problem(file_variable,
                "the file " + quote(file) + " is empty; it must hold " + std::string(variable));
        return std::nullopt;
    }
    if (content->find('\0') != std::string::npos) {
        problem(file_variable, "the file " + quote(file) +
                                   " contains a NUL byte; it must "
                                   "hold " +
                                   std::string(variable) + " as text");
        return std::nullopt;
    }
    return Value{std::move(*content), true};
}

std::optional<std::string> Reader::get_trimmed(std::string_view variable) {
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

std::optional<Millis> Reader::duration(std::string_view variable, Millis minimum) {
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

std::optional<std::int64_t> Reader::count(std::string_view variable, std::int64_t minimum,
                                          std::int64_t maximum, std::string_view example) {
    const auto text = get_trimmed(variable);
    if (!text) {
        return std::nullopt;
    }
    const auto value = parse_count(*text);
    if (!value || *value < minimum || *value > maximum) {
        problem(variable, quote(*text) + " is not a whole number from " + std::to_string(minimum) +
                              " to " + std::to_string(maximum) + "; use digits only, e.g. " +
                              std::string(example));
        return std::nullopt;
    }
    return value;
}

std::optional<Secret> Reader::dsn(std::string_view variable) {
    auto value = get(variable);
    if (!value) {
        return std::nullopt;
    }
    const auto options = db::parse_dsn(value->text);
    if (!options) {
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
    if (const auto port = options->find("port"); port != options->end()) {
        if (const auto bad = bad_port_list(port->second)) {
            problem(variable, "port " + quote(*bad) + " is not a port number (1-65535); " +
                                  std::string(kDsnForm));
            return std::nullopt;
        }
    }
    if (const auto mode = options->find("sslmode"); mode != options->end()) {
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

bool Reader::check_identifier(std::string_view variable, std::string_view name,
                              std::string_view what) {
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

void Reader::read_placeholders(std::map<std::string, std::string>& out) {
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
        static constexpr std::array<std::string_view, 4> kBuiltIn = {"service", "schema", "role",
                                                                     "database"};
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

void Reader::check_unknown() {
    const std::vector<std::string> known = known_variables();
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

std::optional<std::string> Reader::raw(std::string_view variable) const {
    const auto it = env_.find(variable);
    if (it == env_.end() || it->second.empty()) {
        return std::nullopt;
    }
    return it->second;
}

}  // namespace sg::config::detail
