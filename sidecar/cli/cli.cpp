#include "sidecar/cli/cli.hpp"

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <system_error>
#include <thread>

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "sidecar/app/daemon.hpp"
#include "sidecar/app/initialise.hpp"
#include "sidecar/cli/healthcheck.hpp"
#include "sidecar/cli/help.hpp"
#include "sidecar/cli/plan_output.hpp"
#include "sidecar/cli/status_output.hpp"
#include "sidecar/config/config.hpp"
#include "sidecar/db/dsn.hpp"
#include "sidecar/http/client.hpp"
#include "sidecar/lint/plan_lint.hpp"
#include "sidecar/log/log.hpp"
#include "sidecar/version.hpp"
#include "sidecar/wait/stop.hpp"

namespace sg::cli {

namespace {

namespace fs = std::filesystem;

struct FlagBinding {
    CLI::Option* option = nullptr;
    std::string variable;
    std::string value;
};

// Every setting as a long flag on `sub`; values are copied over the environment after parsing.
class SettingFlags {
  public:
    // The settings `command_bit` reads (config::Command), as long flags on `sub`.
    void add_to(CLI::App* sub, std::uint16_t command_bit) {
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

    // The environment with the flags applied over it (a flag wins), or a usage problem.
    [[nodiscard]] std::optional<std::string> apply(config::Env& env) const {
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

  private:
    void add(CLI::App* sub, const std::string& variable, const std::string& flag,
             const std::string& kind) {
        auto binding = std::make_shared<FlagBinding>();
        binding->variable = variable;
        binding->option = sub->add_option("--" + flag, binding->value, variable)->type_name(kind);
        bindings_.push_back(std::move(binding));
    }
    std::vector<std::shared_ptr<FlagBinding>> bindings_;
    std::vector<std::string> placeholders_;
};

// Blocks SIGTERM/SIGINT in every thread and turns them into a stop request, for the one-shot
// commands (`run` has its own handling on the io thread).
class SignalStop {
  public:
    explicit SignalStop(wait::Stop& stop) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, wake_signal());
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
        thread_ = std::jthread([&stop, set](const std::stop_token& token) {
            while (!token.stop_requested()) {
                timespec timeout{0, 200'000'000};
                const int sig = sigtimedwait(&set, nullptr, &timeout);
                if (sig == SIGTERM || sig == SIGINT) {
                    spdlog::warn("stop requested: cancelling the running statement");
                    stop.request();
                    return;
                }
            }
        });
    }
    SignalStop(const SignalStop&) = delete;
    SignalStop& operator=(const SignalStop&) = delete;
    // Wakes the thread instead of joining it only when its wait times out: that wait added up
    // to 200 ms (100 ms on average) to the exit of every one-shot command.
    ~SignalStop() {
        thread_.request_stop();
        pthread_kill(thread_.native_handle(), wake_signal());
    }

