// Every setting as a long flag of the commands that read it (`--database-url` for
// SCHEMAGATE_DATABASE_URL), applied over the environment, and the configuration loaded from both.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sidecar/config/config.hpp"

namespace sg::cli {

// Values are copied over the environment after parsing.
class SettingFlags {
  public:
    // The settings `command_bit` reads (config::Command), as long flags on `sub`.
    void add_to(CLI::App* sub, std::uint16_t command_bit);

    // The environment with the flags applied over it (a flag wins), or a usage problem.
    [[nodiscard]] std::optional<std::string> apply(config::Env& env) const;

  private:
    struct Binding {
        CLI::Option* option = nullptr;
        std::string variable;
        std::string value;
    };

    void add(CLI::App* sub, const std::string& variable, const std::string& flag,
             const std::string& kind);

    std::vector<std::shared_ptr<Binding>> bindings_;
    std::vector<std::string> placeholders_;
};

// The environment with `flags` over it, parsed and checked; logging is set up from it. nullopt
// after printing the problems (as JSON log lines when JSON logs are asked for).
[[nodiscard]] std::optional<config::Config> load_config(const SettingFlags& flags,
                                                        bool need_service);

}  // namespace sg::cli
