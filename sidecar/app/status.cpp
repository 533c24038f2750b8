#include "sidecar/app/status.hpp"

namespace sg::app {

std::string_view to_string(Phase phase) {
    switch (phase) {
        case Phase::kWaiting:
            return "waiting";
        case Phase::kProvisioning:
            return "provisioning";
        case Phase::kMigrating:
            return "migrating";
        case Phase::kSeeding:
            return "seeding";
        case Phase::kVerifying:
            return "verifying";
        case Phase::kReady:
            return "ready";
        case Phase::kFailed:
            return "failed";
    }
    return "unknown";
}

State::State() : current_(std::make_shared<const Snapshot>()) {}

void State::update(const std::function<void(Snapshot&)>& change) {
    const std::lock_guard lock(write_mutex_);
    auto next = std::make_shared<Snapshot>(*current_.load(std::memory_order_acquire));
    change(*next);
    current_.store(std::move(next), std::memory_order_release);
}

void State::set_phase(Phase phase) {
    update([phase](Snapshot& s) {
        s.phase = phase;
        if (phase == Phase::kReady && !s.ready) {
            s.ready = true;
            s.ready_at = Clock::now();
        }
    });
}

}  // namespace sg::app
