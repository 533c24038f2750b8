#include "sidecar/cli/healthcheck.hpp"

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "sidecar/app/status.hpp"
#include "sidecar/cli/cli.hpp"
#include "sidecar/config/config.hpp"

namespace sg::cli {

namespace {

using Clock = std::chrono::steady_clock;

// The "[-]check reason" lines of /readyz?verbose, joined: why the sidecar is not ready.
std::string why_not_ready(const std::string& url) {
    const auto verbose =
        http::get_status(url + (url.find('?') == std::string::npos ? "?" : "&") + "verbose=1",
                         std::chrono::seconds(3));
    std::string why;
    std::string_view body = verbose.body;
    while (!body.empty()) {
        const auto newline = body.find('\n');
        const auto line = body.substr(0, newline);
        body = newline == std::string_view::npos ? std::string_view{} : body.substr(newline + 1);
        if (line.substr(0, 3) == "[-]" && line.substr(3, 8) != "shutdown") {
            why.append(why.empty() ? "" : "; ").append(line.substr(3));
        }
    }
    return why;
}

}  // namespace

ProbeVerdict classify_probe(const http::GetResult& answer) {
    if (!answer.status) {
        return answer.refused ? ProbeVerdict::kWorking : ProbeVerdict::kDown;
    }
    if (*answer.status == 200) {
        return ProbeVerdict::kReady;
    }
    if (*answer.status != 503) {
        return ProbeVerdict::kDown;
    }
    std::string_view body = answer.body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) {
        body.remove_suffix(1);
    }
    if (body == app::to_string(app::Phase::kFailed)) {
        return ProbeVerdict::kFailed;
    }
    for (const auto phase :
         {app::Phase::kWaiting, app::Phase::kProvisioning, app::Phase::kMigrating,
          app::Phase::kSeeding, app::Phase::kVerifying}) {
        if (body == app::to_string(phase)) {
            return ProbeVerdict::kWorking;
        }
    }
    return ProbeVerdict::kDown;  // "shutting down", or not schemagate's answer
}

int cmd_healthcheck(const std::string& url_flag, std::optional<std::chrono::milliseconds> wait) {
    std::string url = url_flag;
    if (url.empty()) {
        // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, before any thread starts
        const char* listen = std::getenv("SCHEMAGATE_LISTEN");
        url = config::local_url(listen != nullptr ? listen : "", "/readyz");
    }
    const auto deadline = Clock::now() + wait.value_or(std::chrono::milliseconds(0));
    while (true) {
        const auto answer = http::get_status(url, std::chrono::seconds(3));
        const auto verdict = classify_probe(answer);
        if (verdict == ProbeVerdict::kReady) {
            return kExitOk;
        }
        const bool again = wait && verdict == ProbeVerdict::kWorking && Clock::now() < deadline;
        if (again) {
            std::this_thread::sleep_for(kProbePoll);
            continue;
        }
        if (!answer.status) {
            std::fprintf(stderr, "schemagate: healthcheck: %s: %s%s\n", url.c_str(),
                         answer.error.c_str(), wait ? " (still, at the end of --wait)" : "");
        } else if (verdict == ProbeVerdict::kFailed) {
            const std::string why = why_not_ready(url);
            std::fprintf(stderr, "schemagate: healthcheck: %s\n",
                         why.empty()
                             ? "initialisation failed; the sidecar's log and /health say why"
                             : why.c_str());
        } else if (verdict == ProbeVerdict::kWorking) {
            std::fprintf(stderr, "schemagate: healthcheck: %s answered %u (%s); not ready%s\n",
                         url.c_str(), *answer.status, answer.body.c_str(),
                         wait ? " at the end of --wait" : "");
        } else {
            std::fprintf(stderr, "schemagate: healthcheck: %s answered %u\n", url.c_str(),
                         *answer.status);
        }
        return kExitFailed;
    }
}

}  // namespace sg::cli
