#include "sidecar/http/server.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/errc.hpp>
#include <spdlog/spdlog.h>

#include "sidecar/http/router.hpp"

namespace sg::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

class Session;

constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kMaxEmptyLineBytes = 8;  // CR and LF ignored before one request line
// After answering with `Connection: close`, unread input is drained for a moment so that closing
// does not reset the connection before the client has read the answer (e.g. a refused body).
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::size_t kLingerBytes = std::size_t{1} << 20;
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

class Server::Core : public std::enable_shared_from_this<Server::Core> {
  public:
    Core(asio::io_context& io, const config::HttpLimits& limits_in,
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

    void add(Session* session);
    void remove(Session* session) { sessions.erase(session); }

    const config::HttpLimits limits;
    const std::shared_ptr<const app::State> state;
    metrics::HttpCounters& counters;
    std::unordered_set<Session*> sessions;  // open connections; a Session erases itself
    bool stopped = false;

  private:
    void accept();
    void on_accept(const ErrorCode& ec, tcp::socket socket);
    [[nodiscard]] bool make_room();
    void sweep();

    asio::io_context& io_;
    tcp::acceptor acceptor_;
    asio::steady_timer retry_;
    asio::steady_timer sweep_;
    bool sweeping_ = false;
    bool accept_failing_ = false;
};

namespace {

// One connection: read a request (bounded in size and time), answer it, repeat while keep-alive.
// Pipelined requests wait in buffer_ and are answered in order, one at a time.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(std::shared_ptr<Server::Core> core, tcp::socket&& socket)
        : core_(std::move(core)),
          socket_(std::move(socket)),
          buffer_(core_->limits.max_header_bytes + kReadChunk) {}
    ~Session() { core_->remove(this); }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    Session(Session&&) = delete;
    Session& operator=(Session&&) = delete;

    void start() {
        core_->add(this);
        // The first bytes are read here, not by the parser, so empty lines before the first
        // request line are skipped like those before later ones.
        stage_ = Stage::kReading;
        stage_since_ = SteadyClock::now();
        deadline_ = stage_since_ + core_->limits.read_timeout;
        await_request_bytes();
    }

    // Stop, eviction or a missed deadline: pending operations complete with operation_aborted.
    void close() { finish(); }

    [[nodiscard]] bool is_idle() const { return stage_ == Stage::kIdle; }
    [[nodiscard]] bool is_lingering() const { return stage_ == Stage::kLingering; }
    // Receiving a request or sending an answer (the client's part is what is slow).
    [[nodiscard]] bool is_busy() const {
        return stage_ == Stage::kReading || stage_ == Stage::kWriting;
    }
    [[nodiscard]] SteadyClock::time_point stage_since() const { return stage_since_; }
    [[nodiscard]] SteadyClock::time_point idle_since() const { return idle_since_; }
    [[nodiscard]] SteadyClock::time_point deadline() const { return deadline_; }

  private:
    enum class Stage { kReading, kIdle, kWriting, kLingering, kClosed };

    // `restart_clock` false: the request's first bytes were awaited in stage kReading already, and
    // its deadline runs from then (a new connection's first request).
    void read_request(bool restart_clock = true) {
        skip_empty_lines();
        if (restart_clock) {
            stage_since_ = SteadyClock::now();
            deadline_ = stage_since_ + core_->limits.read_timeout;
        }
        stage_ = Stage::kReading;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
            core_->limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
        parser_->body_limit(0);  // requests to these endpoints carry no body
        beast_http::async_read(
            socket_, buffer_, *parser_,
            [self = shared_from_this()](const ErrorCode& ec, std::size_t) { self->on_read(ec); });
    }

    // RFC 9112 section 2.2: empty lines before a request line are ignored (some clients send
    // CRLF after a request), a few bytes of them per request; more are left for the parser to
    // refuse.
    void skip_empty_lines() {
        const auto* data = static_cast<const char*>(buffer_.data().data());
        std::size_t n = 0;
        while (n < buffer_.size() && empty_line_bytes_ < kMaxEmptyLineBytes &&
               (data[n] == '\r' || data[n] == '\n')) {
            ++n;
            ++empty_line_bytes_;
        }
        buffer_.consume(n);
    }

    // Keep-alive: wait up to idle_timeout for the next request's first bytes.
    void wait_for_request() {
        empty_line_bytes_ = 0;
        if (buffer_.size() > 0) {
            read_request();
            return;
        }
        stage_ = Stage::kIdle;
        idle_since_ = SteadyClock::now();
        stage_since_ = idle_since_;
        deadline_ = idle_since_ + core_->limits.idle_timeout;
        await_request_bytes();
    }

