// The verify files: read-only checks run after every migration and seed, each ending in one
// boolean query.
#include <spdlog/spdlog.h>

#include "sidecar/migrate/engine.hpp"
#include "sidecar/migrate/engine_detail.hpp"
#include "sidecar/migrate/placeholders.hpp"

namespace sg::migrate {

namespace {

using detail::count_lines;
using detail::describe_error;

// Why a verify file's answer is not the boolean true (libpq gives booleans as "t" and "f").
std::string verify_failure(const std::optional<std::string>& value) {
    if (value == "f") {
        return " returned false; the database is not in the state it checks";
    }
    return " returned " + (value ? "'" + *value + "'" : std::string("NULL")) +
           ", not a boolean; a verify file's last query must return one boolean: true when the "
           "state it checks holds";
}

}  // namespace

Outcome Engine::verify() {
    Outcome outcome;
    if (files_.verify.empty()) {
        return outcome;
    }
    if (events_.stage) {
        events_.stage(Stage::kVerifying);
    }
    for (const auto& m : files_.verify) {
        const auto prepared = prepare(m, placeholders_);
        const Prepared* p = detail::prepared_or_invalid(prepared, outcome);
        if (p == nullptr) {
            return outcome;
        }
        try {
            // Read-only, so a check can never change what it checks.
            const auto rows = conn_.query("SET LOCAL transaction_read_only = on;\n" + p->text);
            conn_.exec(reset_session_sql());
            if (!rows.empty() && !rows.front().empty() && rows.front().front() != "t") {
                outcome.result = Result::kFailed;
                outcome.message = m.script + verify_failure(rows.front().front());
                outcome.at.file = m.script;
                return outcome;
            }
            spdlog::debug("verified file={}", m.script);
        } catch (const db::SqlError& e) {
            if (e.is_cancel() && stop_.requested()) {
                outcome.result = Result::kStopped;
                outcome.message = "stopped during " + m.script;
                return outcome;
            }
            outcome.result = Result::kFailed;
            outcome.message = m.script + " failed: " + describe_error(e, 1, count_lines(p->text));
            outcome.at = {m.script, std::nullopt, e.sqlstate};
            if (e.line && *e.line > 1 && *e.line - 1 <= count_lines(p->text)) {
                outcome.at.line = *e.line - 1;
            }
            return outcome;
        }
    }
    spdlog::info("verified checks={}", files_.verify.size());
    return outcome;
}

}  // namespace sg::migrate
