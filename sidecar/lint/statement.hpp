// What one SQL statement does to the tables it names: the locks it takes, on which relations,
// and the facts the lint rules read (CONCURRENTLY, NOT VALID, USING INDEX, a volatile default).
// Pure: reads tokens of the statement text (comments, strings and dollar-quoted bodies are never
// taken for keywords); no I/O, no logging. ALTER TABLE's actions are read in alter_table.cpp,
// every other statement in statement.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg::lint {

// PostgreSQL's table-level lock modes, weakest first.
enum class LockMode {
    kNone,
    kAccessShare,
    kRowShare,
    kRowExclusive,
    kShareUpdateExclusive,
    kShare,
    kShareRowExclusive,
    kExclusive,
    kAccessExclusive,
};

[[nodiscard]] const char* to_string(LockMode mode);  // "ACCESS EXCLUSIVE"

// A relation named by a statement: schema as written ("" when unqualified) and name, both as
// PostgreSQL folds them (bare words lower-cased, quoted identifiers as written).
struct Relation {
    std::string schema;
    std::string name;
    [[nodiscard]] bool empty() const { return name.empty(); }
    // "schema.name", with `default_schema` for an unqualified one.
    [[nodiscard]] std::string qualified(std::string_view default_schema) const;
};

struct Lock {
    LockMode mode = LockMode::kNone;
    Relation relation;
};

// One action of an ALTER TABLE (several may be comma-separated).
enum class Action {
    kOther,
    kAddColumn,
    kDropColumn,
    kRenameColumn,
    kRenameTable,
    kAlterColumnType,
    kSetNotNull,
    kAddForeignKey,
    kAddCheck,
    kAddPrimaryKeyOrUnique,
    kValidateConstraint,
};

struct AlterAction {
    Action action = Action::kOther;
    std::string column;      // the column it names (add, drop, rename, type, not null)
    std::string constraint;  // the constraint name, when given
    bool not_valid = false;  // ADD ... NOT VALID
    bool using_index = false;
    bool volatile_default = false;  // ADD COLUMN whose default or kind fills every row anew
    std::string volatile_reason;    // "DEFAULT gen_random_uuid()", "serial"
    std::string check_not_null;     // ADD CHECK (col IS NOT NULL): col
    std::string new_name;           // RENAME ... TO new_name
    Relation references;            // ADD FOREIGN KEY ... REFERENCES this
};

enum class Kind {
    kOther,
    kCreateTable,  // also CREATE TABLE AS, SELECT INTO, CREATE MATERIALIZED VIEW
    kCreateIndex,
    kDropIndex,
    kReindex,
    kAlterTable,
    kDropTable,
    kVacuumFull,
    kVacuum,
    kCluster,
    kLockTable,
    kTruncate,
    kRefreshMaterializedView,
    kDml,  // INSERT, UPDATE, DELETE, MERGE, COPY FROM
    kSelect,
};

struct StatementFacts {
    Kind kind = Kind::kOther;
    std::vector<Relation> targets;  // the table(s) the statement is about (several for TRUNCATE)
    bool concurrently = false;      // CREATE/DROP INDEX, REINDEX, REFRESH ... CONCURRENTLY
    Relation index;                 // CREATE INDEX's name (same schema as its table), DROP INDEX's
    std::vector<AlterAction> actions;  // ALTER TABLE only
    std::vector<Lock> locks;           // what it takes, strongest first
    bool understood = false;           // false: the locks are not known
};

// `statement` is one statement's text (as split_statements gives it, placeholders resolved).
[[nodiscard]] StatementFacts analyse(std::string_view statement);

}  // namespace sg::lint
