// `schemagate migrate`: initialise once (wait, provision, migrate, seed, verify) and exit.
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "sidecar/app/initialise.hpp"
#include "sidecar/cli/command.hpp"
#include "sidecar/db/dsn.hpp"

namespace sg::cli {

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
    const app::InitOutcome outcome = init.run_once(files);
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

}  // namespace sg::cli
