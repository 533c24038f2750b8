// What the listener (server.cpp) and its connections (session.cpp) share: the limits, the state
// and counters answers come from, and the set of open connections. Internal to the http module.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "sidecar/http/server.hpp"

namespace sg::http {

namespace detail {

class Session;

using SteadyClock = std::chrono::steady_clock;

}  // namespace detail

class Server::Core : public std::enable_shared_from_this<Server::Core> {
  public:
    Core(boost::asio::io_context& io, const config::HttpLimits& limits_in,
         std::shared_ptr<const app::State> state_in, metrics::HttpCounters& counters_in)
        : limits(limits_in),
          state(std::move(state_in)),
          counters(counters_in),
          io_(io),
          acceptor_(io),
          retry_(io),
          sweep_(io) {}

    void listen(std::string_view host, std::uint16_t port);
    [[nodiscard]] std::uint16_t port() const;
    void stop();

    void add(detail::Session* session);
    void remove(detail::Session* session) { sessions.erase(session); }

    const config::HttpLimits limits;
    const std::shared_ptr<const app::State> state;
    metrics::HttpCounters& counters;
    std::unordered_set<detail::Session*> sessions;  // open connections; a Session erases itself
    bool stopped = false;

  private:
    void accept();
    void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
    [[nodiscard]] bool make_room();
    void sweep();

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retry_;
    boost::asio::steady_timer sweep_;
    bool sweeping_ = false;
    bool accept_failing_ = false;
};

}  // namespace sg::http
