// Tests of the integration-test fixture itself: databases, processes, ports, the server control.
#include "tests/integration/fixture.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;

namespace {

std::string self_binary() {
    return std::filesystem::read_symlink("/proc/self/exe").string();
}

// True once `pid` is gone (or a zombie nobody reaped yet), polling for up to two seconds.
bool is_gone(pid_t pid) {
    for (int i = 0; i < 200; ++i) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!stat || !std::getline(stat, line)) {
            return true;
        }
        const auto close = line.rfind(')');
        if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') {
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

bool can_bind(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(0x7f000001U);
    addr.sin_port = htons(port);
    const bool ok =
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd, 1) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

TEST_CASE("fixture: TempDatabase creates a fresh database and drops it") {
    std::string name;
    std::unique_ptr<sg::test::Process> holder;
    {
        sg::test::TempDatabase db;
        name = db.name();
        CHECK(name.rfind("sgt_", 0) == 0);
        CHECK(sg::test::query_value(db.url(), "SELECT current_database()") == name);
        CHECK(sg::test::query_value(
                  sg::test::admin_url(),
                  "SELECT count(*) FROM pg_database WHERE datname = '" + name + "'") == "1");
        // A session still connected at destruction does not stop the drop (WITH (FORCE)).
        holder = std::make_unique<sg::test::Process>(
            std::vector<std::string>{"psql", db.url(), "-c", "SELECT pg_sleep(30)"});
        bool connected = false;
        for (int i = 0; i < 250 && !connected; ++i) {
            connected =
                sg::test::query_value(sg::test::admin_url(),
                                      "SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                          name + "' AND query LIKE '%pg_sleep%'") == "1";
            std::this_thread::sleep_for(20ms);
        }
        REQUIRE(connected);
    }
    CHECK(sg::test::query_value(
              sg::test::admin_url(),
              "SELECT count(*) FROM pg_database WHERE datname = '" + name + "'") == "0");
    const auto psql = holder->wait(10s);
    CHECK_FALSE(psql.timed_out);
    CHECK(psql.exit_code != 0);  // its session was terminated by the drop
    sg::test::TempDatabase other;
    CHECK(other.name() != name);
}

TEST_CASE("fixture: url_as logs in as another role; a special-character password is encoded") {
    sg::test::TempDatabase db;
    const std::string password = "p@ss:w/rd%?#&=x y'";
    sg::test::exec(db.url(),
                   "DROP ROLE IF EXISTS sgt_fixture_role; CREATE ROLE sgt_fixture_role "
                   "LOGIN PASSWORD 'p@ss:w/rd%?#&=x y'''");
    CHECK(sg::test::query_value(db.url_as("sgt_fixture_role", password),
                                "SELECT current_user || '@' || current_database()") ==
          "sgt_fixture_role@" + db.name());
    CHECK_THROWS(sg::test::exec(db.url_as("sgt_fixture_role", "wrong"), "SELECT 1"));
    sg::test::exec(sg::test::admin_url(), "DROP ROLE sgt_fixture_role");
}

TEST_CASE("fixture: query_value, query_rows and exec") {
    sg::test::TempDatabase db;
    sg::test::exec(db.url(),
                   "CREATE TABLE t (a int, b text); INSERT INTO t VALUES (1, 'x'), (2, NULL)");
    CHECK(sg::test::query_value(db.url(), "SELECT count(*) FROM t") == "2");
    CHECK(sg::test::query_value(db.url(), "SELECT b FROM t WHERE a = 2") == "NULL");
    CHECK(sg::test::query_value(db.url(), "SELECT b FROM t WHERE a = 3").empty());
    CHECK(sg::test::query_value(db.url(), "SELECT true") == "t");
    const auto rows = sg::test::query_rows(db.url(), "SELECT a, b FROM t ORDER BY a");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == std::vector<std::string>{"1", "x"});
    CHECK(rows[1] == std::vector<std::string>{"2", "NULL"});
    CHECK_THROWS(sg::test::exec(db.url(), "SELECT * FROM no_such_table"));
}

TEST_CASE("fixture: run captures large stdout and stderr, exit codes and signals") {
    // 4 MiB on each pipe, stderr first: a reader that drained only stdout would deadlock.
    const auto big = sg::test::run({"sh", "-c",
                                    "head -c 4194304 /dev/zero | tr '\\0' e >&2; "
                                    "head -c 4194304 /dev/zero | tr '\\0' o; exit 7"},
                                   {}, 60s);
    CHECK_FALSE(big.timed_out);
    CHECK(big.exit_code == 7);
    CHECK(big.term_signal == 0);
    CHECK(big.out.size() == 64U * 65536U);
    CHECK(big.err.size() == 64U * 65536U);
    CHECK(big.out.find_first_not_of('o') == std::string::npos);
    CHECK(big.err.find_first_not_of('e') == std::string::npos);

    const auto killed = sg::test::run({"sh", "-c", "kill -TERM $$"});
    CHECK(killed.exit_code == -1);
    CHECK(killed.term_signal == SIGTERM);

    const auto stdin_closed = sg::test::run({"cat"}, {}, 10s);
    CHECK(stdin_closed.exit_code == 0);
    CHECK(stdin_closed.out.empty());

    CHECK_THROWS_AS((void)sg::test::run({"/nonexistent/program"}), std::system_error);
}

TEST_CASE("fixture: children get a clean environment plus what the test gives") {
    REQUIRE(std::getenv("SCHEMAGATE_TEST_ADMIN_URL") != nullptr);
    const auto r = sg::test::run({"env"}, {{"FOO", "bar baz"}, {"TZ", "Europe/Paris"}});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("FOO=bar baz\n") != std::string::npos);
    CHECK(r.out.find("LANG=C.UTF-8\n") != std::string::npos);
    CHECK(r.out.find("TZ=Europe/Paris\n") != std::string::npos);
    CHECK(r.out.find("PATH=") != std::string::npos);
    CHECK(r.out.find("SCHEMAGATE_") == std::string::npos);
    CHECK(r.out.find("PGPASSWORD") == std::string::npos);
}

