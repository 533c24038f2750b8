// Support for every integration test; see fixture.hpp.
#include "tests/integration/fixture.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pqxx/pqxx>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sg::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

[[noreturn]] void fail_missing(const char* variable) {
    const std::string message =
        std::string(variable) +
        " is not set: integration tests need the throwaway PostgreSQL. Run them through "
        "tests/run, or by hand: eval \"$(tests/pg/server start)\" before running this binary.";
    FAIL(message);
    throw std::runtime_error(message);  // only reached when doctest runs with --no-throw
}

std::string random_hex(std::size_t length) {
    static constexpr std::string_view kDigits = "0123456789abcdef";
    std::random_device device;
    std::uniform_int_distribution<std::size_t> pick(0, kDigits.size() - 1);
    std::string s;
    for (std::size_t i = 0; i < length; ++i) {
        s += kDigits[pick(device)];
    }
    return s;
}

// ---- URLs --------------------------------------------------------------------------------------

struct UrlParts {
    std::string scheme;    // "postgresql://"
    std::string userinfo;  // "postgres:pw" (without '@'), may be empty
    std::string hostport;  // "127.0.0.1:5432"
    std::string query;     // "?sslmode=disable" or ""
};

UrlParts split_url(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        throw std::invalid_argument("not a postgresql:// URL: " + url);
    }
    UrlParts parts;
    parts.scheme = url.substr(0, scheme_end + 3);
    const auto authority_begin = scheme_end + 3;
    auto authority_end = url.find_first_of("/?", authority_begin);
    if (authority_end == std::string::npos) {
        authority_end = url.size();
    }
    const std::string authority = url.substr(authority_begin, authority_end - authority_begin);
    const auto at = authority.rfind('@');
    if (at != std::string::npos) {
        parts.userinfo = authority.substr(0, at);
        parts.hostport = authority.substr(at + 1);
    } else {
        parts.hostport = authority;
    }
    const auto query_begin = url.find('?', authority_end);
    if (query_begin != std::string::npos) {
        parts.query = url.substr(query_begin);
    }
    return parts;
}

std::string percent_encode(const std::string& s) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4U];
            out += kHex[u & 0x0FU];
        }
    }
    return out;
}

// ---- Children killed when the test binary is interrupted -------------------------------------

constexpr std::size_t kMaxChildren = 1024;
std::array<std::atomic<pid_t>, kMaxChildren> g_children{};

void register_child(pid_t pid) {
    for (auto& slot : g_children) {
        pid_t expected = 0;
        if (slot.compare_exchange_strong(expected, pid)) {
            return;
        }
    }
}

void unregister_child(pid_t pid) {
    for (auto& slot : g_children) {
        pid_t expected = pid;
        if (slot.compare_exchange_strong(expected, 0)) {
            return;
        }
    }
}

extern "C" void kill_children_and_die(int sig) {
    for (auto& slot : g_children) {
        const pid_t pid = slot.load();
        if (pid > 0) {
            ::kill(-pid, SIGKILL);
        }
    }
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

bool install_cleanup_handlers() {
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT}) {
        struct sigaction old {};
        if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) {
            continue;  // ignored (nohup) or handled by someone else: leave it alone
        }
        struct sigaction sa {};
        sa.sa_handler = kill_children_and_die;
        sigemptyset(&sa.sa_mask);
        ::sigaction(sig, &sa, nullptr);
    }
    return true;
}

[[maybe_unused]] const bool kCleanupHandlersInstalled = install_cleanup_handlers();

// ---- Spawning ----------------------------------------------------------------------------------

std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> env{
        {"PATH", env_or("PATH", "/usr/local/bin:/usr/bin:/bin")},
        {"HOME", env_or("HOME", "/tmp")},
        {"LANG", "C.UTF-8"},
        {"TZ", env_or("TZ", "UTC")},
    };
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
        if (const char* v = std::getenv(name); v != nullptr) {
            env[name] = v;
        }
    }
    for (const auto& [k, v] : extra) {
        env[k] = v;
    }
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [k, v] : env) {
        out.push_back(k + "=" + v);
    }
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

