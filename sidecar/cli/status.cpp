// `schemagate status [--json]`: the history against the files.
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "sidecar/app/initialise.hpp"
#include "sidecar/cli/command.hpp"
#include "sidecar/cli/status_output.hpp"
#include "sidecar/db/dsn.hpp"

namespace sg::cli {

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
    std::string takeover_note;
    if (const std::string* problem = session.engine->takeover_problem()) {
        takeover_note = "cannot take over: " + *problem;
    } else if (session.engine->takeover_from()) {
        takeover_note = "not yet recorded: the rows from " +
                        std::string(to_string(*session.engine->takeover_from())) +
                        " are written by the next migrate";
    }
    const auto entries = migrate::describe(files.set, history);
    StatusHeader header;
    header.service = config.service;
    header.isolation = std::string(config::to_string(config.isolation));
    header.database = session.facts.database;
    header.schema = config.schema;
    header.role = session.facts.user;
    header.service_role = config.role;
    header.current_version = migrate::make_plan(files.set, history).current_version;
    header.takeover_note = takeover_note;
    const std::string out =
        json ? status_json(header, entries) : status_text(header, entries, stdout_wants_colour());
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
}

}  // namespace sg::cli
