// `schemagate run` as a process: the real binary, its HTTP endpoints and its signals, against the
// throwaway PostgreSQL (stopped and started where a test needs the database down).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include "sidecar/http/client.hpp"

#include "tests/integration/fixture.hpp"

using namespace std::chrono_literals;
using sg::test::TempDatabase;
using sg::test::TempDir;
using Json = nlohmann::json;
using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

using Env = std::map<std::string, std::string>;

Env env_for(const std::string& database_url, const TempDir& dir,
            const std::string& service = "orders") {
    return {{"DATABASE_URL", database_url},
            {"SCHEMAGATE_SERVICE", service},
            {"SCHEMAGATE_MIGRATIONS", dir.path().string()},
            {"DB_INIT_MAX_RETRIES", "0"},
            {"DB_INIT_INITIAL_DELAY", "100ms"},
            {"DB_INIT_MAX_DELAY", "1s"}};
}

// Polls `done` every 50 ms until it holds (true) or `timeout` passes (false).
template <class Predicate>
bool eventually(Predicate done, milliseconds timeout) {
    const auto deadline = Steady::now() + timeout;
    for (int round = 0; round < 100000; ++round) {
        if (done()) {
            return true;
        }
        if (Steady::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

long ms_since(Steady::time_point start) {
    return static_cast<long>(
        std::chrono::duration_cast<milliseconds>(Steady::now() - start).count());
}

// Whether this host has IPv6 loopback (some containers run with IPv6 disabled).
bool has_ipv6_loopback() {
    const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_loopback;
    const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// `schemagate run` on a free loopback port, killed (process group) if a test leaves it running.
class Daemon {
  public:
    // `host` as SCHEMAGATE_LISTEN writes it: "127.0.0.1", "[::1]".
    explicit Daemon(Env env, std::string host = "127.0.0.1")
        : port_(sg::test::free_port()), host_(std::move(host)) {
        env["SCHEMAGATE_LISTEN"] = host_ + ":" + std::to_string(port_);
        process_.emplace(std::vector<std::string>{sg::test::schemagate_binary(), "run"}, env);
    }

    [[nodiscard]] std::string url(const std::string& target) const {
        return "http://" + host_ + ":" + std::to_string(port_) + target;
    }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    sg::test::Process& process() { return *process_; }
    [[nodiscard]] std::string output() const { return process_->output_so_far(); }

    sg::http::GetResult get(const std::string& target) const {
        return sg::http::get_status(url(target), 2s);
    }

    // Waits until `target` answers `status`; false on timeout.
    bool wait_for_status(const std::string& target, unsigned status, milliseconds timeout) {
        return eventually(
            [&] {
                const auto r = get(target);
                return r.status && *r.status == status;
            },
            timeout);
    }

    // /health (or /health/detailed) as JSON; null when there is no answer.
    Json health(const std::string& target = "/health") const {
        const auto r = get(target);
        if (!r.status) {
            return nullptr;
        }
        return Json::parse(r.body, nullptr, false);
    }

    bool wait_for_phase(const std::string& phase, milliseconds timeout) {
        return eventually(
            [&] {
                const auto j = health();
                return j.is_object() && j["phase"] == phase;
            },
            timeout);
    }

    // SIGTERM (or `sig`), then wait; `elapsed` is measured from the signal.
    sg::test::ProcessResult stop(milliseconds& elapsed, int sig = SIGTERM,
                                 milliseconds timeout = 10s) {
        const auto start = Steady::now();
        process_->signal(sig);
        auto result = process_->wait(timeout);
        elapsed = milliseconds(ms_since(start));
        return result;
    }

  private:
    std::uint16_t port_;
    std::string host_;
    std::optional<sg::test::Process> process_;
};

std::string q(const TempDatabase& db, const std::string& sql) {
    return sg::test::query_value(db.url(), sql);
}

int advisory_locks(const TempDatabase& db) {
    return std::stoi(sg::test::query_value(
        sg::test::admin_url(),
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND d.datname = '" +
            db.name() + "'"));
}

int connections_named(const std::string& application_name) {
    return std::stoi(sg::test::query_value(
        sg::test::admin_url(), "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" +
                                   application_name + "'"));
}

// A listening socket that never accepts: connections complete in the kernel's backlog and then
// hear nothing, like a server that hangs. Closed on destruction.
class Blackhole {
  public:
    Blackhole() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
    }
    ~Blackhole() { ::close(fd_); }
    Blackhole(const Blackhole&) = delete;
    Blackhole& operator=(const Blackhole&) = delete;
    Blackhole(Blackhole&&) = delete;
    Blackhole& operator=(Blackhole&&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

std::string unreachable_url(std::uint16_t port) {
    return "postgresql://nobody:not-used@127.0.0.1:" + std::to_string(port) + "/nothing";
}

}  // namespace

TEST_CASE("run: while nothing listens /readyz is 503 waiting; SIGTERM while waiting exits 0") {
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    Daemon d(env_for(unreachable_url(sg::test::free_port()), dir));
    REQUIRE_MESSAGE(d.wait_for_status("/readyz", 503, 10s), d.output());

    const auto readyz = d.get("/readyz");
    CHECK(readyz.body == "waiting");
    const auto livez = d.get("/livez");
    REQUIRE(livez.status);
    CHECK(*livez.status == 200);
    CHECK(livez.body == "ok");

    // It keeps trying: attempts grow, the phase stays waiting (not failed), and says why.
    REQUIRE(eventually(
        [&] {
            const auto j = d.health("/health/detailed");
            return j.is_object() && j["init"]["attempts"].get<int>() >= 3;
        },
        10s));
    const auto j = d.health();
    REQUIRE(j.is_object());
    CHECK(j["status"] == "starting");
    CHECK(j["phase"] == "waiting");
    CHECK(j["database"]["status"] == "down");
    CHECK(j["last_error"].get<std::string>().find("refused") != std::string::npos);
    const auto verbose = d.get("/readyz?verbose");
    CHECK(verbose.body.find("[-]initialisation waiting: ") != std::string::npos);
    CHECK(verbose.body.ends_with("readyz check failed\n"));

    milliseconds elapsed{};
    const auto r = d.stop(elapsed);
    INFO((r.out + r.err));
    CHECK(r.exit_code == 0);
    CHECK(elapsed < 5s);
    CHECK((r.out + r.err).find("stopping signal=15") != std::string::npos);
}

TEST_CASE(
    "run: /readyz turns 200 soon after the database comes up; a later outage shows only in "
    "/health") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__create_orders.sql", "CREATE TABLE orders (id bigserial PRIMARY KEY);\n");
    dir.write("verify/01_orders.sql", "SELECT to_regclass('public.orders') IS NOT NULL;\n");

    sg::test::server_ctl("stop");
    Daemon d(env_for(db.url(), dir));
    REQUIRE_MESSAGE(d.wait_for_status("/readyz", 503, 10s), d.output());
    CHECK(d.get("/readyz").body == "waiting");
    std::this_thread::sleep_for(1s);
    CHECK(d.get("/readyz").body == "waiting");  // still, with the server down

    sg::test::server_ctl("start");
    const auto up = Steady::now();
    REQUIRE_MESSAGE(d.wait_for_status("/readyz", 200, 20s), d.output());
    MESSAGE("ready " << ms_since(up) << " ms after the server started");
    CHECK(ms_since(up) < 5000);
    CHECK(d.get("/readyz").body == "ok");
    CHECK(q(db, "SELECT to_regclass('public.orders') IS NOT NULL") == "t");

    REQUIRE(eventually([&] { return d.health()["status"] == "ok"; }, 5s));
    const auto j = d.health();
    CHECK(j["phase"] == "ready");
    CHECK(j["service"] == "orders");
    CHECK(j["isolation"] == "shared");
    CHECK(j["database"]["status"] == "up");
    CHECK(j["database"]["name"] == db.name());
    CHECK(j["database"]["schema"] == "public");
    CHECK(j["database"]["role"] == "orders");
    CHECK(j["migrations"]["current_version"] == "1");
    CHECK(j["migrations"]["applied"] == 1);
    CHECK(j["migrations"]["pending"] == 0);
    CHECK(j["last_error"].is_null());
    const auto detailed = d.health("/health/detailed");
    CHECK(detailed["server_version"].get<std::string>().starts_with("1"));
    CHECK(detailed["active_connections"].get<int>() >= 1);
    CHECK(detailed["init"]["attempts"].get<int>() >= 2);

    // The database goes away after ready: /readyz stays 200 (latched), /health says down.
    sg::test::server_ctl("stop");
    CHECK(eventually([&] { return d.health()["database"]["status"] == "down"; }, 5s));
    const auto degraded = d.get("/health");
    REQUIRE(degraded.status);
    CHECK(*degraded.status == 503);
    CHECK(Json::parse(degraded.body)["status"] == "degraded");
    CHECK(*d.get("/readyz").status == 200);
    sg::test::server_ctl("start");
    CHECK(eventually([&] { return d.health()["status"] == "ok"; }, 10s));
    CHECK(*d.get("/readyz").status == 200);

    milliseconds elapsed{};
    const auto r = d.stop(elapsed);
    INFO((r.out + r.err));
    CHECK(r.exit_code == 0);
    CHECK(elapsed < 5s);
}

TEST_CASE("run: a failed migration leaves the process up, /readyz 503 and the error at /health") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__good.sql", "CREATE TABLE good (id int);\n");
    dir.write("V2__broken.sql", "CREATE TABLE half (id int);\nSELEC 1;\n");
    Daemon d(env_for(db.url(), dir));
    REQUIRE_MESSAGE(d.wait_for_phase("failed", 20s), d.output());

    const auto readyz = d.get("/readyz");
    REQUIRE(readyz.status);
    CHECK(*readyz.status == 503);
    CHECK(readyz.body == "failed");
    const auto health = d.get("/health");
    REQUIRE(health.status);
    CHECK(*health.status == 503);
    const auto j = Json::parse(health.body);
    CHECK(j["status"] == "failed");
    const auto error = j["last_error"].get<std::string>();
    CHECK(error.find("V2__broken.sql") != std::string::npos);
    CHECK(error.find("SELEC") != std::string::npos);
    // V1 was applied by this run before V2 failed: the counts say so.
    CHECK(j["migrations"]["current_version"] == "1");
    CHECK(j["migrations"]["applied"] == 1);
    CHECK(j["migrations"]["pending"] == 1);
    CHECK(j["migrations"]["failed"] == 1);
    const auto verbose = d.get("/readyz?verbose").body;
    CHECK(verbose.find("[-]initialisation failed: ") != std::string::npos);
    CHECK(verbose.find("[-]migrations 1 failed\n") != std::string::npos);

    // Nothing of V2 remains; V1 stays applied.
    CHECK(q(db, "SELECT to_regclass('public.half') IS NULL") == "t");
    CHECK(q(db, "SELECT to_regclass('public.good') IS NOT NULL") == "t");
    CHECK(q(db, "SELECT count(*) FROM public.schemagate_history WHERE version = '2' AND success") ==
          "0");

    // It stays up and unready: no restart loop, no exit.
    std::this_thread::sleep_for(1500ms);
    CHECK(*d.get("/livez").status == 200);
    CHECK(*d.get("/readyz").status == 503);
    CHECK(d.health()["phase"] == "failed");
    CHECK(advisory_locks(db) == 0);

    milliseconds elapsed{};
    const auto r = d.stop(elapsed);
    INFO((r.out + r.err));
    CHECK(r.exit_code == 0);
    CHECK(elapsed < 5s);
}

TEST_CASE("run: a lock wait shows at /health while it lasts and is counted at /metrics") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__orders.sql", "CREATE TABLE orders (id int);\n");
    REQUIRE(sg::test::run_schemagate({"migrate"}, env_for(db.url(), dir)).exit_code == 0);
    dir.write("V2__note.sql", "ALTER TABLE orders ADD COLUMN note text;\n");
    // Another session reads the table in an open transaction: the ALTER cannot get its lock.
    const std::string blocker_url = db.url() + "?application_name=sg-reader";
    sg::test::Process blocker({"psql", blocker_url, "-X", "-q", "-c",
                               "BEGIN; SELECT count(*) FROM orders; SELECT pg_sleep(3); COMMIT;"},
                              {});
    REQUIRE(eventually([&] { return connections_named("sg-reader") == 1; }, 10s));
    std::this_thread::sleep_for(200ms);  // its SELECT has taken ACCESS SHARE by now

    auto env = env_for(db.url(), dir);
    env["SCHEMAGATE_STATEMENT_LOCK_TIMEOUT"] = "200ms";
    env["SCHEMAGATE_LOCK_RETRIES"] = "40";
    Daemon d(env);
    std::string wait;
    CHECK_MESSAGE(eventually(
                      [&] {
                          const auto j = d.health();
                          if (!j.is_object() || !j["migrations"]["lock_wait"].is_string()) {
                              return false;
                          }
                          wait = j["migrations"]["lock_wait"].get<std::string>();
                          return true;
                      },
                      10s),
                  d.output());
    CHECK(wait.find("V2__note.sql: lock not granted, attempt ") == 0);
    CHECK(wait.find("sg-reader") != std::string::npos);

    REQUIRE_MESSAGE(d.wait_for_phase("ready", 30s), d.output());
    CHECK(d.health()["migrations"]["lock_wait"].is_null());
    const auto metrics = d.get("/metrics").body;
    const auto at = metrics.find("schemagate_lock_retries_total{script=\"V2__note.sql\"} ");
    REQUIRE(at != std::string::npos);
    const auto value = std::stoi(metrics.substr(at + metrics.substr(at).find('}') + 2));
    CHECK(value >= 1);
    CHECK(blocker.wait(10s).exit_code == 0);
    milliseconds elapsed{};
    CHECK(d.stop(elapsed).exit_code == 0);
}

TEST_CASE("run: SIGTERM during a long migration cancels it, rolls back, releases the lock") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__slow.sql", "CREATE TABLE half_done (id int);\nSELECT pg_sleep(60);\n");
    Daemon d(env_for(db.url(), dir));
    const std::string sleeping =
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + db.name() +
        "' AND state = 'active' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()";
    REQUIRE_MESSAGE(
        eventually([&] { return sg::test::query_value(sg::test::admin_url(), sleeping) == "1"; },
                   20s),
        d.output());
    CHECK(advisory_locks(db) >= 1);
    const auto readyz = d.get("/readyz");
    REQUIRE(readyz.status);
    CHECK(*readyz.status == 503);
    CHECK(readyz.body == "migrating");

    milliseconds elapsed{};
    const auto r = d.stop(elapsed);
    INFO((r.out + r.err));
    CHECK(r.exit_code == 0);
    CHECK(elapsed < 5s);
    MESSAGE("stopped " << elapsed.count() << " ms after SIGTERM during pg_sleep");

    // The server notices the closed sessions at once; give it a moment all the same.
    CHECK(eventually([&] { return advisory_locks(db) == 0; }, 3s));
    CHECK(eventually([&] { return sg::test::query_value(sg::test::admin_url(), sleeping) == "0"; },
                     3s));
    CHECK(q(db, "SELECT to_regclass('public.half_done') IS NULL") == "t");
    if (q(db, "SELECT to_regclass('public.schemagate_history') IS NOT NULL") == "t") {
        CHECK(q(db, "SELECT count(*) FROM public.schemagate_history WHERE success") == "0");
    }
}

