// `schemagate run`: the composition root (above http and metrics). One io thread runs the HTTP
// server and the signals; one worker thread initialises (retrying what is transient) and then
// keeps one connection to refresh the database facts /health shows, at most once a second.
#include "sidecar/cli/run.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "sidecar/app/connect.hpp"
#include "sidecar/app/health.hpp"
#include "sidecar/app/initialise.hpp"
#include "sidecar/db/dsn.hpp"
#include "sidecar/http/server.hpp"
#include "sidecar/metrics/counters.hpp"
#include "sidecar/version.hpp"
#include "sidecar/wait/stop.hpp"

namespace sg::cli {

namespace {

namespace asio = boost::asio;
using app::Clock;
using app::DatabaseFacts;
using app::HealthProbe;
using app::Initialiser;
using app::InitOutcome;
using app::InitResult;
using app::Phase;
using app::Snapshot;
using app::State;
using std::chrono::milliseconds;

constexpr milliseconds kHealthInterval{1000};
constexpr milliseconds kStopGrace{4000};
constexpr std::chrono::seconds kProbeConnectTimeout{3};
constexpr int kMaxHandlerFailures = 1000;

void fail_and_wait(State& state, wait::Stop& stop, const std::string& message,
                   const std::string& fields) {
    spdlog::error("initialisation failed: {}; staying up, unready, until restarted{}", message,
                  fields);
    state.update([&](Snapshot& s) {
        s.phase = Phase::kFailed;
        s.last_error = message;
    });
    while (stop.sleep_for(std::chrono::hours(1))) {
    }
}

// The worker: initialise until it succeeds, fails for good, or stop is requested.
void work(const config::Config& config, State& state, wait::Stop& stop) {
    Initialiser init(config, state, stop);
    wait::Backoff backoff({config.initial_delay, config.max_delay, 0});
    for (;;) {
        const InitOutcome outcome = init.run_once();
        switch (outcome.result) {
            case InitResult::kOk:
                break;
            case InitResult::kStopped:
                return;
            case InitResult::kLost: {
                // Server restarted or crashed mid-way: transient, start over with back-off.
                const auto delay = backoff.next_delay();
                spdlog::warn("{}; initialising again retry_in_ms={}", outcome.message,
                             delay.count());
                state.update([&](Snapshot& s) {
                    s.phase = Phase::kWaiting;
                    s.last_error = outcome.message;
                    s.db.reachable = false;
                });
                if (!stop.sleep_for(delay)) {
                    return;
                }
                continue;
            }
            default:
                fail_and_wait(state, stop, outcome.message, outcome.fields);
                return;
        }
        break;
    }
    state.set_phase(Phase::kReady);
    const auto snapshot = state.snapshot();
    spdlog::info("ready service={} current_version={} applied={} init_ms={}", snapshot->service,
                 snapshot->current_version.empty() ? "-" : snapshot->current_version,
                 snapshot->applied, static_cast<long>(snapshot->init_seconds * 1000));
    // Reconnecting for /health must not hang for DB_INIT_TIMEOUT: the facts would go stale and
    // a stop would wait for the connect. Later key=value pairs win in a conninfo string.
    const auto probe_timeout = std::clamp<long>(
        std::chrono::duration_cast<std::chrono::seconds>(config.connect_timeout).count(), 1,
        kProbeConnectTimeout.count());
    HealthProbe probe(
        app::service_conninfo(config) + " connect_timeout=" + std::to_string(probe_timeout),
        init.take_connection());
    bool was_reachable = true;
    while (!stop.requested()) {
        DatabaseFacts facts = probe.refresh();
        if (facts.reachable != was_reachable) {
            if (facts.reachable) {
                spdlog::info("database reachable again");
            } else {
                spdlog::warn(
                    "database unreachable reason=\"{}\" (readiness stays latched; see /health)",
                    facts.error);
            }
            was_reachable = facts.reachable;
        }
        state.update([&](Snapshot& s) { s.db = std::move(facts); });
        if (!stop.sleep_for(kHealthInterval)) {
            break;
        }
    }
}

// Runs the io_context until it stops. A handler that throws (out of memory, say) loses its
// connection, not the server: Asio allows run() again after an exception. False when handlers
// keep failing.
bool run_io(asio::io_context& io) {
    for (int failures = 0; failures <= kMaxHandlerFailures; ++failures) {
        try {
            io.run();
            return true;
        } catch (const std::exception& e) {
            spdlog::error("http handler failed: {}", e.what());
        }
    }
    return false;
}

// The snapshot /health shows before the worker has done anything.
std::shared_ptr<State> make_state(const config::Config& config) {
    auto state = std::make_shared<State>();
    state->update([&](Snapshot& s) {
        s.service = config.service;
        s.version = kVersion;
        s.isolation = std::string(config::to_string(config.isolation));
        s.database = db::database_name(config.database_url.reveal());
        s.db.name = s.database;
        s.schema = config.schema;
        s.role = config.role;
        s.connection = config::masked(config.database_url);
        s.started_at = Clock::now();
    });
    return state;
}

// False, logged, when the address cannot be had.
bool start_serving(http::Server& server, const config::Config& config) {
    try {
        server.listen(config.listen_host, config.listen_port);
    } catch (const std::exception& e) {
        spdlog::error("{}; set SCHEMAGATE_LISTEN to a free address", e.what());
        return false;
    }
    spdlog::info("serving /livez /readyz /health /metrics address={}:{}", config.listen_host,
                 server.port());
    return true;
}

// The worker thread's body: an exception ends the work, not the process; /health shows it.
void run_worker(const config::Config& config, State& state, wait::Stop& stop) {
    try {
        work(config, state, stop);
    } catch (const std::exception& e) {
        spdlog::critical("worker stopped unexpectedly: {}", e.what());
        state.update([&](Snapshot& s) {
            s.phase = Phase::kFailed;
            s.last_error = std::string("internal error: ") + e.what();
        });
    }
}

// SIGINT/SIGTERM, on the io thread. The first asks the worker to stop and gives it kStopGrace,
// then stops the server and the io_context; a second one exits at once.
class StopOnSignal {
  public:
    StopOnSignal(asio::io_context& io, asio::signal_set& signals, http::Server& server,
                 State& state, wait::Stop& stop, const std::atomic<bool>& worker_done)
        : io_(io),
          signals_(signals),
          server_(server),
          state_(state),
          stop_(stop),
          worker_done_(worker_done),
          timer_(io) {}

