#include "sidecar/provision/lock.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sidecar/migrate/lock.hpp"
#include "sidecar/provision/provision.hpp"

namespace sg::provision {

std::int64_t lock_key() {
    return migrate::advisory_key("schemagate\x1fprovision");
}

std::int64_t schema_lock_key(std::string_view schema) {
    std::string material = "schemagate\x1fprovision\x1f";
    material += schema;
    return migrate::advisory_key(material);
}

namespace detail {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The session advisory lock that serialises provisioning on one server. Waiters queue in the
// server (pg_advisory_lock) and get it the moment the holder lets go: with a fleet of sidecars
// starting at once, polling would leave the lock unused for a sleep between holders. Each wait
// is a slice of at most kLockSlice (lock_timeout, local to that statement's transaction), so a
// stop request, the overall timeout and progress reports are seen in between. A blocking wait is
// safe here, unlike for the migration lock: provisioning never runs CREATE INDEX CONCURRENTLY,
// which would wait for the waiter's open transaction while the waiter waits for it.
constexpr milliseconds kLockSlice{250};

}  // namespace

void ProvisionLock::release() noexcept {
    if (held_) {
        held_ = false;
        unlock_quietly();
    }
}

void ProvisionLock::acquire(milliseconds timeout, wait::Stop& stop) {
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    const std::string lock_sql = "; SELECT pg_advisory_lock(" + std::to_string(key_) + ")";
    auto next_report = start + std::chrono::seconds(2);
    for (;;) {
        if (stop.requested()) {
            throw Stopped("stopped while waiting for the " + what_);
        }
        // lock_timeout 0 would mean no limit: every slice is at least 1 ms.
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        const auto slice = std::clamp(left, milliseconds(1), kLockSlice);
        // Both settings last for this message only; a role's short statement_timeout must
        // not cut the wait short.
        try {
            (void)conn_.query("SELECT set_config('lock_timeout', '" +
                              std::to_string(slice.count()) +
                              "', true), set_config('statement_timeout', '0', true)" + lock_sql);
            held_ = true;
            return;
        } catch (const db::SqlError& e) {
            if (e.sqlstate != "55P03") {  // lock_not_available: the slice ran out
                // A cancel may land just after the lock was granted: a session lock
                // outlives the failed statement, so give it back (a no-op if not held).
                unlock_quietly();
                if (e.is_cancel() && stop.requested()) {
                    throw Stopped("stopped while waiting for the " + what_);
                }
                throw;
            }
        }
        const auto now = Clock::now();
        if (now >= deadline) {
            const std::string who = holder();
            throw LockTimeout(
                "timed out after " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                "s waiting for the " + what_ + " held by " +
                (who.empty() ? std::string("another runner") : who) +
                "; wait for it to finish or raise SCHEMAGATE_LOCK_TIMEOUT");
        }
        if (now >= next_report) {
            const std::string who = holder();
            spdlog::info("waiting for the {} holder=\"{}\"", what_,
                         who.empty() ? "another runner" : who);
            next_report = now + std::chrono::seconds(10);
        }
    }
}

void ProvisionLock::unlock_quietly() noexcept {
    try {
        (void)conn_.value("SELECT pg_advisory_unlock(" + std::to_string(key_) + ")");
    } catch (...) {  // closing the connection releases a session lock anyway
    }
}

std::string ProvisionLock::holder() {
    return migrate::advisory_lock_holder(conn_, key_);
}

}  // namespace detail

}  // namespace sg::provision
