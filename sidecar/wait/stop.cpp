#include "sidecar/wait/stop.hpp"

#include <csignal>
#include <vector>

#include <pthread.h>

namespace sg::wait {

namespace {

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

}  // namespace

void block_stop_signals() {
    const sigset_t set = stop_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void unblock_stop_signals() {
    const sigset_t set = stop_signals();
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void Stop::request() {
    std::unique_lock lock(mutex_);
    if (requested_) {
        return;
    }
    requested_ = true;
    cv_.notify_all();
    // Each hook runs with the mutex released, in registration order. A hook whose registration
    // is gone by its turn is skipped, and a registration being destroyed waits until its hook
    // has returned: so a hook never runs on what its owner has already destroyed (the worker
    // may finish and free a connection while another hook is still cancelling).
    std::uint64_t last = 0;
    for (;;) {
        const auto next = hooks_.upper_bound(last);
        if (next == hooks_.end()) {
            break;
        }
        last = next->first;
        running_ = last;
        const std::function<void()> hook = next->second;
        lock.unlock();
        try {
            hook();
        } catch (...) {  // a hook that throws must not keep the others from running
        }
        lock.lock();
        running_ = 0;
        cv_.notify_all();
    }
}

bool Stop::requested() const {
    const std::lock_guard lock(mutex_);
    return requested_;
}

bool Stop::sleep_for(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return !cv_.wait_for(lock, duration, [this] { return requested_; });
}

Stop::Registration Stop::on_request(std::function<void()> hook) {
    {
        const std::lock_guard lock(mutex_);
        if (!requested_) {
            const std::uint64_t id = next_id_++;
            hooks_.emplace(id, std::move(hook));
            return {this, id};
        }
    }
    hook();  // already requested: run it now, outside the mutex
    return {nullptr, 0};
}

Stop::Registration::~Registration() {
    if (owner_ != nullptr) {
        std::unique_lock lock(owner_->mutex_);
        owner_->cv_.wait(lock, [this] { return owner_->running_ != id_; });
        owner_->hooks_.erase(id_);
    }
}

}  // namespace sg::wait
