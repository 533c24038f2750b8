// `schemagate healthcheck [--url URL] [--wait DURATION]`: the probe of Docker's HEALTHCHECK and
// compose's healthcheck, in an image without curl.
//
// Without --wait it asks /readyz once: exit 0 on 200, else 1. With --wait it is a probe that
// tells "still working" from "failed": it keeps asking while the sidecar is still initialising
// (or not listening yet) and answers as soon as the outcome is known: 0 once ready, 1 at once
// when initialisation failed (printing why), when the sidecar is stopping or does not answer,
// and 1 when DURATION passes first. Docker runs one probe at a time and a probe that has not
// answered yet leaves the container "starting", so no start_period is needed: a slow first
// migration stays "starting", a broken one turns the container unhealthy within a few seconds.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "sidecar/http/client.hpp"

namespace sg::cli {

// What one answer of /readyz means to a waiting probe.
enum class ProbeVerdict {
    kReady,    // 200
    kWorking,  // 503 while initialising, or nothing listening yet: ask again
    kFailed,   // 503 "failed": initialisation failed, waiting cannot fix it
    kDown,     // stopping, no answer in time, anything else
};

[[nodiscard]] ProbeVerdict classify_probe(const http::GetResult& answer);

// The poll interval of a waiting probe.
inline constexpr std::chrono::milliseconds kProbePoll{100};

[[nodiscard]] int cmd_healthcheck(const std::string& url_flag,
                                  std::optional<std::chrono::milliseconds> wait);

}  // namespace sg::cli