TEST_CASE(
    "run: SIGTERM while a connection attempt hangs exits 0 within 5 s; a second signal "
    "exits at once") {
    Blackhole hang;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    auto env = env_for(unreachable_url(hang.port()), dir);
    env["DB_INIT_TIMEOUT"] = "60";

    SUBCASE("one signal: the grace period, then exit 0") {
        Daemon d(env);
        REQUIRE_MESSAGE(d.wait_for_status("/readyz", 503, 10s), d.output());
        std::this_thread::sleep_for(300ms);  // the worker is inside the hanging connect
        milliseconds elapsed{};
        const auto r = d.stop(elapsed);
        INFO((r.out + r.err));
        CHECK(r.exit_code == 0);
        CHECK(elapsed < 5s);
    }
    SUBCASE("two signals: the second exits at once") {
        Daemon d(env);
        REQUIRE_MESSAGE(d.wait_for_status("/readyz", 503, 10s), d.output());
        std::this_thread::sleep_for(300ms);
        d.process().signal(SIGTERM);
        // Still up, stopping: /readyz says so while the worker cannot be interrupted.
        REQUIRE(eventually([&] { return d.get("/readyz").body == "shutting down"; }, 2s));
        CHECK(*d.get("/readyz").status == 503);
        CHECK(*d.get("/livez").status == 200);
        milliseconds elapsed{};
        const auto r = d.stop(elapsed, SIGINT);
        INFO((r.out + r.err));
        CHECK(r.exit_code == 0);
        CHECK(elapsed < 1s);
        CHECK((r.out + r.err).find("second signal") != std::string::npos);
    }
}

