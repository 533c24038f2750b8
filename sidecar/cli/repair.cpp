// `schemagate repair`: accept changed checksums, forget failed attempts.
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "sidecar/app/initialise.hpp"
#include "sidecar/cli/command.hpp"
#include "sidecar/db/dsn.hpp"

namespace sg::cli {

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

}  // namespace sg::cli
