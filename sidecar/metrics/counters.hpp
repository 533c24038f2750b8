// HTTP request counters the server increments and /metrics reads: bounded labels only
// (a known path or "other", a status code from a fixed set). Never allocates when counting.
// Thread-safety: record() and count() may be called from any thread (relaxed atomics).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sg::metrics {

// The paths the server knows, and one bucket for everything else.
enum class Endpoint : std::uint8_t { kLivez, kReadyz, kHealth, kHealthDetailed, kMetrics, kOther };
inline constexpr std::size_t kEndpointCount = 6;

// "/livez", "/readyz", "/health", "/health/detailed", "/metrics" or "other".
[[nodiscard]] std::string_view path_label(Endpoint endpoint);

// Exact match of a request path (no query string) against the known paths.
[[nodiscard]] Endpoint endpoint_for_path(std::string_view path);

class HttpCounters {
  public:
    // The status codes counted under their own number; any other lands in code="other".
    static constexpr std::array<unsigned, 11> kCodes = {200, 400, 404, 405, 408, 413,
                                                        431, 500, 501, 503, 505};
    static constexpr std::size_t kCodeBuckets = kCodes.size() + 1;

    void record(Endpoint endpoint, unsigned status) noexcept;
    [[nodiscard]] std::uint64_t count(Endpoint endpoint, unsigned status) const noexcept;

    // Value of one bucket: `code_bucket` indexes kCodes, kCodes.size() is "other".
    [[nodiscard]] std::uint64_t bucket(Endpoint endpoint, std::size_t code_bucket) const noexcept;

  private:
    [[nodiscard]] static std::size_t code_bucket(unsigned status) noexcept;

    std::array<std::array<std::atomic<std::uint64_t>, kCodeBuckets>, kEndpointCount> counts_{};
};

}  // namespace sg::metrics
