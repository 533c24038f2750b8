#include "sidecar/wait/backoff.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace sg::wait {

Backoff::Backoff(BackoffPolicy policy, std::uint64_t seed) : policy_(policy), rng_(seed) {
    policy_.initial = std::max(policy_.initial, Millis{1});
    policy_.max = std::max(policy_.max, policy_.initial);
}

Millis Backoff::next_delay() {
    ++attempts_;
    const int shift = std::min(attempts_ - 1, 40);
    Millis ceiling = policy_.max;
    if (policy_.initial.count() <= (policy_.max.count() >> shift)) {
        ceiling = policy_.initial * (std::int64_t{1} << shift);
    }
    const auto half = ceiling.count() / 2;
    std::uniform_int_distribution<std::int64_t> jitter(0, ceiling.count() - half);
    return Millis{half + jitter(rng_)};
}

namespace {

bool contains(std::string_view haystack, std::string_view needle) {
    const auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                                [](char a, char b) {
                                    return std::tolower(static_cast<unsigned char>(a)) ==
                                           std::tolower(static_cast<unsigned char>(b));
                                });
    return it != haystack.end();
}

struct Rule {
    std::string_view needle;
    Verdict verdict;
    std::string_view sqlstate;
    std::string_view reason;
    std::string_view fix;
};

