// The HTTP server on 127.0.0.1 (port 0) with small limits, driven by raw sockets: keep-alive,
// HTTP/1.0, pipelining, the limits (431, 413, slow clients, connection cap, idle timeout), stop,
// and the healthcheck client. Needs no database.
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
// GCC 12 at -O2 with sanitizers warns that Beast's response parser returns an uninitialised
// boost::optional (a false positive inside Boost); only for what these headers define.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/beast/http/parser.hpp>
#pragma GCC diagnostic pop
#include <boost/beast/http/string_body.hpp>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sidecar/app/status.hpp"
#include "sidecar/config/config.hpp"
#include "sidecar/http/client.hpp"
#include "sidecar/http/server.hpp"
#include "sidecar/metrics/counters.hpp"

using namespace std::chrono_literals;
using sg::app::Phase;
namespace asio = boost::asio;
namespace bh = boost::beast::http;
using Clock = std::chrono::steady_clock;
using Reply = bh::response<bh::string_body>;

namespace {

sg::config::HttpLimits test_limits() {
    sg::config::HttpLimits limits;
    limits.max_header_bytes = 1024;
    limits.max_connections = 8;
    limits.read_timeout = 1000ms;
    limits.idle_timeout = 1000ms;
    return limits;
}

// A Server on its own io thread, as the app runs it.
class Harness {
  public:
    explicit Harness(const sg::config::HttpLimits& limits = test_limits())
        : state(std::make_shared<sg::app::State>()) {
        state->update([](sg::app::Snapshot& s) {
            s.service = "auth";
            s.version = "0.1.0";
        });
        server_.emplace(io_, limits, state, counters);
        server_->listen("127.0.0.1", 0);
        port = server_->port();
        thread_ = std::thread([this] {
            io_.run();
            finished_.set_value();
        });
    }
    ~Harness() { (void)stop(); }
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;
    Harness(Harness&&) = delete;
    Harness& operator=(Harness&&) = delete;

    // Posts stop() to the io thread; true when io.run() then returned by itself.
    [[nodiscard]] bool stop() {
        if (!thread_.joinable()) {
            return stopped_cleanly_;
        }
        asio::post(io_, [this] { server_->stop(); });
        stopped_cleanly_ = finished_.get_future().wait_for(3s) == std::future_status::ready;
        if (!stopped_cleanly_) {
            io_.stop();
        }
        thread_.join();
        server_.reset();
        return stopped_cleanly_;
    }

    [[nodiscard]] std::size_t connections() {
        std::promise<std::size_t> count;
        asio::post(io_, [&] { count.set_value(server_->connections()); });
        auto future = count.get_future();
        REQUIRE(future.wait_for(2s) == std::future_status::ready);
        return future.get();
    }

    // Waits (up to 1 s) until the server holds `n` connections; returns how many it holds.
    std::size_t await_connections(std::size_t n) {
        for (int i = 0; i < 100 && connections() < n; ++i) {
            std::this_thread::sleep_for(10ms);
        }
        return connections();
    }

    std::shared_ptr<sg::app::State> state;
    sg::metrics::HttpCounters counters;
    std::uint16_t port = 0;

  private:
    asio::io_context io_;
    std::optional<sg::http::Server> server_;
    std::thread thread_;
    std::promise<void> finished_;
    bool stopped_cleanly_ = false;
};

// A blocking loopback client with explicit timeouts on every wait.
class Conn {
  public:
    explicit Conn(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    }
    ~Conn() { close(); }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    Conn(Conn&&) = delete;
    Conn& operator=(Conn&&) = delete;

    void close() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

