#include <doctest/doctest.h>

#include "sidecar/wait/backoff.hpp"

using namespace sg::wait;
using std::chrono::milliseconds;

TEST_CASE("back-off grows exponentially within [d/2, d] and stays under the cap") {
    Backoff b({milliseconds(100), milliseconds(1000), 0}, 42);
    const long ceilings[] = {100, 200, 400, 800, 1000, 1000, 1000};
    for (const long ceiling : ceilings) {
        const auto d = b.next_delay().count();
        CAPTURE(ceiling);
        CHECK(d >= ceiling / 2);
        CHECK(d <= ceiling);
    }
    CHECK(b.attempts() == 7);
    CHECK_FALSE(b.exhausted());
}

TEST_CASE("back-off never overflows on many attempts") {
    Backoff b({milliseconds(250), milliseconds(30000), 0}, 1);
    for (int i = 0; i < 500; ++i) {
        const auto d = b.next_delay();
        CHECK(d <= milliseconds(30000));
        if (i >= 10) {
            CHECK(d.count() >= 15000);  // from the 8th attempt on, the cap applies
        }
    }
}

TEST_CASE("jitter spreads replicas started together") {
    Backoff a({milliseconds(1000), milliseconds(30000), 0}, 1);
    Backoff b({milliseconds(1000), milliseconds(30000), 0}, 2);
    int differ = 0;
    for (int i = 0; i < 5; ++i) {
        differ += a.next_delay() != b.next_delay() ? 1 : 0;
    }
    CHECK(differ >= 4);
}

TEST_CASE("attempt limit") {
    Backoff b({milliseconds(1), milliseconds(2), 3}, 7);
    (void)b.next_delay();
    (void)b.next_delay();
    CHECK_FALSE(b.exhausted());
    (void)b.next_delay();
    CHECK(b.exhausted());
}

TEST_CASE("notable attempts are powers of two") {
    CHECK(Backoff::is_notable(1));
    CHECK(Backoff::is_notable(2));
    CHECK_FALSE(Backoff::is_notable(3));
    CHECK(Backoff::is_notable(8));
    CHECK_FALSE(Backoff::is_notable(0));
}

TEST_CASE("classification: what waiting can fix") {
    const char* transient[] = {
        "connection to server at \"db\" (172.18.0.2), port 5432 failed: Connection refused\n\tIs "
        "the server running on that host and accepting TCP/IP connections?",
        "could not translate host name \"postgres\" to address: Name or service not known",
        "could not translate host name \"postgres\" to address: Temporary failure in name "
        "resolution",
        "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  the database system is "
        "starting up",
        "FATAL:  the database system is shutting down",
        "FATAL:  sorry, too many clients already",
        "FATAL:  remaining connection slots are reserved for non-replication superuser connections",
        "timeout expired",
        "server closed the connection unexpectedly",
        "FATAL:  the database system is not yet accepting connections\nDETAIL:  Consistent "
        "recovery state has not been yet reached.",
        "connection to server on socket \"/tmp/.s.PGSQL.5432\" failed: No such file or directory",
    };
    for (const char* m : transient) {
        CAPTURE(m);
        CHECK(classify_connect_error(m, false).verdict == Verdict::kRetry);
    }
}

TEST_CASE("classification: what waiting cannot fix") {
    struct Case {
        const char* message;
        const char* sqlstate;
    };
    const Case fatal[] = {
        {"FATAL:  password authentication failed for user \"app\"", "28P01"},
        {"fe_sendauth: no password supplied", "28P01"},
        {"FATAL:  no pg_hba.conf entry for host \"10.0.0.1\", user \"app\", database \"app\", no "
         "encryption",
         "28000"},
        {"FATAL:  role \"ghost\" does not exist", "28000"},
        {"FATAL:  database \"nope\" does not exist", "3D000"},
        {"server does not support SSL, but SSL was required", "08P01"},
        {"SSL error: certificate verify failed", "08006"},
        {"gssencmode value \"require\" invalid when GSSAPI support is not compiled in", ""},
        {"GSSAPI encryption required but was impossible (possibly no credential cache, no server "
         "support, or using a local socket)",
         "08001"},
        {"server doesn't support GSSAPI encryption, but it was required", "08P01"},
        {"GSSAPI authentication not supported", "28000"},
        {"SSPI authentication not supported", "28000"},
        {"syntax error in service file \"/etc/postgresql-common/pg_service.conf\", line 3", ""},
        {"service file \"/tmp/nope.conf\" not found", ""},
        {"definition of service \"billing\" not found", ""},
    };
    for (const auto& c : fatal) {
        CAPTURE(c.message);
        const auto r = classify_connect_error(c.message, false);
        CHECK(r.verdict == Verdict::kFatal);
        CHECK(r.sqlstate == c.sqlstate);
        CHECK_FALSE(r.fix.empty());
    }
    CHECK(classify_connect_error("FATAL:  database \"nope\" does not exist", true).verdict ==
          Verdict::kRetry);
}
