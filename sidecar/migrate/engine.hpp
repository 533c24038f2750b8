// The engine: reads history, plans, takes the lock, applies each file with its history row in
// the same transaction (one round trip per file), then seeds and verifies.
// Uses a connection it is given; a lost connection escapes as db::ConnectionLost for the caller
// to retry. Not thread-safe; stop requests arrive through wait::Stop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sidecar/db/connection.hpp"
#include "sidecar/migrate/lint.hpp"
#include "sidecar/migrate/lock.hpp"
#include "sidecar/migrate/plan.hpp"
#include "sidecar/migrate/takeover.hpp"
#include "sidecar/wait/stop.hpp"

namespace sg::migrate {

struct EngineOptions {
    std::string service;
    std::string schema;
    std::string role;
    std::string lock_conninfo;  // where the dedicated lock connection goes (the same server)
    std::chrono::milliseconds lock_timeout{std::chrono::minutes(5)};
    std::optional<std::chrono::milliseconds> statement_lock_timeout;
    int lock_retries = 10;  // tries again of a file that hit the statement lock timeout
    std::chrono::milliseconds lock_retry_initial{500};  // first back-off delay (then doubled)
    Placeholders extra_placeholders;                    // SCHEMAGATE_PLACEHOLDER_*
    bool out_of_order_allowed = false;                  // SCHEMAGATE_OUT_OF_ORDER=allow
    std::optional<Version> target;  // migrate --target: versions above it stay pending
};

enum class Stage { kMigrating, kSeeding, kVerifying };

struct EngineEvents {
    std::function<void(Stage)> stage;
    std::function<void(const Plan&)> planned;  // after reading history (numbers for /health)
    std::function<void(const Migration&, std::chrono::milliseconds)> applied;
    // When there is work, before the lock is taken: a message stops the run (kInvalid) before
    // anything is applied. The placeholders are those the files are sent with.
    std::function<std::optional<std::string>(const Plan&, const Placeholders&)> before_apply;
    // A file hit the statement lock timeout and is tried again (attempt 2, 3, ...) after
    // `delay`; `blockers` names the oldest open transactions of the database ("" if none).
    std::function<void(const Migration&, int attempt, std::chrono::milliseconds delay,
                       const std::string& blockers)>
        lock_retry;
};

enum class Result {
    kOk,
    kFailed,       // a file, seed or verify failed (exit 1)
    kInvalid,      // validation: drift, bad files (exit 4)
    kLockTimeout,  // exit 5
    kStopped,      // stop requested; the running statement was cancelled and rolled back
    kUnavailable,  // the database cannot be used as configured (missing schema, privileges)
};

// Where a run failed, for log fields (file=, line=, sqlstate=) next to the message.
struct FailurePoint {
    std::string file;
    std::optional<std::size_t> line;  // in the file, 1-based
    std::string sqlstate;
    // " file=V2__x.sql line=3 sqlstate=42601", only what is known; "" when nothing is.
    [[nodiscard]] std::string fields() const;
};

struct Outcome {
    Result result = Result::kOk;
    std::string message;  // one line naming the cause and the fix
    FailurePoint at;      // the file, line and SQLSTATE of a failure, where known
    int applied = 0;      // files applied in this run
    int skipped = 0;      // files already applied
    std::chrono::milliseconds elapsed{0};
};

// What the server told about itself on the first query.
struct ServerFacts {
    std::string database;
    std::string user;
    std::string server_version;
};

class Engine {
  public:
    Engine(db::Connection& connection, const MigrationSet& files, EngineOptions options,
           wait::Stop& stop, EngineEvents events = {});

    // First round trip: facts, search_path, whether history exists. Throws ConnectionLost for a
    // hot standby (waiting fixes it).
    ServerFacts connect_session();

    // wait for nothing; lock only when there is work; versioned -> repeatable -> seed -> verify.
    Outcome migrate();
    Outcome undo(const std::optional<Version>& to);
    // The history as it is now (empty when the table does not exist yet).
    std::vector<HistoryRow> history();
    // Checksums of applied files realigned with the files; failed rows removed.
    Outcome repair();
    // `schemagate baseline`: on a database with no history of any tool, records that versions
    // up to `version` are applied (never runs them).
    Outcome baseline(const Version& version, const std::string& description);
    // Before schemagate_history exists: why another tool's history cannot be taken over, or
    // nullptr (none found, or it can be). history() then shows what would be taken over.
    [[nodiscard]] const std::string* takeover_problem();
    // The tool whose history is taken over on the next migrate (nullopt: none, or done).
    [[nodiscard]] std::optional<Tool> takeover_from();

    [[nodiscard]] const Placeholders& placeholders() const { return placeholders_; }