struct Spawned {
    pid_t pid = -1;
    std::array<int, 2> fds{-1, -1};  // read ends of the child's stdout and stderr
    Clock::time_point started;
};

void check_errno(int rc, const char* what) {
    if (rc != 0) {
        throw std::system_error(errno, std::generic_category(), what);
    }
}

void set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    check_errno(::fcntl(fd, F_SETFL, flags | O_NONBLOCK), "fcntl");
}

Spawned spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
    if (argv.empty() || argv.front().empty()) {
        throw std::invalid_argument("run/Process: argv is empty");
    }
    std::vector<std::string> args = argv;
    std::vector<std::string> envs = child_environment(env);
    auto argv_c = c_strings(args);
    auto envp_c = c_strings(envs);

    std::array<int, 2> out{};
    std::array<int, 2> err{};
    check_errno(::pipe2(out.data(), O_CLOEXEC), "pipe2");
    if (::pipe2(err.data(), O_CLOEXEC) != 0) {
        const int saved = errno;
        ::close(out[0]);
        ::close(out[1]);
        throw std::system_error(saved, std::generic_category(), "pipe2");
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig = 1; sig < 32; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            sigaddset(&defaults, sig);
        }
    }
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    Spawned s;
    s.started = Clock::now();
    const int rc =
        ::posix_spawnp(&s.pid, args.front().c_str(), &actions, &attr, argv_c.data(), envp_c.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
        ::close(out[0]);
        ::close(err[0]);
        throw std::system_error(rc, std::generic_category(), "cannot start " + args.front());
    }
    register_child(s.pid);
    s.fds = {out[0], err[0]};
    set_nonblocking(s.fds[0]);
    set_nonblocking(s.fds[1]);
    return s;
}

// Reads whatever is available on the open fds (closing each at EOF), waiting up to `wait` for
// something to arrive. Appends via `sink(index, data)`. Returns true if anything was read.
template <typename Sink>
bool pump(std::array<int, 2>& fds, milliseconds wait, Sink&& sink) {
    std::array<pollfd, 2> p{};
    nfds_t n = 0;
    std::array<std::size_t, 2> which{};
    for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i] >= 0) {
            p[n] = pollfd{fds[i], POLLIN, 0};
            which[n] = i;
            ++n;
        }
    }
    if (n == 0) {
        return false;
    }
    const int ready = ::poll(p.data(), n, static_cast<int>(wait.count()));
    if (ready <= 0) {
        return false;
    }
    bool got = false;
    std::array<char, 65536> buf{};
    for (nfds_t k = 0; k < n; ++k) {
        if (p[k].revents == 0) {
            continue;
        }
        const std::size_t i = which[k];
        for (;;) {
            const ssize_t r = ::read(fds[i], buf.data(), buf.size());
            if (r > 0) {
                sink(i, std::string_view(buf.data(), static_cast<std::size_t>(r)));
                got = true;
                continue;
            }
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            }
            ::close(fds[i]);  // EOF or a real error
            fds[i] = -1;
            break;
        }
    }
    return got;
}

bool all_closed(const std::array<int, 2>& fds) {
    return fds[0] < 0 && fds[1] < 0;
}

void close_all(std::array<int, 2>& fds) {
    for (int& fd : fds) {
        if (fd >= 0) {
            ::close(fd);
            fd = -1;
        }
    }
}

// True once the child has exited (it stays a zombie: its pid and group id cannot be reused).
bool has_exited(pid_t pid) {
    siginfo_t info{};
    const int rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    return rc == 0 && info.si_pid == pid;
}

// Kills what is left of the child's group, reaps the child and fills the exit fields.
void reap(pid_t pid, ProcessResult& result) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    unregister_child(pid);
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
        result.term_signal = 0;
    } else if (WIFSIGNALED(status)) {
        result.exit_code = -1;
        result.term_signal = WTERMSIG(status);
    }
}

