// `schemagate validate [--offline]`: the files checked, and online their checksums against the
// history.
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "sidecar/app/initialise.hpp"
#include "sidecar/cli/command.hpp"
#include "sidecar/db/dsn.hpp"

namespace sg::cli {

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
    if (const std::string* problem = session.engine->takeover_problem()) {
        std::fprintf(stderr, "schemagate: %s\n", problem->c_str());
        return kExitInvalid;
    }
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

}  // namespace sg::cli