TEST_CASE("run: passwords appear in no log line and no HTTP answer") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    const std::string role = "sg_daemon_secret_role";
    const std::string password = "Qv7UnmistakableRolePassw0rd4412";
    const std::string wrong = "Wr0ngButEquallyUnmistakable9931";
    const std::string admin = sg::test::admin_url();
    const auto at = admin.find('@');
    const auto colon = admin.rfind(':', at);
    REQUIRE(at != std::string::npos);
    const std::string admin_password = admin.substr(colon + 1, at - colon - 1);
    REQUIRE(admin_password.size() >= 8);
    sg::test::exec(admin, "DROP ROLE IF EXISTS " + role);

    const std::vector<std::string> targets = {
        "/livez", "/readyz", "/readyz?verbose", "/health", "/health/detailed", "/metrics", "/x"};
    const auto check_clean = [&](const std::string& text, const std::string& where) {
        CAPTURE(where);
        CHECK(text.find(password) == std::string::npos);
        CHECK(text.find(wrong) == std::string::npos);
        CHECK(text.find(admin_password) == std::string::npos);
    };

    {
        // Provisioned with the admin connection (schema-per-service: the role is created with
        // its password), then migrating as the role itself.
        auto env = env_for(db.url_as(role, password), dir);
        env["SCHEMAGATE_ISOLATION"] = "schema";
        env["SCHEMAGATE_ADMIN_URL"] = db.url();
        env["SCHEMAGATE_ROLE"] = role;
        env["SCHEMAGATE_ROLE_PASSWORD"] = password;
        env["LOG_LEVEL"] = "debug";
        Daemon d(env);
        const bool ready = d.wait_for_status("/readyz", 200, 20s);
        INFO(d.output());
        REQUIRE(ready);
        for (const auto& target : targets) {
            const auto r = d.get(target);
            REQUIRE(r.status);
            check_clean(r.body, target);
        }
        const auto detailed = d.health("/health/detailed");
        CHECK(detailed["isolation"] == "schema");
        CHECK(detailed["database"]["schema"] == "orders");
        CHECK(detailed["database"]["role"] == role);
        CHECK(detailed["connection"].get<std::string>().find(role) != std::string::npos);
        CHECK(q(db, "SELECT to_regclass('orders.a') IS NOT NULL") == "t");
        milliseconds elapsed{};
        const auto r = d.stop(elapsed);
        CHECK(r.exit_code == 0);
        check_clean(r.out + r.err, "log of a successful run");
        CHECK((r.out + r.err).find(role) != std::string::npos);  // the log did name the role
        CHECK((r.out + r.err).find("role_password=set") != std::string::npos);
        CHECK((r.out + r.err).find("admin=\"postgresql://postgres:****@") != std::string::npos);
    }
    {
        // A wrong password: initialisation fails at once, saying so without the password.
        auto env = env_for(db.url_as(role, wrong), dir);
        env["LOG_LEVEL"] = "debug";
        Daemon d(env);
        const bool failed = d.wait_for_phase("failed", 20s);
        INFO(d.output());
        REQUIRE(failed);
        CHECK(d.health()["last_error"].get<std::string>().find("password") != std::string::npos);
        for (const auto& target : targets) {
            const auto r = d.get(target);
            REQUIRE(r.status);
            check_clean(r.body, target);
        }
        milliseconds elapsed{};
        const auto r = d.stop(elapsed);
        CHECK(r.exit_code == 0);
        check_clean(r.out + r.err, "log of a failed run");
    }
    sg::test::exec(db.url(), "DROP OWNED BY " + role);
    sg::test::exec(admin, "DROP ROLE IF EXISTS " + role);
}

