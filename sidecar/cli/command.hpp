// What the commands share: the stop signals of a one-shot command, opening a database session,
// the exit code of an engine outcome, the warnings every file-reading command prints, and each
// command's entry point (one file per command: cli/<command>.cpp; `run` is cli/run.cpp).
#pragma once

#include <csignal>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "sidecar/cli/cli.hpp"
#include "sidecar/config/config.hpp"
#include "sidecar/db/connection.hpp"
#include "sidecar/migrate/engine.hpp"
#include "sidecar/migrate/plan.hpp"
#include "sidecar/migrate/scan.hpp"
#include "sidecar/wait/stop.hpp"

namespace sg::cli {

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

// A connection (with retries) and an engine session on it.
struct Session {
    std::unique_ptr<db::Connection> conn;
    std::unique_ptr<migrate::Engine> engine;
    migrate::ServerFacts facts;  // from the engine's first round trip
};

// Opens `session`: -1 when it is open, else the exit code (0: stopped while waiting), the
// failure already printed.
[[nodiscard]] int open_session(const config::Config& config, const migrate::MigrationSet& files,
                               wait::Stop& stop, Session& session);

[[nodiscard]] int exit_for(const migrate::Outcome& o);

// Prints the lint findings of the pending files (silenced ones with their reasons); true when
// SCHEMAGATE_LINT=error makes them fatal.
[[nodiscard]] bool report_lint(const config::Config& config, const migrate::MigrationSet& files,
                               const migrate::Plan& plan, const std::string& database);

// Files next to the migrations that are not read: said, never silently skipped.
void warn_ignored(const migrate::MigrationSet& set);

[[nodiscard]] int cmd_migrate(const config::Config& config);
[[nodiscard]] int cmd_validate(const config::Config& config, bool offline);
[[nodiscard]] int cmd_plan(const config::Config& config, bool json, bool offline);
[[nodiscard]] int cmd_status(const config::Config& config, bool json);
[[nodiscard]] int cmd_undo(const config::Config& config, const std::string& to_text);
[[nodiscard]] int cmd_repair(const config::Config& config);
[[nodiscard]] int cmd_baseline(const config::Config& config, const std::string& version_text,
                               const std::string& description);
[[nodiscard]] int cmd_new(const config::Config& config, const std::string& description,
                          bool timestamp);
[[nodiscard]] int cmd_version();

}  // namespace sg::cli
