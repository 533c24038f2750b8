// A minimal synchronous HTTP GET for `schemagate healthcheck`: plain http:// only, one request,
// one answer, everything within a total timeout. Never throws; failures come back as text.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sg::http {

struct Url {
    std::string host;  // name or address, without brackets
    std::uint16_t port = 80;
    std::string target;  // "/readyz?verbose"
};

// "http://host[:port][/path][?query]"; IPv6 as "http://[::1]:8080/". nullopt with `error` set
// when the URL is not of that form.
[[nodiscard]] std::optional<Url> parse_url(std::string_view url, std::string& error);

struct GetResult {
    std::optional<unsigned> status;  // the answer's status code, when one arrived
    std::string error;               // why there is no status: "connection refused", ...
    std::string body;                // the start of the answer's body (at most 64 KiB)
    bool refused = false;            // nothing listens there (yet): the connection was refused
};

// Connects, sends `GET <target>` and reads the answer, all within `timeout`.
[[nodiscard]] GetResult get_status(std::string_view url,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(3));

}  // namespace sg::http
