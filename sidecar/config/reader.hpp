// Reading settings out of the environment: one variable's value (unset, empty, <VAR>_FILE),
// the checked forms parse() builds on (durations, counts, connection strings, names), the
// placeholders and the names that are no setting. Every problem is collected, none thrown.
// Internal to the config module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/config/config.hpp"

namespace sg::config::detail {

inline constexpr std::string_view kPrefix = "SCHEMAGATE_";
inline constexpr std::string_view kFileSuffix = "_FILE";
inline constexpr std::size_t kMaxIdentifierBytes = 63;  // PostgreSQL's NAMEDATALEN - 1

// The value of one setting after *_FILE resolution; `from_file` says where it came from, for
// messages.
struct Value {
    std::string text;
    bool from_file = false;
};

class Reader {
  public:
    Reader(const Env& env, FileReader read_file);

    void problem(std::string_view variable, std::string message) {
        problems_.push_back({std::string(variable), std::move(message)});
    }
    [[nodiscard]] std::vector<Problem> take_problems() { return std::move(problems_); }
    [[nodiscard]] bool has_problems() const { return !problems_.empty(); }

    // A variable's value; unset and empty values are both "not set" (compose writes
    // `VAR: ${X:-}` as an empty value). Secret settings may come from <VAR>_FILE.
    std::optional<Value> get(std::string_view variable);
    // A plain (non-secret) value, surrounding whitespace removed.
    std::optional<std::string> get_trimmed(std::string_view variable);
    // A duration in [minimum, kMaxDuration]; nullopt when unset or invalid (then a problem is
    // recorded).
    std::optional<Millis> duration(std::string_view variable, Millis minimum = Millis{0});
    std::optional<std::int64_t> count(std::string_view variable, std::int64_t minimum,
                                      std::int64_t maximum, std::string_view example);
    // A connection string, validated with libpq's parser; the value never appears in a message.
    std::optional<Secret> dsn(std::string_view variable);
    // A PostgreSQL name used as given (quoted when used): 1..63 bytes, no control characters.
    bool check_identifier(std::string_view variable, std::string_view name, std::string_view what);

    // SCHEMAGATE_PLACEHOLDER_<NAME> variables -> ${name} values.
    void read_placeholders(std::map<std::string, std::string>& out);
    // SCHEMAGATE_* variables that are not settings, _FILE forms, placeholders or test-only.
    void check_unknown();

  private:
    [[nodiscard]] std::optional<std::string> raw(std::string_view variable) const;
    std::optional<Value> read_file_value(std::string_view variable,
                                         const std::string& file_variable, const std::string& file);

    const Env& env_;
    FileReader read_file_;
    std::vector<Problem> problems_;
};

}  // namespace sg::config::detail
