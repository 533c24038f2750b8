// The HTTP listener and its connections (Boost.Beast on an io_context the caller owns and runs):
// header size, request time, idle time and connection count are bounded; answers come from route().
// Thread-safety: call every member on the io_context's thread (post stop() there); the State may
// be updated from any thread. Destroy the Server before its io_context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "sidecar/app/status.hpp"
#include "sidecar/config/config.hpp"
#include "sidecar/metrics/counters.hpp"

namespace sg::http {

// listen() failed: "cannot listen on 0.0.0.0:8080: address in use".
class ListenError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Server {
  public:
    // `counters` must outlive every handler the server leaves on `io` (the app owns both).
    Server(boost::asio::io_context& io, const config::HttpLimits& limits,
           std::shared_ptr<const app::State> state, metrics::HttpCounters& counters);
    ~Server();  // stop()
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    Server(Server&&) = delete;
    Server& operator=(Server&&) = delete;

    // Binds and starts accepting. `host` is an IP address ("0.0.0.0", "::", "[::1]") or a name
    // resolved once now; port 0 picks a free port (see port()). Throws ListenError.
    void listen(std::string_view host, std::uint16_t port);

    // The bound port (0 before listen()).
    [[nodiscard]] std::uint16_t port() const;

    // Closes the listener and every connection; pending handlers finish with operation_aborted,
    // so io.run() returns once nothing else is queued. Idempotent.
    void stop();

    // Open connections (for tests and diagnostics).
    [[nodiscard]] std::size_t connections() const;

    class Core;  // shared by the server and its connections (server_detail.hpp)

  private:
    std::shared_ptr<Core> core_;
};

}  // namespace sg::http
