// Capped exponential back-off with jitter, and the retry verdict for connection failures.
// Pure: no clock, no sleeping, no logging; the caller sleeps the delays it is given.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace sg::wait {

using Millis = std::chrono::milliseconds;

struct BackoffPolicy {
    Millis initial{100};
    Millis max{30000};
    int max_attempts = 10;  // 0 = no limit
};

// Delay n (1-based) is drawn from [d/2, d] with d = min(max, initial * 2^(n-1)) ("equal jitter"):
// it grows fast, never exceeds the cap, and replicas started together spread out.
class Backoff {
  public:
    explicit Backoff(BackoffPolicy policy, std::uint64_t seed = std::random_device{}());

    // The delay to wait after the attempt that just failed.
    [[nodiscard]] Millis next_delay();
    // Attempts made so far (incremented by next_delay()).
    [[nodiscard]] int attempts() const { return attempts_; }
    // True when the attempt that just failed was the last one allowed.
    [[nodiscard]] bool exhausted() const {
        return policy_.max_attempts > 0 && attempts_ >= policy_.max_attempts;
    }
    // Whether attempt `n` should be logged at info (1, 2, 4, 8, ...) rather than debug.
    [[nodiscard]] static bool is_notable(int n) { return n > 0 && (n & (n - 1)) == 0; }

  private:
    BackoffPolicy policy_;
    std::mt19937_64 rng_;
    int attempts_ = 0;
};

enum class Verdict { kRetry, kFatal };

struct Classification {
    Verdict verdict = Verdict::kRetry;
    std::string sqlstate;  // best guess: libpq reports most connection failures as text only
    std::string reason;    // short cause: "server not accepting connections yet"
    std::string fix;       // empty for transient causes
};

// Classifies a libpq connection failure message. `provisioning` means a missing database will
// be created, so 3D000 is not final.
[[nodiscard]] Classification classify_connect_error(std::string_view message, bool provisioning);

}  // namespace sg::wait
