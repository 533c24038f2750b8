// `schemagate undo`: the applied versions' undo files, newest first, under the locks.
#include <spdlog/spdlog.h>

#include "sidecar/migrate/engine.hpp"
#include "sidecar/migrate/engine_detail.hpp"
#include "sidecar/migrate/placeholders.hpp"

namespace sg::migrate {

namespace {

using Clock = std::chrono::steady_clock;
using detail::since;

}  // namespace

Outcome Engine::undo(const std::optional<Version>& to) {
    const auto start = Clock::now();
    const auto cancel_guard = stop_.on_request([this] { conn_.cancel(); });
    Outcome outcome;
    const auto locks = open_locks();
    if (auto failed = take_locks(locks->lock, locks->work, start)) {
        return *failed;
    }
    if (auto refused = refuse_takeover(start)) {
        return *refused;
    }
    if (takeover_pending()) {
        if (auto failed = ensure_history()) {  // take the other tool's history over first
            return *failed;
        }
    }
    const UndoPlan plan = make_undo_plan(files_, history(), to);
    if (!plan.nothing.empty()) {
        outcome.message = plan.nothing;
        outcome.elapsed = since(start);
        return outcome;
    }
    if (!plan.problems.empty()) {
        outcome.result = Result::kInvalid;
        outcome.message = plan.problems.front();
        return outcome;
    }
    for (const Migration* u : plan.steps) {
        const auto prepared = prepare(*u, placeholders_);
        const Prepared* p = detail::prepared_or_invalid(prepared, outcome);
        if (p == nullptr) {
            return outcome;
        }
        const auto step_start = Clock::now();
        const Applied applied =
            p->no_transaction ? apply_statements(*u, *p, 0) : apply_transactional(*u, *p, true);
        if (!applied.ok) {
            outcome.result = applied.message == "stopped" ? Result::kStopped : Result::kFailed;
            outcome.message = applied.message == "stopped"
                                  ? u->script + " was cancelled and rolled back"
                                  : applied.message;
            outcome.at = applied.at;
            return outcome;
        }
        ++outcome.applied;
        spdlog::info("undid migration version={} description=\"{}\" ms={}", u->version->text(),
                     u->description, since(step_start).count());
    }
    locks->release();
    outcome.elapsed = since(start);
    return outcome;
}

}  // namespace sg::migrate