  private:
    // A real-time signal nobody else sends; blocked everywhere, so it only wakes the wait.
    static int wake_signal() { return SIGRTMIN + 1; }
    std::jthread thread_;
};

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

// Connects (with retries) and opens an engine session; prints the failure and returns the exit
// code when it cannot.
struct Session {
    std::unique_ptr<db::Connection> conn;
    std::unique_ptr<migrate::Engine> engine;
    migrate::ServerFacts facts;  // from the engine's first round trip
};

int open_session(const config::Config& config, const migrate::MigrationSet& files, wait::Stop& stop,
                 Session& session) {
    try {
        session.conn =
            app::connect_with_retry(app::service_conninfo(config), config, false, nullptr, stop);
        if (!session.conn) {
            return kExitOk;
        }
        session.engine = std::make_unique<migrate::Engine>(*session.conn, files,
                                                           app::engine_options(config), stop);
        session.facts = session.engine->connect_session();
        return -1;
    } catch (const db::ConnectFailed& e) {
        const auto& c = e.classification;
        spdlog::error("database unreachable: {}{}",
                      c.fix.empty() ? std::string(e.what()) : c.reason + " (" + e.what() + ")",
                      c.fix.empty() ? "" : "; " + c.fix);
        return kExitUnreachable;
    } catch (const db::ConnectionLost& e) {
        spdlog::error("lost the database connection: {}", e.what());
        return kExitUnreachable;
    }
}

int exit_for(const migrate::Outcome& o) {
    switch (o.result) {
        case migrate::Result::kOk:
        case migrate::Result::kStopped:
            return kExitOk;
        case migrate::Result::kFailed:
        case migrate::Result::kUnavailable:
            return kExitFailed;
        case migrate::Result::kInvalid:
            return kExitInvalid;
        case migrate::Result::kLockTimeout:
            return kExitLock;
    }
    return kExitFailed;
}

int cmd_migrate(const config::Config& config) {
    app::log_banner(config, "migrate");
    // Bad files are reported here, one line each, before anything connects.
    app::Files files = app::load_files(config, db::database_name(config.database_url.reveal()));
    if (!files.problems.empty()) {
        for (const auto& p : files.problems) {
            spdlog::error("invalid migration file: {}", p);
        }
        if (files.problems.size() > 1) {
            spdlog::error("migrate failed: {} problems in {}; nothing was applied",
                          files.problems.size(), config.migrations.string());
        }
        return files.set.directory_missing ? kExitUsage : kExitInvalid;
    }
    app::State state;
    wait::Stop stop;
    const SignalStop signals(stop);
    app::Initialiser init(config, state, stop);
    const app::InitOutcome outcome = init.run_once(std::move(files));
    if (outcome.result == app::InitResult::kOk) {
        return kExitOk;
    }
    if (outcome.result == app::InitResult::kStopped) {
        spdlog::warn("stopped: {}", outcome.message);
        return kExitOk;
    }
    spdlog::error("migrate failed: {}{}", outcome.message, outcome.fields);
    return app::exit_code_for(outcome.result);
}

// Prints the lint findings of the pending files (silenced ones with their reasons); true when
// SCHEMAGATE_LINT=error makes them fatal.
bool report_lint(const config::Config& config, const migrate::MigrationSet& files,
                 const migrate::Plan& plan, const std::string& database) {
    if (config.lint == config::LintMode::kOff) {
        return false;
    }
    const lint::PlanLint report =
        lint::lint_plan(files, plan, app::placeholders_for(config, database), config.schema);
    const bool fatal = config.lint == config::LintMode::kError;
    for (const auto& problem : report.problems) {
        std::fprintf(stderr, "schemagate: warning: %s\n", problem.c_str());
    }
    for (const auto& file : report.files) {
        for (const auto& st : file.statements) {
            for (const auto& f : st.findings) {
                std::fprintf(stderr, "schemagate: %s: %s\n",
                             f.allowed ? "allowed" : (fatal ? "error" : "warning"),
                             f.text().c_str());
            }
        }
    }
    const auto active = report.active();
    if (!active.empty()) {
        std::fprintf(stderr,
                     "schemagate: %zu lint finding(s) in pending files%s; change the files as "
                     "each says, or silence one with -- schemagate:allow <rule> <reason>\n",
                     active.size(), fatal ? " (SCHEMAGATE_LINT=error)" : "");
    }
    return fatal && !active.empty();
}

// Files next to the migrations that are not read: said, never silently skipped.
void warn_ignored(const migrate::MigrationSet& set) {
    for (const auto& i : set.ignored) {
        std::fprintf(stderr, "schemagate: warning: ignored: %s\n", i.line().c_str());
    }
}

int cmd_validate(const config::Config& config, bool offline) {
    const app::Files files =
        app::load_files(config, db::database_name(config.database_url.reveal()));
    warn_ignored(files.set);
    for (const auto& p : files.problems) {
        std::fprintf(stderr, "schemagate: %s\n", p.c_str());
    }
    if (!files.problems.empty()) {
        std::fprintf(stderr, "schemagate: %zu problem(s) in %s\n", files.problems.size(),
                     config.migrations.c_str());
        return files.set.directory_missing ? kExitUsage : kExitInvalid;
    }
    const auto& s = files.set;
    const std::size_t count =
        s.versioned.size() + s.repeatable.size() + s.undo.size() + s.seed.size() + s.verify.size();
    if (offline) {
        if (report_lint(config, s, migrate::make_plan(s, {}),
                        db::database_name(config.database_url.reveal()))) {
            return kExitInvalid;
        }
        std::printf("ok: %zu file(s) valid in %s\n", count, config.migrations.c_str());
        return kExitOk;
    }
    wait::Stop stop;
    const SignalStop signals(stop);
    Session session;
    if (const int code = open_session(config, s, stop, session); code >= 0) {
        return code;
    }
    const auto plan = migrate::make_plan(s, session.engine->history());
    for (const auto& d : plan.drift) {
        std::fprintf(
            stderr,
            "schemagate: %s: changed after it was applied (recorded checksum %s, file %s)\n",
            d.migration->script.c_str(), d.recorded_checksum.c_str(),
            d.migration->checksum.c_str());
    }
    for (const auto& m : plan.missing) {
        std::fprintf(stderr, "schemagate: warning: %s is applied but its file is missing\n",
                     m.c_str());
    }
    if (!plan.drift.empty()) {
        std::fprintf(stderr,
                     "schemagate: %zu drifted file(s); restore them or run `schemagate repair`\n",
                     plan.drift.size());
        return kExitInvalid;
    }
    if (const std::string order = migrate::out_of_order_problem(plan); !order.empty()) {
        if (!config.out_of_order_allowed) {
            std::fprintf(stderr, "schemagate: %s\n", order.c_str());
            return kExitInvalid;
        }
        for (const auto& script : plan.out_of_order) {
            std::fprintf(stderr,
                         "schemagate: warning: %s is below the latest applied version %s; "
                         "applied where it is (SCHEMAGATE_OUT_OF_ORDER=allow)\n",
                         script.c_str(), plan.current_version.c_str());
        }
    }
    if (report_lint(config, s, plan, session.facts.database)) {
        return kExitInvalid;
    }
    std::printf("ok: %zu file(s) valid; %d applied, %d pending, checksums match\n", count,
                plan.applied, plan.pending());
    return kExitOk;
}

int cmd_plan(const config::Config& config, bool json, bool offline) {
    const app::Files files =
        app::load_files(config, db::database_name(config.database_url.reveal()));
    warn_ignored(files.set);
    for (const auto& p : files.problems) {
        std::fprintf(stderr, "schemagate: %s\n", p.c_str());
    }
    if (!files.problems.empty()) {
        return files.set.directory_missing ? kExitUsage : kExitInvalid;
    }
    const auto& s = files.set;
    migrate::Plan plan;
    migrate::Placeholders placeholders;
    std::string source = "offline: every file counts as pending";
    wait::Stop stop;
    const SignalStop signals(stop);
    Session session;
    if (offline) {
        plan = migrate::make_plan(s, {});
        placeholders =
            app::placeholders_for(config, db::database_name(config.database_url.reveal()));
    } else {
        if (const int code = open_session(config, s, stop, session); code >= 0) {
            return code;
        }
        plan = migrate::make_plan(s, session.engine->history());
        placeholders = session.engine->placeholders();
        source = "against the history of " + session.facts.database + ", schema " + config.schema;
        if (!plan.drift.empty()) {
            std::fprintf(stderr,
                         "schemagate: %s changed after it was applied: the next migrate stops "
                         "there; restore it or run `schemagate repair`\n",
                         plan.drift.front().migration->script.c_str());
            return kExitInvalid;
        }
        if (const std::string order = migrate::out_of_order_problem(plan);
            !order.empty() && !config.out_of_order_allowed) {
            std::fprintf(stderr, "schemagate: the next migrate refuses to run: %s\n",
                         order.c_str());
            return kExitInvalid;
        }
    }
    const lint::PlanLint report = lint::lint_plan(s, plan, placeholders, config.schema);
    const std::string out =
        json ? plan_json(report, config.schema, source) : plan_text(report, config.schema, source);
    std::fwrite(out.data(), 1, out.size(), stdout);
    const bool refused = config.lint == config::LintMode::kError && !report.active().empty();
    if (refused) {
        std::fprintf(stderr,
                     "schemagate: SCHEMAGATE_LINT=error: the next migrate refuses to apply "
                     "these files (exit 4)\n");
    }
    return refused ? kExitInvalid : kExitOk;
}

int cmd_status(const config::Config& config, bool json) {
    const app::Files files =
        app::load_files(config, db::database_name(config.database_url.reveal()));
    if (files.set.directory_missing) {
        std::fprintf(stderr, "schemagate: %s\n", files.problems.front().c_str());
        return kExitUsage;
    }
    for (const auto& p : files.problems) {
        spdlog::warn("invalid migration file: {}", p);
    }
    warn_ignored(files.set);
    wait::Stop stop;
    const SignalStop signals(stop);
    Session session;
    if (const int code = open_session(config, files.set, stop, session); code >= 0) {
        return code;
    }
    const auto history = session.engine->history();
    const auto entries = migrate::describe(files.set, history);
    StatusHeader header;
    header.service = config.service;
    header.isolation = std::string(config::to_string(config.isolation));
    header.database = session.facts.database;
    header.schema = config.schema;
    header.role = session.facts.user;
    header.service_role = config.role;
    header.current_version = migrate::make_plan(files.set, history).current_version;
    const std::string out =
        json ? status_json(header, entries) : status_text(header, entries, stdout_wants_colour());
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
}

int cmd_undo(const config::Config& config, const std::string& to_text) {
    std::optional<migrate::Version> to;
    if (!to_text.empty()) {
        to = migrate::Version::parse(to_text);
        if (!to) {
            std::fprintf(
                stderr, "schemagate: --to %s: not a version; use numbers separated by dots (1.1)\n",
                to_text.c_str());
            return kExitUsage;
        }
    }
    app::log_banner(config, "undo");
    const app::Files files =
        app::load_files(config, db::database_name(config.database_url.reveal()));
    if (!files.problems.empty()) {
        for (const auto& p : files.problems) {
            spdlog::error("invalid migration file: {}", p);
        }
        return files.set.directory_missing ? kExitUsage : kExitInvalid;
    }
    wait::Stop stop;
    const SignalStop signals(stop);
    Session session;
    if (const int code = open_session(config, files.set, stop, session); code >= 0) {
        return code;
    }
    try {
        const auto outcome = session.engine->undo(to);
        if (outcome.result != migrate::Result::kOk) {
            spdlog::error("undo failed: {}{}", outcome.message, outcome.at.fields());
        } else if (!outcome.message.empty()) {
            spdlog::info("{}", outcome.message);
        } else {
            spdlog::info("undo finished undone={} ms={}", outcome.applied, outcome.elapsed.count());
        }
        return exit_for(outcome);
    } catch (const db::ConnectionLost& e) {
        spdlog::error("lost the database connection: {}; run undo again", e.what());
        return kExitUnreachable;
    }
}

int cmd_repair(const config::Config& config) {
    app::log_banner(config, "repair");
    const app::Files files =
        app::load_files(config, db::database_name(config.database_url.reveal()));
    if (files.set.directory_missing) {
        spdlog::error("{}", files.problems.front());
        return kExitUsage;
    }
    wait::Stop stop;
    const SignalStop signals(stop);
    Session session;
    if (const int code = open_session(config, files.set, stop, session); code >= 0) {
        return code;
    }
    try {
        const auto outcome = session.engine->repair();
        if (outcome.result != migrate::Result::kOk) {
            spdlog::error("repair failed: {}", outcome.message);
        } else {
            spdlog::info("repair finished checksums_realigned={} (failed rows removed)",
                         outcome.applied);
        }
        return exit_for(outcome);
    } catch (const db::ConnectionLost& e) {
        spdlog::error("lost the database connection: {}", e.what());
        return kExitUnreachable;
    }
}

// The UTC time as a version: 2026-12-06 19:30:05 -> 20261206193005.
std::uint64_t timestamp_version() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::array<char, 16> text{};
    const std::size_t n = std::strftime(text.data(), text.size(), "%Y%m%d%H%M%S", &utc);
    return std::stoull(std::string(text.data(), n));
}

int cmd_new(const config::Config& config, const std::string& description, bool timestamp) {
    const std::string slug = migrate::description_slug(description);
    if (slug.empty()) {
        std::fprintf(
            stderr,
            "schemagate: new: the description needs letters or digits, e.g. \"add orders\"\n");
        return kExitUsage;
    }
    const migrate::MigrationSet set = migrate::scan(config.migrations);
    if (set.directory_missing) {
        std::fprintf(stderr, "schemagate: %s\n", set.problems.front().line().c_str());
        return kExitUsage;
    }
    // The next number is chosen from the files: one it cannot read could hold a higher version.
    if (!set.problems.empty()) {
        for (const auto& p : set.problems) {
            std::fprintf(stderr, "schemagate: %s\n", p.line().c_str());
        }
        std::fprintf(stderr,
                     "schemagate: new: fix the %zu problem(s) above first; the next version "
                     "cannot be chosen while they stand\n",
                     set.problems.size());
        return kExitInvalid;
    }
    std::uint64_t next = 1;
    if (!set.versioned.empty()) {
        const std::uint64_t last = set.versioned.back().version->parts().front();
        if (last == std::numeric_limits<std::uint64_t>::max()) {
            std::fprintf(stderr, "schemagate: new: %s has the largest version there is\n",
                         set.versioned.back().script.c_str());
            return kExitInvalid;
        }
        next = last + 1;
    }
    // A timestamp, unless the directory is already past it (then the next one after the
    // highest: a new file never lands below an existing version).
    if (timestamp) {
        next = std::max(next, timestamp_version());
    }
    const std::string name = "V" + std::to_string(next) + "__" + slug + ".sql";
    const fs::path path = config.migrations / name;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        std::fprintf(stderr, "schemagate: new: cannot create %s: %s\n", path.c_str(),
                     std::generic_category().message(errno).c_str());
        return kExitUsage;
    }
    const std::string body =
        "-- " + description + "\n-- Runs once, in one transaction with its history row.\n\n";
    const bool written = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
    ::close(fd);
    if (!written) {
        std::fprintf(stderr, "schemagate: new: cannot write %s\n", path.c_str());
        return kExitUsage;
    }
    std::printf("%s\n", path.c_str());
    return kExitOk;
}

