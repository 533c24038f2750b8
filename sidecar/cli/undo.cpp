// `schemagate undo [--to VERSION]`: the U files of applied versions, newest first.
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "sidecar/app/initialise.hpp"
#include "sidecar/cli/command.hpp"
#include "sidecar/db/dsn.hpp"

namespace sg::cli {

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

}  // namespace sg::cli