// Order matters: the first rule that matches wins.
constexpr std::array kRules{
    // What waiting cannot fix.
    Rule{"password authentication failed", Verdict::kFatal, "28P01", "wrong password",
         "fix the password in DATABASE_URL (or its _FILE secret) or the role's password"},
    Rule{"no password supplied", Verdict::kFatal, "28P01",
         "the server wants a password and none was given",
         "put the password in DATABASE_URL, PGPASSWORD or a PGPASSFILE"},
    Rule{"no pg_hba.conf entry", Verdict::kFatal, "28000",
         "the server's pg_hba.conf refuses this connection",
         "allow this host, user and database in pg_hba.conf, or use SSL if it requires it"},
    Rule{"authentication failed", Verdict::kFatal, "28000", "authentication failed",
         "check the user and credentials in DATABASE_URL"},
    Rule{"role \"", Verdict::kFatal, "28000", "the role does not exist",
         "create the role, or set SCHEMAGATE_ADMIN_URL so schemagate provisions it"},
    // GSSAPI: the image's libpq is built without it (docker/build-libpq); each fix names both
    // ways out (change the setting, or build with the system's libpq).
    Rule{"GSSAPI support is not compiled in", Verdict::kFatal, "",
         "gssencmode=require, but this build's libpq has no GSSAPI",
         "use gssencmode=prefer or disable, or for Kerberos build schemagate with the release "
         "preset (the system's libpq)"},
    Rule{"GSSAPI encryption required but was impossible", Verdict::kFatal, "08001",
         "gssencmode=require, but GSSAPI encryption is impossible (no credential cache?)",
         "provide a Kerberos credential cache or relax gssencmode"},
    Rule{"server doesn't support GSSAPI encryption", Verdict::kFatal, "08P01",
         "gssencmode=require, but the server does not offer GSSAPI encryption",
         "enable GSSAPI on the server or relax gssencmode"},
    Rule{"authentication not supported", Verdict::kFatal, "28000",
         "the server asks for an authentication method this libpq was built without (GSSAPI or "
         "SSPI)",
         "allow scram-sha-256 for this role in pg_hba.conf, or for Kerberos build schemagate "
         "with the release preset (the system's libpq)"},
    Rule{"syntax error in service file", Verdict::kFatal, "",
         "pg_service.conf cannot be read (an ldap:// line needs a libpq built with LDAP)",
         "fix the line the message names in the service file"},
    Rule{"service file", Verdict::kFatal, "", "pg_service.conf problem",
         "fix the service name or PGSERVICEFILE"},
    Rule{"definition of service", Verdict::kFatal, "", "the service is not defined",
         "define it in pg_service.conf or fix the service name"},
    Rule{"server does not support SSL", Verdict::kFatal, "08P01",
         "SSL is required but the server does not offer it",
         "enable SSL on the server or relax sslmode"},
    Rule{"certificate", Verdict::kFatal, "08006", "SSL certificate problem",
         "check sslrootcert / sslcert / sslkey and that the certificate matches the host"},
    Rule{"ssl", Verdict::kFatal, "08006", "SSL configuration problem",
         "check sslmode and the certificate settings"},
    Rule{"invalid connection option", Verdict::kFatal, "", "invalid connection string option",
         "fix the option in DATABASE_URL"},
    Rule{"invalid uri", Verdict::kFatal, "", "invalid connection URI", "fix DATABASE_URL"},
    Rule{"invalid integer value", Verdict::kFatal, "", "invalid connection option value",
         "fix DATABASE_URL"},
    Rule{"invalid sslmode", Verdict::kFatal, "", "invalid sslmode",
         "use disable, allow, prefer, require, verify-ca or verify-full"},
    Rule{"permission denied", Verdict::kFatal, "42501", "permission denied",
         "grant the role CONNECT on the database or fix the socket permissions"},
    // Transient: the server is absent, starting, stopping, full or a standby.
    Rule{"the database system is starting up", Verdict::kRetry, "57P03",
         "the server is starting up", ""},
    Rule{"the database system is shutting down", Verdict::kRetry, "57P03",
         "the server is shutting down", ""},
    Rule{"the database system is in recovery mode", Verdict::kRetry, "57P03",
         "the server is recovering", ""},
    Rule{"not yet accepting connections", Verdict::kRetry, "57P03",
         "the server is not yet accepting connections", ""},
    Rule{"not accepting connections", Verdict::kRetry, "57P03",
         "the server is not accepting connections", ""},
    Rule{"too many clients", Verdict::kRetry, "53300", "the server has too many connections", ""},
    Rule{"connection slots are reserved", Verdict::kRetry, "53300",
         "the server has too many connections", ""},
    Rule{"connection refused", Verdict::kRetry, "08001",
         "connection refused (server not listening yet)", ""},
    Rule{"could not translate host name", Verdict::kRetry, "08001",
         "host name does not resolve yet", ""},
    Rule{"name or service not known", Verdict::kRetry, "08001", "host name does not resolve yet",
         ""},
    Rule{"temporary failure in name resolution", Verdict::kRetry, "08001",
         "host name does not resolve yet", ""},
    Rule{"timeout expired", Verdict::kRetry, "08001", "connection attempt timed out", ""},
    Rule{"timed out", Verdict::kRetry, "08001", "connection attempt timed out", ""},
    Rule{"no route to host", Verdict::kRetry, "08001", "no route to host", ""},
    Rule{"network is unreachable", Verdict::kRetry, "08001", "network unreachable", ""},
    Rule{"server closed the connection unexpectedly", Verdict::kRetry, "08006",
         "the server closed the connection", ""},
    Rule{"connection reset", Verdict::kRetry, "08006", "connection reset", ""},
    Rule{"no such file or directory", Verdict::kRetry, "08001",
         "the server's socket does not exist yet", ""},
    Rule{"hot standby", Verdict::kRetry, "25006", "the server is a read-only standby", ""},
};

}  // namespace

Classification classify_connect_error(std::string_view message, bool provisioning) {
    if (contains(message, "database \"") && contains(message, "does not exist")) {
        if (provisioning) {
            return {Verdict::kRetry, "3D000", "the database does not exist yet", ""};
        }
        return {Verdict::kFatal, "3D000", "the database does not exist",
                "create it, or set SCHEMAGATE_ADMIN_URL with SCHEMAGATE_ISOLATION=database so "
                "schemagate provisions it"};
    }
    for (const auto& rule : kRules) {
        if (contains(message, rule.needle)) {
            return {rule.verdict, std::string(rule.sqlstate), std::string(rule.reason),
                    std::string(rule.fix)};
        }
    }
    // Unknown: keep waiting; the message is logged as it is.
    return {Verdict::kRetry, "", "could not connect", ""};
}

}  // namespace sg::wait
