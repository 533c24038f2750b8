// Provisioning against a real PostgreSQL: each isolation mode from an empty server, second runs,
// password rotation, concurrent runners, isolation between services, nasty names, weak admins.
// Roles are cluster-wide, so every name carries a random suffix and is dropped at the end.
#include "sidecar/provision/provision.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "sidecar/db/connection.hpp"
#include "sidecar/db/dsn.hpp"
#include "sidecar/wait/stop.hpp"

#include "tests/integration/fixture.hpp"

using namespace std::chrono_literals;
using sg::config::Isolation;
using sg::config::Secret;
using sg::provision::Desired;
using sg::provision::Report;

namespace {

std::string suffix() {
    static std::mt19937_64 rng(std::random_device{}());
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    std::uint64_t bits = rng();
    for (int i = 0; i < 8; ++i) {
        out += kHex[bits & 0xFU];
        bits >>= 4U;
    }
    return out;
}

std::string unique(const std::string& base) {
    return base + "_" + suffix();
}

std::unique_ptr<sg::db::Connection> admin() {
    return sg::db::Connection::open(sg::test::admin_url());
}

std::string admin_value(const std::string& sql) {
    return admin()->value(sql).value_or("<null>");
}

std::string lit(const std::string& text) {
    return admin()->literal(text);
}

// A connection string to `dbname` as `user` on the test server.
std::string conninfo_as(const std::string& user, const std::string& password,
                        const std::string& dbname) {
    auto options = sg::db::parse_dsn(sg::test::admin_url());
    REQUIRE(options.has_value());
    (*options)["user"] = user;
    (*options)["password"] = password;
    (*options)["dbname"] = dbname;
    return sg::db::to_conninfo(*options);
}

// The connection error, or "" when the connection succeeds.
std::string connect_error(const std::string& user, const std::string& password,
                          const std::string& dbname) {
    try {
        (void)sg::db::Connection::open(conninfo_as(user, password, dbname));
        return "";
    } catch (const sg::db::ConnectFailed& e) {
        return e.what();
    }
}

// The error `sql` fails with, or "" when it succeeds.
std::string error_of(sg::db::Connection& conn, const std::string& sql) {
    try {
        conn.exec(sql);
        return "";
    } catch (const sg::db::Error& e) {
        return e.what();
    }
}

bool is_denied(const std::string& error) {
    return error.find("permission denied for schema") != std::string::npos;
}

// Drops what a test made: databases first (they hold the roles' objects), then roles.
class Cleanup {
  public:
    Cleanup() = default;
    Cleanup(const Cleanup&) = delete;
    Cleanup& operator=(const Cleanup&) = delete;
    ~Cleanup() {
        try {
            auto conn = admin();
            for (const auto& db : databases_) {
                try {
                    conn->exec("DROP DATABASE IF EXISTS " + conn->identifier(db) + " WITH (FORCE)");
                } catch (const sg::db::Error&) {
                }
            }
            for (const auto& role : roles_) {
                try {
                    conn->exec("DROP ROLE IF EXISTS " + conn->identifier(role));
                } catch (const sg::db::Error&) {
                }
            }
        } catch (...) {  // the server is gone: nothing left to clean
        }
    }
    std::string role(std::string name) {
        roles_.push_back(name);
        return name;
    }
    std::string database(std::string name) {
        databases_.push_back(name);
        return name;
    }
    // The same, created now (empty, owned by the admin).
    std::string created_database(std::string name) {
        database(name);
        admin()->exec("CREATE DATABASE " + name);
        return name;
    }

