// Initialisation, the steps `migrate` runs once and `run` runs until it succeeds:
// wait for the server -> provision -> migrate -> seed -> verify. Publishes progress to State.
// Runs on the worker thread; wakes from every wait when Stop is requested. Reading the files is
// files.hpp's, reaching the server connect.hpp's.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sidecar/app/files.hpp"
#include "sidecar/app/status.hpp"
#include "sidecar/config/config.hpp"
#include "sidecar/db/connection.hpp"
#include "sidecar/migrate/engine.hpp"
#include "sidecar/wait/stop.hpp"

namespace sg::app {

enum class InitResult {
    kOk,
    kFailed,       // a file, seed or verify failed (exit 1)
    kUsage,        // configuration the database contradicts (exit 2)
    kUnreachable,  // retries exhausted or a non-retryable connection error (exit 3)
    kInvalid,      // files invalid or drifted (exit 4)
    kLockTimeout,  // exit 5
    kLost,         // the connection broke mid-way: transient, `run` retries the whole thing
    kStopped,
};

struct InitOutcome {
    InitOutcome() = default;
    InitOutcome(InitResult r, std::string m, std::string f = {})
        : result(r), message(std::move(m)), fields(std::move(f)) {}
    InitResult result = InitResult::kOk;
    std::string message;  // one line naming the cause and the fix; never a secret
    std::string fields;   // " file=... line=... sqlstate=..." of a failed file, for the log line
};

[[nodiscard]] int exit_code_for(InitResult result);

// The first log line of a command: version, libpq and the effective settings it reads, secrets
// masked (a role password is only said to be set); durations in ms. HTTP settings only for run.
void log_banner(const config::Config& config, std::string_view command);

class Initialiser {
  public:
    Initialiser(const config::Config& config, State& state, wait::Stop& stop);

    // One whole initialisation. Scans the files first: invalid files fail before any connection.
    InitOutcome run_once();
    // The same with the files already scanned (by `migrate`, which reports their problems
    // itself): a no-op restart reads 1000 files once, not twice.
    InitOutcome run_once(const Files& files);

    // The service connection kept after a successful run_once (for health checks), or nullptr.
    std::unique_ptr<db::Connection> take_connection() { return std::move(connection_); }

  private:
    class PhaseTimer;

    // The steps of run_once, in order; the first two return kOk when the run goes on.
    InitOutcome provision_if_asked();
    InitOutcome wait_for_service();  // opens connection_
    InitOutcome migrate_seed_verify(const migrate::MigrationSet& files, PhaseTimer& timer);

    migrate::EngineEvents engine_events(const migrate::MigrationSet& files, PhaseTimer& timer);
    void refresh_counts(migrate::Engine& engine, const migrate::MigrationSet& files);
    void log_finished(const migrate::Outcome& outcome, const PhaseTimer& timer);

    const config::Config& config_;
    State& state_;
    wait::Stop& stop_;
    std::unique_ptr<db::Connection> connection_;
};

[[nodiscard]] migrate::EngineOptions engine_options(const config::Config& config);

}  // namespace sg::app