TEST_CASE("run: healthcheck exits 0 on 200, 1 on 503 and 1 when nothing listens") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");

    const auto healthcheck = [](const std::vector<std::string>& args, const Env& env = {}) {
        std::vector<std::string> all = {"healthcheck"};
        all.insert(all.end(), args.begin(), args.end());
        return sg::test::run_schemagate(all, env, 15s);
    };

    const auto nobody = healthcheck(
        {"--url", "http://127.0.0.1:" + std::to_string(sg::test::free_port()) + "/readyz"});
    INFO(nobody.err);
    CHECK(nobody.exit_code == 1);
    CHECK(nobody.elapsed < 5s);
    CHECK(nobody.err.find("refused") != std::string::npos);

    Daemon waiting(env_for(unreachable_url(sg::test::free_port()), dir));
    REQUIRE(waiting.wait_for_status("/readyz", 503, 10s));
    const auto unready = healthcheck({"--url", waiting.url("/readyz")});
    INFO(unready.err);
    CHECK(unready.exit_code == 1);
    CHECK(unready.err.find("503") != std::string::npos);

    Daemon ready(env_for(db.url(), dir));
    REQUIRE_MESSAGE(ready.wait_for_status("/readyz", 200, 20s), ready.output());
    const auto ok = healthcheck({"--url", ready.url("/readyz")});
    INFO(ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(ok.elapsed < 5s);
    // Without --url: SCHEMAGATE_LISTEN, its wildcard address on loopback.
    const auto by_env =
        healthcheck({}, {{"SCHEMAGATE_LISTEN", "0.0.0.0:" + std::to_string(ready.port())}});
    CHECK(by_env.exit_code == 0);
    const auto by_env_unready =
        healthcheck({}, {{"SCHEMAGATE_LISTEN", "0.0.0.0:" + std::to_string(waiting.port())}});
    CHECK(by_env_unready.exit_code == 1);

    milliseconds elapsed{};
    CHECK(ready.stop(elapsed).exit_code == 0);
    CHECK(waiting.stop(elapsed).exit_code == 0);

    // Listening on IPv6 loopback only: the healthcheck goes there, not to 127.0.0.1.
    if (!has_ipv6_loopback()) {
        MESSAGE("no IPv6 loopback here: the [::1] healthcheck is not tried");
        return;
    }
    Daemon ipv6(env_for(db.url(), dir), "[::1]");
    REQUIRE_MESSAGE(ipv6.wait_for_status("/readyz", 200, 20s), ipv6.output());
    const auto by_env_ipv6 =
        healthcheck({}, {{"SCHEMAGATE_LISTEN", "[::1]:" + std::to_string(ipv6.port())}});
    INFO(by_env_ipv6.err);
    CHECK(by_env_ipv6.exit_code == 0);
    CHECK(ipv6.stop(elapsed).exit_code == 0);
}

