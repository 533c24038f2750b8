// The provisioning locks (provision.hpp's lock_key and schema_lock_key): session advisory locks
// waited for in slices, so that a stop request, the timeout and progress reports are seen in
// between. Internal to the provision module.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "sidecar/db/connection.hpp"
#include "sidecar/wait/stop.hpp"

namespace sg::provision::detail {

class ProvisionLock {
  public:
    // `what` names the lock in messages ("provisioning lock").
    ProvisionLock(db::Connection& connection, std::int64_t key, std::string what)
        : conn_(connection), key_(key), what_(std::move(what)) {}
    ProvisionLock(const ProvisionLock&) = delete;
    ProvisionLock& operator=(const ProvisionLock&) = delete;
    ~ProvisionLock() { release(); }

    // Gives the lock back now (the destructor would, later).
    void release() noexcept;

    // Waits up to `timeout`; throws LockTimeout or Stopped, or lets a db::Error escape.
    void acquire(std::chrono::milliseconds timeout, wait::Stop& stop);

  private:
    void unlock_quietly() noexcept;
    std::string holder();

    db::Connection& conn_;
    std::int64_t key_;
    std::string what_;
    bool held_ = false;
};

}  // namespace sg::provision::detail
