// Lint for a live database: the rules that catch what blocks traffic or breaks the running
// release (index builds without CONCURRENTLY, validating constraints, table rewrites, destructive
// changes, several ACCESS EXCLUSIVE locks in one transaction), each with a stable id, and the
// `-- schemagate:allow <rule> <reason>` directive that silences one. Pure: no I/O, no logging.
// The rule table is in rules.cpp, what each rule flags in checks.cpp, how a file is read in
// linter.cpp.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sidecar/lint/statement.hpp"
#include "sidecar/migrate/scan.hpp"

namespace sg::lint {

enum class Severity {
    kError,    // blocks reads or writes of a busy table for as long as the table is big
    kWarning,  // breaks the running release, loses data, or risks a deadlock
};

[[nodiscard]] const char* to_string(Severity severity);

struct Rule {
    std::string_view id;
    Severity severity;
    std::string_view effect;  // what it does to a live table
    std::string_view safe;    // the safe way
};

// Every rule, in the order README's table shows them.
[[nodiscard]] const std::vector<Rule>& rules();
[[nodiscard]] const Rule* find_rule(std::string_view id);

struct Finding {
    std::string rule;
    Severity severity = Severity::kError;
    std::string script;
    std::size_t line = 0;
    std::string relation;                // schema.name
    std::string message;                 // what the statement does, its effect and the safe way
    std::optional<std::string> allowed;  // the reason of the allow directive that silenced it
    // "V3__index.sql:4: index-not-concurrent: CREATE INDEX on public.orders ..."
    [[nodiscard]] std::string text() const;
};

// One statement of a file, as `plan` shows it.
struct StatementReport {
    std::size_t line = 0;
    std::string text;
    StatementFacts facts;
    std::vector<Finding> findings;  // silenced ones included (`allowed` set)
};

struct FileReport {
    const migrate::Migration* migration = nullptr;
    bool transactional = true;
    std::vector<StatementReport> statements;
    std::vector<std::string> problems;  // allow directives naming no rule ("line 3: ...")
    // Findings not silenced.
    [[nodiscard]] std::vector<const Finding*> active() const;
};

// Reads the files of a run in the order they are applied. Applied files are only learnt from
// (what they create exists now, what they validated holds); pending ones are checked, knowing
// that what an earlier pending file (or an earlier statement of the same file) creates is new.
class Linter {
  public:
    explicit Linter(std::string default_schema) : schema_(std::move(default_schema)) {}

    // `text` is the file with placeholders resolved; `transactional` false for a
    // no-transaction file. Returns the report of a pending file (empty for an applied one).
    FileReport add(const migrate::Migration& m, std::string_view text, bool transactional,
                   bool pending);

  private:
    // What the statements of one file tell the checks of the later ones in it.
    struct Context {
        const migrate::Migration* migration = nullptr;
        bool transactional = true;
        std::set<std::string> exclusive;  // existing tables locked ACCESS EXCLUSIVE so far
        bool exclusive_reported = false;
        std::map<std::string, std::string> added_not_valid;  // constraint -> table, in this file
    };
    class Findings;  // one statement's findings

    // check() dispatches on the statement's kind to the checks below (checks.cpp).
    void check(const StatementReport& st, Context& ctx, std::vector<Finding>& out);
    void check_create_index(const StatementFacts& f, Findings& out) const;
    void check_reindex(const StatementFacts& f, Findings& out) const;
    void check_drop_index(const StatementFacts& f, Findings& out) const;
    void check_alter_table(const StatementFacts& f, const Context& ctx, Findings& out) const;
    void check_alter_action(const AlterAction& a, const std::string& table, const Context& ctx,
                            Findings& out) const;
    void check_rewrite(const StatementFacts& f, Findings& out) const;  // VACUUM FULL, CLUSTER
    void check_lock_table(const StatementFacts& f, Findings& out) const;
    void check_truncate(const StatementFacts& f, Findings& out) const;
    void check_refresh(const StatementFacts& f, Findings& out) const;
    void check_drop_table(const StatementFacts& f, Findings& out) const;
    void check_exclusive_locks(const StatementFacts& f, Context& ctx, Findings& out) const;
    // The statement's targets no pending file has created so far, qualified.
    [[nodiscard]] std::vector<std::string> existing_targets(const StatementFacts& f) const;

    // learn() and add() are in linter.cpp.
    void learn(const StatementFacts& facts, bool pending, Context& ctx);
    [[nodiscard]] bool is_new(const std::string& qualified) const {
        return new_tables_.contains(qualified);
    }
    [[nodiscard]] std::string qualified(const Relation& r) const { return r.qualified(schema_); }

    std::string schema_;
    std::set<std::string> new_tables_;                // created by pending files so far
    std::map<std::string, std::string> index_table_;  // index -> its table (qualified)
    std::set<std::pair<std::string, std::string>> not_null_checked_;  // (table, column) validated
    // CHECK (col IS NOT NULL) NOT VALID by constraint name -> (table, column)
    std::map<std::string, std::pair<std::string, std::string>> unvalidated_checks_;
};

}  // namespace sg::lint
