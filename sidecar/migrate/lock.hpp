// The migration lock: a PostgreSQL session advisory lock on its own connection, keyed by
// (database, schema, service), taken by polling pg_try_advisory_lock -- never a blocking
// pg_advisory_lock, which deadlocks against CREATE INDEX CONCURRENTLY run by the holder.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "sidecar/db/connection.hpp"
#include "sidecar/wait/stop.hpp"

namespace sg::migrate {

// The server's side of TCP keepalives for schemagate's sessions (a select-list tail): a holder
// whose network vanishes without a FIN (a partition, a node gone) is noticed by the server
// within 10 + 3 x 5 = 25 s, its session ends and its locks are freed for a waiter. The OS
// default would keep the lock for over two hours. No effect on Unix sockets.
inline constexpr const char* kServerKeepalivesSql =
    ", set_config('tcp_keepalives_idle', '10', false), "
    "set_config('tcp_keepalives_interval', '5', false), "
    "set_config('tcp_keepalives_count', '3', false)";

// The key of a session advisory lock named by `material`: the first 8 bytes of its SHA-256, as a
// signed bigint. Every lock of ours (migration, work, provisioning) is keyed this way.
[[nodiscard]] std::int64_t advisory_key(std::string_view material);

// Who holds the session advisory lock `key`: "pid 123
// (schemagate-auth, 10.0.0.3, since 12:00:01 UTC)", or "" when nobody does or pg_stat_activity
// is hidden from the role.
[[nodiscard]] std::string advisory_lock_holder(db::Connection& conn, std::int64_t key);

// Stable 64-bit key: the first 8 bytes of SHA-256("schemagate" 0x1f database 0x1f schema 0x1f
// service), as a signed bigint.
[[nodiscard]] std::int64_t lock_key(std::string_view database, std::string_view schema,
                                    std::string_view service);

// A second key for the same names: the work lock, held by the migrating connection itself for
// as long as the lock holder migrates. A runner killed mid-file loses its migration lock at once
// (its idle lock connection closes), but its migrating backend lives on until its statement
// ends; the next holder waits for this key so it never runs beside that orphan.
[[nodiscard]] std::int64_t work_lock_key(std::string_view database, std::string_view schema,
                                         std::string_view service);

// kPooled: the connection goes through a pooler (PgBouncer): a session lock cannot be trusted.
enum class LockResult { kAcquired, kTimedOut, kStopped, kPooled };

class MigrationLock {
  public:
    // `what` names the lock in log lines ("migration lock").
    MigrationLock(db::Connection& connection, std::int64_t key, std::string what = "migration lock")
        : conn_(connection), key_(key), what_(std::move(what)) {}
    MigrationLock(const MigrationLock&) = delete;
    MigrationLock& operator=(const MigrationLock&) = delete;
    ~MigrationLock();

    // Polls until acquired, `timeout` passes or stop is requested; logs who holds it meanwhile.
    [[nodiscard]] LockResult acquire(std::chrono::milliseconds timeout, wait::Stop& stop);
    // Releases it and checks the server agreed it was held.
    void release();
    [[nodiscard]] bool held() const { return held_; }
    // Who holds the lock now: "pid 123 (schemagate-auth, 10.0.0.3, since 12:00:01)" or "".
    [[nodiscard]] std::string holder();

  private:
    db::Connection& conn_;
    std::int64_t key_;
    std::string what_;
    bool held_ = false;
};

}  // namespace sg::migrate