TEST_CASE("settings problems are JSON log lines when SCHEMAGATE_LOG_FORMAT=json") {
    TempDir dir;
    Env env = env_for("postgresql://u@127.0.0.1:1/db", dir, "json-svc");
    env["SCHEMAGATE_LOG_FORMAT"] = " JSON ";
    env["SCHEMAGATE_LOCK_TIMEOUT"] = "soon";
    env["DB_INIT_MAX_RETRIES"] = "-1";
    const auto r = sg::test::run_schemagate({"migrate"}, env, 15s);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    std::istringstream lines(r.err);
    std::string line;
    std::vector<std::string> messages;
    while (std::getline(lines, line)) {
        CAPTURE(line);
        const auto j = Json::parse(line, nullptr, false);
        REQUIRE(j.is_object());
        CHECK(j["level"] == "error");
        CHECK(j["service"] == "json-svc");
        messages.push_back(j["msg"].get<std::string>());
    }
    REQUIRE(messages.size() == 3);
    CHECK(messages[0].find("SCHEMAGATE_LOCK_TIMEOUT") != std::string::npos);
    CHECK(messages[1].find("DB_INIT_MAX_RETRIES") != std::string::npos);
    CHECK(messages[2].find("2 configuration problem(s)") != std::string::npos);

    // Text logs (the default): the same lines as plain text.
    env.erase("SCHEMAGATE_LOG_FORMAT");
    const auto text = sg::test::run_schemagate({"migrate"}, env, 15s);
    CHECK(text.exit_code == 2);
    CHECK(text.err.find("schemagate: 2 configuration problem(s)") != std::string::npos);
    CHECK(text.err.find('{') == std::string::npos);
}