TEST_CASE("fixture: a timeout kills the whole process group") {
    const auto started = std::chrono::steady_clock::now();
    const auto r = sg::test::run({"sh", "-c", "sleep 30 & echo $!; sleep 30"}, {}, 500ms);
    CHECK(r.timed_out);
    CHECK(r.term_signal == SIGKILL);
    CHECK(r.elapsed >= 500ms);
    CHECK(std::chrono::steady_clock::now() - started < 10s);
    const pid_t background = std::stoi(r.out);
    CHECK(is_gone(background));
}

TEST_CASE("fixture: Process runs in the background, shows output so far, takes signals") {
    sg::test::Process p({"sh", "-c",
                         "trap 'echo got-term; exit 3' TERM; echo started; echo to-err >&2; "
                         "while :; do sleep 0.05; done"});
    CHECK(p.pid() > 0);
    REQUIRE(p.wait_for_output("to-err", 10s));
    CHECK(p.output_so_far().find("started") != std::string::npos);
    CHECK(p.stdout_so_far() == "started\n");
    CHECK(p.stderr_so_far() == "to-err\n");
    p.signal(SIGTERM);
    const auto r = p.wait(10s);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 3);
    CHECK(r.out == "started\ngot-term\n");
    CHECK(r.err == "to-err\n");
    const auto again = p.wait(1s);
    CHECK(again.exit_code == 3);
    CHECK_FALSE(p.wait_for_output("never printed", 1s));
}

TEST_CASE("fixture: Process wait times out; the destructor kills what was not waited for") {
    sg::test::Process slow({"sleep", "30"});
    const auto r = slow.wait(200ms);
    CHECK(r.timed_out);
    CHECK(r.term_signal == SIGKILL);

    pid_t pid = 0;
    {
        sg::test::Process forgotten({"sleep", "30"});
        pid = forgotten.pid();
    }
    CHECK(is_gone(pid));
}

TEST_CASE("fixture: free_port returns a bindable port; schemagate_binary can be overridden") {
    const auto port = sg::test::free_port();
    CHECK(port > 0);
    CHECK(can_bind(port));

    CHECK(std::filesystem::exists(sg::test::schemagate_binary()));
    ::setenv("SCHEMAGATE_TEST_BINARY", "echo", 1);
    const auto r = sg::test::run_schemagate({"a", "b c"});
    ::unsetenv("SCHEMAGATE_TEST_BINARY");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "a b c\n");
}