    // False once the server has closed the connection.
    bool send(std::string_view data) {
        while (!data.empty()) {
            const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // One answer; nullopt when the connection closed or nothing complete came in time.
    std::optional<Reply> reply(bool head = false, std::chrono::milliseconds timeout = 3000ms) {
        const auto deadline = Clock::now() + timeout;
        for (int round = 0; round < 10000; ++round) {
            bh::response_parser<bh::string_body> parser;
            parser.eager(true);
            parser.skip(head);
            std::size_t used = 0;
            boost::system::error_code ec;
            while (!parser.is_done() && used < pending_.size()) {
                const auto n =
                    parser.put(asio::buffer(pending_.data() + used, pending_.size() - used), ec);
                used += n;
                if (ec == bh::error::need_more) {
                    ec = {};
                    break;
                }
                if (ec || n == 0) {
                    break;
                }
            }
            if (ec) {
                FAIL("unparsable answer: " << ec.message() << ": " << pending_);
                return std::nullopt;
            }
            if (parser.is_done()) {
                pending_.erase(0, used);
                return parser.release();
            }
            if (read_some(deadline) <= 0) {
                return std::nullopt;
            }
        }
        return std::nullopt;
    }

    std::optional<Reply> get(std::string_view path) {
        if (!send("GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n\r\n")) {
            return std::nullopt;
        }
        return reply();
    }

    // True when the server closes the connection within `timeout` (data before that is kept).
    bool closed_within(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        for (int round = 0; round < 100000; ++round) {
            const auto n = read_some(deadline);
            if (n == 0) {
                return true;
            }
            if (n < 0) {
                return errno != ETIMEDOUT;  // reset counts as closed
            }
        }
        return false;
    }

    // Whatever arrived so far, including a partial answer.
    [[nodiscard]] const std::string& received() const { return pending_; }

  private:
    // >0 bytes read, 0 end of stream, -1 error (errno) or timeout (errno = ETIMEDOUT).
    long read_some(Clock::time_point deadline) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        pollfd pfd{fd_, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        std::array<char, 16384> chunk{};
        const auto n = ::recv(fd_, chunk.data(), chunk.size(), 0);
        if (n > 0) {
            pending_.append(chunk.data(), static_cast<std::size_t>(n));
        }
        return static_cast<long>(n);
    }

    int fd_ = -1;
    std::string pending_;
};

void make_ready(sg::app::State& state) {
    state.set_phase(Phase::kReady);
}

using Conns = std::vector<std::unique_ptr<Conn>>;

// `n` connections to `port`, each having sent `first_bytes` (none: silent ones).
Conns open_conns(std::uint16_t port, int n, std::string_view first_bytes = {}) {
    Conns conns;
    conns.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        conns.push_back(std::make_unique<Conn>(port));
        if (!first_bytes.empty()) {
            (void)conns.back()->send(first_bytes);
        }
    }
    return conns;
}

// Three probes in a row on fresh connections, each answered 200 with the cap still holding.
void probes_get_in(Harness& h, std::size_t cap) {
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        Conn probe(h.port);
        const auto r = probe.get("/readyz");
        REQUIRE(r);
        CHECK(r->result_int() == 200);
        CHECK(h.connections() <= cap);  // room was made, the cap still holds
    }
}

// How many of `conns` the server has closed; each must have been closed without an answer.
int closed_unanswered(Conns& conns) {
    int closed = 0;
    for (auto& c : conns) {
        if (c->closed_within(10ms)) {
            ++closed;
            CHECK(c->received().empty());
        }
    }
    return closed;
}

}  // namespace

TEST_CASE("http: /readyz turns from 503 to 200 as the state changes, /livez is always 200") {
    Harness h;
    Conn c(h.port);
    auto r = c.get("/readyz");
    REQUIRE(r);
    CHECK(r->result_int() == 503);
    CHECK(r->body() == "waiting");
    CHECK(r->at(bh::field::server) == "schemagate");

    h.state->set_phase(Phase::kMigrating);
    r = c.get("/readyz");
    REQUIRE(r);
    CHECK(r->result_int() == 503);
    CHECK(r->body() == "migrating");

    r = c.get("/livez");
    REQUIRE(r);
    CHECK(r->result_int() == 200);

    make_ready(*h.state);
    r = c.get("/readyz");
    REQUIRE(r);
    CHECK(r->result_int() == 200);
    CHECK(r->body() == "ok");

    h.state->update([](sg::app::Snapshot& s) { s.stopping = true; });
    r = c.get("/readyz");
    REQUIRE(r);
    CHECK(r->result_int() == 503);
    CHECK(r->body() == "shutting down");
    CHECK(c.closed_within(2000ms));  // a stopping server asks clients to go
}