TEST_CASE("run: SCHEMAGATE_LOG_FORMAT=json writes one valid JSON object per line") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__good.sql",
              "CREATE TABLE good (id int);\n"
              "DO $$ BEGIN RAISE NOTICE E'a notice\\nover \"two\" lines'; END $$;\n");
    dir.write("V2__raise.sql",
              "DO $$ BEGIN RAISE EXCEPTION E'first line\\nsecond \"quoted\" line'; END $$;\n");
    auto env = env_for(db.url(), dir, "json-svc");
    env["SCHEMAGATE_LOG_FORMAT"] = "json";
    env["LOG_LEVEL"] = "debug";
    Daemon d(env);
    REQUIRE_MESSAGE(d.wait_for_phase("failed", 20s), d.output());
    milliseconds elapsed{};
    const auto r = d.stop(elapsed);
    REQUIRE(r.exit_code == 0);
    INFO(r.err);
    CHECK(r.out.empty());

    std::istringstream lines(r.err);
    std::string line;
    int count = 0;
    bool saw_error = false;
    bool saw_banner = false;
    bool saw_notice = false;
    std::set<std::string> levels;
    while (std::getline(lines, line)) {
        CAPTURE(line);
        ++count;
        const auto j = Json::parse(line, nullptr, false);
        REQUIRE(j.is_object());
        CHECK(j["ts"].is_string());
        CHECK(j["level"].is_string());
        CHECK(j["msg"].is_string());
        CHECK(j["service"] == "json-svc");
        CHECK(j["fields"].is_object());
        levels.insert(j["level"].get<std::string>());
        if (j.dump().find(R"(second \"quoted\" line)") != std::string::npos) {
            saw_error = true;
        }
        if (j.dump().find(R"(over \"two\" lines)") != std::string::npos) {
            saw_notice = true;  // the server's NOTICE, logged at debug
        }
        if (j["msg"].get<std::string>().find("starting") != std::string::npos) {
            // The banner: its settings become fields.
            saw_banner = true;
            CHECK(j["fields"]["command"] == "run");
            CHECK(j["fields"]["log_format"] == "json");
            CHECK(j["fields"]["libpq"].get<std::string>().size() >= 2);
            CHECK(j["fields"]["database"].get<std::string>().find("****") != std::string::npos);
        }
    }
    CHECK(count >= 5);
    CHECK(saw_error);  // the server's message, quotes and newline included, inside valid JSON
    CHECK(saw_banner);
    CHECK(saw_notice);
    CHECK(levels.contains("info"));
    CHECK(levels.contains("error"));
}