TEST_CASE("fixture: server_ctl stops, starts and restarts the same server") {
    sg::test::TempDatabase db;
    sg::test::exec(db.url(), "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)");
    const std::string port =
        sg::test::query_value(sg::test::admin_url(), "SELECT current_setting('port')");
    CHECK(port == std::getenv("SCHEMAGATE_TEST_PGPORT"));

    sg::test::server_ctl("stop");
    CHECK_THROWS(sg::test::exec(db.url(), "SELECT 1"));
    sg::test::server_ctl("start");
    CHECK(sg::test::query_value(db.url(), "SELECT id FROM kept") == "42");

    const std::string before =
        sg::test::query_value(sg::test::admin_url(), "SELECT pg_postmaster_start_time()::text");
    sg::test::server_ctl("restart-immediate");
    CHECK(sg::test::query_value(db.url(), "SELECT id FROM kept") == "42");
    sg::test::server_ctl("restart");
    CHECK(sg::test::query_value(sg::test::admin_url(), "SELECT pg_postmaster_start_time()::text") !=
          before);
    CHECK(sg::test::query_value(sg::test::admin_url(), "SELECT current_setting('port')") == port);
}

// ---- The fixture's failure paths, each run in a child copy of this binary -------------------

TEST_CASE("fixture: (child) admin_url without a server" * doctest::skip()) {
    (void)sg::test::admin_url();
}

TEST_CASE("fixture: (child) a failing test prints the server log" * doctest::skip()) {
    std::ofstream(std::getenv("SCHEMAGATE_TEST_PGLOG"), std::ios::app)
        << "LOG:  a line written during the failing test\n";
    CHECK(1 == 2);
}

TEST_CASE("fixture: (child) interrupted: children are killed" * doctest::skip()) {
    sg::test::Process child({"sleep", "30"});
    std::cout << "child-pid=" << child.pid() << std::endl;
    ::raise(SIGINT);
}

TEST_CASE("fixture: a missing server is a failure, never a skip") {
    const auto r = sg::test::run({self_binary(), "--no-skip", "-tc=fixture: (child) admin_url*"});
    INFO(r.out << r.err);
    CHECK(r.exit_code != 0);
    CHECK((r.out + r.err).find("SCHEMAGATE_TEST_ADMIN_URL is not set") != std::string::npos);
    CHECK((r.out + r.err).find("1 failed") != std::string::npos);
}

TEST_CASE("fixture: a failed test case prints what the server logged during it") {
    sg::test::TempDir dir;
    const auto log = dir.write("postgresql.log", "LOG:  an older line\n");
    const auto r = sg::test::run({self_binary(), "--no-skip", "-tc=fixture: (child) a failing*"},
                                 {{"SCHEMAGATE_TEST_PGLOG", log.string()}});
    INFO(r.out << r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.out.find("---- PostgreSQL log (") != std::string::npos);
    CHECK(r.out.find("a line written during the failing test") != std::string::npos);
    CHECK(r.out.find("an older line") == std::string::npos);
}

TEST_CASE("fixture: an interrupted test binary kills its children") {
    const auto r =
        sg::test::run({self_binary(), "--no-skip", "-tc=fixture: (child) interrupted*"}, {}, 30s);
    INFO(r.out << r.err);
    CHECK(r.term_signal == SIGINT);
    const auto at = r.out.find("child-pid=");
    REQUIRE(at != std::string::npos);
    const pid_t child = std::stoi(r.out.substr(at + 10));
    CHECK(is_gone(child));
}

TEST_CASE("fixture: TempDir writes files in nested directories and removes itself") {
    std::filesystem::path root;
    {
        sg::test::TempDir dir;
        root = dir.path();
        CHECK(std::filesystem::is_directory(root));
        const auto file = dir.write("seed/01_a.sql", "SELECT 1;\n");
        CHECK(file == root / "seed" / "01_a.sql");
        std::ifstream in(file);
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CHECK(content == "SELECT 1;\n");
        dir.write("seed/01_a.sql", "x");
        CHECK(std::filesystem::file_size(file) == 1);
    }
    CHECK_FALSE(std::filesystem::exists(root));
}