// Waits (bounded by `deadline`) for the child to exit; kills its group at the deadline.
// `between` is called while waiting and may block up to the given time reading output.
template <typename Between>
bool wait_exit(pid_t pid, Clock::time_point deadline, Between&& between) {
    milliseconds step{1};
    while (!has_exited(pid)) {
        const auto now = Clock::now();
        if (now >= deadline) {
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            return false;
        }
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
        between(std::max(milliseconds{1}, std::min({step, left})));
        step = std::min(step * 2, milliseconds{20});
    }
    return true;
}

std::vector<std::string> split_words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> words;
    for (std::string w; in >> w;) {
        words.push_back(w);
    }
    return words;
}

// ---- The server log, printed after a failed test case ----------------------------------------

std::atomic<bool> g_server_stopped_by_test{false};

std::string read_from(const std::string& path, std::uintmax_t offset) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return {};
    }
    in.seekg(static_cast<std::streamoff>(offset));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string last_lines(const std::string& text, std::size_t n) {
    std::size_t pos = text.size();
    if (pos > 0 && text[pos - 1] == '\n') {
        --pos;
    }
    std::size_t count = 0;
    while (pos > 0) {
        const auto nl = text.rfind('\n', pos - 1);
        if (nl == std::string::npos) {
            return text;
        }
        if (++count == n) {
            return text.substr(nl + 1);
        }
        pos = nl;
    }
    return text;
}

class ServerLogListener : public doctest::IReporter {
  public:
    explicit ServerLogListener(const doctest::ContextOptions& options) : out_(*options.cout) {}

    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_start(const doctest::TestCaseData&) override {
        log_offset_ = current_log_size();
    }
    void test_case_reenter(const doctest::TestCaseData&) override { restart_if_stopped(); }
    void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
        const bool crashed = (stats.failure_flags & doctest::TestCaseFailureReason::Crash) != 0;
        if (!stats.testCaseSuccess || crashed) {
            print_log();
        }
        if (!crashed) {
            restart_if_stopped();
        }
    }
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}

  private:
    static constexpr std::size_t kMaxLines = 100;

    static std::uintmax_t current_log_size() {
        const char* log = std::getenv("SCHEMAGATE_TEST_PGLOG");
        if (log == nullptr) {
            return 0;
        }
        std::error_code ec;
        const auto size = std::filesystem::file_size(log, ec);
        return ec ? 0 : size;
    }

    void print_log() {
        const char* log = std::getenv("SCHEMAGATE_TEST_PGLOG");
        if (log == nullptr) {
            return;
        }
        const auto size = current_log_size();
        std::string text = read_from(log, size >= log_offset_ ? log_offset_ : 0);
        std::string what = "written during this test case";
        if (text.empty()) {
            text = read_from(log, 0);
            what = "nothing new during this test case; its end";
        }
        out_ << "---- PostgreSQL log (" << log << ", " << what << ", at most " << kMaxLines
             << " lines) ----\n"
             << last_lines(text, kMaxLines);
        if (!text.empty() && text.back() != '\n') {
            out_ << '\n';
        }
        out_ << "---- end of PostgreSQL log ----" << std::endl;
    }

    void restart_if_stopped() {
        if (!g_server_stopped_by_test.load()) {
            return;
        }
        const char* ctl = std::getenv("SCHEMAGATE_TEST_PGCTL");
        if (ctl == nullptr) {
            return;
        }
        out_ << "fixture: starting the server again (the test stopped it)" << std::endl;
        try {
            const auto r = run({ctl, "start"}, {}, std::chrono::seconds{120});
            if (r.exit_code == 0) {
                g_server_stopped_by_test = false;
            } else {
                out_ << "fixture: could not start the server: " << r.err << std::endl;
            }
        } catch (const std::exception& e) {
            out_ << "fixture: could not start the server: " << e.what() << std::endl;
        }
    }

    std::ostream& out_;
    std::uintmax_t log_offset_ = 0;
};

}  // namespace

REGISTER_LISTENER("schemagate-server-log", 1, ServerLogListener);

// ---- The server
// ----------------------------------------------------------------------------------

std::string admin_url() {
    const char* url = std::getenv("SCHEMAGATE_TEST_ADMIN_URL");
    if (url == nullptr || *url == '\0') {
        fail_missing("SCHEMAGATE_TEST_ADMIN_URL");
    }
    return url;
}

