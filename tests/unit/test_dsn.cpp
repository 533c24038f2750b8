#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

#include "sidecar/db/connection.hpp"
#include "sidecar/db/dsn.hpp"

using sg::db::DsnOptions;

namespace {

sg::db::EnvLookup fake_env(std::map<std::string, std::string> values) {
    return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
        const auto it = values.find(name);
        if (it == values.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

DsnOptions parsed(const std::string& dsn) {
    auto options = sg::db::parse_dsn(dsn);
    REQUIRE(options.has_value());
    return *options;
}

}  // namespace

TEST_CASE("parse_dsn reads both forms and only what is set") {
    CHECK(parsed("").empty());

    const auto uri = parsed("postgres://app:s3cr%40t@db.internal:6432/orders?sslmode=require");
    CHECK(uri.at("user") == "app");
    CHECK(uri.at("password") == "s3cr@t");  // percent-decoded
    CHECK(uri.at("host") == "db.internal");
    CHECK(uri.at("port") == "6432");
    CHECK(uri.at("dbname") == "orders");
    CHECK(uri.at("sslmode") == "require");
    CHECK(uri.size() == 6);

    const auto hosts = parsed("postgresql://a:1,b:2/db");
    CHECK(hosts.at("host") == "a,b");
    CHECK(hosts.at("port") == "1,2");

    const auto kv = parsed(R"(host=db dbname='my db' password='it\'s \\ here')");
    CHECK(kv.at("host") == "db");
    CHECK(kv.at("dbname") == "my db");
    CHECK(kv.at("password") == R"(it's \ here)");
}

TEST_CASE("parse_dsn rejects what libpq rejects") {
    CHECK_FALSE(sg::db::parse_dsn("host=db bogus=1").has_value());
    CHECK_FALSE(sg::db::parse_dsn("host='unterminated").has_value());
    CHECK_FALSE(sg::db::parse_dsn("just words").has_value());
    CHECK_FALSE(sg::db::parse_dsn("postgres://db/x?nope=1").has_value());
}

TEST_CASE("quote_conninfo_value quotes only when needed") {
    CHECK(sg::db::quote_conninfo_value("plain") == "plain");
    CHECK(sg::db::quote_conninfo_value("a=b") == "a=b");
    CHECK(sg::db::quote_conninfo_value("") == "''");
    CHECK(sg::db::quote_conninfo_value("a b") == "'a b'");
    CHECK(sg::db::quote_conninfo_value("it's") == R"('it\'s')");
    CHECK(sg::db::quote_conninfo_value(R"(back\slash)") == R"('back\\slash')");
    CHECK(sg::db::quote_conninfo_value("tab\there") == "'tab\there'");
}

TEST_CASE("to_conninfo round-trips nasty values through libpq") {
    const std::string alphabet = std::string("ab Z09'\"\\=@:/?&%,#\t\n") + "\xc3\xa9";
    std::mt19937 rng(12345);
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::uniform_int_distribution<int> length(0, 12);
    const char* keys[] = {"host", "dbname", "user", "password", "options", "application_name"};
    for (int round = 0; round < 300; ++round) {
        DsnOptions options;
        for (const char* key : keys) {
            if (rng() % 2 == 0) {
                continue;
            }
            std::string value;
            const int n = length(rng);
            for (int i = 0; i < n; ++i) {
                value += alphabet[pick(rng)];
            }
            options[key] = value;
        }
        const std::string text = sg::db::to_conninfo(options);
        const auto back = sg::db::parse_dsn(text);
        REQUIRE_MESSAGE(back.has_value(), text);
        CHECK(*back == options);
    }
}

TEST_CASE("with_defaults adds timeouts, keepalives and the application name") {
    const auto env = fake_env({});
    const auto out = parsed(sg::db::with_defaults("host=db dbname=orders", "orders",
                                                  std::chrono::milliseconds(30000), env));
    CHECK(out.at("host") == "db");
    CHECK(out.at("dbname") == "orders");
    CHECK(out.at("connect_timeout") == "30");
    CHECK(out.at("keepalives") == "1");
    CHECK(out.at("keepalives_idle") == "10");
    CHECK(out.at("keepalives_interval") == "5");
    CHECK(out.at("keepalives_count") == "3");
    CHECK(out.at("application_name") == "schemagate-orders");
    CHECK(out.at("fallback_application_name") == "schemagate-orders");
}

TEST_CASE("with_defaults rounds the connect timeout up to whole seconds, at least 1") {
    const auto env = fake_env({});
    const auto timeout = [&](long long ms) {
        return parsed(sg::db::with_defaults("", "s", std::chrono::milliseconds(ms), env))
            .at("connect_timeout");
    };
    CHECK(timeout(0) == "1");
    CHECK(timeout(1) == "1");
    CHECK(timeout(1000) == "1");
    CHECK(timeout(1001) == "2");
    CHECK(timeout(1500) == "2");
    CHECK(timeout(-5) == "1");
}

TEST_CASE("with_defaults keeps what the user set") {
    const auto env = fake_env({});
    const auto out = parsed(sg::db::with_defaults(
        "host=db connect_timeout=7 keepalives=0 keepalives_idle=99 application_name=mine "
        "fallback_application_name=fb",
        "orders", std::chrono::milliseconds(30000), env));
    CHECK(out.at("connect_timeout") == "7");
    CHECK(out.at("keepalives") == "0");
    CHECK(out.at("keepalives_idle") == "99");
    CHECK(out.at("keepalives_interval") == "5");
    CHECK(out.at("application_name") == "mine");
    CHECK(out.at("fallback_application_name") == "fb");
}

TEST_CASE("with_defaults leaves PGAPPNAME and PGCONNECT_TIMEOUT in charge") {
    const auto env = fake_env({{"PGAPPNAME", "from-env"}, {"PGCONNECT_TIMEOUT", "3"}});
    const auto out =
        parsed(sg::db::with_defaults("host=db", "orders", std::chrono::milliseconds(30000), env));
    CHECK_FALSE(out.contains("application_name"));
    CHECK_FALSE(out.contains("connect_timeout"));
    CHECK(out.at("fallback_application_name") == "schemagate-orders");
    // Empty variables count as unset, as in libpq.
    const auto empty = fake_env({{"PGAPPNAME", ""}});
    CHECK(parsed(sg::db::with_defaults("", "x", std::chrono::milliseconds(1), empty))
              .at("application_name") == "schemagate-x");
}

TEST_CASE("with_defaults turns a URI into key=value, multiple hosts and quoting included") {
    const auto env = fake_env({});
    const std::string text =
        sg::db::with_defaults("postgres://app:p%20w'd@a:5432,b:5433/my%20db?sslmode=require",
                              "orders", std::chrono::milliseconds(5000), env);
    CHECK(text.find("postgres://") == std::string::npos);
    CHECK(text.find("host=a,b") != std::string::npos);
    CHECK(text.find("port=5432,5433") != std::string::npos);
    const auto out = parsed(text);
    CHECK(out.at("password") == "p w'd");
    CHECK(out.at("dbname") == "my db");
    CHECK(out.at("sslmode") == "require");
    CHECK(out.at("connect_timeout") == "5");
    // Later key=value pairs win in libpq: callers may append overrides.
    CHECK(parsed(text + " connect_timeout=1").at("connect_timeout") == "1");
}

TEST_CASE("with_defaults returns an unparsable string unchanged") {
    const auto env = fake_env({});
    CHECK(sg::db::with_defaults("host=db bogus=1", "x", std::chrono::milliseconds(1), env) ==
          "host=db bogus=1");
}

TEST_CASE("describe shows where, never the password") {
    CHECK(sg::db::describe("postgres://app:hunter2@db:5432/orders?sslmode=require") ==
          "host=db port=5432 user=app dbname=orders sslmode=require");
    CHECK(sg::db::describe("password=hunter2 dbname=x") == "dbname=x");
    CHECK(sg::db::describe("") == "(libpq defaults)");
    CHECK(sg::db::describe("password=hunter2") == "(libpq defaults)");
    CHECK(sg::db::describe("hostaddr=10.0.0.1") == "hostaddr=10.0.0.1");
    CHECK(sg::db::describe("dbname='my db'") == "dbname='my db'");
    CHECK(sg::db::describe("host=db password=hunter2 bogus=1") == "(invalid connection string)");
}

TEST_CASE("database_name resolves as libpq does") {
    const auto none = fake_env({});
    CHECK(sg::db::database_name("postgres://u@h/orders", none) == "orders");
    CHECK(sg::db::database_name("dbname=x user=u", none) == "x");
    CHECK(sg::db::database_name("user=u", none) == "u");
    CHECK(sg::db::database_name("user=u", fake_env({{"PGDATABASE", "envdb"}})) == "envdb");
    CHECK(sg::db::database_name("", fake_env({{"PGUSER", "envuser"}})) == "envuser");
    CHECK(sg::db::database_name("dbname=x", fake_env({{"PGDATABASE", "envdb"}})) == "x");
    CHECK_FALSE(sg::db::database_name("", none).empty());  // the OS user name
    CHECK(sg::db::database_name("bogus=1", none).empty());
}

TEST_CASE("with_database replaces only the database") {
    const auto out =
        parsed(sg::db::with_database("postgres://admin:pw@db:5432/postgres", "orders"));
    CHECK(out.at("dbname") == "orders");
    CHECK(out.at("user") == "admin");
    CHECK(out.at("password") == "pw");
    CHECK(out.at("host") == "db");
    CHECK(parsed(sg::db::with_database("host=db", "my db")).at("dbname") == "my db");
    CHECK_THROWS_AS((void)sg::db::with_database("bogus=1", "x"), std::invalid_argument);
}

TEST_CASE("dsn_problem names an unknown parameter, never a piece of the value") {
    CHECK(sg::db::dsn_problem("postgres://u:pw@db/x?foo=bar") ==
          "unknown parameter \"foo\" "
          "(libpq's parameters: host, port, "
          "dbname, user, sslmode, "
          "connect_timeout, ...)");
    CHECK(
        sg::db::dsn_problem("host=db sslmod=require").find("\"sslmod\" (did you mean sslmode?)") !=
        std::string::npos);
    CHECK(sg::db::dsn_problem("postgres://u@db/x?conect_timeout=3").find("connect_timeout") !=
          std::string::npos);
    // A '?' inside the password: what follows it is the value, never shown.
    CHECK(sg::db::dsn_problem("postgres://u:hun?ter2=x@db/x").empty());
    // Names that do not look like names may be a password cut by a space.
    CHECK(sg::db::dsn_problem("password=a b$c=1").empty());
    CHECK(sg::db::dsn_problem("host=db").empty());
    CHECK(sg::db::dsn_problem("host='open").empty());
}

TEST_CASE("one_line folds libpq's message to plain text without TABs or the excerpt") {
    CHECK(sg::db::one_line("connection to server at \"127.0.0.1\", port 1 failed: Connection "
                           "refused\n\tIs the server running on that host and accepting TCP/IP "
                           "connections?\n") ==
          "connection to server at \"127.0.0.1\", port 1 failed: Connection refused; Is the server "
          "running on that host and accepting TCP/IP connections?");
    CHECK(sg::db::one_line(
              "ERROR:  syntax error at or near \"SELEC\"\nLINE 1: SELEC 1\n        ^\n") ==
          "syntax error at or near \"SELEC\"");
    CHECK(sg::db::one_line("a\tb\x01"
                           "c") == "a b c");
}
