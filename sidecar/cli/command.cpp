#include "sidecar/cli/command.hpp"

#include <cstdio>

#include "sidecar/app/connect.hpp"
#include "sidecar/app/initialise.hpp"
#include "sidecar/lint/plan_lint.hpp"

namespace sg::cli {

int open_session(const config::Config& config, const migrate::MigrationSet& files, wait::Stop& stop,
                 Session& session) {
    try {
        session.conn =
            app::connect_with_retry(app::service_conninfo(config), config, false, nullptr, stop);
        if (!session.conn) {
            return kExitOk;
        }
        session.engine = std::make_unique<migrate::Engine>(*session.conn, files,
                                                           app::engine_options(config), stop);
        session.facts = session.engine->connect_session();
        return -1;
    } catch (const db::ConnectFailed& e) {
        const auto& c = e.classification;
        spdlog::error("database unreachable: {}{}",
                      c.fix.empty() ? std::string(e.what()) : c.reason + " (" + e.what() + ")",
                      c.fix.empty() ? "" : "; " + c.fix);
        return kExitUnreachable;
    } catch (const db::ConnectionLost& e) {
        spdlog::error("lost the database connection: {}", e.what());
        return kExitUnreachable;
    }
}

int exit_for(const migrate::Outcome& o) {
    switch (o.result) {
        case migrate::Result::kOk:
        case migrate::Result::kStopped:
            return kExitOk;
        case migrate::Result::kFailed:
        case migrate::Result::kUnavailable:
            return kExitFailed;
        case migrate::Result::kInvalid:
            return kExitInvalid;
        case migrate::Result::kLockTimeout:
            return kExitLock;
    }
    return kExitFailed;
}

bool report_lint(const config::Config& config, const migrate::MigrationSet& files,
                 const migrate::Plan& plan, const std::string& database) {
    if (config.lint == config::LintMode::kOff) {
        return false;
    }
    const lint::PlanLint report =
        lint::lint_plan(files, plan, app::placeholders_for(config, database), config.schema);
    const bool fatal = config.lint == config::LintMode::kError;
    for (const auto& problem : report.problems) {
        std::fprintf(stderr, "schemagate: warning: %s\n", problem.c_str());
    }
    for (const auto& file : report.files) {
        for (const auto& st : file.statements) {
            for (const auto& f : st.findings) {
                std::fprintf(stderr, "schemagate: %s: %s\n",
                             f.allowed ? "allowed" : (fatal ? "error" : "warning"),
                             f.text().c_str());
            }
        }
    }
    const auto active = report.active();
    if (!active.empty()) {
        std::fprintf(stderr,
                     "schemagate: %zu lint finding(s) in pending files%s; change the files as "
                     "each says, or silence one with -- schemagate:allow <rule> <reason>\n",
                     active.size(), fatal ? " (SCHEMAGATE_LINT=error)" : "");
    }
    return fatal && !active.empty();
}

void warn_ignored(const migrate::MigrationSet& set) {
    for (const auto& i : set.ignored) {
        std::fprintf(stderr, "schemagate: warning: ignored: %s\n", i.line().c_str());
    }
}

}  // namespace sg::cli