    void start() { await_signal(); }

  private:
    void await_signal() {
        signals_.async_wait([this](const boost::system::error_code& ec, int signal_number) {
            on_signal(ec, signal_number);
        });
    }

    void on_signal(const boost::system::error_code& ec, int signal_number) {
        if (ec) {
            return;
        }
        if (stop_.requested()) {
            spdlog::warn("second signal: exiting now");
            spdlog::default_logger()->flush();
            std::_Exit(0);
        }
        spdlog::info("stopping signal={}: cancelling work, releasing the lock", signal_number);
        state_.update([](Snapshot& s) { s.stopping = true; });
        stop_.request();
        deadline_ = std::chrono::steady_clock::now() + kStopGrace;
        wait_for_worker();
        await_signal();
    }

    void wait_for_worker() {
        if (worker_done_ || std::chrono::steady_clock::now() >= deadline_) {
            server_.stop();
            io_.stop();
            return;
        }
        timer_.expires_after(milliseconds(20));
        timer_.async_wait([this](const boost::system::error_code&) { wait_for_worker(); });
    }

    asio::io_context& io_;
    asio::signal_set& signals_;
    http::Server& server_;
    State& state_;
    wait::Stop& stop_;
    const std::atomic<bool>& worker_done_;
    asio::steady_timer timer_;
    std::chrono::steady_clock::time_point deadline_{};
};

// The io thread cannot go on: stop the worker (within kStopGrace) and exit so that the
// sidecar is restarted.
[[noreturn]] void exit_as_io_failed(State& state, wait::Stop& stop,
                                    const std::atomic<bool>& worker_done) {
    spdlog::critical("the HTTP server keeps failing; exiting so that it is restarted");
    state.update([](Snapshot& s) { s.stopping = true; });
    stop.request();
    const auto until = std::chrono::steady_clock::now() + kStopGrace;
    while (!worker_done && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(milliseconds(20));
    }
    spdlog::default_logger()->flush();
    std::_Exit(1);
}

}  // namespace

int run_daemon(const config::Config& config) {
    const auto state = make_state(config);
    app::log_banner(config, "run");

    asio::io_context io(1);
    // Handlers first: from here on SIGTERM/SIGINT are ours, never the default (death, or nothing
    // at all as PID 1).
    asio::signal_set signals(io, SIGINT, SIGTERM);
    metrics::HttpCounters counters;
    http::Server server(io, config.http, state, counters);
    if (!start_serving(server, config)) {
        return 2;
    }

    wait::Stop stop;
    std::atomic<bool> worker_done{false};
    std::jthread worker([&] {
        run_worker(config, *state, stop);
        worker_done = true;
    });

    StopOnSignal stop_on_signal(io, signals, server, *state, stop, worker_done);
    stop_on_signal.start();
    // main blocked the stop signals; the handler owns them now (the worker, started above,
    // keeps them blocked). One that arrived during start-up is delivered here, to the handler.
    wait::unblock_stop_signals();
    if (!run_io(io)) {
        exit_as_io_failed(*state, stop, worker_done);
    }

    if (!worker_done) {
        // Stuck in a connect attempt that cannot be interrupted: exiting closes its socket.
        spdlog::warn("the worker did not stop within {} ms; exiting anyway", kStopGrace.count());
        spdlog::default_logger()->flush();
        std::_Exit(0);
    }
    worker.join();
    spdlog::info("stopped");
    return 0;
}

}  // namespace sg::cli
