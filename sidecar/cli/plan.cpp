// `schemagate plan [--json] [--offline]`: what the next migrate applies, with locks and lint
// findings.
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "sidecar/app/initialise.hpp"
#include "sidecar/cli/command.hpp"
#include "sidecar/cli/plan_output.hpp"
#include "sidecar/db/dsn.hpp"
#include "sidecar/lint/plan_lint.hpp"

namespace sg::cli {

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
        if (const std::string* problem = session.engine->takeover_problem()) {
            std::fprintf(stderr, "schemagate: the next migrate refuses to run: %s\n",
                         problem->c_str());
            return kExitInvalid;
        }
        if (const auto tool = session.engine->takeover_from()) {
            source += std::string(" (taken over from ") + migrate::to_string(*tool) +
                      " by the next migrate)";
        }
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

}  // namespace sg::cli