TEST_CASE(
    "run: a probe storm opens no connections; database facts refresh at most once a "
    "second") {
    TempDatabase db;
    TempDir dir;
    dir.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    Daemon d(env_for(db.url(), dir, "storm"));
    REQUIRE_MESSAGE(d.wait_for_status("/readyz", 200, 20s), d.output());
    REQUIRE(eventually([&] { return d.health()["status"] == "ok"; }, 5s));
    // Only the kept connection remains once initialisation is over.
    REQUIRE(eventually([] { return connections_named("schemagate-storm") == 1; }, 5s));

    std::atomic<bool> storming{true};
    std::atomic<int> most{0};
    std::atomic<int> samples{0};
    std::thread sampler([&] {
        for (int i = 0; i < 1000 && storming; ++i) {
            const int n = connections_named("schemagate-storm");
            most = std::max(most.load(), n);
            ++samples;
            std::this_thread::sleep_for(10ms);
        }
    });

    const auto start = Steady::now();
    std::atomic<int> answered{0};
    std::vector<std::set<std::string>> checked(4);
    std::vector<std::thread> clients;
    for (std::size_t t = 0; t < 4; ++t) {
        clients.emplace_back([&, t] {
            // At least 50 probes each, and for at least 3 s so refreshes can be counted.
            for (int i = 0; i < 5000; ++i) {
                if (i >= 50 && Steady::now() - start >= 3s) {
                    break;
                }
                const auto target = i % 2 == 0 ? "/health/detailed" : "/health";
                const auto r = d.get(target);
                if (r.status && *r.status == 200) {
                    ++answered;
                    if (i % 2 == 0) {
                        const auto j = Json::parse(r.body, nullptr, false);
                        if (j.is_object() && j["database"]["checked_at"].is_string()) {
                            checked[t].insert(j["database"]["checked_at"].get<std::string>());
                        }
                    }
                }
            }
        });
    }
    for (auto& c : clients) {
        c.join();
    }
    const auto storm_ms = ms_since(start);
    storming = false;
    sampler.join();

    std::set<std::string> all_checked;
    for (const auto& s : checked) {
        all_checked.insert(s.begin(), s.end());
    }
    MESSAGE(answered.load() << " probes in " << storm_ms << " ms; " << all_checked.size()
                            << " distinct database checks; at most " << most.load()
                            << " connections over " << samples.load() << " samples");
    CHECK(answered.load() >= 200);
    CHECK(samples.load() >= 1);
    CHECK(most.load() == 1);
    CHECK(connections_named("schemagate-storm") == 1);
    // Refreshed once a second whatever the load: no more distinct checks than seconds elapsed.
    CHECK(static_cast<long>(all_checked.size()) <= storm_ms / 1000 + 2);

    milliseconds elapsed{};
    const auto r = d.stop(elapsed);
    CHECK(r.exit_code == 0);
    CHECK(elapsed < 5s);
}