    void await_request_bytes() {
        socket_.async_read_some(buffer_.prepare(kReadChunk),
                                [self = shared_from_this()](const ErrorCode& ec, std::size_t n) {
                                    if (self->stage_ == Stage::kClosed) {
                                        return;
                                    }
                                    if (ec) {
                                        self->finish();  // idle too long, or the client went away
                                        return;
                                    }
                                    self->buffer_.commit(n);
                                    self->skip_empty_lines();
                                    if (self->buffer_.size() == 0) {
                                        self->await_request_bytes();  // same stage and deadline
                                        return;
                                    }
                                    self->read_request(self->stage_ == Stage::kIdle);
                                });
    }

    void on_read(const ErrorCode& ec) {
        if (stage_ == Stage::kClosed) {
            return;
        }
        if (!ec) {
            answer();
            return;
        }
        if (ec == beast_http::error::header_limit || ec == beast_http::error::buffer_overflow) {
            answer_error(beast_http::status::request_header_fields_too_large);
        } else if (ec == beast_http::error::body_limit ||
                   ec == beast_http::error::unexpected_body) {
            answer_error(beast_http::status::payload_too_large);
        } else if (ec.category() ==
                       beast_http::make_error_code(beast_http::error::bad_method).category() &&
                   ec != beast_http::error::end_of_stream &&
                   ec != beast_http::error::partial_message) {
            answer_error(beast_http::status::bad_request);  // malformed request
        } else {
            finish();  // too slow, reset, or closed by the client
        }
    }

    void answer() {
        const auto& request = parser_->get();
        if (request.version() != 10 && request.version() != 11) {
            answer_error(beast_http::status::http_version_not_supported);
            return;
        }
        const auto snapshot = core_->state->snapshot();
        response_ = route(*snapshot, request, core_->counters);
        core_->counters.record(metrics::endpoint_for_path(target_path(request.target())),
                               response_.result_int());
        write(!response_.keep_alive() || core_->stopped);
    }

    void answer_error(beast_http::status status) {
        unsigned version = 11;
        auto endpoint = metrics::Endpoint::kOther;
        if (parser_ && parser_->is_header_done()) {
            version = parser_->get().version();
            endpoint = metrics::endpoint_for_path(target_path(parser_->get().target()));
        }
        response_ = error_response(status, version);
        core_->counters.record(endpoint, static_cast<unsigned>(status));
        write(true);
    }

    void write(bool close_after) {
        stage_ = Stage::kWriting;
        stage_since_ = SteadyClock::now();
        deadline_ = stage_since_ + core_->limits.read_timeout;  // clients must read answers
        beast_http::async_write(
            socket_, response_,
            [self = shared_from_this(), close_after](const ErrorCode& ec, std::size_t) {
                if (self->stage_ == Stage::kClosed) {
                    return;
                }
                if (ec) {
                    self->finish();
                } else if (close_after || self->core_->stopped) {
                    self->linger();
                } else {
                    self->wait_for_request();
                }
            });
    }

    // Half-close, then drain what the client still sends (bounded), then close.
    void linger() {
        stage_ = Stage::kLingering;
        stage_since_ = SteadyClock::now();
        ErrorCode ec;
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        if (ec) {
            finish();
            return;
        }
        deadline_ = SteadyClock::now() +
                    std::min<std::chrono::milliseconds>(kLingerTime, core_->limits.read_timeout);
        buffer_.clear();
        drain();
    }

    void drain() {
        socket_.async_read_some(buffer_.prepare(kReadChunk),
                                [self = shared_from_this()](const ErrorCode& ec, std::size_t n) {
                                    if (self->stage_ == Stage::kClosed) {
                                        return;
                                    }
                                    self->drained_ += n;
                                    if (ec || self->drained_ > kLingerBytes) {
                                        self->finish();
                                        return;
                                    }
                                    self->drain();
                                });
    }

    void finish() {
        stage_ = Stage::kClosed;
        core_->remove(this);
        ErrorCode ignored;
        socket_.close(ignored);
    }

    std::shared_ptr<Server::Core> core_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
    std::optional<beast_http::request_parser<beast_http::empty_body>> parser_;
    Response response_;
    Stage stage_ = Stage::kReading;
    SteadyClock::time_point idle_since_{};
    SteadyClock::time_point stage_since_ = SteadyClock::now();
    SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
    std::size_t drained_ = 0;
    std::size_t empty_line_bytes_ = 0;  // skipped before the request being read
};

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
