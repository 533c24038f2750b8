// HTTP request handling as the server does it: Beast's parser with the server's limits (8 KiB of
// header, no body), fed in pieces, then the router on every complete request (pipelined ones
// too), in every phase.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "sidecar/app/status.hpp"
#include "sidecar/http/router.hpp"
#include "sidecar/metrics/counters.hpp"

#include "tests/fuzz/fuzz_common.hpp"

namespace beast_http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    // First byte: the phase and flags of the snapshot; second: the size of the pieces fed.
    sg::app::Snapshot snapshot;
    snapshot.service = "fuzz";
    snapshot.phase = static_cast<sg::app::Phase>(data[0] % 7);
    snapshot.ready = (data[0] & 0x08) != 0;
    snapshot.stopping = (data[0] & 0x10) != 0;
    snapshot.last_error = (data[0] & 0x20) != 0 ? "relation \"x\" does not exist" : "";
    const std::size_t piece = 1 + data[1] % 64;
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
    sg::metrics::HttpCounters counters;

    std::size_t offset = 0;
    int requests = 0;
    while (offset < bytes.size() && requests < 64) {
        beast_http::request_parser<beast_http::empty_body> parser;
        parser.header_limit(8192);
        parser.body_limit(0);
        parser.eager(true);
        boost::beast::error_code ec;
        std::size_t fed = 0;  // bytes of this request consumed
        std::size_t window = 0;
        while (!parser.is_done() && offset + fed < bytes.size()) {
            window = std::min(bytes.size() - offset - fed, window + piece);
            const auto used =
                parser.put(boost::asio::buffer(bytes.data() + offset + fed, window), ec);
            if (ec == beast_http::error::need_more) {
                ec = {};
                if (offset + fed + window >= bytes.size()) {
                    break;  // the input ends mid-request
                }
                continue;
            }
            if (ec) {
                break;
            }
            fed += used;
            window = 0;
        }
        if (ec || !parser.is_done()) {
            // The server answers such a request with an error response and closes.
            const auto response = sg::http::error_response(beast_http::status::bad_request, 11);
            FUZZ_CHECK(response.result_int() == 400);
            break;
        }
        const auto& request = parser.get();
        const auto response = sg::http::route(snapshot, request, counters);
        const unsigned status = response.result_int();
        FUZZ_CHECK(status == 200 || status == 404 || status == 405 || status == 503);
        if (request.method() == beast_http::verb::head) {
            FUZZ_CHECK(response.body().empty());
        }
        if (status == 405) {
            FUZZ_CHECK(response[beast_http::field::allow] == "GET, HEAD");
        }
        offset += fed;
        ++requests;
    }
    return 0;
}
