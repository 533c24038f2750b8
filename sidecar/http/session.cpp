#include "sidecar/http/session.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <utility>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace sg::http::detail {

namespace beast_http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kMaxEmptyLineBytes = 8;  // CR and LF ignored before one request line
// After answering with `Connection: close`, unread input is drained for a moment so that closing
// does not reset the connection before the client has read the answer (e.g. a refused body).
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::size_t kLingerBytes = std::size_t{1} << 20;

}  // namespace

Session::Session(std::shared_ptr<Server::Core> core, tcp::socket&& socket)
    : core_(std::move(core)),
      socket_(std::move(socket)),
      buffer_(core_->limits.max_header_bytes + kReadChunk) {}

Session::~Session() {
    core_->remove(this);
}

void Session::start() {
    core_->add(this);
    // The first bytes are read here, not by the parser, so empty lines before the first
    // request line are skipped like those before later ones.
    stage_ = Stage::kReading;
    stage_since_ = SteadyClock::now();
    deadline_ = stage_since_ + core_->limits.read_timeout;
    await_request_bytes();
}

// `restart_clock` false: the request's first bytes were awaited in stage kReading already, and
// its deadline runs from then (a new connection's first request).
void Session::read_request(bool restart_clock) {
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
void Session::skip_empty_lines() {
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
void Session::wait_for_request() {
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

void Session::await_request_bytes() {
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

void Session::on_read(const ErrorCode& ec) {
    if (stage_ == Stage::kClosed) {
        return;
    }
    if (!ec) {
        answer();
        return;
    }
    if (ec == beast_http::error::header_limit || ec == beast_http::error::buffer_overflow) {
        answer_error(beast_http::status::request_header_fields_too_large);
    } else if (ec == beast_http::error::body_limit || ec == beast_http::error::unexpected_body) {
        answer_error(beast_http::status::payload_too_large);
    } else if (ec.category() ==
                   beast_http::make_error_code(beast_http::error::bad_method).category() &&
               ec != beast_http::error::end_of_stream && ec != beast_http::error::partial_message) {
        answer_error(beast_http::status::bad_request);  // malformed request
    } else {
        finish();  // too slow, reset, or closed by the client
    }
}

void Session::answer() {
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

void Session::answer_error(beast_http::status status) {
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

void Session::write(bool close_after) {
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
void Session::linger() {
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

void Session::drain() {
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

void Session::finish() {
    stage_ = Stage::kClosed;
    core_->remove(this);
    ErrorCode ignored;
    socket_.close(ignored);
}

}  // namespace sg::http::detail
