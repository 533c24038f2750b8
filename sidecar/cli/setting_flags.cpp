#include "sidecar/cli/setting_flags.hpp"

#include <cctype>
#include <cstdio>
#include <string_view>
#include <utility>
#include <variant>

#include <spdlog/spdlog.h>

#include "sidecar/log/log.hpp"

namespace sg::cli {

namespace {

// One line per problem. With JSON logs asked for (SCHEMAGATE_LOG_FORMAT=json, even if other
// settings are wrong), as JSON log lines: a log pipeline expecting JSON gets JSON for these too.
void print_problems(const std::vector<config::Problem>& problems, const config::Env& env) {
    constexpr std::string_view kSummary =
        "configuration problem(s); see `schemagate --help` and the settings table in README";
    const auto format = env.find("SCHEMAGATE_LOG_FORMAT");
    if (format != env.end() &&
        config::parse_log_format(format->second) == config::LogFormat::kJson) {
        const auto service = env.find("SCHEMAGATE_SERVICE");
        log::setup("error", log::Format::kJson, service != env.end() ? service->second : "");
        for (const auto& p : problems) {
            spdlog::error("{}", p.line());
        }
        spdlog::error("{} {}", problems.size(), kSummary);
        return;
    }
    for (const auto& p : problems) {
        std::fprintf(stderr, "schemagate: %s\n", p.line().c_str());
    }
    std::fprintf(stderr, "schemagate: %zu %.*s\n", problems.size(),
                 static_cast<int>(kSummary.size()), kSummary.data());
}

}  // namespace

void SettingFlags::add_to(CLI::App* sub, std::uint16_t command_bit) {
    for (const auto& s : config::settings()) {
        if ((s.commands & command_bit) == 0) {
            continue;
        }
        add(sub, std::string(s.variable), std::string(s.flag), std::string(s.kind));
        if (s.secret_file_allowed) {
            add(sub, std::string(s.variable) + "_FILE", std::string(s.flag) + "-file", "PATH");
        }
    }
    constexpr std::uint16_t kPreparing =
        config::kRun | config::kMigrate | config::kValidate | config::kPlan | config::kUndo;
    if ((command_bit & kPreparing) != 0) {
        sub->add_option("--placeholder", placeholders_, "SCHEMAGATE_PLACEHOLDER_<NAME>")
            ->type_name("NAME=VALUE");
    }
}

std::optional<std::string> SettingFlags::apply(config::Env& env) const {
    for (const auto& b : bindings_) {
        if (b->option->count() > 0) {
            config::set_override(env, b->variable, b->value);
        }
    }
    for (const auto& p : placeholders_) {
        const auto eq = p.find('=');
        if (eq == std::string::npos || eq == 0) {
            return "--placeholder " + p + ": use NAME=VALUE";
        }
        std::string name = p.substr(0, eq);
        for (auto& c : name) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        env["SCHEMAGATE_PLACEHOLDER_" + name] = p.substr(eq + 1);
    }
    return std::nullopt;
}

void SettingFlags::add(CLI::App* sub, const std::string& variable, const std::string& flag,
                       const std::string& kind) {
    auto binding = std::make_shared<Binding>();
    binding->variable = variable;
    binding->option = sub->add_option("--" + flag, binding->value, variable)->type_name(kind);
    bindings_.push_back(std::move(binding));
}

std::optional<config::Config> load_config(const SettingFlags& flags, bool need_service) {
    config::Env env = config::process_environment();
    if (auto usage = flags.apply(env)) {
        std::fprintf(stderr, "schemagate: %s\n", usage->c_str());
        return std::nullopt;
    }
    auto parsed = config::parse(env, {need_service});
    if (auto* problems = std::get_if<std::vector<config::Problem>>(&parsed)) {
        print_problems(*problems, env);
        return std::nullopt;
    }
    auto config = std::get<config::Config>(std::move(parsed));
    log::setup(
        config.log_level,
        config.log_format == config::LogFormat::kJson ? log::Format::kJson : log::Format::kText,
        config.service);
    return config;
}

}  // namespace sg::cli
