#include "sidecar/migrate/lock.hpp"

#include <exception>
#include <optional>
#include <random>

#include <spdlog/spdlog.h>

#include "sidecar/migrate/checksum.hpp"

namespace sg::migrate {

namespace {

std::int64_t key_for(std::string material, std::string_view database, std::string_view schema,
                     std::string_view service) {
    for (const auto part : {database, schema, service}) {
        material += '\x1f';
        material += part;
    }
    return advisory_key(material);
}

}  // namespace

std::int64_t advisory_key(std::string_view material) {
    const std::string hex = sha256_hex(material);
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 16; ++i) {
        const char c = hex[i];
        const auto nibble = static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
        value = (value << 4U) | nibble;
    }
    return static_cast<std::int64_t>(value);
}

std::string advisory_lock_holder(db::Connection& conn, std::int64_t key) {
    const auto bits = static_cast<std::uint64_t>(key);
    const auto hi = static_cast<std::uint32_t>(bits >> 32U);
    const auto lo = static_cast<std::uint32_t>(bits & 0xFFFFFFFFU);
    try {
        const auto rows = conn.query(
            "SELECT a.pid, coalesce(nullif(a.application_name, ''), '?'), "
            "coalesce(host(a.client_addr), 'local'), to_char(a.backend_start AT TIME ZONE 'UTC', "
            "'HH24:MI:SS') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = " +
            std::to_string(hi) + " AND l.objid = " + std::to_string(lo) + " LIMIT 1");
        if (rows.empty()) {
            return "";
        }
        const auto& r = rows.front();
        return "pid " + r[0].value_or("?") + " (" + r[1].value_or("?") + ", " + r[2].value_or("?") +
               ", since " + r[3].value_or("?") + " UTC)";
    } catch (const db::SqlError&) {
        return "";  // pg_stat_activity may be hidden from unprivileged roles
    }
}

std::int64_t lock_key(std::string_view database, std::string_view schema,
                      std::string_view service) {
    return key_for("schemagate", database, schema, service);
}

std::int64_t work_lock_key(std::string_view database, std::string_view schema,
                           std::string_view service) {
    return key_for("schemagate-work", database, schema, service);
}

MigrationLock::~MigrationLock() {
    // Unwinding (most often a lost connection): the owner closes the connection, which frees a
    // session lock; a query on a dead connection would only fail (and leak in libpqxx 6.4).
    if (held_ && std::uncaught_exceptions() == 0) {
        try {
            release();
        } catch (...) {  // closing the connection releases a session lock anyway
        }
    }
}

LockResult MigrationLock::acquire(std::chrono::milliseconds timeout, wait::Stop& stop) {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    // A pooler hands libpq its own backend key, so the server's pid differs. Checked before the
    // lock is ever taken: through transaction pooling it could be stranded on a server
    // connection that another client gets next.
    // The lock connection sits idle while the holder migrates: a role's or database's
    // idle_session_timeout (PostgreSQL 14+) would end it and silently free the lock.
    const std::string keep_idle =
        (conn_.server_version() >= 140000 ? ", set_config('idle_session_timeout', '0', false)"
                                          : "") +
        std::string(kServerKeepalivesSql);
    if (conn_.value("SELECT pg_backend_pid()" + keep_idle) != std::to_string(conn_.backend_pid())) {
        return LockResult::kPooled;
    }
    const std::string try_sql = "SELECT pg_try_advisory_lock(" + std::to_string(key_) + ")";
    std::mt19937_64 rng(std::random_device{}());
    std::uniform_int_distribution<int> jitter(100, 300);
    auto next_report = start;
    for (;;) {
        if (conn_.value(try_sql) == "t") {
            held_ = true;
            const auto waited =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
            if (waited.count() > 0 && next_report != start) {
                spdlog::info("acquired the {} waited_ms={}", what_, waited.count());
            } else {
                spdlog::debug("acquired the {} key={}", what_, key_);
            }
            return LockResult::kAcquired;
        }
        const auto now = Clock::now();
        if (now >= deadline) {
            return LockResult::kTimedOut;
        }
        if (now >= next_report) {
            const std::string who = holder();
            spdlog::info("waiting for the {} holder=\"{}\" timeout_ms={}", what_,
                         who.empty() ? "another runner" : who, timeout.count());
            next_report = now + std::chrono::seconds(10);
        }
        const auto remaining =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        const auto pause = std::min(std::chrono::milliseconds(jitter(rng)), remaining);
        if (!stop.sleep_for(pause)) {
            return LockResult::kStopped;
        }
    }
}

void MigrationLock::release() {
    if (!held_) {
        return;
    }
    held_ = false;
    std::optional<std::string> released;
    try {
        released = conn_.value("SELECT pg_advisory_unlock(" + std::to_string(key_) + ")");
    } catch (const db::SqlError& e) {
        if (!e.is_cancel()) {
            throw;
        }
        // A stop request's cancel landed here: the process is ending and closing the
        // connection frees the lock.
        spdlog::debug("the {} release was cancelled by the stop request key={}", what_, key_);
        return;
    }
    if (released != "t") {
        spdlog::warn(
            "the {} was not held at release; another session may have run "
            "pg_advisory_unlock_all or the connection was reset key={}",
            what_, key_);
    }
}

std::string MigrationLock::holder() {
    return advisory_lock_holder(conn_, key_);
}

}  // namespace sg::migrate
