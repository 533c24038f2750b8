// The lifecycle state the worker publishes and the HTTP handlers read.
// Thread-safety: State is shared by the worker (writer) and the io thread (readers). Writers
// copy, modify and publish a new immutable Snapshot under a mutex; readers take the current
// shared_ptr without locking and never see a half-written one.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg::app {

enum class Phase { kWaiting, kProvisioning, kMigrating, kSeeding, kVerifying, kReady, kFailed };

[[nodiscard]] std::string_view to_string(Phase phase);

using Clock = std::chrono::system_clock;

// One check of /readyz?verbose and /health/detailed.
struct Check {
    std::string name;  // "connect", "read", "write", "transaction", "migrations", ...
    bool ok = false;
    std::string reason;  // empty when ok
};

// What the kept connection last learned about the database (refreshed at most once a second).
struct DatabaseFacts {
    bool reachable = false;
    std::string name;            // current_database()
    std::string server_version;  // "15.18"
    int active_connections = 0;  // pg_stat_activity rows of this database
    std::vector<Check> checks;   // connect, read, write, transaction
    std::optional<Clock::time_point> checked_at;
    std::string error;  // why it is unreachable, no secrets
};

struct AppliedMigration {
    std::string version;  // empty for repeatables
    std::string description;
    std::string type;  // "versioned", "repeatable", "seed"
    double seconds = 0;
};

struct Snapshot {
    // Identity (set once at start-up)
    std::string service;
    std::string version;    // schemagate's own version
    std::string isolation;  // "shared" / "schema" / "database"
    std::string database;   // the database DATABASE_URL names (or libpq's default)
    std::string schema;
    std::string role;
    std::string connection;  // host, port, user, dbname, sslmode: never a password

    // Lifecycle
    Phase phase = Phase::kWaiting;
    bool ready = false;      // latched: once true it stays true until stop
    bool stopping = false;   // SIGTERM received: /readyz answers 503 again
    std::string last_error;  // empty when none; one line, no secrets
    int attempts = 0;        // connection attempts of the current initialisation
    Clock::time_point started_at{};
    std::optional<Clock::time_point> ready_at;
    double init_seconds = 0;  // wall time of the last completed initialisation
    std::vector<std::pair<std::string, double>> phase_seconds;  // phase -> seconds it took

    // Migrations
    std::string current_version;  // highest applied versioned migration ("" if none)
    int applied = 0;              // successfully applied migrations recorded in history
    int pending = 0;              // versioned files not yet applied
    int failed = 0;               // failed rows in history
    std::vector<AppliedMigration> applied_this_run;

    // Lock waits (SCHEMAGATE_STATEMENT_LOCK_TIMEOUT hit, file tried again)
    std::vector<std::pair<std::string, int>> lock_retries;  // script -> retries in this process
    std::string lock_wait;  // the wait going on now: file, attempt, blockers ("" when none)

    DatabaseFacts db;
};

class State {
  public:
    State();

    [[nodiscard]] std::shared_ptr<const Snapshot> snapshot() const {
        return current_.load(std::memory_order_acquire);
    }

    // Copy the current snapshot, let `change` edit it, publish the result.
    void update(const std::function<void(Snapshot&)>& change);

    void set_phase(Phase phase);  // kReady also latches `ready` and stamps ready_at

  private:
    std::mutex write_mutex_;
    std::atomic<std::shared_ptr<const Snapshot>> current_;
};

}  // namespace sg::app