  private:
    Outcome migrate_unguarded();
    // Out-of-order versions refused (unless allowed) and --target applied to `plan`: an
    // outcome when the run must stop before anything is applied.
    std::optional<Outcome> narrow(Plan& plan, std::chrono::steady_clock::time_point start);
    // Drift refused, then narrow(): an outcome when the run must stop before applying.
    std::optional<Outcome> refuse_plan(Plan& plan, std::chrono::steady_clock::time_point start);
    // Under both locks: the history made (or taken over), the plan made again, then applied.
    Outcome apply_under_locks(std::chrono::steady_clock::time_point start);
    void announce(const Plan& plan) const;  // events_.planned, when set
    int held_back_ = 0;                     // versions above --target left pending by this run
    struct Applied {
        bool ok = false;
        std::string message;
        bool lock_timeout = false;  // failed with lock_not_available (55P03)
        int done = 0;               // no-transaction files: statements completed
        FailurePoint at{};
    };
    // `record_failure` false: a failure leaves no history row (the file is tried again).
    Applied apply_transactional(const Migration& m, const Prepared& p, bool record_failure);
    // Applies the file, trying again with back-off while a statement hits the lock timeout.
    Applied apply_with_lock_retries(const Migration& m, const Prepared& p, int resume_at);
    // The oldest open transactions of other sessions of this database: who likely blocks us.
    std::string describe_blockers();
    Applied apply_statements(const Migration& m, const Prepared& p, int resume_at);
    Applied apply_statements_of_file(const Migration& m, const Prepared& p, int resume_at);
    // Where a no-transaction file's run starts: its history row and statement, and what an
    // earlier attempt at it left.
    struct ResumePoint {
        std::string rank;              // the file's history row
        int statement = 0;             // the statement running now (0-based)
        bool earlier_attempt = false;  // an unfinished row of this version was there
        bool interrupted = false;      // that attempt recorded no error: it never learnt its end
    };
    ResumePoint open_no_transaction_file(const Migration& m, const Prepared& p, int resume_at);
    // The first statement of a resumed file is CREATE INDEX CONCURRENTLY `index_name`: true
    // when the interrupted build had finished (skip it); an INVALID leftover is dropped.
    bool concurrent_index_done(const Migration& m, const ResumePoint& at,
                               const std::string& index_name);
    // One statement (lock_timeout set first), committed with its progress where PostgreSQL
    // allows: true when the progress was recorded with it. A failure escapes as db::SqlError.
    bool run_statement(std::string_view statement, const std::string& progress_sql);
    // Records why statement `at.statement` failed and says what stays applied.
    Applied statement_failed(const Migration& m, const Prepared& p, const ResumePoint& at,
                             const db::SqlError& e);
    // The session schemagate set up, whatever a file did to it (SET search_path, SET ROLE, SET
    // statement_timeout, ...): statements restoring it for the rest of the session, run after
    // every file; and a prefix restoring it for one message only (history writes between the
    // statements of a no-transaction file, whose settings last until the file ends).
    [[nodiscard]] std::string session_settings_sql() const;
    [[nodiscard]] std::string reset_session_sql() const;
    [[nodiscard]] std::string own_settings_local_sql() const;
    Outcome verify();
    Outcome apply_plan(const Plan& plan, Outcome outcome);
    // Creates schemagate_history; a takeover's rows are written in the same transaction.
    std::optional<Outcome> ensure_history();
    // Reads another tool's history in the target schema, once, while schemagate's is missing.
    void read_takeover();
    [[nodiscard]] bool takeover_pending();
    [[nodiscard]] std::vector<ForeignRow> read_foreign_rows(Tool tool, const std::string& table);
    [[nodiscard]] std::string takeover_insert_sql() const;
    [[nodiscard]] std::optional<Outcome> refuse_takeover(
        std::chrono::steady_clock::time_point start);
    std::string insert_history_sql(const Migration& m, const std::string& type, bool success,
                                   const std::string& execution_ms_sql, const std::string& error,
                                   std::optional<int> statements_done);
    std::string version_literal(const Migration& m);
    std::string invalid_indexes();
    std::string invalid_index_named(const std::string& name);  // "schema.name" or ""
    // The migration lock, on a connection of its own (so a lost session frees it), and the work
    // lock on this session; released on destruction if still held.
    struct Locks {
        Locks(std::unique_ptr<db::Connection> lock_connection, db::Connection& session,
              std::int64_t lock, std::int64_t work);
        std::unique_ptr<db::Connection> connection;
        MigrationLock lock;
        MigrationLock work;
        void release() {
            work.release();
            lock.release();
        }
    };
    // Opens the lock connection (a failure escapes as db::ConnectionLost); takes nothing yet.
    [[nodiscard]] std::unique_ptr<Locks> open_locks();
    // Takes the migration lock, then the work lock on this connection (waiting for an earlier
    // runner's orphaned session to end); nullopt when both are held, else why not.
    std::optional<Outcome> take_locks(MigrationLock& lock, MigrationLock& work,
                                      std::chrono::steady_clock::time_point start);

    db::Connection& conn_;
    const MigrationSet& files_;
    EngineOptions options_;
    wait::Stop& stop_;
    EngineEvents events_;
    Placeholders placeholders_;
    std::string table_;                // "schema".schemagate_history
    std::string search_path_;          // "schema", public
    std::string start_role_ = "none";  // the role setting the session started with
    ServerFacts facts_;
    bool history_exists_ = false;
    std::optional<Takeover> takeover_;  // another tool's history, while ours does not exist
    bool takeover_read_ = false;
    bool schema_exists_ = false;
};

// Human-readable name of a migration: "V1.1 add email index" / "R user views" /
// "seed/01_users.sql".
[[nodiscard]] std::string display_name(const Migration& m);

}  // namespace sg::migrate