void server_ctl(const std::string& action) {
    const char* ctl = std::getenv("SCHEMAGATE_TEST_PGCTL");
    if (ctl == nullptr || *ctl == '\0') {
        fail_missing("SCHEMAGATE_TEST_PGCTL");
    }
    std::vector<std::string> argv{ctl};
    for (auto& w : split_words(action)) {
        argv.push_back(std::move(w));
    }
    const auto r = run(argv, {}, std::chrono::seconds{120});
    if (r.exit_code != 0) {
        FAIL("server_ctl(\"" << action << "\") failed: exit " << r.exit_code
                             << (r.timed_out ? " (timed out)" : "") << "\n"
                             << r.out << r.err);
    }
    const std::string verb = argv.size() > 1 ? argv[1] : "";
    if (verb == "stop") {
        g_server_stopped_by_test = true;
    } else if (verb == "start" || verb.rfind("restart", 0) == 0) {
        g_server_stopped_by_test = false;
    }
}

// ---- Databases and SQL
// ---------------------------------------------------------------------------

TempDatabase::TempDatabase() : name_("sgt_" + random_hex(12)) {
    exec(admin_url(), "CREATE DATABASE " + name_);
}

TempDatabase::~TempDatabase() {
    const char* admin = std::getenv("SCHEMAGATE_TEST_ADMIN_URL");
    if (admin == nullptr) {
        return;
    }
    try {
        exec(admin, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
        std::cerr << "fixture: could not drop database " << name_ << ": " << e.what() << '\n';
    }
}

std::string TempDatabase::url() const {
    const auto p = split_url(admin_url());
    return p.scheme + (p.userinfo.empty() ? "" : p.userinfo + "@") + p.hostport + "/" + name_ +
           p.query;
}

std::string TempDatabase::url_as(const std::string& user, const std::string& password) const {
    const auto p = split_url(admin_url());
    return p.scheme + percent_encode(user) + ":" + percent_encode(password) + "@" + p.hostport +
           "/" + name_ + p.query;
}

std::vector<std::vector<std::string>> query_rows(const std::string& url, const std::string& sql) {
    pqxx::connection c{url};
    pqxx::nontransaction tx{c};
    const pqxx::result r = tx.exec(sql);
    std::vector<std::vector<std::string>> rows;
    rows.reserve(r.size());
    for (const auto& row : r) {
        std::vector<std::string> values;
        values.reserve(row.size());
        for (const auto& field : row) {
            values.emplace_back(field.is_null() ? "NULL" : field.c_str());
        }
        rows.push_back(std::move(values));
    }
    return rows;
}

std::string query_value(const std::string& url, const std::string& sql) {
    const auto rows = query_rows(url, sql);
    if (rows.empty() || rows.front().empty()) {
        return {};
    }
    return rows.front().front();
}

void exec(const std::string& url, const std::string& sql) {
    pqxx::connection c{url};
    pqxx::nontransaction tx{c};
    tx.exec(sql);
}

// ---- Files
// -----------------------------------------------------------------------------------------

TempDir::TempDir() {
    std::string pattern = env_or("TMPDIR", "/tmp") + "/sgtest.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(const std::string& relative_path,
                                     const std::string& content) const {
    const auto full = path_ / relative_path;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) {
        throw std::runtime_error("cannot write " + full.string());
    }
    return full;
}

// ---- Processes
// -------------------------------------------------------------------------------------

ProcessResult run(const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env, milliseconds timeout) {
    Spawned s = spawn(argv, env);
    ProcessResult result;
    auto sink = [&result](std::size_t i, std::string_view data) {
        (i == 0 ? result.out : result.err).append(data);
    };
    const bool exited = wait_exit(s.pid, s.started + timeout, [&](milliseconds wait) {
        if (all_closed(s.fds)) {
            std::this_thread::sleep_for(wait);
        } else {
            pump(s.fds, wait, sink);
        }
    });
    result.timed_out = !exited;
    reap(s.pid, result);
    result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - s.started);
    // Everything in the group is gone: read to EOF (bounded, in case a stray holds a pipe).
    const auto drain_until = Clock::now() + std::chrono::seconds{2};
    while (!all_closed(s.fds) && Clock::now() < drain_until) {
        pump(s.fds, milliseconds{50}, sink);
    }
    close_all(s.fds);
    return result;
}

