#include "sidecar/metrics/counters.hpp"

namespace sg::metrics {

namespace {

constexpr std::array<std::string_view, kEndpointCount> kPathLabels = {
    "/livez", "/readyz", "/health", "/health/detailed", "/metrics", "other"};

constexpr std::size_t index_of(Endpoint endpoint) noexcept {
    const auto i = static_cast<std::size_t>(endpoint);
    return i < kEndpointCount ? i : kEndpointCount - 1;
}

}  // namespace

std::string_view path_label(Endpoint endpoint) {
    return kPathLabels[index_of(endpoint)];
}

Endpoint endpoint_for_path(std::string_view path) {
    for (std::size_t i = 0; i + 1 < kEndpointCount; ++i) {
        if (path == kPathLabels[i]) {
            return static_cast<Endpoint>(i);
        }
    }
    return Endpoint::kOther;
}

std::size_t HttpCounters::code_bucket(unsigned status) noexcept {
    for (std::size_t i = 0; i < kCodes.size(); ++i) {
        if (kCodes[i] == status) {
            return i;
        }
    }
    return kCodes.size();
}

void HttpCounters::record(Endpoint endpoint, unsigned status) noexcept {
    counts_[index_of(endpoint)][code_bucket(status)].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t HttpCounters::count(Endpoint endpoint, unsigned status) const noexcept {
    return counts_[index_of(endpoint)][code_bucket(status)].load(std::memory_order_relaxed);
}

std::uint64_t HttpCounters::bucket(Endpoint endpoint, std::size_t code_bucket) const noexcept {
    if (code_bucket >= kCodeBuckets) {
        return 0;
    }
    return counts_[index_of(endpoint)][code_bucket].load(std::memory_order_relaxed);
}

}  // namespace sg::metrics
