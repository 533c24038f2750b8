#include "sidecar/cli/cli.hpp"

#include <csignal>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "sidecar/cli/command.hpp"
#include "sidecar/cli/healthcheck.hpp"
#include "sidecar/cli/help.hpp"
#include "sidecar/cli/run.hpp"
#include "sidecar/cli/setting_flags.hpp"
#include "sidecar/config/config.hpp"
#include "sidecar/migrate/version.hpp"
#include "sidecar/wait/stop.hpp"

namespace sg::cli {

namespace {

// Help, asked for in any of the usual ways, before the parser sees the arguments: nullopt when
// the arguments ask for something else.
std::optional<int> answer_help(int argc, char** argv) {
    const auto print = [](const std::string& text) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        return kExitOk;
    };
    if (argc < 2) {
        return print(main_help());
    }
    const std::string_view first = argv[1];
    if (first == "-V" || first == "--version") {
        return cmd_version();
    }
    if (first == "--help-all") {
        return print(all_help());
    }
    if (first == "-h" || first == "--help" || first == "help") {
        if (argc < 3 || first != "help") {
            return print(main_help());
        }
        if (const CommandInfo* c = find_command(argv[2])) {
            return print(c->name == "help" ? main_help() : command_help(*c));
        }
        std::fprintf(stderr, "schemagate: help: unknown command \"%s\"; see `schemagate --help`\n",
                     argv[2]);
        return kExitUsage;
    }
    const CommandInfo* command = find_command(first);
    if (command == nullptr) {
        return std::nullopt;
    }
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") {
            break;
        }
        if (arg == "-h" || arg == "--help" || arg == "--help-all") {
            return print(command_help(*command));
        }
    }
    return std::nullopt;
}

// "schemagate: unknown command ...", with the list of commands (CLI11 alone says "A subcommand
// is required").
int reject_unknown_command(const char* word) {
    std::string names;
    for (const auto& c : commands()) {
        names += (names.empty() ? "" : ", ") + std::string(c.name);
    }
    std::fprintf(stderr, "schemagate: unknown command \"%s\"; commands: %s\n", word, names.c_str());
    return kExitUsage;
}

// The parser, built from the same table as the help text, and what it read. Options are bound to
// the maps' elements, so it stays where it was built.
class CommandLine {
  public:
    CommandLine() {
        app_.set_help_flag();  // help is answered before parsing, from the table
        app_.require_subcommand(1);
        for (const auto& c : commands()) {
            if (c.name != "help") {
                add_command(c);
            }
        }
    }
    CommandLine(const CommandLine&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;
    CommandLine(CommandLine&&) = delete;
    CommandLine& operator=(CommandLine&&) = delete;
    ~CommandLine() = default;

    // False after printing the usage problem.
    [[nodiscard]] bool parse(int argc, char** argv) {
        try {
            app_.parse(argc, argv);
        } catch (const CLI::ParseError& e) {
            std::fprintf(stderr, "schemagate: %s; see `schemagate help %s`\n", e.what(), argv[1]);
            return false;
        }
        name_ = app_.get_subcommands().front()->get_name();
        return true;
    }

    // The command given, and its flags' values ("" when not given).
    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] std::string value(std::string_view flag) {
        return values_[name_ + " " + std::string(flag)];
    }
    [[nodiscard]] bool given(std::string_view flag) {
        return switches_[name_ + " " + std::string(flag)];
    }
    [[nodiscard]] const SettingFlags& setting_flags() const { return flags_; }

  private:
    void add_command(const CommandInfo& c) {
        auto* sub = app_.add_subcommand(std::string(c.name), std::string(c.summary));
        for (const auto& f : c.flags) {
            const std::string key = std::string(c.name) + " " + std::string(f.name);
            if (f.arg.empty() && !f.positional) {
                sub->add_flag(std::string(f.name), switches_[key], std::string(f.help));
            } else {
                auto* option =
                    sub->add_option(std::string(f.name), values_[key], std::string(f.help))
                        ->type_name(f.positional ? "TEXT" : std::string(f.arg));
                if (f.required) {
                    option->required();
                }
            }
        }
        if (c.settings != 0) {
            flags_.add_to(sub, c.settings);
        }
    }

