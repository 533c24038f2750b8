// Initialisation, the steps `migrate` runs once and `run` runs until it succeeds:
// wait for the server -> provision -> migrate -> seed -> verify. Publishes progress to State.
// Runs on the worker thread; wakes from every wait when Stop is requested.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "sidecar/app/status.hpp"
#include "sidecar/config/config.hpp"
#include "sidecar/db/connection.hpp"
#include "sidecar/migrate/engine.hpp"
#include "sidecar/migrate/scan.hpp"
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

// The service's connection string with connect_timeout, keepalives and application_name added
// (unless the user set them).
[[nodiscard]] std::string service_conninfo(const config::Config& config);

// Opens a connection, retrying what waiting can fix with back-off; between attempts it probes
// cheaply so that a server coming up is noticed within ~50 ms. Returns nullptr when stopped.
// Throws db::ConnectFailed when waiting cannot help or the attempts are used up.
[[nodiscard]] std::unique_ptr<db::Connection> connect_with_retry(const std::string& conninfo,
                                                                 const config::Config& config,
                                                                 bool provisioning, State* state,
                                                                 wait::Stop& stop,
                                                                 const char* what = "database");

// The scan plus lint of every run (and of `validate --offline`): all problems, one line each.
struct Files {
    migrate::MigrationSet set;
    std::vector<std::string> problems;
};
[[nodiscard]] Files load_files(const config::Config& config,
                               const std::string& database_for_placeholders);

// SCHEMAGATE_FORMAT as the layout scan reads.
[[nodiscard]] migrate::Format format_of(const config::Config& config);

// The placeholders files are sent with (settings, service, schema, role, database).
[[nodiscard]] migrate::Placeholders placeholders_for(const config::Config& config,
                                                     const std::string& database);

// SCHEMAGATE_LINT over the pending files of `plan`: logs each finding (warn), or returns the
// one line that stops the run before anything is applied (error). Nothing for `off`.
[[nodiscard]] std::optional<std::string> lint_before_apply(
    const config::Config& config, const migrate::MigrationSet& files, const migrate::Plan& plan,
    const migrate::Placeholders& placeholders);

class Initialiser {
  public:
    Initialiser(const config::Config& config, State& state, wait::Stop& stop);

    // One whole initialisation. Scans the files first: invalid files fail before any connection.
    InitOutcome run_once();
    // The same with the files already scanned (by `migrate`, which reports their problems
    // itself): a no-op restart reads 1000 files once, not twice.
    InitOutcome run_once(Files files);

    // The service connection kept after a successful run_once (for health checks), or nullptr.
    std::unique_ptr<db::Connection> take_connection() { return std::move(connection_); }

  private:
    InitOutcome provision_if_asked();
    void refresh_counts(migrate::Engine& engine, const migrate::MigrationSet& files);
    const config::Config& config_;
    State& state_;
    wait::Stop& stop_;
    std::unique_ptr<db::Connection> connection_;
};

[[nodiscard]] migrate::EngineOptions engine_options(const config::Config& config);

}  // namespace sg::app