TEST_CASE(
    "run: healthcheck --wait answers 0 once a slow migration is done, 1 at once when one "
    "failed, and 1 when its time is up") {
    TempDatabase db;
    const auto start_probe = [](const std::string& url, const std::string& wait) {
        return std::make_unique<sg::test::Process>(std::vector<std::string>{
            sg::test::schemagate_binary(), "healthcheck", "--url", url, "--wait", wait});
    };
    milliseconds elapsed{};

    // Slow: the probe keeps asking through a 2 s migration and answers within its poll of ready.
    TempDir slow;
    slow.write("V1__slow.sql", "SELECT pg_sleep(2);\nCREATE TABLE s (id int);\n");
    Daemon slow_daemon(env_for(db.url(), slow, "slow"));
    const auto slow_started = Steady::now();
    auto slow_probe = start_probe(slow_daemon.url("/readyz"), "60s");
    REQUIRE_MESSAGE(slow_daemon.wait_for_status("/readyz", 200, 30s), slow_daemon.output());
    const long ready_ms = ms_since(slow_started);
    const auto slow_result = slow_probe->wait(30s);
    const long probe_ms = ms_since(slow_started);
    INFO(slow_result.err);
    CHECK(slow_result.exit_code == 0);
    CHECK(ready_ms >= 1900);
    CHECK(probe_ms - ready_ms < 1000);  // polls every 100 ms; the 50 ms steps of ours on top
    CHECK(slow_daemon.stop(elapsed).exit_code == 0);

    // Broken: the probe gives up as soon as initialisation failed, naming the file and error.
    TempDir broken;
    broken.write("V1__ok.sql", "CREATE TABLE ok (id int);\n");
    broken.write("V2__broken.sql", "SELECT pg_sleep(1);\nSELECT no_such_column FROM ok;\n");
    TempDatabase broken_db;
    Daemon broken_daemon(env_for(broken_db.url(), broken, "broken"));
    auto broken_probe = start_probe(broken_daemon.url("/readyz"), "60s");
    const auto broken_result = broken_probe->wait(30s);
    INFO(broken_result.err);
    CHECK(broken_result.exit_code == 1);
    CHECK(broken_result.elapsed >= 900ms);
    CHECK(broken_result.elapsed < 15s);
    CHECK(broken_result.err.find("initialisation failed") != std::string::npos);
    CHECK(broken_result.err.find("no_such_column") != std::string::npos);
    CHECK(broken_result.err.find('\n') == broken_result.err.size() - 1);  // one line
    CHECK(broken_daemon.stop(elapsed).exit_code == 0);

    // Still waiting for an unreachable server when --wait is up: 1, saying it is not ready.
    TempDir any;
    any.write("V1__a.sql", "CREATE TABLE a (id int);\n");
    Daemon waiting(env_for(unreachable_url(sg::test::free_port()), any));
    REQUIRE(waiting.wait_for_status("/readyz", 503, 10s));
    auto late_probe = start_probe(waiting.url("/readyz"), "1s");
    const auto late = late_probe->wait(20s);
    INFO(late.err);
    CHECK(late.exit_code == 1);
    CHECK(late.elapsed >= 900ms);
    CHECK(late.err.find("at the end of --wait") != std::string::npos);
    CHECK(waiting.stop(elapsed).exit_code == 0);

    const auto bad = sg::test::run_schemagate({"healthcheck", "--wait", "soon"}, {}, 10s);
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("not a duration") != std::string::npos);
}