    CLI::App app_{"schemagate", "schemagate"};
    SettingFlags flags_;
    std::map<std::string, std::string> values_;  // "<command> <flag>" -> value
    std::map<std::string, bool> switches_;       // "<command> <flag>" -> given
    std::string name_;
};

int run_healthcheck(CommandLine& line) {
    std::optional<config::Millis> wait;
    if (const std::string text = line.value("--wait"); !text.empty()) {
        wait = config::parse_duration(text);
        if (!wait || wait->count() <= 0) {
            std::fprintf(stderr,
                         "schemagate: healthcheck --wait %s: not a duration; use e.g. "
                         "10m, 90s or 500ms\n",
                         text.c_str());
            return kExitUsage;
        }
    }
    return cmd_healthcheck(line.value("--url"), wait);
}

int run_new(CommandLine& line, const config::Config& config) {
    if (line.given("--timestamp") && line.given("--sequential")) {
        std::fprintf(stderr,
                     "schemagate: new: --timestamp and --sequential exclude "
                     "each other; give one\n");
        return kExitUsage;
    }
    const bool timestamp =
        line.given("--timestamp") || (config.timestamp_versions && !line.given("--sequential"));
    return cmd_new(config, line.value("description"), timestamp);
}

// The commands that read the settings, once they are loaded.
int run_configured(CommandLine& line, const config::Config& config) {
    const std::string& name = line.name();
    if (name == "run") {
        return run_daemon(config);
    }
    if (name == "migrate") {
        return cmd_migrate(config);
    }
    if (name == "status") {
        return cmd_status(config, line.given("--json"));
    }
    if (name == "validate") {
        return cmd_validate(config, line.given("--offline"));
    }
    if (name == "plan") {
        return cmd_plan(config, line.given("--json"), line.given("--offline"));
    }
    if (name == "new") {
        return run_new(line, config);
    }
    if (name == "undo") {
        return cmd_undo(config, line.value("--to"));
    }
    if (name == "repair") {
        return cmd_repair(config);
    }
    if (name == "baseline") {
        return cmd_baseline(config, line.value("--version"), line.value("--description"));
    }
    return kExitUsage;
}

int run_command(CommandLine& line) {
    const std::string& name = line.name();
    if (name == "version" || name == "healthcheck" || name == "new") {
        // No handler and nothing to clean up: these die of a stop signal like any small tool.
        wait::unblock_stop_signals();
    }
    if (name == "version") {
        return cmd_version();
    }
    if (name == "healthcheck") {
        return run_healthcheck(line);
    }
    const std::string target = name == "migrate" ? line.value("--target") : std::string();
    if (!target.empty() && !migrate::Version::parse(target)) {
        std::fprintf(stderr,
                     "schemagate: --target %s: not a version; use numbers separated by dots "
                     "(1.1)\n",
                     target.c_str());
        return kExitUsage;
    }
    const bool needs_service =
        !((name == "validate" || name == "plan") && line.given("--offline")) && name != "new";
    auto config = load_config(line.setting_flags(), needs_service);
    if (!config) {
        return kExitUsage;
    }
    config->target_version = target;
    return run_configured(line, *config);
}

}  // namespace

int main(int argc, char** argv) {
    // The stop signals are blocked already (main.cpp, before static initialisation); they wait
    // for the handler of the command that owns them: run's signal_set, the one-shot commands'
    // SignalStop. Blocking again is cheap and keeps this true for any other caller.
    wait::block_stop_signals();
    std::signal(SIGPIPE, SIG_IGN);
    if (const auto answered = answer_help(argc, argv)) {
        return *answered;
    }
    if (argv[1][0] != '-' && find_command(argv[1]) == nullptr) {
        return reject_unknown_command(argv[1]);
    }
    CommandLine line;
    if (!line.parse(argc, argv)) {
        return kExitUsage;
    }
    try {
        return run_command(line);
    } catch (const std::exception& e) {
        spdlog::critical("unexpected error: {}", e.what());
        return kExitFailed;
    }
}

}  // namespace sg::cli
