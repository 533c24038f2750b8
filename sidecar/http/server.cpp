// The listener: binding, accepting, the connection cap and the one timer that enforces every
// connection's deadlines. What one connection does is in session.cpp.
#include "sidecar/http/server.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/system/errc.hpp>
#include <spdlog/spdlog.h>

#include "sidecar/http/server_detail.hpp"
#include "sidecar/http/session.hpp"

namespace sg::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using detail::Session;
using detail::SteadyClock;

namespace {

// How often connection deadlines are checked: a quarter of the shortest timeout, within bounds.
constexpr std::chrono::milliseconds kSweepMin{10};
constexpr std::chrono::milliseconds kSweepMax{250};
// Back-off when accept() fails for lack of descriptors or memory, instead of spinning.
constexpr std::chrono::milliseconds kAcceptRetry{100};

// Beast's and Asio's error codes are turned into words once, here.
std::string describe(const ErrorCode& ec) {
    namespace errc = boost::system::errc;
    if (ec == errc::address_in_use) {
        return "address in use";
    }
    if (ec == errc::permission_denied || ec == errc::operation_not_permitted) {
        return "permission denied (ports below 1024 need privileges)";
    }
    if (ec == errc::address_not_available) {
        return "address not available on this host";
    }
    if (ec == errc::address_family_not_supported) {
        return "address family not supported on this host";
    }
    return ec.message();
}

bool is_resource_shortage(const ErrorCode& ec) {
    namespace errc = boost::system::errc;
    return ec == errc::too_many_files_open || ec == errc::too_many_files_open_in_system ||
           ec == errc::no_buffer_space || ec == errc::not_enough_memory;
}

std::string endpoint_text(std::string_view host, std::uint16_t port) {
    std::string text;
    if (host.find(':') != std::string_view::npos && host.front() != '[') {
        text.append("[").append(host).append("]");
    } else {
        text.append(host);
    }
    return text.append(":").append(std::to_string(port));
}

}  // namespace

void Server::Core::listen(std::string_view host_in, std::uint16_t port) {
    std::string host(host_in);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host.empty()) {
        host = "0.0.0.0";
    }
    const auto where = endpoint_text(host, port);
    if (stopped) {
        throw ListenError("cannot listen on " + where + ": the server was stopped");
    }
    if (acceptor_.is_open()) {
        throw ListenError("cannot listen on " + where + ": already listening");
    }

    ErrorCode ec;
    tcp::endpoint endpoint;
    const auto address = asio::ip::make_address(host, ec);
    if (!ec) {
        endpoint = tcp::endpoint(address, port);
    } else {
        tcp::resolver resolver(io_);
        const auto results =
            resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
        if (ec || results.empty()) {
            throw ListenError("cannot listen on " + where + ": cannot resolve host" +
                              (ec ? ": " + describe(ec) : std::string()));
        }
        endpoint = results.begin()->endpoint();
    }

    const auto fail = [&](const ErrorCode& error) {
        ErrorCode ignored;
        acceptor_.close(ignored);
        throw ListenError("cannot listen on " + where + ": " + describe(error));
    };
    if (acceptor_.open(endpoint.protocol(), ec); ec) {
        fail(ec);
    }
    if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec) {
        fail(ec);
    }
    if (endpoint.address().is_v6() && endpoint.address().is_unspecified()) {
        ErrorCode ignored;  // "::" also accepts IPv4 where the system allows it
        acceptor_.set_option(asio::ip::v6_only(false), ignored);
    }
    if (acceptor_.bind(endpoint, ec); ec) {
        fail(ec);
    }
    if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
        fail(ec);
    }
    accept();
}

std::uint16_t Server::Core::port() const {
    ErrorCode ec;
    if (!acceptor_.is_open()) {
        return 0;
    }
    const auto endpoint = acceptor_.local_endpoint(ec);
    return ec ? std::uint16_t{0} : endpoint.port();
}

void Server::Core::accept() {
    acceptor_.async_accept(io_,
                           [self = shared_from_this()](const ErrorCode& ec, tcp::socket socket) {
                               self->on_accept(ec, std::move(socket));
                           });
}

