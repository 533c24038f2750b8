// The /readyz baseline: a bare Boost.Beast HTTP/1.1 server, one thread, keep-alive, that answers
// every request with 200 "ok". It does what any small Beast server must (parse the request, build
// and serialise a response, honour keep-alive) and nothing else: the fair floor for /readyz.
//
//   g++ -O2 -std=c++20 bench/beast_baseline.cpp -o beast_baseline -lpthread
//   beast_baseline 127.0.0.1 0     -> prints "listening on <port>" and serves until SIGTERM/SIGINT
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
  public:
    explicit Session(tcp::socket socket) : stream_(std::move(socket)) {}

    void start() { read(); }

  private:
    void read() {
        request_ = {};
        http::async_read(stream_, buffer_, request_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec) {
                                 self->close();
                                 return;
                             }
                             self->respond();
                         });
    }

    void respond() {
        response_ = http::response<http::string_body>{http::status::ok, request_.version()};
        response_.set(http::field::server, "beast-baseline");
        response_.set(http::field::content_type, "text/plain");
        response_.keep_alive(request_.keep_alive());
        response_.body() = "ok";
        response_.prepare_payload();
        http::async_write(stream_, response_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || !self->response_.keep_alive()) {
                                  self->close();
                                  return;
                              }
                              self->read();
                          });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::empty_body> request_;
    http::response<http::string_body> response_;
};

void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
        if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<Session>(std::move(socket))->start();
        }
        if (acceptor.is_open())
            accept(acceptor);
    });
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: beast_baseline ADDRESS PORT\n");
        return 2;
    }
    asio::io_context io{1};
    tcp::endpoint endpoint{asio::ip::make_address(argv[1]),
                           static_cast<unsigned short>(std::atoi(argv[2]))};
    tcp::acceptor acceptor{io, endpoint};
    std::printf("listening on %u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    accept(acceptor);
    asio::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](beast::error_code, int) {
        acceptor.close();
        io.stop();
    });
    io.run();
    return 0;
}
