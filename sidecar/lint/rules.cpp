#include "sidecar/lint/rules.hpp"

namespace sg::lint {

const char* to_string(Severity severity) {
    return severity == Severity::kError ? "error" : "warning";
}

const std::vector<Rule>& rules() {
    static const std::vector<Rule> table = {
        {"index-not-concurrent", Severity::kError,
         "takes a SHARE lock: every write to the table waits for the whole index build",
         "use CREATE INDEX CONCURRENTLY, in a file with -- schemagate:no-transaction"},
        {"reindex-not-concurrent", Severity::kError,
         "locks the table against writes (and the index against reads) for the whole rebuild",
         "use REINDEX ... CONCURRENTLY, in a file with -- schemagate:no-transaction"},
        {"drop-index-not-concurrent", Severity::kError,
         "takes an ACCESS EXCLUSIVE lock on the table: it queues behind every running query "
         "and every query queues behind it",
         "use DROP INDEX CONCURRENTLY, in a file with -- schemagate:no-transaction"},
        {"constraint-not-valid", Severity::kError,
         "checks every existing row while holding its lock (ACCESS EXCLUSIVE for CHECK, SHARE ROW "
         "EXCLUSIVE on both tables for FOREIGN KEY)",
         "add it with NOT VALID, then VALIDATE CONSTRAINT in a later file (SHARE UPDATE "
         "EXCLUSIVE: reads and writes go on)"},
        {"column-type-change", Severity::kError,
         "rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (unless the types "
         "are binary-compatible, such as varchar to text)",
         "add a column of the new type, backfill it in batches, switch the code to it, then drop "
         "the old one"},
        {"set-not-null", Severity::kError, "scans the whole table under an ACCESS EXCLUSIVE lock",
         "first ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in "
         "a later file, then SET NOT NULL (PostgreSQL 12+ then skips the scan)"},
        {"add-column-volatile-default", Severity::kError,
         "fills every row anew: a rewrite of the table under an ACCESS EXCLUSIVE lock",
         "add the column without that default (a constant default costs nothing), backfill it "
         "in batches, then SET DEFAULT"},
        {"constraint-not-using-index", Severity::kError,
         "builds its unique index under an ACCESS EXCLUSIVE lock",
         "CREATE UNIQUE INDEX CONCURRENTLY first (in a -- schemagate:no-transaction file), then "
         "ADD CONSTRAINT ... PRIMARY KEY (or UNIQUE) USING INDEX"},
        {"vacuum-full", Severity::kError,
         "rewrites the table under an ACCESS EXCLUSIVE lock: no reads or writes until it ends",
         "use plain VACUUM (or pg_repack to reclaim space online)"},
        {"cluster", Severity::kError,
         "rewrites the table under an ACCESS EXCLUSIVE lock: no reads or writes until it ends",
         "leave the order to the planner, or use pg_repack online"},
        {"lock-table", Severity::kError,
         "holds an explicit lock (ACCESS EXCLUSIVE unless a mode is given) until the file "
         "commits",
         "let each statement take the lock it needs, for as short a time as it can"},
        {"truncate", Severity::kWarning, "deletes every row, under an ACCESS EXCLUSIVE lock",
         "if the data must go, DELETE in batches; if losing it is intended, allow the rule with "
         "the reason"},
        {"refresh-not-concurrent", Severity::kError,
         "takes an ACCESS EXCLUSIVE lock: reads of the view wait for the whole refresh",
         "use REFRESH MATERIALIZED VIEW CONCURRENTLY (the view needs a unique index)"},
        {"drop-table", Severity::kWarning,
         "the running release of the service may still use it, and its data is gone",
         "stop using it in one release, drop it in a later one"},
        {"drop-column", Severity::kWarning,
         "the running release of the service may still read or write it, and its data is gone",
         "stop using it in one release, drop it in a later one"},
        {"rename-table", Severity::kWarning,
         "the running release of the service still uses the old name and breaks",
         "create the new table (or a view under the new name), move the code over, then drop "
         "the old name in a later release"},
        {"rename-column", Severity::kWarning,
         "the running release of the service still uses the old name and breaks",
         "add the new column, write both, backfill, move the code over, then drop the old "
         "column in a later release"},
        {"multiple-exclusive-locks", Severity::kWarning,
         "holds ACCESS EXCLUSIVE locks on several existing tables at once until the file "
         "commits: traffic on all of them stops, and sessions locking them in another order "
         "deadlock",
         "change one existing table per file"},
    };
    return table;
}

const Rule* find_rule(std::string_view id) {
    for (const auto& r : rules()) {
        if (r.id == id) {
            return &r;
        }
    }
    return nullptr;
}

std::string Finding::text() const {
    std::string out = script + ":" + std::to_string(line) + ": " + rule + ": " + message;
    if (allowed) {
        out += " (allowed: " + *allowed + ")";
    }
    return out;
}

std::vector<const Finding*> FileReport::active() const {
    std::vector<const Finding*> out;
    for (const auto& st : statements) {
        for (const auto& f : st.findings) {
            if (!f.allowed) {
                out.push_back(&f);
            }
        }
    }
    return out;
}

}  // namespace sg::lint
