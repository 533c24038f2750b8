#include "sidecar/app/connect.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "sidecar/db/dsn.hpp"
#include "sidecar/wait/backoff.hpp"

namespace sg::app {

namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Causes after which a cheap probe tells as soon as the server accepts connections: it is not
// listening yet, or listens but is still starting up or recovering (57P03, while it replays
// WAL). Sleeping the whole back-off after "starting up" made readiness take seconds after the
// server was ready.
bool worth_probing(const wait::Classification& c) {
    return c.reason.find("refused") != std::string::npos ||
           c.reason.find("resolve") != std::string::npos ||
           c.reason.find("socket") != std::string::npos ||
           c.reason.find("starting up") != std::string::npos ||
           c.reason.find("recovering") != std::string::npos ||
           c.reason.find("not yet accepting") != std::string::npos;
}

// How often that probe runs: a refused probe costs a SYN and a RST on the network, one while
// the server starts a backend that exits at once, and only for the few milliseconds it starts.
constexpr milliseconds kProbeInterval{20};

// One connect_with_retry: the counted attempts with their back-off, and the probes in between.
class Connector {
  public:
    Connector(const std::string& conninfo, const config::Config& config, bool provisioning,
              State* state, wait::Stop& stop, const char* what)
        : conninfo_(conninfo),
          // A short-timeout variant for the tries between attempts (later key=value pairs win).
          probe_(conninfo + " connect_timeout=1"),
          backoff_({config.initial_delay, config.max_delay, config.max_retries}),
          provisioning_(provisioning),
          state_(state),
          stop_(stop),
          what_(what) {}

    std::unique_ptr<db::Connection> connect();

  private:
    std::unique_ptr<db::Connection> open(const std::string& conninfo);
    milliseconds retry_delay(const db::ConnectFailed& e);
    std::unique_ptr<db::Connection> probe_for(milliseconds delay);
    // Called while handling `e`: true when a stop was requested; rethrows what waiting cannot fix.
    bool stopped_or_fatal(const db::ConnectFailed& e) const;

    const std::string& conninfo_;
    const std::string probe_;
    wait::Backoff backoff_;
    bool provisioning_;
    State* state_;
    wait::Stop& stop_;
    const char* what_;
};

std::unique_ptr<db::Connection> Connector::connect() {
    for (;;) {
        if (stop_.requested()) {
            return nullptr;
        }
        if (state_ != nullptr) {
            state_->update([](Snapshot& s) { ++s.attempts; });
        }
        try {
            return open(conninfo_);
        } catch (const db::ConnectFailed& e) {
            if (stopped_or_fatal(e)) {
                return nullptr;
            }
            const milliseconds delay = retry_delay(e);
            if (!worth_probing(e.classification)) {
                if (!stop_.sleep_for(delay)) {
                    return nullptr;
                }
                continue;
            }
            if (auto connection = probe_for(delay)) {
                return connection;
            }
            // Stopped, or no longer worth probing: the loop's top tells which.
        }
    }
}

bool Connector::stopped_or_fatal(const db::ConnectFailed& e) const {
    if (stop_.requested()) {
        return true;
    }
    if (e.classification.verdict == wait::Verdict::kFatal) {
        throw;  // the exception being handled, as it is
    }
    return false;
}

std::unique_ptr<db::Connection> Connector::open(const std::string& conninfo) {
    auto conn = db::Connection::open(conninfo, provisioning_, log_server_notice);
    if (backoff_.attempts() > 0) {
        spdlog::info("connected to the {} attempts={}", what_, backoff_.attempts() + 1);
    }
    return conn;
}

// The back-off after the attempt that failed with `e`, noted in the state and the log; throws
// when the attempts are used up.
milliseconds Connector::retry_delay(const db::ConnectFailed& e) {
    const auto& c = e.classification;
    const milliseconds delay = backoff_.next_delay();
    if (backoff_.exhausted()) {
        throw db::ConnectFailed("gave up after " + std::to_string(backoff_.attempts()) +
                                    (backoff_.attempts() == 1 ? " attempt (" : " attempts (") +
                                    e.what() +
                                    "); check that the server is running and reachable, or "
                                    "raise DB_INIT_MAX_RETRIES",
                                c);
    }
    if (state_ != nullptr) {
        state_->update([&](Snapshot& s) { s.last_error = std::string(what_) + ": " + c.reason; });
    }
    if (wait::Backoff::is_notable(backoff_.attempts())) {
        spdlog::info("{} not ready attempt={} reason=\"{}\" retry_in_ms={}", what_,
                     backoff_.attempts(), c.reason, delay.count());
    } else {
        spdlog::debug("{} not ready attempt={} reason=\"{}\" retry_in_ms={}", what_,
                      backoff_.attempts(), c.reason, delay.count());
    }
    return delay;
}

// Refused, unresolvable or starting up: try again every 20 ms until the back-off delay is over.
// Each try is a whole connection attempt -- as cheap as PQping while the server refuses or is
// starting up (either way it fails before authentication) -- so the first try the server accepts
// is the connection, without a second backend start after a successful ping. What waiting cannot
// fix fails at once; anything else goes back to the counted attempts (nullptr, as when stopped).
std::unique_ptr<db::Connection> Connector::probe_for(milliseconds delay) {
    const auto until = Steady::now() + delay;
    while (Steady::now() < until) {
        const auto left = std::chrono::duration_cast<milliseconds>(until - Steady::now());
        if (!stop_.sleep_for(std::min(left, kProbeInterval))) {
            return nullptr;
        }
        try {
            return open(probe_);
        } catch (const db::ConnectFailed& again) {
            if (stopped_or_fatal(again)) {
                return nullptr;
            }
            if (!worth_probing(again.classification)) {
                break;
            }
        }
    }
    return nullptr;
}

}  // namespace

std::string service_conninfo(const config::Config& config) {
    return db::with_defaults(config.database_url.reveal(), config::identifier_for(config.service),
                             config.connect_timeout);
}

std::unique_ptr<db::Connection> connect_with_retry(const std::string& conninfo,
                                                   const config::Config& config, bool provisioning,
                                                   State* state, wait::Stop& stop,
                                                   const char* what) {
    return Connector(conninfo, config, provisioning, state, stop, what).connect();
}

void log_server_notice(std::string_view text) {
    spdlog::debug("server notice: {}", text);
}

}  // namespace sg::app
