// `schemagate run`: the composition root. One io thread runs the HTTP server and the signals;
// one worker thread initialises (retrying what is transient) and then keeps one connection to
// refresh the database facts /health shows, at most once a second.
#pragma once

#include "sidecar/config/config.hpp"

namespace sg::cli {

// Runs until SIGTERM/SIGINT; returns the exit code (0 on a requested stop).
[[nodiscard]] int run_daemon(const config::Config& config);

}  // namespace sg::cli
