// A stop request shared by the signal handler (io thread) and the worker: sleeps that wake up
// when stop is requested, and cancel hooks (e.g. cancel the running statement).
// Thread-safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace sg::wait {

// SIGTERM and SIGINT, blocked in the calling thread (and so in every thread it starts later).
// main blocks them first thing, before any slow initialisation, so that a stop signal that
// arrives early waits, pending, for the handler that will own it instead of killing the process.
void block_stop_signals();
// Unblocks them in the calling thread: where a handler is in place, or in a command that has no
// handler and should die of the signal as any short-lived program does. A pending one is
// delivered at once.
void unblock_stop_signals();

class Stop {
  public:
    // Requests stop, wakes every sleeper and runs the registered hooks (once each).
    void request();
    [[nodiscard]] bool requested() const;

    // Sleeps up to `duration`; returns false (early) when stop was requested.
    [[nodiscard]] bool sleep_for(std::chrono::milliseconds duration);

    // Runs `hook` when stop is requested while the returned guard lives; at once if already
    // requested. Destroying the guard waits for a running hook to return, so the hook may use
    // anything that outlives the guard. A hook must not destroy its own guard.
    class Registration {
      public:
        Registration(Stop* owner, std::uint64_t id) : owner_(owner), id_(id) {}
        Registration(const Registration&) = delete;
        Registration& operator=(const Registration&) = delete;
        Registration(Registration&& other) noexcept : owner_(other.owner_), id_(other.id_) {
            other.owner_ = nullptr;
        }
        Registration& operator=(Registration&&) = delete;
        ~Registration();

      private:
        Stop* owner_;
        std::uint64_t id_;
    };
    [[nodiscard]] Registration on_request(std::function<void()> hook);

  private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool requested_ = false;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, std::function<void()>> hooks_;
    std::uint64_t running_ = 0;  // the hook request() is running now, 0 when none
};

}  // namespace sg::wait