  private:
    std::vector<std::string> databases_;
    std::vector<std::string> roles_;
};

Desired desired_for(Isolation isolation, const std::string& role, const std::string& database,
                    const std::string& schema, std::optional<std::string> password = std::nullopt,
                    std::vector<std::string> extensions = {}) {
    sg::config::Config c;
    c.service = role;
    c.isolation = isolation;
    c.role = role;
    c.schema = schema;
    if (password) {
        c.role_password = Secret(*password);
    }
    c.extensions = std::move(extensions);
    return sg::provision::desired(c, database);
}

Report provision(const Desired& d, const std::string& admin_url = sg::test::admin_url()) {
    sg::wait::Stop stop;
    return sg::provision::provision(admin_url, d, stop);
}

using Lines = std::vector<std::string>;

int count_of(const std::vector<Report>& reports, const std::string& line) {
    int n = 0;
    for (const auto& r : reports) {
        n += static_cast<int>(std::count(r.changes.begin(), r.changes.end(), line));
    }
    return n;
}

bool role_exists(const std::string& role) {
    return admin_value("SELECT count(*) FROM pg_roles WHERE rolname = " + lit(role)) == "1";
}

bool database_exists(const std::string& db) {
    return admin_value("SELECT count(*) FROM pg_database WHERE datname = " + lit(db)) == "1";
}

// Whether, within 5 s, one advisory lock matching `where` (over pg_locks l and pg_database d)
// shows as waited for: a waiter in the server's lock queue (polling never shows as one).
bool queued_for_advisory_lock(const std::string& where) {
    for (int i = 0; i < 500; ++i) {
        if (admin_value("SELECT count(*) FROM pg_locks l LEFT JOIN pg_database d ON d.oid = "
                        "l.database WHERE l.locktype = 'advisory' AND NOT l.granted AND " +
                        where) == "1") {
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

// Runs provision() on a thread of its own (the caller joins it) with a 60 s lock timeout,
// storing its report or the text of what it threw.
using ProvisionCall = std::function<Report(sg::wait::Stop&, const sg::provision::Options&)>;
std::thread provision_in_background(ProvisionCall call, Report& report, std::string& error) {
    return std::thread([call = std::move(call), &report, &error] {
        try {
            sg::wait::Stop stop;
            sg::provision::Options options;
            options.lock_timeout = 60s;
            report = call(stop, options);
        } catch (const std::exception& e) {
            error = e.what();
        }
    });
}

}  // namespace

TEST_CASE("provision: database isolation from an empty server, then a second run changes nothing") {
    Cleanup cleanup;
    const auto role = cleanup.role(unique("auth"));
    const auto db = cleanup.database(unique("auth_db"));
    const Desired d = desired_for(Isolation::kDatabase, role, db, "public", "pw-1");

    const Report first = provision(d);
    CHECK(first.changes == Lines{"created role " + role,
                                 "created database " + db + " owned by " + role,
                                 "revoked CONNECT on database " + db + " from PUBLIC"});
    CHECK(admin_value("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = " +
                      lit(db)) == role);
    CHECK(admin_value("SELECT has_database_privilege('public', " + lit(db) + ", 'CONNECT')") ==
          "f");
    // Least privilege: a plain login role.
    CHECK(admin_value("SELECT rolcanlogin AND NOT rolsuper AND NOT rolcreatedb AND NOT "
                      "rolcreaterole AND NOT rolbypassrls FROM pg_roles WHERE rolname = " +
                      lit(role)) == "t");
    // The password was sent as a SCRAM verifier made on our side.
    CHECK(admin_value("SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = " + lit(role)) ==
          "SCRAM-SHA-256$");

    // The role migrates in its own database: it may create in public.
    auto service = sg::db::Connection::open(conninfo_as(role, "pw-1", db));
    service->exec("CREATE TABLE users (id int)");
    CHECK(service->value("SELECT current_schema()") == "public");

    CHECK(provision(d).changes.empty());
}

TEST_CASE("provision: database isolation with a schema of its own sets the role's search_path") {
    Cleanup cleanup;
    const auto role = cleanup.role(unique("orders"));
    const auto db = cleanup.database(unique("orders_db"));
    const Desired d = desired_for(Isolation::kDatabase, role, db, "app", "pw");
    const Report first = provision(d);
    CHECK(first.changes ==
          Lines{"created role " + role, "created database " + db + " owned by " + role,
                "revoked CONNECT on database " + db + " from PUBLIC",
                "created schema app owned by " + role,
                "set search_path of role " + role + " in database " + db + " to app, public"});
    auto service = sg::db::Connection::open(conninfo_as(role, "pw", db));
    CHECK(service->value("SHOW search_path") == "app, public");
    service->exec("CREATE TABLE orders (id int)");
    CHECK(service->value("SELECT schemaname FROM pg_tables WHERE tablename = 'orders'") == "app");
    CHECK(provision(d).changes.empty());
}

TEST_CASE("provision: database isolation keeps each service out of the others' databases") {
    Cleanup cleanup;
    const auto a = cleanup.role(unique("svc_a"));
    const auto b = cleanup.role(unique("svc_b"));
    const auto db_a = cleanup.database(unique("a_db"));
    const auto db_b = cleanup.database(unique("b_db"));
    (void)provision(desired_for(Isolation::kDatabase, a, db_a, "public", "pa"));
    (void)provision(desired_for(Isolation::kDatabase, b, db_b, "public", "pb"));

    CHECK(connect_error(a, "pa", db_a).empty());
    CHECK(connect_error(b, "pb", db_b).empty());
    const std::string refused = connect_error(a, "pa", db_b);
    CHECK(refused.find("permission denied for database") != std::string::npos);
    CHECK(connect_error(b, "pb", db_a).find("permission denied for database") != std::string::npos);
}

TEST_CASE("provision: schema isolation from an empty server; services cannot reach each other") {
    Cleanup cleanup;
    const auto shop = cleanup.database(unique("shop"));
    const auto a = cleanup.role(unique("cart"));
    const auto b = cleanup.role(unique("promotion"));
    const Desired da = desired_for(Isolation::kSchema, a, shop, a, "pa");
    const Desired dbb = desired_for(Isolation::kSchema, b, shop, b, "pb");

    const Report ra = provision(da);
    CHECK(ra.changes ==
          Lines{"created role " + a,
                "created database " + shop + " (shared by schema-isolated services)",
                "created schema " + a + " owned by " + a,
                "set search_path of role " + a + " in database " + shop + " to " + a + ", public"});
    const Report rb = provision(dbb);
    CHECK(rb.changes ==
          Lines{"created role " + b, "created schema " + b + " owned by " + b,
                "set search_path of role " + b + " in database " + shop + " to " + b + ", public"});

    auto ca = sg::db::Connection::open(conninfo_as(a, "pa", shop));
    auto cb = sg::db::Connection::open(conninfo_as(b, "pb", shop));
    CHECK(ca->value("SHOW search_path") == a + ", public");
    ca->exec("CREATE TABLE items (id int)");  // unqualified: lands in its own schema
    CHECK(ca->value("SELECT schemaname FROM pg_tables WHERE tablename = 'items'") == a);
    cb->exec("CREATE TABLE coupons (code text)");
    cb->exec("INSERT INTO coupons VALUES ('SECRET')");

    // A can neither read nor create in B's schema, nor create in public.
    CHECK(is_denied(error_of(*ca, "SELECT * FROM " + b + ".coupons")));
    CHECK(is_denied(error_of(*ca, "CREATE TABLE " + b + ".intruder (id int)")));
    CHECK(is_denied(error_of(*ca, "CREATE TABLE public.intruder (id int)")));
    CHECK(is_denied(error_of(*cb, "SELECT * FROM " + a + ".items")));
    CHECK(error_of(*cb, "SELECT * FROM coupons").empty());
    CHECK(admin_value("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = " +
                      lit(a)) == "<null>");  // the admin's database is untouched

    CHECK(provision(da).changes.empty());
    CHECK(provision(dbb).changes.empty());
}

TEST_CASE("provision: an admin connection already in the service's database does it all on it") {
    Cleanup cleanup;
    const auto shop = cleanup.created_database(unique("shop"));
    const auto role = cleanup.role(unique("cart"));
    const Desired d = desired_for(Isolation::kSchema, role, shop, role, "pw");

    auto inside = sg::db::Connection::open(sg::db::with_database(sg::test::admin_url(), shop));
    // Nothing listens there: any second connection would fail, so none is opened.
    const std::string unusable = "postgresql://nobody@127.0.0.1:1/" + shop + "?connect_timeout=1";
    sg::wait::Stop stop;
    const Report r = sg::provision::provision(*inside, unusable, d, stop);
    CHECK(r.changes == Lines{"created role " + role, "created schema " + role + " owned by " + role,
                             "set search_path of role " + role + " in database " + shop + " to " +
                                 role + ", public"});
    auto as_role = sg::db::Connection::open(conninfo_as(role, "pw", shop));
    as_role->exec("CREATE TABLE items (id int)");
    CHECK(as_role->value("SELECT schemaname FROM pg_tables WHERE tablename = 'items'") == role);
    CHECK(sg::provision::provision(*inside, unusable, d, stop).changes.empty());
    // The lock wait's settings were for its own statement only.
    CHECK(inside->value("SHOW lock_timeout") == "0");
    CHECK(inside->value("SHOW statement_timeout") == "0");
    // The lock was released: another runner takes it at once.
    CHECK(inside->value("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                        "pid = pg_backend_pid()") == "0");
}

TEST_CASE("provision: schema isolation takes back a schema that PUBLIC could use") {
    Cleanup cleanup;
    const auto shop = cleanup.created_database(unique("shop"));
    const auto role = cleanup.role(unique("cart"));
    sg::test::exec(
        sg::db::with_database(sg::test::admin_url(), shop),
        "CREATE SCHEMA " + role + "; GRANT USAGE, CREATE ON SCHEMA " + role + " TO PUBLIC");
    const Desired d = desired_for(Isolation::kSchema, role, shop, role, "pw");
    const Report first = provision(d);
    CHECK(first.changes.size() == 4);
    CHECK(std::count(first.changes.begin(), first.changes.end(),
                     "revoked PUBLIC's access to schema " + role) == 1);
    CHECK(sg::test::query_value(
              sg::db::with_database(sg::test::admin_url(), shop),
              "SELECT has_schema_privilege('public', " + lit(role) + ", 'USAGE')") == "f");
    CHECK(provision(d).changes.empty());
}

TEST_CASE("provision: shared isolation creates only the extensions asked for") {
    Cleanup cleanup;
    sg::test::TempDatabase temp;
    const auto role = cleanup.role(unique("orders"));
    const std::string shown = sg::provision::display(temp.name());
    const Desired d = desired_for(Isolation::kShared, role, temp.name(), "public", "pw",
                                  {"uuid-ossp", "pgcrypto"});
    const Report first = provision(d);
    CHECK(first.changes == Lines{"created extension \"uuid-ossp\" in database " + shown,
                                 "created extension pgcrypto in database " + shown});
    CHECK(sg::test::query_value(temp.url(), "SELECT length(uuid_generate_v4()::text)") == "36");
    CHECK(sg::test::query_value(temp.url(), "SELECT length(gen_random_uuid()::text)") == "36");
    CHECK_FALSE(role_exists(role));  // shared isolation never makes roles
    CHECK(provision(d).changes.empty());

    // Without extensions there is nothing to do: not even a connection.
    const Desired nothing = desired_for(Isolation::kShared, role, temp.name(), "public");
    sg::wait::Stop stop;
    CHECK(sg::provision::provision("host=127.0.0.1 port=1 connect_timeout=1", nothing, stop)
              .changes.empty());
}

TEST_CASE("provision: a missing extension package or a missing shared database is one clear line") {
    sg::test::TempDatabase temp;
    const Desired d = desired_for(Isolation::kShared, "orders", temp.name(), "public", std::nullopt,
                                  {"pgcrypto", "no_such_ext"});
    CHECK_THROWS_WITH_AS(
        (void)provision(d),
        "extension no_such_ext is not available on the server: install its package (e.g. "
        "postgresql-contrib) or remove it from SCHEMAGATE_EXTENSIONS",
        sg::provision::Error);
    // Checked before anything changed: pgcrypto was not created either.
    CHECK(sg::test::query_value(
              temp.url(), "SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'") == "0");

    const std::string missing = unique("nowhere");
    CHECK_THROWS_WITH_AS((void)provision(desired_for(Isolation::kShared, "orders", missing,
                                                     "public", std::nullopt, {"pgcrypto"})),
                         ("database " + missing +
                          " does not exist, and shared isolation creates none: create it, or use "
                          "SCHEMAGATE_ISOLATION=database")
                             .c_str(),
                         sg::provision::Error);
    CHECK_FALSE(database_exists(missing));
}

TEST_CASE("provision: password rotation applies a changed password without printing it") {
    Cleanup cleanup;
    const auto role = cleanup.role(unique("auth"));
    const auto db = cleanup.database(unique("auth_db"));
    CHECK(
        provision(desired_for(Isolation::kDatabase, role, db, "public", "old-pw")).changes.size() ==
        3);
    CHECK(connect_error(role, "old-pw", db).empty());

    const Report rotated =
        provision(desired_for(Isolation::kDatabase, role, db, "public", "new-pw"));
    CHECK(rotated.changes == Lines{"rotated password of role " + role});
    for (const auto& line : rotated.changes) {
        CHECK(line.find("pw") == std::string::npos);
    }
    CHECK(connect_error(role, "old-pw", db).find("password authentication failed") !=
          std::string::npos);
    CHECK(connect_error(role, "new-pw", db).empty());
    CHECK(
        provision(desired_for(Isolation::kDatabase, role, db, "public", "new-pw")).changes.empty());

    // Quotes and backslashes are data, not SQL.
    const std::string tricky = "it's a \\ 'quoted'; pass";
    CHECK(provision(desired_for(Isolation::kDatabase, role, db, "public", tricky)).changes ==
          Lines{"rotated password of role " + role});
    CHECK(connect_error(role, tricky, db).empty());

    // Not ASCII: the server normalises and hashes it; still compared on the next run.
    const std::string unicode = "pässwörd-ünï";
    CHECK(provision(desired_for(Isolation::kDatabase, role, db, "public", unicode)).changes ==
          Lines{"rotated password of role " + role});
    CHECK(connect_error(role, unicode, db).empty());
    CHECK(
        provision(desired_for(Isolation::kDatabase, role, db, "public", unicode)).changes.empty());

    // No password configured: the current one is left alone.
    CHECK(provision(desired_for(Isolation::kDatabase, role, db, "public")).changes.empty());
    CHECK(connect_error(role, unicode, db).empty());
}

TEST_CASE("provision: five services provisioned at once all succeed") {
    Cleanup cleanup;
    constexpr int kServices = 5;
    std::vector<Desired> wanted;
    for (int i = 0; i < kServices; ++i) {
        const auto role = cleanup.role(unique("svc" + std::to_string(i)));
        const auto db = cleanup.database(unique("svc" + std::to_string(i) + "_db"));
        wanted.push_back(desired_for(Isolation::kDatabase, role, db, "public",
                                     "pw" + std::to_string(i), {"pgcrypto"}));
    }
    std::vector<std::string> errors(kServices);
    std::vector<Report> reports(kServices);
    std::vector<std::thread> threads;
    for (int i = 0; i < kServices; ++i) {
        threads.emplace_back([&, i] {
            try {
                reports[static_cast<std::size_t>(i)] =
                    provision(wanted[static_cast<std::size_t>(i)]);
            } catch (const std::exception& e) {
                errors[static_cast<std::size_t>(i)] = e.what();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (int i = 0; i < kServices; ++i) {
        const auto& d = wanted[static_cast<std::size_t>(i)];
        CAPTURE(d.role);
        CHECK(errors[static_cast<std::size_t>(i)] == "");
        CHECK(reports[static_cast<std::size_t>(i)].changes.size() == 4);
        CHECK(connect_error(d.role, "pw" + std::to_string(i), d.database).empty());
    }
    // And each stays out of its neighbour's database.
    CHECK_FALSE(connect_error(wanted[0].role, "pw0", wanted[1].database).empty());
}

TEST_CASE("provision: replicas racing without a shared lock still converge, each change once") {
    // Session advisory locks are per database: runners whose admin URLs name different databases
    // are not serialised, so they really race on CREATE ROLE / DATABASE / SCHEMA / EXTENSION.
    Cleanup cleanup;
    const auto lockspace = cleanup.created_database(unique("lockspace"));
    const auto shop = cleanup.database(unique("shop"));
    const auto role = cleanup.role(unique("cart"));
    const Desired d = desired_for(Isolation::kSchema, role, shop, role, "pw", {"pgcrypto"});
    const std::vector<std::string> admin_urls = {
        sg::test::admin_url(), sg::db::with_database(sg::test::admin_url(), lockspace)};

    constexpr int kReplicas = 6;
    for (int round = 0; round < 2; ++round) {
        CAPTURE(round);
        std::vector<std::string> errors(kReplicas);
        std::vector<Report> reports(kReplicas);
        std::vector<std::thread> threads;
        std::atomic<bool> go{false};
        for (int i = 0; i < kReplicas; ++i) {
            threads.emplace_back([&, i] {
                while (!go.load()) {
                    std::this_thread::yield();
                }
                try {
                    reports[static_cast<std::size_t>(i)] =
                        provision(d, admin_urls[static_cast<std::size_t>(i) % 2]);
                } catch (const std::exception& e) {
                    errors[static_cast<std::size_t>(i)] = e.what();
                }
            });
        }
        go = true;
        for (auto& t : threads) {
            t.join();
        }
        for (const auto& e : errors) {
            CHECK(e == "");
        }
        const int once = round == 0 ? 1 : 0;
        CHECK(count_of(reports, "created role " + role) == once);
        CHECK(count_of(reports, "created database " + shop +
                                    " (shared by schema-isolated services)") == once);
        CHECK(count_of(reports, "created schema " + role + " owned by " + role) == once);
        CHECK(count_of(reports, "created extension pgcrypto in database " + shop) == once);
    }
    auto service = sg::db::Connection::open(conninfo_as(role, "pw", shop));
    CHECK(service->value("SHOW search_path") == role + ", public");
    CHECK(service->value("SELECT length(gen_random_uuid()::text)") == "36");
}

TEST_CASE("provision: nasty names work, quoted, and never inject SQL") {
    Cleanup cleanup;
    // One shared database with a nasty name, holding a canary the injected text would drop.
    const auto shop = cleanup.database("x; DROP TABLE y \"shop\" " + suffix());
    {
        auto conn = admin();
        conn->exec("CREATE DATABASE " + conn->identifier(shop));
    }
    const std::string shop_url = sg::db::with_database(sg::test::admin_url(), shop);
    sg::test::exec(shop_url, "CREATE TABLE y (id int)");

    for (const std::string nasty : {"we\"ird", "sp ace", "ünï", "x; DROP TABLE y", "Mixed-Case"}) {
        CAPTURE(nasty);
        const auto role = cleanup.role(nasty + "_" + suffix());
        const std::string password = nasty + " pw";
        const Desired d = desired_for(Isolation::kSchema, role, shop, role, password);
        CHECK(provision(d).changes.size() == 3);  // role, schema, search_path
        CHECK(sg::test::query_value(shop_url, "SELECT count(*) FROM pg_namespace WHERE nspname = " +
                                                  lit(role)) == "1");

        auto service = sg::db::Connection::open(conninfo_as(role, password, shop));
        CHECK(service->value("SELECT current_user") == role);
        CHECK(service->value("SELECT current_schema()") == role);
        service->exec("CREATE TABLE t (id int)");
        CHECK(service->value("SELECT count(*) FROM pg_tables WHERE tablename = 't' AND "
                             "schemaname = current_schema()") == "1");
        CHECK(provision(d).changes.empty());

        // Database isolation with a nasty database name too.
        const auto role2 = cleanup.role(nasty + "_d_" + suffix());
        const auto db2 = cleanup.database(nasty + " db " + suffix());
        const Desired d2 = desired_for(Isolation::kDatabase, role2, db2, "public", password);
        CHECK(provision(d2).changes.size() == 3);
        CHECK(connect_error(role2, password, db2).empty());
        CHECK(provision(d2).changes.empty());
        CHECK(sg::test::query_value(shop_url, "SELECT to_regclass('public.y') IS NOT NULL") == "t");
    }
    CHECK(sg::test::query_value(shop_url,
                                "SELECT count(*) FROM pg_namespace WHERE nspname NOT IN "
                                "('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%'") ==
          "5");  // exactly the five schemas, nothing else
}

TEST_CASE("provision: names PostgreSQL cannot take are refused with a clear line") {
    CHECK_THROWS_WITH_AS(
        (void)provision(desired_for(Isolation::kSchema, "pg_cart", "shop", "cart")),
        doctest::Contains("SCHEMAGATE_ROLE: role names starting with \"pg_\" are "
                          "reserved"),
        sg::provision::Error);
    CHECK_THROWS_WITH_AS(
        (void)provision(desired_for(Isolation::kSchema, std::string(64, 'r'), "shop", "cart")),
        doctest::Contains("longer than 63 bytes"), sg::provision::Error);
    CHECK_THROWS_WITH_AS(
        (void)provision(desired_for(Isolation::kDatabase, "cart", "postgres", "public")),
        doctest::Contains("belongs to the server"), sg::provision::Error);
    CHECK_FALSE(role_exists("pg_cart"));
}

TEST_CASE("provision: an admin role without the needed privileges fails with one clear line") {
    Cleanup cleanup;
    const auto weak = cleanup.role(unique("weak"));
    admin()->exec("CREATE ROLE " + weak + " LOGIN PASSWORD 'weak-pw'");
    const std::string weak_url = conninfo_as(weak, "weak-pw", "postgres");
    const auto role = cleanup.role(unique("auth"));
    const auto db = cleanup.database(unique("auth_db"));
    const Desired d = desired_for(Isolation::kDatabase, role, db, "public", "pw");

    const std::string prefix = "SCHEMAGATE_ADMIN_URL's role " + weak;
    CHECK_THROWS_WITH_AS(
        (void)provision(d, weak_url),
        doctest::Contains(
            (prefix + " cannot create roles (needs CREATEROLE or superuser)").c_str()),
        sg::provision::Error);
    CHECK_FALSE(role_exists(role));

    admin()->exec("ALTER ROLE " + weak + " CREATEROLE");
    CHECK_THROWS_WITH_AS(
        (void)provision(d, weak_url),
        doctest::Contains(
            (prefix + " cannot create databases (needs CREATEDB or superuser)").c_str()),
        sg::provision::Error);
    CHECK_FALSE(role_exists(role));  // privileges are checked before anything changes

    // CREATEROLE and CREATEDB without superuser is enough: it joins the role to give it objects.
    admin()->exec("ALTER ROLE " + weak + " CREATEDB");
    const Report first = provision(d, weak_url);
    CHECK(first.changes ==
          Lines{"created role " + role,
                "granted role " + role + " to admin role " + weak + " (to give it its objects)",
                "created database " + db + " owned by " + role,
                "revoked CONNECT on database " + db + " from PUBLIC"});
    CHECK(connect_error(role, "pw", db).empty());
    // pg_authid is unreadable without superuser: the password is set again, not reported.
    CHECK(provision(d, weak_url).changes.empty());
    CHECK(connect_error(role, "pw", db).empty());

    // Schema isolation in a database the weak admin may not create in.
    const auto shop = cleanup.created_database(unique("shop"));
    const auto cart = cleanup.role(unique("cart"));
    const Desired ds = desired_for(Isolation::kSchema, cart, shop, cart, "pw");
    CHECK_THROWS_WITH_AS((void)provision(ds, weak_url),
                         doctest::Contains((prefix + " cannot create schemas in database " + shop +
                                            " (needs CREATE on it: GRANT CREATE ON DATABASE " +
                                            shop + " TO " + weak + ")")
                                               .c_str()),
                         sg::provision::Error);
    admin()->exec("GRANT CREATE ON DATABASE " + shop + " TO " + weak);
    CHECK_NOTHROW((void)provision(ds, weak_url));
    CHECK(connect_error(cart, "pw", shop).empty());
    CHECK(provision(ds, weak_url).changes.empty());
}

TEST_CASE("provision: a waiter queues for the provisioning lock in the server and goes on") {
    Cleanup cleanup;
    const auto role = cleanup.role(unique("auth"));
    const auto db = cleanup.created_database(unique("shop"));
    // Schema isolation in an existing database: the steps on the waiter's own connection are a
    // few quick catalog statements, well within the statement_timeout below.
    const Desired d = desired_for(Isolation::kSchema, role, db, role, "pw");

    auto holder = admin();
    holder->exec("SELECT pg_advisory_lock(" + std::to_string(sg::provision::lock_key()) + ")");
    // A role whose statement_timeout is shorter than a wait slice (250 ms) still waits.
    auto waiter = admin();
    waiter->exec("SET statement_timeout = '200ms'");
    std::string error;
    Report report;
    std::thread provisioner = provision_in_background(
        [&](sg::wait::Stop& stop, const sg::provision::Options& options) {
            return sg::provision::provision(*waiter, sg::test::admin_url(), d, stop, options);
        },
        report, error);
    // Waiting in the server's lock queue shows as a lock not granted (polling never does).
    const bool queued =
        queued_for_advisory_lock("l.pid = " + std::to_string(waiter->backend_pid()));
    CHECK(queued);
    std::this_thread::sleep_for(500ms);  // several slices, each longer than statement_timeout
    holder.reset();                      // lets go: the waiter goes on
    provisioner.join();
    CHECK(error == "");
    CHECK(report.changes.size() == 3);
    CHECK(role_exists(role));
}

TEST_CASE("provision: steps inside the database hold only that schema's lock, not the server's") {
    Cleanup cleanup;
    const auto shop = cleanup.created_database(unique("shop"));
    const auto a = cleanup.role(unique("cart"));
    const auto b = cleanup.role(unique("promo"));
    const Desired da = desired_for(Isolation::kSchema, a, shop, a, "pa");
    const Desired dbb = desired_for(Isolation::kSchema, b, shop, b, "pb");

    // Someone holds A's schema lock in the shared database.
    auto holder = sg::db::Connection::open(sg::db::with_database(sg::test::admin_url(), shop));
    holder->exec("SELECT pg_advisory_lock(" + std::to_string(sg::provision::schema_lock_key(a)) +
                 ")");
    std::string error;
    Report ra;
    std::thread provisioner = provision_in_background(
        [&](sg::wait::Stop& stop, const sg::provision::Options& options) {
            return sg::provision::provision(sg::test::admin_url(), da, stop, options);
        },
        ra, error);
    // A made its role (under the server-wide lock), gave that lock back, and now queues for its
    // schema's lock in the shared database...
    const bool queued = queued_for_advisory_lock("d.datname = " + lit(shop));
    CHECK(queued);
    CHECK(role_exists(a));
    // ...so B provisions meanwhile, start to end (were A holding the server-wide lock, B would
    // time out here instead).
    sg::wait::Stop stop;
    sg::provision::Options options;
    options.lock_timeout = 20s;
    std::string b_error;
    try {
        CHECK(sg::provision::provision(sg::test::admin_url(), dbb, stop, options).changes.size() ==
              3);
    } catch (const std::exception& e) {
        b_error = e.what();
    }
    CHECK(b_error == "");

    holder.reset();
    provisioner.join();
    CHECK(error == "");
    CHECK(ra.changes ==
          Lines{"created role " + a, "created schema " + a + " owned by " + a,
                "set search_path of role " + a + " in database " + shop + " to " + a + ", public"});
}

TEST_CASE("provision: waits for the provisioning lock, times out or stops cleanly") {
    Cleanup cleanup;
    const auto role = cleanup.role(unique("auth"));
    const auto db = cleanup.database(unique("auth_db"));
    const Desired d = desired_for(Isolation::kDatabase, role, db, "public", "pw");

    auto holder = admin();
    holder->exec("SELECT pg_advisory_lock(" + std::to_string(sg::provision::lock_key()) + ")");
    const std::string pid = std::to_string(holder->backend_pid());

    sg::provision::Options options;
    options.lock_timeout = 300ms;
    sg::wait::Stop stop;
    CHECK_THROWS_WITH_AS(
        (void)sg::provision::provision(sg::test::admin_url(), d, stop, options),
        doctest::Contains(("waiting for the provisioning lock held by pid " + pid).c_str()),
        sg::provision::LockTimeout);

    options.lock_timeout = 60s;
    sg::wait::Stop stopping;
    std::thread stopper([&stopping] {
        std::this_thread::sleep_for(300ms);
        stopping.request();
    });
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS((void)sg::provision::provision(sg::test::admin_url(), d, stopping, options),
                    sg::provision::Stopped);
    stopper.join();
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK_FALSE(role_exists(role));

    holder.reset();  // closing the session releases the lock
    CHECK(provision(d).changes.size() == 3);
}