void Server::Core::on_accept(const ErrorCode& ec, tcp::socket socket) {
    if (stopped || ec == asio::error::operation_aborted) {
        return;
    }
    if (ec) {
        if (is_resource_shortage(ec)) {
            if (!accept_failing_) {
                spdlog::warn("http accept failed, retrying error=\"{}\"", describe(ec));
                accept_failing_ = true;
            }
            retry_.expires_after(kAcceptRetry);
            retry_.async_wait([self = shared_from_this()](const ErrorCode& wait_ec) {
                if (!wait_ec && !self->stopped) {
                    self->accept();
                }
            });
            return;
        }
        accept();  // the client went away before accept() (ECONNABORTED and the like)
        return;
    }
    accept_failing_ = false;
    const std::size_t cap = std::max<std::size_t>(1, limits.max_connections);
    if (sessions.size() >= cap && !make_room()) {
        spdlog::debug("http connection refused: limit reached max_connections={}", cap);
        ErrorCode ignored;
        socket.close(ignored);
    } else {
        ErrorCode ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(shared_from_this(), std::move(socket))->start();
    }
    accept();
}

// At the cap a new connection (perhaps a probe) gets the place of, in this order: the keep-alive
// connection idle longest; one that is only draining after its answer; the one that has spent
// longest, and at least limits.slow_grace, sending a request or reading an answer (a probe sends
// its request at once, so that is a slow client). Otherwise it is refused. So idle and slow
// clients, however many, cannot lock out a probe for more than a moment.
bool Server::Core::make_room() {
    const auto grace =
        std::min<std::chrono::milliseconds>(limits.slow_grace, limits.read_timeout / 4);
    const auto slow_before = SteadyClock::now() - grace;
    Session* idle = nullptr;
    Session* lingering = nullptr;
    Session* slow = nullptr;
    for (Session* session : sessions) {
        if (session->is_idle()) {
            if (idle == nullptr || session->idle_since() < idle->idle_since()) {
                idle = session;
            }
        } else if (session->is_lingering()) {
            lingering = session;
        } else if (session->is_busy() && session->stage_since() <= slow_before &&
                   (slow == nullptr || session->stage_since() < slow->stage_since())) {
            slow = session;
        }
    }
    Session* victim = idle != nullptr ? idle : lingering != nullptr ? lingering : slow;
    if (victim == nullptr) {
        return false;
    }
    if (victim == slow) {
        spdlog::debug("http connection limit reached: dropping the slowest client to make room");
    }
    victim->close();
    return true;
}

void Server::Core::stop() {
    if (stopped) {
        return;
    }
    stopped = true;
    ErrorCode ignored;
    acceptor_.close(ignored);
    retry_.cancel();
    const std::vector<Session*> open(sessions.begin(), sessions.end());
    for (Session* session : open) {
        session->close();
    }
    sessions.clear();
    sweep_.cancel();
}

void Server::Core::add(Session* session) {
    sessions.insert(session);
    if (!sweeping_) {
        sweeping_ = true;
        sweep();
    }
}

// Deadlines are checked by one timer for all connections while any are open, instead of arming
// a timer per read and write: setting a deadline costs a clock read, not a timer syscall.
void Server::Core::sweep() {
    const auto shortest = std::min(limits.read_timeout, limits.idle_timeout);
    sweep_.expires_after(std::clamp<std::chrono::milliseconds>(shortest / 4, kSweepMin, kSweepMax));
    sweep_.async_wait([self = shared_from_this()](const ErrorCode& ec) {
        if (ec || self->stopped) {
            self->sweeping_ = false;
            return;
        }
        const auto now = SteadyClock::now();
        std::vector<Session*> expired;
        for (Session* session : self->sessions) {
            if (session->deadline() <= now) {
                expired.push_back(session);
            }
        }
        for (Session* session : expired) {
            session->close();  // too slow to send, to read, or idle too long
        }
        if (self->sessions.empty()) {
            self->sweeping_ = false;
            return;
        }
        self->sweep();
    });
}

Server::Server(asio::io_context& io, const config::HttpLimits& limits,
               std::shared_ptr<const app::State> state, metrics::HttpCounters& counters)
    : core_(std::make_shared<Core>(io, limits, std::move(state), counters)) {}

Server::~Server() {
    core_->stop();
}

void Server::listen(std::string_view host, std::uint16_t port) {
    core_->listen(host, port);
}

std::uint16_t Server::port() const {
    return core_->port();
}

void Server::stop() {
    core_->stop();
}

std::size_t Server::connections() const {
    return core_->sessions.size();
}

}  // namespace sg::http