TEST_CASE("http: keep-alive serves many requests on one connection") {
    Harness h;
    make_ready(*h.state);
    Conn c(h.port);
    for (int i = 0; i < 20; ++i) {
        CAPTURE(i);
        const auto r = c.get(i % 2 == 0 ? "/readyz" : "/health");
        REQUIRE(r);
        CHECK(r->keep_alive());
    }
    CHECK(h.connections() == 1);
    CHECK(h.counters.count(sg::metrics::Endpoint::kReadyz, 200) == 10);
    CHECK(h.counters.count(sg::metrics::Endpoint::kHealth, 503) == 10);  // database not up

    const auto m = c.get("/metrics");
    REQUIRE(m);
    CHECK(m->body().find("schemagate_http_requests_total{path=\"/readyz\",code=\"200\"} 10\n") !=
          std::string::npos);
}

TEST_CASE("http: HEAD answers headers only and the connection stays usable") {
    Harness h;
    Conn c(h.port);
    REQUIRE(c.send("HEAD /livez HTTP/1.1\r\nHost: t\r\n\r\n"));
    const auto head = c.reply(true);
    REQUIRE(head);
    CHECK(head->result_int() == 200);
    CHECK(head->at(bh::field::content_length) == "2");
    CHECK(head->body().empty());
    const auto next = c.get("/livez");  // no stray body bytes in between
    REQUIRE(next);
    CHECK(next->body() == "ok");
}

