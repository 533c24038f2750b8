#include "sidecar/lint/rules.hpp"

#include <algorithm>

#include "sidecar/migrate/directives.hpp"
#include "sidecar/migrate/sql_lexer.hpp"

namespace sg::lint {

namespace {

constexpr std::string_view kNoTransactionFile = "in a file with -- schemagate:no-transaction";

std::size_t end_line(const migrate::Statement& st) {
    return st.line + static_cast<std::size_t>(std::count(st.text.begin(), st.text.end(), '\n'));
}

std::string rule_list() {
    std::string out;
    for (const auto& r : rules()) {
        out += (out.empty() ? "" : ", ") + std::string(r.id);
    }
    return out;
}

}  // namespace

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

struct Linter::Context {
    const migrate::Migration* migration = nullptr;
    bool transactional = true;
    std::set<std::string> exclusive;  // existing tables locked ACCESS EXCLUSIVE so far
    bool exclusive_reported = false;
    std::map<std::string, std::string> added_not_valid;  // constraint -> table, in this file
};

void Linter::check(const StatementReport& st, Context& ctx, std::vector<Finding>& out) {
    const StatementFacts& f = st.facts;
    const auto q = [&](const Relation& r) { return r.qualified(schema_); };
    const auto add = [&](std::string_view rule, const std::string& relation, std::string what) {
        const Rule* r = find_rule(rule);
        Finding finding;
        finding.rule = std::string(rule);
        finding.severity = r->severity;
        finding.script = ctx.migration->script;
        finding.line = st.line;
        finding.relation = relation;
        finding.message =
            std::move(what) + ": " + std::string(r->effect) + "; " + std::string(r->safe);
        out.push_back(std::move(finding));
    };
    const auto existing_targets = [&] {
        std::vector<std::string> out_targets;
        for (const auto& t : f.targets) {
            if (!t.empty() && !is_new(q(t))) {
                out_targets.push_back(q(t));
            }
        }
        return out_targets;
    };
    switch (f.kind) {
        case Kind::kCreateIndex:
            if (!f.concurrently && !f.targets.empty() && !is_new(q(f.targets.front()))) {
                add("index-not-concurrent", q(f.targets.front()),
                    "CREATE INDEX on existing table " + q(f.targets.front()));
            }
            break;
        case Kind::kReindex:
            if (!f.concurrently) {
                std::string table = f.targets.empty() ? "" : q(f.targets.front());
                if (!f.index.empty()) {
                    const auto it = index_table_.find(q(f.index));
                    table = it == index_table_.end() ? "" : it->second;
                }
                if (table.empty() || !is_new(table)) {
                    add("reindex-not-concurrent", table.empty() ? q(f.index) : table,
                        "REINDEX of " + (f.index.empty() ? table : "index " + q(f.index)));
                }
            }
            break;
        case Kind::kDropIndex:
            if (!f.concurrently) {
                const auto it = index_table_.find(q(f.index));
                const std::string table = it == index_table_.end() ? "" : it->second;
                if (table.empty() || !is_new(table)) {
                    add("drop-index-not-concurrent", table.empty() ? q(f.index) : table,
                        "DROP INDEX " + q(f.index) + (table.empty() ? "" : " on " + table));
                }
            }
            break;
        case Kind::kAlterTable: {
            const std::string table = q(f.targets.front());
            const bool existing = !is_new(table);
            for (const auto& a : f.actions) {
                if (!existing) {
                    continue;
                }
                switch (a.action) {
                    case Action::kAddForeignKey:
                    case Action::kAddCheck:
                        if (!a.not_valid) {
                            add("constraint-not-valid", table,
                                std::string(a.action == Action::kAddCheck ? "ADD CHECK"
                                                                          : "ADD FOREIGN KEY") +
                                    " without NOT VALID on existing table " + table);
                        }
                        break;
                    case Action::kValidateConstraint:
                        if (ctx.transactional && ctx.added_not_valid.contains(a.constraint)) {
                            add("constraint-not-valid", table,
                                "VALIDATE CONSTRAINT " + a.constraint +
                                    " in the transaction that added it to " + table +
                                    " holds that ADD's lock while it checks every row");
                        }
                        break;
                    case Action::kAlterColumnType:
                        add("column-type-change", table,
                            "ALTER COLUMN " + a.column + " TYPE on existing table " + table);
                        break;
                    case Action::kSetNotNull:
                        if (!not_null_checked_.contains({table, a.column})) {
                            add("set-not-null", table,
                                "ALTER COLUMN " + a.column + " SET NOT NULL on existing table " +
                                    table + " without a validated CHECK (" + a.column +
                                    " IS NOT NULL) first");
                        }
                        break;
                    case Action::kAddColumn:
                        if (a.volatile_default) {
                            add("add-column-volatile-default", table,
                                "ADD COLUMN " + a.column + " with " + a.volatile_reason +
                                    " on existing table " + table);
                        }
                        break;
                    case Action::kAddPrimaryKeyOrUnique:
                        if (!a.using_index) {
                            add("constraint-not-using-index", table,
                                "ADD PRIMARY KEY / UNIQUE without USING INDEX on existing table " +
                                    table);
                        }
                        break;
                    case Action::kDropColumn:
                        add("drop-column", table, "DROP COLUMN " + a.column + " of " + table);
                        break;
                    case Action::kRenameColumn:
                        add("rename-column", table,
                            "RENAME COLUMN " + a.column + " of " + table + " to " + a.new_name);
                        break;
                    case Action::kRenameTable:
                        add("rename-table", table,
                            "RENAME of table " + table + " to " + a.new_name);
                        break;
                    case Action::kOther:
                        break;
                }
            }
            break;
        }
        case Kind::kVacuumFull:
        case Kind::kCluster: {
            const bool vacuum = f.kind == Kind::kVacuumFull;
            const auto targets = existing_targets();
            if (f.targets.empty()) {
                add(vacuum ? "vacuum-full" : "cluster", "",
                    std::string(vacuum ? "VACUUM FULL" : "CLUSTER") + " of every table");
            }
            for (const auto& t : targets) {
                add(vacuum ? "vacuum-full" : "cluster", t,
                    std::string(vacuum ? "VACUUM FULL" : "CLUSTER") + " of " + t);
            }
            break;
        }
        case Kind::kLockTable:
            for (const auto& t : existing_targets()) {
                add("lock-table", t,
                    std::string("LOCK TABLE ") + t + " IN " + to_string(f.locks.front().mode) +
                        " MODE");
            }
            break;
        case Kind::kTruncate:
            for (const auto& t : existing_targets()) {
                add("truncate", t, "TRUNCATE of existing table " + t);
            }
            break;
        case Kind::kRefreshMaterializedView:
            if (!f.concurrently) {
                for (const auto& t : existing_targets()) {
                    add("refresh-not-concurrent", t, "REFRESH MATERIALIZED VIEW " + t);
                }
            }
            break;
        case Kind::kDropTable:
            for (const auto& t : existing_targets()) {
                add("drop-table", t, "DROP TABLE " + t);
            }
            break;
        default:
            break;
    }
    if (ctx.transactional && !ctx.exclusive_reported) {
        for (const auto& lock : f.locks) {
            const std::string relation = q(lock.relation);
            if (lock.mode != LockMode::kAccessExclusive || is_new(relation) ||
                f.kind == Kind::kCreateTable) {
                continue;
            }
            ctx.exclusive.insert(relation);
            if (ctx.exclusive.size() >= 2) {
                std::string names;
                for (const auto& name : ctx.exclusive) {
                    names += (names.empty() ? "" : ", ") + name;
                }
                add("multiple-exclusive-locks", relation,
                    "ACCESS EXCLUSIVE locks on existing tables " + names + " in one transaction");
                ctx.exclusive_reported = true;
                break;
            }
        }
    }
}

void Linter::learn(const StatementFacts& f, bool pending, Context& ctx) {
    const auto q = [&](const Relation& r) { return r.qualified(schema_); };
    switch (f.kind) {
        case Kind::kCreateTable:
            if (pending) {
                new_tables_.insert(q(f.targets.front()));
            }
            break;
        case Kind::kDropTable:
            for (const auto& t : f.targets) {
                new_tables_.erase(q(t));
            }
            break;
        case Kind::kCreateIndex:
            if (!f.index.empty() && !f.targets.empty()) {
                index_table_[q(f.index)] = q(f.targets.front());
            }
            break;
        case Kind::kAlterTable: {
            const std::string table = q(f.targets.front());
            for (const auto& a : f.actions) {
                if (a.action == Action::kAddCheck && !a.check_not_null.empty()) {
                    if (a.not_valid) {
                        unvalidated_checks_[a.constraint] = {table, a.check_not_null};
                    } else {
                        not_null_checked_.insert({table, a.check_not_null});
                    }
                }
                if ((a.action == Action::kAddCheck || a.action == Action::kAddForeignKey) &&
                    a.not_valid && !a.constraint.empty()) {
                    ctx.added_not_valid[a.constraint] = table;
                }
                if (a.action == Action::kValidateConstraint) {
                    if (const auto it = unvalidated_checks_.find(a.constraint);
                        it != unvalidated_checks_.end()) {
                        not_null_checked_.insert(it->second);
                        unvalidated_checks_.erase(it);
                    }
                }
                if (a.action == Action::kRenameTable && is_new(table) && !a.new_name.empty()) {
                    const Relation renamed{f.targets.front().schema, a.new_name};
                    new_tables_.insert(q(renamed));
                }
            }
            break;
        }
        default:
            break;
    }
}

FileReport Linter::add(const migrate::Migration& m, std::string_view text, bool transactional,
                       bool pending) {
    FileReport report;
    report.migration = &m;
    report.transactional = transactional;
    Context ctx;
    ctx.migration = &m;
    ctx.transactional = transactional;
    const migrate::SplitResult split = migrate::split_statements(text);
    const migrate::Directives directives = migrate::parse_directives(text);
    if (pending) {
        for (const auto& allow : directives.allows) {
            if (find_rule(allow.rule) == nullptr) {
                report.problems.push_back("line " + std::to_string(allow.line) +
                                          ": schemagate:allow names no lint rule \"" + allow.rule +
                                          "\"; rules: " + rule_list());
            }
        }
    }
    std::size_t previous_end = 0;
    for (const auto& st : split.statements) {
        StatementReport sr;
        sr.line = st.line;
        sr.text = std::string(st.text);
        sr.facts = analyse(st.text);
        if (pending) {
            check(sr, ctx, sr.findings);
            for (auto& finding : sr.findings) {
                for (const auto& allow : directives.allows) {
                    const bool applies =
                        allow.whole_file || (allow.line > previous_end && allow.line < st.line);
                    if (applies && allow.rule == finding.rule) {
                        finding.allowed = allow.reason;
                    }
                }
            }
        }
        learn(sr.facts, pending, ctx);
        previous_end = end_line(st);
        if (pending) {
            report.statements.push_back(std::move(sr));
        }
    }
    return report;
}

}  // namespace sg::lint
