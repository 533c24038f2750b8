// The commands as data (name, summary, flags, the settings they read) and the help text written
// from it: `schemagate --help`, `schemagate help <command>`, `<command> --help`, `--help-all`.
// The parser is built from the same table, so help never lists a flag that is not accepted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sg::cli {

// A flag of one command (not a setting): `--json`, `--to VERSION`, or a positional argument.
struct CommandFlag {
    std::string_view name;  // "--to", or the positional's name ("description")
    std::string_view arg;   // "VERSION"; "" for a switch
    std::string_view help;
    bool positional = false;
    bool required = false;
};

struct CommandInfo {
    std::string_view name;
    std::string_view summary;
    std::uint16_t settings;  // config::Command bit: which settings it reads (0 = none)
    std::vector<CommandFlag> flags;
    std::string_view note;  // a line under the usage ("" = none)
};

// Every command, in the order users read them.
[[nodiscard]] const std::vector<CommandInfo>& commands();
[[nodiscard]] const CommandInfo* find_command(std::string_view name);

// `schemagate --help`: usage, the commands, where to read more.
[[nodiscard]] std::string main_help();
// One command: usage, its flags, and only the settings it reads, with kind and default.
[[nodiscard]] std::string command_help(const CommandInfo& command);
// Everything once: the main help, the settings every command reads, then each command with its
// own flags and the settings only some commands read.
[[nodiscard]] std::string all_help();

}  // namespace sg::cli
