// The settings table as data: every setting's variable, flag, default, kind, meaning and the
// commands that read it. README's table, each command's --help and parse() are built from it.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace sg::config {

// The commands that read settings, as bits of Setting::commands.
enum Command : std::uint16_t {
    kRun = 1U << 0U,
    kMigrate = 1U << 1U,
    kStatus = 1U << 2U,
    kValidate = 1U << 3U,
    kPlan = 1U << 4U,
    kNew = 1U << 5U,
    kUndo = 1U << 6U,
    kRepair = 1U << 7U,
    kBaseline = 1U << 8U,
};

// Read by every command that takes settings: listed once in `--help-all`.
inline constexpr std::uint16_t kEveryCommand =
    kRun | kMigrate | kStatus | kValidate | kPlan | kNew | kUndo | kRepair | kBaseline;

// One setting of the table in README and SPEC.
struct Setting {
    std::string_view variable;  // e.g. "SCHEMAGATE_LOCK_TIMEOUT"
    std::string_view flag;      // e.g. "lock-timeout" (used as --lock-timeout)
    std::string_view fallback;  // default as shown to users ("" = unset)
    std::string_view kind;      // the form of the value: URL, DURATION, COUNT, a|b|c, ...
    std::string_view help;
    bool secret_file_allowed;  // may be given as <variable>_FILE
    std::uint16_t commands;    // Command bits: the commands that read it
};

// The whole table, in the order users read it.
[[nodiscard]] const std::vector<Setting>& settings();

// The setting named `variable` (without any _FILE suffix), or nullptr.
[[nodiscard]] const Setting* find_setting(std::string_view variable);

}  // namespace sg::config
