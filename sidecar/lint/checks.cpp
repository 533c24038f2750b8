// What each lint rule flags in one statement of a pending file.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sidecar/lint/rules.hpp"

namespace sg::lint {

// Where one statement's findings go: each gets its rule's severity, the statement's place, and a
// message of what the statement does, the rule's effect and the safe way.
class Linter::Findings {
  public:
    Findings(const std::string& script, std::size_t line, std::vector<Finding>& out)
        : script_(script), line_(line), out_(out) {}

    void add(std::string_view rule, const std::string& relation, std::string what) {
        const Rule* r = find_rule(rule);
        Finding finding;
        finding.rule = std::string(rule);
        finding.severity = r->severity;
        finding.script = script_;
        finding.line = line_;
        finding.relation = relation;
        finding.message =
            std::move(what) + ": " + std::string(r->effect) + "; " + std::string(r->safe);
        out_.push_back(std::move(finding));
    }

  private:
    const std::string& script_;
    std::size_t line_;
    std::vector<Finding>& out_;
};

void Linter::check(const StatementReport& st, Context& ctx, std::vector<Finding>& out) {
    Findings findings(ctx.migration->script, st.line, out);
    const StatementFacts& f = st.facts;
    switch (f.kind) {
        case Kind::kCreateIndex:
            check_create_index(f, findings);
            break;
        case Kind::kReindex:
            check_reindex(f, findings);
            break;
        case Kind::kDropIndex:
            check_drop_index(f, findings);
            break;
        case Kind::kAlterTable:
            check_alter_table(f, ctx, findings);
            break;
        case Kind::kVacuumFull:
        case Kind::kCluster:
            check_rewrite(f, findings);
            break;
        case Kind::kLockTable:
            check_lock_table(f, findings);
            break;
        case Kind::kTruncate:
            check_truncate(f, findings);
            break;
        case Kind::kRefreshMaterializedView:
            check_refresh(f, findings);
            break;
        case Kind::kDropTable:
            check_drop_table(f, findings);
            break;
        default:
            break;
    }
    if (ctx.transactional && !ctx.exclusive_reported) {
        check_exclusive_locks(f, ctx, findings);
    }
}

std::vector<std::string> Linter::existing_targets(const StatementFacts& f) const {
    std::vector<std::string> out;
    for (const auto& t : f.targets) {
        if (!t.empty() && !is_new(qualified(t))) {
            out.push_back(qualified(t));
        }
    }
    return out;
}

void Linter::check_create_index(const StatementFacts& f, Findings& out) const {
    if (!f.concurrently && !f.targets.empty() && !is_new(qualified(f.targets.front()))) {
        out.add("index-not-concurrent", qualified(f.targets.front()),
                "CREATE INDEX on existing table " + qualified(f.targets.front()));
    }
}

void Linter::check_reindex(const StatementFacts& f, Findings& out) const {
    if (f.concurrently) {
        return;
    }
    std::string table = f.targets.empty() ? "" : qualified(f.targets.front());
    if (!f.index.empty()) {
        const auto it = index_table_.find(qualified(f.index));
        table = it == index_table_.end() ? "" : it->second;
    }
    if (table.empty() || !is_new(table)) {
        out.add("reindex-not-concurrent", table.empty() ? qualified(f.index) : table,
                "REINDEX of " + (f.index.empty() ? table : "index " + qualified(f.index)));
    }
}

void Linter::check_drop_index(const StatementFacts& f, Findings& out) const {
    if (f.concurrently) {
        return;
    }
    const auto it = index_table_.find(qualified(f.index));
    const std::string table = it == index_table_.end() ? "" : it->second;
    if (table.empty() || !is_new(table)) {
        out.add("drop-index-not-concurrent", table.empty() ? qualified(f.index) : table,
                "DROP INDEX " + qualified(f.index) + (table.empty() ? "" : " on " + table));
    }
}

void Linter::check_alter_table(const StatementFacts& f, const Context& ctx, Findings& out) const {
    const std::string table = qualified(f.targets.front());
    if (is_new(table)) {
        return;
    }
    for (const auto& a : f.actions) {
        check_alter_action(a, table, ctx, out);
    }
}

void Linter::check_alter_action(const AlterAction& a, const std::string& table, const Context& ctx,
                                Findings& out) const {
    switch (a.action) {
        case Action::kAddForeignKey:
        case Action::kAddCheck:
            if (!a.not_valid) {
                out.add(
                    "constraint-not-valid", table,
                    std::string(a.action == Action::kAddCheck ? "ADD CHECK" : "ADD FOREIGN KEY") +
                        " without NOT VALID on existing table " + table);
            }
            break;
        case Action::kValidateConstraint:
            if (ctx.transactional && ctx.added_not_valid.contains(a.constraint)) {
                out.add("constraint-not-valid", table,
                        "VALIDATE CONSTRAINT " + a.constraint +
                            " in the transaction that added it to " + table +
                            " holds that ADD's lock while it checks every row");
            }
            break;
        case Action::kAlterColumnType:
            out.add("column-type-change", table,
                    "ALTER COLUMN " + a.column + " TYPE on existing table " + table);
            break;
        case Action::kSetNotNull:
            if (!not_null_checked_.contains({table, a.column})) {
                out.add("set-not-null", table,
                        "ALTER COLUMN " + a.column + " SET NOT NULL on existing table " + table +
                            " without a validated CHECK (" + a.column + " IS NOT NULL) first");
            }
            break;
        case Action::kAddColumn:
            if (a.volatile_default) {
                out.add("add-column-volatile-default", table,
                        "ADD COLUMN " + a.column + " with " + a.volatile_reason +
                            " on existing table " + table);
            }
            break;
        case Action::kAddPrimaryKeyOrUnique:
            if (!a.using_index) {
                out.add("constraint-not-using-index", table,
                        "ADD PRIMARY KEY / UNIQUE without USING INDEX on existing table " + table);
            }
            break;
        case Action::kDropColumn:
            out.add("drop-column", table, "DROP COLUMN " + a.column + " of " + table);
            break;
        case Action::kRenameColumn:
            out.add("rename-column", table,
                    "RENAME COLUMN " + a.column + " of " + table + " to " + a.new_name);
            break;
        case Action::kRenameTable:
            out.add("rename-table", table, "RENAME of table " + table + " to " + a.new_name);
            break;
        case Action::kOther:
            break;
    }
}

void Linter::check_rewrite(const StatementFacts& f, Findings& out) const {
    const bool vacuum = f.kind == Kind::kVacuumFull;
    const std::string_view rule = vacuum ? "vacuum-full" : "cluster";
    const std::string_view what = vacuum ? "VACUUM FULL" : "CLUSTER";
    const auto targets = existing_targets(f);
    if (f.targets.empty()) {
        out.add(rule, "", std::string(what) + " of every table");
    }
    for (const auto& t : targets) {
        out.add(rule, t, std::string(what) + " of " + t);
    }
}

void Linter::check_lock_table(const StatementFacts& f, Findings& out) const {
    for (const auto& t : existing_targets(f)) {
        out.add(
            "lock-table", t,
            std::string("LOCK TABLE ") + t + " IN " + to_string(f.locks.front().mode) + " MODE");
    }
}

void Linter::check_truncate(const StatementFacts& f, Findings& out) const {
    for (const auto& t : existing_targets(f)) {
        out.add("truncate", t, "TRUNCATE of existing table " + t);
    }
}

void Linter::check_refresh(const StatementFacts& f, Findings& out) const {
    if (f.concurrently) {
        return;
    }
    for (const auto& t : existing_targets(f)) {
        out.add("refresh-not-concurrent", t, "REFRESH MATERIALIZED VIEW " + t);
    }
}

void Linter::check_drop_table(const StatementFacts& f, Findings& out) const {
    for (const auto& t : existing_targets(f)) {
        out.add("drop-table", t, "DROP TABLE " + t);
    }
}

// multiple-exclusive-locks: reported once per file, at the second existing table the file's
// transaction holds ACCESS EXCLUSIVE.
void Linter::check_exclusive_locks(const StatementFacts& f, Context& ctx, Findings& out) const {
    for (const auto& lock : f.locks) {
        const std::string relation = qualified(lock.relation);
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
            out.add("multiple-exclusive-locks", relation,
                    "ACCESS EXCLUSIVE locks on existing tables " + names + " in one transaction");
            ctx.exclusive_reported = true;
            return;
        }
    }
}

}  // namespace sg::lint