TEST_CASE("http: HTTP/1.0 closes unless keep-alive is asked; Connection: close is honoured") {
    Harness h;
    {
        Conn c(h.port);
        REQUIRE(c.send("GET /livez HTTP/1.0\r\n\r\n"));
        const auto r = c.reply();
        REQUIRE(r);
        CHECK(r->version() == 10);
        CHECK(r->result_int() == 200);
        CHECK(c.closed_within(2000ms));
    }
    {
        Conn c(h.port);
        REQUIRE(c.send("GET /livez HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        auto r = c.reply();
        REQUIRE(r);
        CHECK(r->version() == 10);
        CHECK(r->at(bh::field::connection) == "keep-alive");
        REQUIRE(c.send("GET /readyz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        r = c.reply();
        REQUIRE(r);
        CHECK(r->result_int() == 503);
    }
    {
        Conn c(h.port);
        REQUIRE(c.send("GET /livez HTTP/1.1\r\nConnection: close\r\n\r\n"));
        const auto r = c.reply();
        REQUIRE(r);
        CHECK(r->at(bh::field::connection) == "close");
        CHECK(c.closed_within(2000ms));
    }
}

TEST_CASE("http: empty lines between pipelined requests are ignored, a few of them") {
    Harness h;
    make_ready(*h.state);
    {
        Conn c(h.port);
        // Some clients send CRLF after a request; RFC 9112 asks servers to ignore it.
        REQUIRE(
            c.send("\r\nGET /livez HTTP/1.1\r\nHost: t\r\n\r\n\r\n"
                   "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n\r\n\r\n"
                   "GET /livez HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
        for (int i = 0; i < 3; ++i) {
            const auto r = c.reply();
            REQUIRE(r);
            CHECK(r->result_int() == 200);
        }
        CHECK(c.closed_within(2000ms));
    }
    {
        Conn c(h.port);  // an empty line in a segment of its own, then the request
        REQUIRE(c.send("GET /livez HTTP/1.1\r\nHost: t\r\n\r\n"));
        REQUIRE(c.reply());
        REQUIRE(c.send("\r\n"));
        std::this_thread::sleep_for(50ms);
        REQUIRE(c.send("GET /livez HTTP/1.1\r\nHost: t\r\n\r\n"));
        const auto r = c.reply();
        REQUIRE(r);
        CHECK(r->result_int() == 200);
    }
    {
        Conn c(h.port);  // more than a few: refused, not skipped forever
        REQUIRE(c.send(std::string(40, '\n') + "GET /livez HTTP/1.1\r\nHost: t\r\n\r\n"));
        const auto r = c.reply();
        REQUIRE(r);
        CHECK(r->result_int() == 400);
    }
}

TEST_CASE("http: pipelined requests are answered in order") {
    Harness h;
    make_ready(*h.state);
    Conn c(h.port);
    REQUIRE(
        c.send("GET /livez HTTP/1.1\r\nHost: t\r\n\r\n"
               "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
               "HEAD /readyz HTTP/1.1\r\nHost: t\r\n\r\n"
               "POST /health HTTP/1.1\r\nHost: t\r\n\r\n"
               "GET /readyz?verbose HTTP/1.1\r\nHost: t\r\n\r\n"
               "GET /livez HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    auto r = c.reply();
    REQUIRE(r);
    CHECK(r->result_int() == 200);
    CHECK(r->body() == "ok");
    r = c.reply();
    REQUIRE(r);
    CHECK(r->result_int() == 404);
    r = c.reply(true);
    REQUIRE(r);
    CHECK(r->result_int() == 200);
    CHECK(r->body().empty());
    r = c.reply();
    REQUIRE(r);
    CHECK(r->result_int() == 405);
    CHECK(r->at(bh::field::allow) == "GET, HEAD");
    r = c.reply();
    REQUIRE(r);
    CHECK(r->body().ends_with("readyz check passed\n"));
    r = c.reply();
    REQUIRE(r);
    CHECK(r->result_int() == 200);
    CHECK(c.closed_within(2000ms));
}

TEST_CASE("http: an oversized header gets 431 and the connection is closed") {
    Harness h;
    Conn c(h.port);
    const std::string big(2000, 'x');
    REQUIRE(c.send("GET /readyz HTTP/1.1\r\nHost: t\r\nX-Big: " + big + "\r\n\r\n"));
    const auto r = c.reply();
    REQUIRE(r);
    CHECK(r->result_int() == 431);
    CHECK(c.closed_within(2000ms));
    CHECK(h.counters.count(sg::metrics::Endpoint::kOther, 431) == 1);

    Conn probe(h.port);  // a header just under the limit is fine
    const auto ok = probe.get("/livez");
    REQUIRE(ok);
    CHECK(ok->result_int() == 200);
}

TEST_CASE("http: a request body is refused with 413 and the connection is closed") {
    Harness h;
    {
        Conn c(h.port);
        REQUIRE(c.send("POST /readyz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"));
        const auto r = c.reply();
        REQUIRE(r);
        CHECK(r->result_int() == 413);
        CHECK(c.closed_within(2000ms));
    }
    {
        Conn c(h.port);
        REQUIRE(
            c.send("GET /livez HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\nhello\r\n0\r\n\r\n"));
        const auto r = c.reply();
        REQUIRE(r);
        CHECK(r->result_int() == 413);
        CHECK(c.closed_within(2000ms));
    }
    {
        Conn c(h.port);  // a large body still in flight: the answer arrives before the close
        REQUIRE(c.send("POST /livez HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n"));
        (void)c.send(std::string(200000, 'b'));
        const auto r = c.reply();
        REQUIRE(r);
        CHECK(r->result_int() == 413);
    }
    {
        Conn c(h.port);  // an empty body is not a body
        REQUIRE(c.send("GET /livez HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"));
        const auto r = c.reply();
        REQUIRE(r);
        CHECK(r->result_int() == 200);
    }
}

TEST_CASE("http: malformed requests get 400 and are closed") {
    Harness h;
    const std::vector<std::pair<std::string, unsigned>> cases = {
        {"GARBAGE\r\n\r\n", 400},
        {"GET /livez HTTP/1.1\r\nBad Header\r\n\r\n", 400},
        {"GET /livez HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400},
        {"GET /livez HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
        {"GET  /livez HTTP/1.1\r\n\r\n", 400},
        {"GET /livez FTP/1.1\r\n\r\n", 400},
        {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 400},  // TLS hello
        {std::string("GET /li\0vez HTTP/1.1\r\n\r\n", 24), 400},
        {"GET /livez HTTP/2.0\r\n\r\n", 400},  // only HTTP/1.x is spoken
        {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
    };
    for (const auto& item : cases) {
        const std::string& request = item.first;
        const unsigned status = item.second;
        CAPTURE(request);
        Conn c(h.port);
        REQUIRE(c.send(request));
        const auto r = c.reply();
        REQUIRE(r);
        CHECK(r->result_int() == status);
        CHECK(c.closed_within(2000ms));
    }
    Conn probe(h.port);
    const auto ok = probe.get("/livez");
    REQUIRE(ok);
    CHECK(ok->result_int() == 200);
}

TEST_CASE("http: random and mangled input never takes the server down") {
    Harness h;
    std::mt19937 rng(20240501);
    const std::string valid =
        "GET /readyz?verbose HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n";
    for (int i = 0; i < 150; ++i) {
        std::string input;
        if (i % 2 == 0) {
            const auto length = std::uniform_int_distribution<std::size_t>(1, 300)(rng);
            for (std::size_t k = 0; k < length; ++k) {
                input.push_back(static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)));
            }
        } else {
            input = valid;
            const auto flips = std::uniform_int_distribution<int>(1, 4)(rng);
            for (int f = 0; f < flips; ++f) {
                const auto at =
                    std::uniform_int_distribution<std::size_t>(0, input.size() - 1)(rng);
                input[at] = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
            }
            input.resize(std::uniform_int_distribution<std::size_t>(1, input.size())(rng));
        }
        CAPTURE(i);
        Conn c(h.port);
        (void)c.send(input);
        c.shutdown_write();  // no more input: the server answers or closes at once
        CHECK(c.closed_within(3000ms));
        const auto& answer = c.received();
        CHECK(
            (answer.empty() || answer.starts_with("HTTP/1.1 ") || answer.starts_with("HTTP/1.0 ")));
    }
    Conn probe(h.port);
    const auto ok = probe.get("/livez");
    REQUIRE(ok);
    CHECK(ok->result_int() == 200);
}

TEST_CASE("http: a client sending byte by byte is dropped while /readyz keeps answering") {
    auto limits = test_limits();
    limits.read_timeout = 600ms;
    Harness h(limits);
    make_ready(*h.state);

    Conn slow(h.port);
    Conn probe(h.port);
    const std::string request =
        "GET /readyz HTTP/1.1\r\nHost: slow.example\r\nUser-Agent: one-byte-at-a-time\r\n\r\n";
    const auto start = Clock::now();
    bool dropped = false;
    std::size_t sent = 0;
    auto worst_probe = Clock::duration::zero();
    for (int i = 0; i < 100 && !dropped; ++i) {  // at most ~5s
        if (sent < request.size()) {
            dropped = !slow.send(request.substr(sent, 1));
            sent += dropped ? 0 : 1;
        }
        const auto before = Clock::now();
        const auto r = probe.get("/readyz");
        worst_probe = std::max(worst_probe, Clock::now() - before);
        REQUIRE(r);
        CHECK(r->result_int() == 200);
        dropped = dropped || slow.closed_within(50ms);
    }
    const auto elapsed = Clock::now() - start;
    CHECK(dropped);
    CHECK(sent < request.size());    // dropped before the request was complete
    CHECK(slow.received().empty());  // no answer to a request never received
    CHECK(elapsed >= 550ms);         // not before its read timeout ...
    CHECK(elapsed < 3000ms);         // ... but soon after
    CHECK(worst_probe < 300ms);      // the probe never waited for the slow client
    CHECK(h.connections() == 1);     // only the probe is left
}

TEST_CASE("http: a connection that sends nothing is closed after the read timeout") {
    auto limits = test_limits();
    limits.read_timeout = 300ms;
    limits.idle_timeout = 5000ms;
    Harness h(limits);
    Conn c(h.port);
    const auto start = Clock::now();
    CHECK(c.closed_within(3000ms));
    CHECK(Clock::now() - start >= 250ms);
}

TEST_CASE("http: idle keep-alive connections are closed after idle_timeout") {
    auto limits = test_limits();
    limits.idle_timeout = 200ms;
    limits.read_timeout = 5000ms;
    Harness h(limits);
    Conn c(h.port);
    const auto r = c.get("/livez");
    REQUIRE(r);
    const auto start = Clock::now();
    CHECK(c.closed_within(3000ms));
    const auto idle = Clock::now() - start;
    CHECK(idle >= 150ms);
    CHECK(idle < 2000ms);

    // A connection that keeps asking stays open past idle_timeout.
    Conn busy(h.port);
    for (int i = 0; i < 8; ++i) {  // ~400ms in total
        const auto again = busy.get("/livez");
        REQUIRE(again);
        std::this_thread::sleep_for(50ms);
    }
    const auto last = busy.get("/livez");
    REQUIRE(last);
    CHECK(last->result_int() == 200);
}

TEST_CASE("http: the connection cap holds; new connections work once others go") {
    auto limits = test_limits();
    limits.max_connections = 4;
    limits.read_timeout = 20000ms;
    limits.slow_grace = 20000ms;  // the held ones count as slow only after 5 s (a quarter)
    Harness h(limits);
    make_ready(*h.state);

    Conns held = open_conns(h.port, 4);  // silent: they hold their slot
    // Make sure the server has accepted all four before the extra ones arrive.
    REQUIRE(h.await_connections(4) == 4);
    for (int i = 0; i < 3; ++i) {
        CAPTURE(i);
        Conn extra(h.port);  // accepted and closed at once
        CHECK(extra.closed_within(2000ms));
        CHECK(extra.received().empty());
    }
    CHECK(h.connections() == 4);

    held.clear();
    std::optional<Reply> r;
    for (int i = 0; i < 100 && !r; ++i) {  // the server notices the closes within moments
        Conn probe(h.port);
        r = probe.get("/readyz");
        if (!r) {
            std::this_thread::sleep_for(20ms);
        }
    }
    REQUIRE(r);
    CHECK(r->result_int() == 200);
}

TEST_CASE("http: at the cap, connections silent for a tenth of a second give way to a probe") {
    auto limits = test_limits();
    limits.max_connections = 4;
    limits.read_timeout = 20000ms;  // defaults otherwise: the grace is 100 ms, not 5 s
    Harness h(limits);
    make_ready(*h.state);

    Conns held = open_conns(h.port, 4);
    REQUIRE(h.await_connections(4) == 4);
    std::this_thread::sleep_for(300ms);  // far short of the read timeout, well past the grace

    probes_get_in(h, 4);
    const int dropped = closed_unanswered(held);
    CHECK(dropped >= 1);
    CHECK(dropped <= 3);  // one place per probe at most, and the probes closed their own
}

TEST_CASE("http: at the cap, clients slow to send their request make room for a probe") {
    auto limits = test_limits();
    limits.max_connections = 8;
    limits.read_timeout = 2000ms;  // slow after the default grace, 100 ms
    limits.idle_timeout = 5000ms;
    Harness h(limits);
    make_ready(*h.state);

    // Far more slow clients than the cap, each stuck half-way through its request.
    Conns slow = open_conns(h.port, 40, "GET /readyz HTTP/1.1\r\nHost: slow\r\n");
    CHECK(h.await_connections(8) == 8);
    std::this_thread::sleep_for(700ms);  // now they are slow

    probes_get_in(h, 8);
    const int dropped = closed_unanswered(slow);  // never answered: the request never came
    CHECK(dropped >= 32 + 1);  // 40 for 8 places: 32 refused or evicted, one more for the probes
    CHECK(h.connections() <= 8);
}

TEST_CASE("http: at the cap, the longest-idle keep-alive connection makes room") {
    auto limits = test_limits();
    limits.max_connections = 3;
    limits.idle_timeout = 5000ms;
    Harness h(limits);
    std::vector<std::unique_ptr<Conn>> idle;
    idle.reserve(3);
    for (int i = 0; i < 3; ++i) {
        idle.push_back(std::make_unique<Conn>(h.port));
        REQUIRE(idle.back()->get("/livez"));
        std::this_thread::sleep_for(5ms);
    }
    Conn probe(h.port);
    const auto r = probe.get("/livez");
    REQUIRE(r);
    CHECK(r->result_int() == 200);
    CHECK(idle[0]->closed_within(2000ms));  // the oldest idle one went
    const auto still = idle[2]->get("/livez");
    REQUIRE(still);
    CHECK(still->result_int() == 200);
}

TEST_CASE("http: stop closes every connection and lets io.run() return") {
    Harness h;
    Conn idle(h.port);
    REQUIRE(idle.get("/livez"));
    Conn partial(h.port);
    REQUIRE(partial.send("GET /readyz HTTP/1.1\r\n"));
    Conn silent(h.port);
    REQUIRE(h.await_connections(3) == 3);
    CHECK(h.stop());
    CHECK(idle.closed_within(2000ms));
    CHECK(partial.closed_within(2000ms));
    CHECK(silent.closed_within(2000ms));
}

TEST_CASE("http: listen reports a port in use clearly") {
    Harness h;
    asio::io_context io;
    sg::metrics::HttpCounters counters;
    sg::http::Server second(io, test_limits(), std::make_shared<sg::app::State>(), counters);
    try {
        second.listen("127.0.0.1", h.port);
        FAIL("listen on a used port succeeded");
    } catch (const sg::http::ListenError& e) {
        CHECK(std::string(e.what()) ==
              "cannot listen on 127.0.0.1:" + std::to_string(h.port) + ": address in use");
    }
    CHECK_THROWS_AS(second.listen("not an address!", 0), sg::http::ListenError);
    CHECK(second.port() == 0);
}

TEST_CASE("healthcheck client: 200, 503 and errors") {
    Harness h;
    const auto url = "http://127.0.0.1:" + std::to_string(h.port) + "/readyz";
    auto result = sg::http::get_status(url, 2000ms);
    REQUIRE(result.status);
    CHECK(*result.status == 503);
    CHECK(result.body == "waiting");

    make_ready(*h.state);
    result = sg::http::get_status(url, 2000ms);
    REQUIRE(result.status);
    CHECK(*result.status == 200);
    CHECK(result.error.empty());

    result = sg::http::get_status("http://localhost:" + std::to_string(h.port) + "/nope", 2000ms);
    REQUIRE(result.status);
    CHECK(*result.status == 404);

    // Nothing listens on a port that is bound but not listening: refused.
    const int bound = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(bound >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(bound, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t length = sizeof addr;
    REQUIRE(::getsockname(bound, reinterpret_cast<sockaddr*>(&addr), &length) == 0);
    const auto closed_port = std::to_string(ntohs(addr.sin_port));
    result = sg::http::get_status("http://127.0.0.1:" + closed_port + "/readyz", 2000ms);
    CHECK_FALSE(result.status);
    CHECK(result.error == "connection refused");

    // A server that accepts (in its backlog) and never answers: the timeout holds.
    REQUIRE(::listen(bound, 4) == 0);
    const auto start = Clock::now();
    result = sg::http::get_status("http://127.0.0.1:" + closed_port + "/readyz", 300ms);
    const auto took = Clock::now() - start;
    ::close(bound);
    CHECK_FALSE(result.status);
    CHECK_FALSE(result.error.empty());
    CHECK(took >= 250ms);
    CHECK(took < 2000ms);

    result = sg::http::get_status("https://127.0.0.1/readyz");
    CHECK_FALSE(result.status);
    CHECK(result.error == "invalid URL: https is not supported, use http://");
}

TEST_CASE("healthcheck client: URL parsing") {
    std::string error;
    auto url = sg::http::parse_url("http://127.0.0.1:8080/readyz", error);
    REQUIRE(url);
    CHECK(url->host == "127.0.0.1");
    CHECK(url->port == 8080);
    CHECK(url->target == "/readyz");

    url = sg::http::parse_url("HTTP://[::1]:9/x?y#z", error);
    REQUIRE(url);
    CHECK(url->host == "::1");
    CHECK(url->port == 9);
    CHECK(url->target == "/x?y");

    url = sg::http::parse_url("http://sidecar", error);
    REQUIRE(url);
    CHECK(url->port == 80);
    CHECK(url->target == "/");

    url = sg::http::parse_url("http://h?verbose", error);
    REQUIRE(url);
    CHECK(url->target == "/?verbose");

    for (const std::string_view bad :
         {"", "127.0.0.1:8080/readyz", "ftp://h/", "http://", "http://:80/", "http://h:/",
          "http://h:0/", "http://h:65536/", "http://h:80x/", "http://[::1/", "http://[::1]x/",
          "http://u:p@h/", "http://h/a b", "http://h\r\n/"}) {
        CAPTURE(bad);
        error.clear();
        CHECK_FALSE(sg::http::parse_url(bad, error));
        CHECK_FALSE(error.empty());
    }
}
