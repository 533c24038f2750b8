// `schemagate baseline --version V [--description D]`: versions up to V count as applied.
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "sidecar/app/initialise.hpp"
#include "sidecar/cli/command.hpp"
#include "sidecar/db/dsn.hpp"

namespace sg::cli {

int cmd_baseline(const config::Config& config, const std::string& version_text,
                 const std::string& description) {
    const auto version = migrate::Version::parse(version_text);
    if (!version) {
        std::fprintf(stderr,
                     "schemagate: baseline --version %s: not a version; use numbers separated by "
                     "dots (1.1)\n",
                     version_text.c_str());
        return kExitUsage;
    }
    app::log_banner(config, "baseline");
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
        const auto outcome = session.engine->baseline(*version, description);
        if (outcome.result != migrate::Result::kOk) {
            spdlog::error("baseline refused: {}", outcome.message);
        } else {
            int covered = 0;
            for (const auto& m : files.set.versioned) {
                covered += *m.version < *version || *m.version == *version ? 1 : 0;
            }
            spdlog::info("baseline recorded version={} files_counted_as_applied={}",
                         version->text(), covered);
        }
        return exit_for(outcome);
    } catch (const db::ConnectionLost& e) {
        spdlog::error("lost the database connection: {}; run baseline again", e.what());
        return kExitUnreachable;
    }
}

}  // namespace sg::cli