int cmd_version() {
    std::printf(
        "schemagate %s (git %s)\nlibpq %s (%s)\nPostgreSQL servers: 12 and later (tested with "
        "15)\n",
        kVersion, kGitRevision, db::libpq_version().c_str(), db::libpq_build());
    return kExitOk;
}

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
    // A word that names no command: say so (CLI11 alone says "A subcommand is required").
    if (argv[1][0] != '-' && find_command(argv[1]) == nullptr) {
        std::string names;
        for (const auto& c : commands()) {
            names += (names.empty() ? "" : ", ") + std::string(c.name);
        }
        std::fprintf(stderr, "schemagate: unknown command \"%s\"; commands: %s\n", argv[1],
                     names.c_str());
        return kExitUsage;
    }

    // The parser is built from the same table as the help text.
    CLI::App app{"schemagate", "schemagate"};
    app.set_help_flag();  // help is answered above, from the table
    app.require_subcommand(1);
    SettingFlags flags;
    std::map<std::string, std::string> values;  // "<command> <flag>" -> value
    std::map<std::string, bool> switches;       // "<command> <flag>" -> given
    for (const auto& c : commands()) {
        if (c.name == "help") {
            continue;
        }
        auto* sub = app.add_subcommand(std::string(c.name), std::string(c.summary));
        for (const auto& f : c.flags) {
            const std::string key = std::string(c.name) + " " + std::string(f.name);
            if (f.arg.empty() && !f.positional) {
                sub->add_flag(std::string(f.name), switches[key], std::string(f.help));
            } else {
                auto* option =
                    sub->add_option(std::string(f.name), values[key], std::string(f.help))
                        ->type_name(f.positional ? "TEXT" : std::string(f.arg));
                if (f.required) {
                    option->required();
                }
            }
        }
        if (c.settings != 0) {
            flags.add_to(sub, c.settings);
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "schemagate: %s; see `schemagate help %s`\n", e.what(), argv[1]);
        return kExitUsage;
    }
    const std::string name = app.get_subcommands().front()->get_name();
    const auto value = [&](std::string_view flag) {
        return values[name + " " + std::string(flag)];
    };
    const auto given = [&](std::string_view flag) {
        return switches[name + " " + std::string(flag)];
    };

    try {
        if (name == "version" || name == "healthcheck" || name == "new") {
            // No handler and nothing to clean up: these die of a stop signal like any small tool.
            wait::unblock_stop_signals();
        }
        if (name == "version") {
            return cmd_version();
        }
        if (name == "healthcheck") {
            std::optional<config::Millis> wait;
            if (const std::string text = value("--wait"); !text.empty()) {
                wait = config::parse_duration(text);
                if (!wait || wait->count() <= 0) {
                    std::fprintf(stderr,
                                 "schemagate: healthcheck --wait %s: not a duration; use e.g. "
                                 "10m, 90s or 500ms\n",
                                 text.c_str());
                    return kExitUsage;
                }
            }
            return cmd_healthcheck(value("--url"), wait);
        }
        const std::string target = name == "migrate" ? value("--target") : std::string();
        if (!target.empty() && !migrate::Version::parse(target)) {
            std::fprintf(stderr,
                         "schemagate: --target %s: not a version; use numbers separated by dots "
                         "(1.1)\n",
                         target.c_str());
            return kExitUsage;
        }
        const bool needs_service =
            !((name == "validate" || name == "plan") && given("--offline")) && name != "new";
        auto config = load_config(flags, needs_service);
        if (!config) {
            return kExitUsage;
        }
        config->target_version = target;
        if (name == "run") {
            return app::run_daemon(*config);
        }
        if (name == "migrate") {
            return cmd_migrate(*config);
        }
        if (name == "status") {
            return cmd_status(*config, given("--json"));
        }
        if (name == "validate") {
            return cmd_validate(*config, given("--offline"));
        }
        if (name == "plan") {
            return cmd_plan(*config, given("--json"), given("--offline"));
        }
        if (name == "new") {
            if (given("--timestamp") && given("--sequential")) {
                std::fprintf(stderr,
                             "schemagate: new: --timestamp and --sequential exclude "
                             "each other; give one\n");
                return kExitUsage;
            }
            const bool timestamp =
                given("--timestamp") || (config->timestamp_versions && !given("--sequential"));
            return cmd_new(*config, value("description"), timestamp);
        }
        if (name == "undo") {
            return cmd_undo(*config, value("--to"));
        }
        if (name == "repair") {
            return cmd_repair(*config);
        }
    } catch (const std::exception& e) {
        spdlog::critical("unexpected error: {}", e.what());
        return kExitFailed;
    }
    return kExitUsage;
}

}  // namespace sg::cli
