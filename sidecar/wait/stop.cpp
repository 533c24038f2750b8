#include "sidecar/wait/stop.hpp"

#include <vector>

namespace sg::wait {

void Stop::request() {
    std::vector<std::function<void()>> hooks;
    {
        const std::lock_guard lock(mutex_);
        if (requested_) {
            return;
        }
        requested_ = true;
        for (auto& [id, hook] : hooks_) {
            hooks.push_back(hook);
        }
    }
    cv_.notify_all();
    for (auto& hook : hooks) {
        hook();
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
    bool run_now = false;
    std::uint64_t id = 0;
    {
        const std::lock_guard lock(mutex_);
        if (requested_) {
            run_now = true;
        } else {
            id = next_id_++;
            hooks_.emplace(id, std::move(hook));
        }
    }
    if (run_now) {
        hook();
        return {nullptr, 0};
    }
    return {this, id};
}

Stop::Registration::~Registration() {
    if (owner_ != nullptr) {
        const std::lock_guard lock(owner_->mutex_);
        owner_->hooks_.erase(id_);
    }
}

}  // namespace sg::wait
