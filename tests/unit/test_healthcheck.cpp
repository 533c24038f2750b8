// The waiting probe's reading of /readyz: what keeps it asking, what ends it.
#include <doctest/doctest.h>

#include "sidecar/cli/healthcheck.hpp"

using sg::cli::classify_probe;
using sg::cli::ProbeVerdict;
using sg::http::GetResult;

namespace {

GetResult answered(unsigned status, std::string body) {
    GetResult r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

}  // namespace

TEST_CASE("healthcheck --wait: 200 is ready, whatever the body") {
    CHECK(classify_probe(answered(200, "ok")) == ProbeVerdict::kReady);
    CHECK(classify_probe(answered(200, "")) == ProbeVerdict::kReady);
}

TEST_CASE("healthcheck --wait: every initialising phase means ask again") {
    for (const char* phase : {"waiting", "provisioning", "migrating", "seeding", "verifying"}) {
        CAPTURE(phase);
        CHECK(classify_probe(answered(503, phase)) == ProbeVerdict::kWorking);
        CHECK(classify_probe(answered(503, std::string(phase) + "\n")) == ProbeVerdict::kWorking);
    }
}

TEST_CASE("healthcheck --wait: failed ends it at once; so do stopping and foreign answers") {
    CHECK(classify_probe(answered(503, "failed")) == ProbeVerdict::kFailed);
    CHECK(classify_probe(answered(503, "failed\r\n")) == ProbeVerdict::kFailed);
    CHECK(classify_probe(answered(503, "shutting down")) == ProbeVerdict::kDown);
    CHECK(classify_probe(answered(503, "Service Unavailable")) == ProbeVerdict::kDown);
    CHECK(classify_probe(answered(503, "")) == ProbeVerdict::kDown);
    CHECK(classify_probe(answered(404, "migrating")) == ProbeVerdict::kDown);
    CHECK(classify_probe(answered(500, "")) == ProbeVerdict::kDown);
}

TEST_CASE("healthcheck --wait: refused means not listening yet; a hung server is down") {
    GetResult refused;
    refused.error = "connection refused";
    refused.refused = true;
    CHECK(classify_probe(refused) == ProbeVerdict::kWorking);
    GetResult hung;
    hung.error = "no answer within 3 s";
    CHECK(classify_probe(hung) == ProbeVerdict::kDown);
}