struct Process::State {
    Spawned spawned;
    mutable std::mutex mutex;
    std::string out;
    std::string err;
    std::atomic<bool> stop{false};
    std::thread reader;
    bool waited = false;
    ProcessResult result;

    void read_loop() {
        auto sink = [this](std::size_t i, std::string_view data) {
            const std::lock_guard lock(mutex);
            (i == 0 ? out : err).append(data);
        };
        Clock::time_point stop_seen{};
        while (!all_closed(spawned.fds)) {
            const bool got = pump(spawned.fds, milliseconds{50}, sink);
            if (stop.load()) {
                if (stop_seen == Clock::time_point{}) {
                    stop_seen = Clock::now();
                }
                if (!got || Clock::now() - stop_seen > std::chrono::seconds{2}) {
                    break;
                }
            }
        }
        close_all(spawned.fds);
    }

    void finish() {
        stop = true;
        if (reader.joinable()) {
            reader.join();
        }
        const std::lock_guard lock(mutex);
        result.out = out;
        result.err = err;
        waited = true;
    }
};

Process::Process(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env)
    : state_(std::make_unique<State>()) {
    state_->spawned = spawn(argv, env);
    state_->reader = std::thread([s = state_.get()] { s->read_loop(); });
}

Process::~Process() {
    if (!state_->waited) {
        ::kill(-state_->spawned.pid, SIGKILL);
        reap(state_->spawned.pid, state_->result);
        state_->finish();
    }
}

pid_t Process::pid() const {
    return state_->spawned.pid;
}

void Process::signal(int sig) {
    if (!state_->waited) {
        ::kill(state_->spawned.pid, sig);
    }
}

ProcessResult Process::wait(milliseconds timeout) {
    if (state_->waited) {
        return state_->result;
    }
    const bool exited = wait_exit(state_->spawned.pid, Clock::now() + timeout,
                                  [](milliseconds w) { std::this_thread::sleep_for(w); });
    state_->result.timed_out = !exited;
    reap(state_->spawned.pid, state_->result);
    state_->result.elapsed =
        std::chrono::duration_cast<milliseconds>(Clock::now() - state_->spawned.started);
    // Give the reader the rest of the output (the group is dead, so the pipes reach EOF).
    state_->finish();
    return state_->result;
}

std::string Process::stdout_so_far() const {
    const std::lock_guard lock(state_->mutex);
    return state_->out;
}

std::string Process::stderr_so_far() const {
    const std::lock_guard lock(state_->mutex);
    return state_->err;
}

std::string Process::output_so_far() const {
    const std::lock_guard lock(state_->mutex);
    return state_->out + state_->err;
}

bool Process::wait_for_output(const std::string& needle, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (output_so_far().find(needle) != std::string::npos) {
            return true;
        }
        if (state_->waited || Clock::now() >= deadline) {
            return false;
        }
        if (has_exited(state_->spawned.pid)) {
            std::this_thread::sleep_for(milliseconds{100});  // let the reader catch up
            return output_so_far().find(needle) != std::string::npos;
        }
        std::this_thread::sleep_for(milliseconds{10});
    }
}

std::string schemagate_binary() {
#ifdef SCHEMAGATE_BINARY
    return env_or("SCHEMAGATE_TEST_BINARY", SCHEMAGATE_BINARY);
#else
    return env_or("SCHEMAGATE_TEST_BINARY", "schemagate");
#endif
}

ProcessResult run_schemagate(const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& env, milliseconds timeout) {
    std::vector<std::string> argv{schemagate_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, env, timeout);
}

// ---- Network
// -------------------------------------------------------------------------------------

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(), "socket");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(0x7f000001U);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const int saved = errno;
        ::close(fd);
        throw std::system_error(saved, std::generic_category(), "bind 127.0.0.1:0");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

}  // namespace sg::test
