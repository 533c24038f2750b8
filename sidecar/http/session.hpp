// One connection of the server: read a request (bounded in size and time), answer it from
// route(), repeat while keep-alive, then linger and close. Internal to the http module.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/system/error_code.hpp>

#include "sidecar/http/router.hpp"
#include "sidecar/http/server_detail.hpp"

namespace sg::http::detail {

// Pipelined requests wait in buffer_ and are answered in order, one at a time. Deadlines are
// only recorded here; the server's sweep closes connections that miss them.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(std::shared_ptr<Server::Core> core, boost::asio::ip::tcp::socket&& socket);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    Session(Session&&) = delete;
    Session& operator=(Session&&) = delete;

    void start();

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
    using ErrorCode = boost::system::error_code;

    void read_request(bool restart_clock = true);
    void skip_empty_lines();
    void wait_for_request();
    void await_request_bytes();
    void on_read(const ErrorCode& ec);
    void answer();
    void answer_error(boost::beast::http::status status);
    void write(bool close_after);
    void linger();
    void drain();
    void finish();

    std::shared_ptr<Server::Core> core_;
    boost::asio::ip::tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> parser_;
    Response response_;
    Stage stage_ = Stage::kReading;
    SteadyClock::time_point idle_since_{};
    SteadyClock::time_point stage_since_ = SteadyClock::now();
    SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
    std::size_t drained_ = 0;
    std::size_t empty_line_bytes_ = 0;  // skipped before the request being read
};

}  // namespace sg::http::detail
