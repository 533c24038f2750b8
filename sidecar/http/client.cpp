#include "sidecar/http/client.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/errc.hpp>

#include "sidecar/version.hpp"

namespace sg::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

namespace {

constexpr std::uint64_t kBodyLimit = std::uint64_t{64} * 1024;

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) {
            return false;
        }
    }
    return true;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    unsigned value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

std::string describe(const ErrorCode& ec) {
    namespace errc = boost::system::errc;
    if (ec == beast::error::timeout) {
        return "timed out";
    }
    if (ec == errc::connection_refused) {
        return "connection refused";
    }
    if (ec == beast_http::error::end_of_stream || ec == beast_http::error::partial_message ||
        ec == asio::error::eof) {
        return "the server closed the connection without an answer";
    }
    if (ec == errc::connection_reset) {
        return "connection reset by the server";
    }
    return ec.message();
}

std::string seconds_text(std::chrono::milliseconds timeout) {
    if (timeout.count() % 1000 == 0) {
        return std::to_string(timeout.count() / 1000) + "s";
    }
    return std::to_string(timeout.count()) + "ms";
}

struct Authority {
    std::string_view host;
    std::string_view port;  // empty when the URL names none
};

// "host[:port]" or "[v6 address][:port]".
std::optional<Authority> split_authority(std::string_view authority, std::string& error) {
    Authority result;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            error = "unterminated [ in the host";
            return std::nullopt;
        }
        result.host = authority.substr(1, close - 1);
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                error = "unexpected text after ]";
                return std::nullopt;
            }
            result.port = after.substr(1);
            if (result.port.empty()) {
                error = "empty port";
                return std::nullopt;
            }
        }
        return result;
    }
    const auto colon = authority.find(':');
    result.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
        result.port = authority.substr(colon + 1);
        if (result.port.empty()) {
            error = "empty port";
            return std::nullopt;
        }
    }
    return result;
}

bool has_control_or_space(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        return std::iscntrl(static_cast<unsigned char>(c)) != 0 || c == ' ';
    });
}

beast_http::request<beast_http::empty_body> make_request(const Url& url) {
    beast_http::request<beast_http::empty_body> request{beast_http::verb::get, url.target, 11};
    const bool is_v6 = url.host.find(':') != std::string::npos;
    request.set(beast_http::field::host,
                (is_v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port));
    request.set(beast_http::field::user_agent, std::string("schemagate-healthcheck/") + kVersion);
    request.set(beast_http::field::connection, "close");
    return request;
}

// Connect, write, read: one chain of handlers on an io_context of its own, run for `timeout`.
GetResult exchange(const Url& url, std::chrono::milliseconds timeout) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    beast::flat_buffer buffer;
    const auto request = make_request(url);
    beast_http::response_parser<beast_http::string_body> parser;
    parser.body_limit(kBodyLimit);

    ErrorCode failure;
    bool done = false;
    const auto fail = [&](const ErrorCode& ec) {
        failure = ec;
        done = true;
    };
    const auto on_read = [&](const ErrorCode& ec, std::size_t) {
        if (ec && !(ec == beast_http::error::body_limit && parser.is_header_done())) {
            fail(ec);
            return;
        }
        done = true;
    };
    const auto on_write = [&](const ErrorCode& ec, std::size_t) {
        if (ec) {
            fail(ec);
            return;
        }
        beast_http::async_read(stream, buffer, parser, on_read);
    };
    const auto on_connect = [&](const ErrorCode& ec, const tcp::endpoint&) {
        if (ec) {
            fail(ec);
            return;
        }
        beast_http::async_write(stream, request, on_write);
    };

    stream.expires_after(timeout);
    ErrorCode address_ec;
    const auto address = asio::ip::make_address(url.host, address_ec);
    tcp::resolver resolver(io);
    if (!address_ec) {
        const std::vector<tcp::endpoint> endpoints{tcp::endpoint(address, url.port)};
        stream.async_connect(endpoints, on_connect);
    } else {
        resolver.async_resolve(url.host, std::to_string(url.port), tcp::resolver::numeric_service,
                               [&](const ErrorCode& ec, const tcp::resolver::results_type& r) {
                                   if (ec) {
                                       fail(ec);
                                       return;
                                   }
                                   stream.async_connect(r, on_connect);
                               });
    }
    io.run_for(timeout);

    GetResult result;
    if (!done) {
        result.error = "no answer within " + seconds_text(timeout);
    } else if (failure) {
        result.refused = failure == boost::system::errc::connection_refused;
        result.error = describe(failure);
    } else {
        result.status = parser.get().result_int();
        result.body = parser.get().body();
    }
    return result;
}

}  // namespace

std::optional<Url> parse_url(std::string_view url, std::string& error) {
    if (iequals_prefix(url, "https://")) {
        error = "https is not supported, use http://";
        return std::nullopt;
    }
    if (!iequals_prefix(url, "http://")) {
        error = "expected http://host[:port]/path";
        return std::nullopt;
    }
    auto rest = url.substr(7);
    const auto authority_end = rest.find_first_of("/?#");
    const auto authority = rest.substr(0, authority_end);
    auto target =
        authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (const auto hash = target.find('#'); hash != std::string_view::npos) {
        target = target.substr(0, hash);
    }
    if (authority.find('@') != std::string_view::npos) {
        error = "credentials in the URL are not supported";
        return std::nullopt;
    }
    const auto parts = split_authority(authority, error);
    if (!parts) {
        return std::nullopt;
    }
    if (parts->host.empty()) {
        error = "missing host";
        return std::nullopt;
    }
    if (has_control_or_space(parts->host)) {
        error = "invalid character in the host";
        return std::nullopt;
    }
    if (has_control_or_space(target)) {
        error = "invalid character in the path";
        return std::nullopt;
    }
    Url result;
    if (!parts->port.empty()) {
        const auto number = parse_port(parts->port);
        if (!number) {
            error = "invalid port \"" + std::string(parts->port) + "\" (1-65535)";
            return std::nullopt;
        }
        result.port = *number;
    }
    result.host = std::string(parts->host);
    result.target =
        target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
    return result;
}

GetResult get_status(std::string_view url, std::chrono::milliseconds timeout) {
    std::string error;
    const auto parsed = parse_url(url, error);
    if (!parsed) {
        GetResult result;
        result.error = "invalid URL: " + error;
        return result;
    }
    if (timeout.count() <= 0) {
        timeout = std::chrono::milliseconds(1);
    }
    try {
        return exchange(*parsed, timeout);
    } catch (const std::exception& e) {
        GetResult result;
        result.error = e.what();
        return result;
    }
}

}  // namespace sg::http
