// Support for every integration test: the throwaway PostgreSQL that tests/run starts, a fresh
// database and directory per test case, and child processes run with a clean environment.
// Owns no product logic; it never skips: a missing server fails the test.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

namespace sg::test {

// ---- The server ------------------------------------------------------------------------------
// tests/run starts one server (tests/pg/server) and exports SCHEMAGATE_TEST_* for this binary.
// To run the binary by hand:
//   eval "$(tests/pg/server start)"; build/dev/tests/integration_tests -tc="*lock*"
//   tests/pg/server destroy
// When a test case fails, the server log lines written during it are printed after it.

// SCHEMAGATE_TEST_ADMIN_URL: a superuser URL (postgresql://postgres:pw@127.0.0.1:port/postgres).
// Unset: FAILs the current test (run the tests through tests/run).
[[nodiscard]] std::string admin_url();

// Runs `$SCHEMAGATE_TEST_PGCTL <action>` on the same server (same port and data) and REQUIREs
// that it succeeded. Actions: "stop", "start", "restart" (fast), "restart-immediate" (a crash:
// the server does crash recovery on start). A test that stops the server and then fails has it
// started again after the test case, so later tests are not affected.
void server_ctl(const std::string& action);

// ---- Databases and SQL -----------------------------------------------------------------------
// A fresh database `sgt_<random>` created on construction and dropped WITH (FORCE) on
// destruction (errors while dropping are printed, never thrown). Not copyable or movable.
class TempDatabase {
  public:
    TempDatabase();
    ~TempDatabase();
    TempDatabase(const TempDatabase&) = delete;
    TempDatabase& operator=(const TempDatabase&) = delete;

    [[nodiscard]] const std::string& name() const { return name_; }
    // The superuser's URL with this database: postgresql://postgres:pw@127.0.0.1:port/sgt_...
    [[nodiscard]] std::string url() const;
    // The same server and database as another login (user and password are percent-encoded).
    [[nodiscard]] std::string url_as(const std::string& user, const std::string& password) const;

  private:
    std::string name_;
};

// Runs `sql` (one or more statements, autocommit: CREATE DATABASE, VACUUM, ... work) and
// returns the rows of the last statement as text. SQL NULL reads as the string "NULL".
// Throws the libpqxx exception (the test fails with the server's message) on any error.
[[nodiscard]] std::vector<std::vector<std::string>> query_rows(const std::string& url,
                                                               const std::string& sql);
// First column of the first row; "" when there is no row, "NULL" when the value is NULL.
// Booleans read "t"/"f", numbers as PostgreSQL prints them ("1", "1.50").
[[nodiscard]] std::string query_value(const std::string& url, const std::string& sql);
// Runs `sql`, discarding results.
void exec(const std::string& url, const std::string& sql);

// ---- Files -----------------------------------------------------------------------------------
// A fresh directory ($TMPDIR or /tmp, sgtest.XXXXXX), removed with everything in it on
// destruction. Not copyable or movable.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    // Writes `content` to path()/relative_path (replacing it), creating parent directories.
    // Returns the full path. Throws std::runtime_error on failure.
    std::filesystem::path write(const std::string& relative_path, const std::string& content) const;

  private:
    std::filesystem::path path_;
};

// ---- Processes -------------------------------------------------------------------------------
struct ProcessResult {
    int exit_code = -1;   // the exit status; -1 when a signal ended the process
    int term_signal = 0;  // the signal that ended it (SIGKILL after a timeout), else 0
    bool timed_out = false;
    std::string out;  // everything it wrote to stdout
    std::string err;  // everything it wrote to stderr
    std::chrono::milliseconds elapsed{0};
};

// The environment every child gets: PATH and HOME (the runner's, or defaults), LANG=C.UTF-8,
// TZ (the runner's, else UTC), ASAN_OPTIONS/UBSAN_OPTIONS/LSAN_OPTIONS if set, then `env` on
// top (it wins). Nothing else leaks in, in particular not SCHEMAGATE_* or PG*.
//
// Runs argv (argv[0] is searched in the runner's PATH) with stdin from /dev/null in its own
// process group, captures stdout and stderr completely, and waits. On timeout the whole process
// group is killed with SIGKILL; so is anything left in the group after the process exits.
// Throws std::system_error if it cannot be started (e.g. no such program).
[[nodiscard]] ProcessResult run(const std::vector<std::string>& argv,
                                const std::map<std::string, std::string>& env = {},
                                std::chrono::milliseconds timeout = std::chrono::seconds{60});

// The same, started in the background. The destructor kills the process group (SIGKILL) if it
// was not waited for. If the test binary is interrupted (SIGINT/SIGTERM/SIGHUP/SIGABRT), every
// live child's group is killed first. Not copyable or movable; use one Process from one thread.
class Process {
  public:
    explicit Process(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    [[nodiscard]] pid_t pid() const;
    // Sends `sig` to the process itself (not its group). No-op once it has been waited for.
    void signal(int sig);
    // Waits up to `timeout` for it to exit (then SIGKILLs its group: timed_out) and returns the
    // result with all output. A second call returns the same result.
    ProcessResult wait(std::chrono::milliseconds timeout = std::chrono::seconds{60});
    // stdout and stderr received so far (e.g. to poll for a log line while it runs).
    [[nodiscard]] std::string output_so_far() const;
    // Polls output_so_far() until it contains `needle` (true) or `timeout` passes or the
    // process exits without printing it (false).
    [[nodiscard]] bool wait_for_output(const std::string& needle,
                                       std::chrono::milliseconds timeout);
    [[nodiscard]] std::string stdout_so_far() const;
    [[nodiscard]] std::string stderr_so_far() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

// The schemagate binary: env SCHEMAGATE_TEST_BINARY, else the one this build made.
[[nodiscard]] std::string schemagate_binary();

// run({schemagate_binary(), args...}, env, timeout).
[[nodiscard]] ProcessResult run_schemagate(const std::vector<std::string>& args,
                                           const std::map<std::string, std::string>& env = {},
                                           std::chrono::milliseconds timeout = std::chrono::seconds{
                                               60});

// ---- Network ---------------------------------------------------------------------------------
// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close).
[[nodiscard]] std::uint16_t free_port();

}  // namespace sg::test
