// The ALTER TABLE recogniser: each comma-separated action, the facts the rules read from it and
// the lock it takes.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sidecar/lint/statement_detail.hpp"

namespace sg::lint::detail {

namespace {

// Functions whose value differs per row: a column added with one as its default is filled by
// rewriting the table (a constant or stable default such as now() is not, since PostgreSQL 11).
constexpr std::array<std::string_view, 12> kVolatileFunctions = {
    "random",           "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
    "uuid_generate_v4", "clock_timestamp", "timeofday",        "nextval",
    "txid_current",     "setseed",         "gen_random_bytes", "uuidv7",
};
constexpr std::array<std::string_view, 6> kSerialTypes = {"serial",  "serial4",     "serial8",
                                                          "serial2", "smallserial", "bigserial"};

// `col IS NOT NULL` as the whole of a CHECK's parentheses: col, else "".
std::string not_null_check_column(const std::vector<Token>& inner) {
    Cursor c(inner);
    if (inner.size() == 4 && Cursor::is_name(inner[0]) && c.is("IS", 1) && c.is("NOT", 2) &&
        c.is("NULL", 3)) {
        return fold(inner[0]);
    }
    return "";
}

// The volatile part of an ADD COLUMN definition (its type, default or generation), or "".
std::string volatile_part(Cursor c) {
    if (c.done()) {
        return "";
    }
    if (Cursor::is_name(c.at())) {
        const std::string type = lower(c.at().text);
        if (std::find(kSerialTypes.begin(), kSerialTypes.end(), type) != kSerialTypes.end()) {
            return "type " + type;
        }
    }
    bool in_default = false;
    for (; !c.done(); c.skip()) {
        const std::string w = c.word();
        if (w == "GENERATED") {
            if (c.contains_word("IDENTITY")) {
                return "GENERATED ... AS IDENTITY";
            }
            if (c.contains_word("STORED")) {
                return "a STORED generated column";
            }
        }
        if (w == "DEFAULT") {
            in_default = true;
            continue;
        }
        if (w == "NOT" || w == "NULL" || w == "CONSTRAINT" || w == "CHECK" || w == "REFERENCES" ||
            w == "PRIMARY" || w == "UNIQUE" || w == "COLLATE") {
            in_default = false;
        }
        if (in_default && c.at().kind == TokenKind::kWord &&
            c.at(1).kind == TokenKind::kOpenParen) {
            const std::string fn = lower(c.at().text);
            if (std::find(kVolatileFunctions.begin(), kVolatileFunctions.end(), fn) !=
                kVolatileFunctions.end()) {
                return "DEFAULT " + fn + "()";
            }
        }
    }
    return "";
}

// ADD [CONSTRAINT name] CHECK | FOREIGN KEY | PRIMARY KEY | UNIQUE | EXCLUDE ...
void add_constraint(Cursor& c, AlterAction& a) {
    a.not_valid = c.contains_word("VALID") && c.contains_word("NOT");
    if (c.accept("CHECK")) {
        a.action = Action::kAddCheck;
        if (c.at().kind == TokenKind::kOpenParen) {
            a.check_not_null = not_null_check_column(c.group());
        }
    } else if (c.accept({"FOREIGN", "KEY"})) {
        a.action = Action::kAddForeignKey;
        if (c.at().kind == TokenKind::kOpenParen) {
            c.skip_group();
        }
        if (c.accept("REFERENCES")) {
            a.references = c.relation();
        }
    } else if (c.accept({"PRIMARY", "KEY"}) || c.accept("UNIQUE")) {
        a.action = Action::kAddPrimaryKeyOrUnique;
        a.using_index = c.contains_word("USING") && c.contains_word("INDEX") &&
                        c.at().kind != TokenKind::kOpenParen;
    }
}

// ADD [COLUMN] [IF NOT EXISTS] name type ...
void add_column(Cursor& c, AlterAction& a) {
    c.accept("COLUMN");
    c.accept({"IF", "NOT", "EXISTS"});
    a.action = Action::kAddColumn;
    a.column = c.name();
    c.skip();
    a.volatile_reason = volatile_part(c);
    a.volatile_default = !a.volatile_reason.empty();
}

// `c` is past ADD.
AlterAction add_action(Cursor& c) {
    AlterAction a;
    const bool constraint_named = c.accept("CONSTRAINT");
    if (constraint_named) {
        a.constraint = c.name();
        c.skip();
    }
    const std::string w = c.word();
    if (constraint_named || w == "CHECK" || w == "FOREIGN" || w == "PRIMARY" || w == "UNIQUE" ||
        w == "EXCLUDE") {
        add_constraint(c, a);
    } else {
        add_column(c, a);
    }
    return a;
}

// `c` is past DROP; only DROP [COLUMN] is told apart.
AlterAction drop_action(Cursor& c) {
    AlterAction a;
    if (c.is("CONSTRAINT") || c.is("NOT") || c.is("DEFAULT") || c.is("EXPRESSION") ||
        c.is("IDENTITY")) {
        return a;
    }
    c.accept("COLUMN");
    c.accept({"IF", "EXISTS"});
    a.action = Action::kDropColumn;
    a.column = c.name();
    return a;
}

// `c` is past RENAME: RENAME TO (the table) or RENAME [COLUMN] ... TO.
AlterAction rename_action(Cursor& c) {
    AlterAction a;
    if (c.accept("TO")) {
        a.action = Action::kRenameTable;
        a.new_name = c.name();
        return a;
    }
    if (c.is("CONSTRAINT")) {
        return a;
    }
    c.accept("COLUMN");
    a.action = Action::kRenameColumn;
    a.column = c.name();
    c.skip();
    if (c.accept("TO")) {
        a.new_name = c.name();
    }
    return a;
}

// `c` is past ALTER: [SET DATA] TYPE and SET NOT NULL are told apart.
AlterAction alter_column_action(Cursor& c) {
    AlterAction a;
    c.accept("COLUMN");
    a.column = c.name();
    c.skip();
    if (c.accept({"SET", "DATA", "TYPE"}) || c.accept("TYPE")) {
        a.action = Action::kAlterColumnType;
    } else if (c.accept({"SET", "NOT", "NULL"})) {
        a.action = Action::kSetNotNull;
    }
    return a;
}

AlterAction alter_action(Cursor c) {
    if (c.accept("ADD")) {
        return add_action(c);
    }
    if (c.accept("DROP")) {
        return drop_action(c);
    }
    if (c.accept("RENAME")) {
        return rename_action(c);
    }
    if (c.accept("VALIDATE")) {
        c.accept("CONSTRAINT");
        AlterAction a;
        a.action = Action::kValidateConstraint;
        a.constraint = c.name();
        return a;
    }
    if (c.accept("ALTER")) {
        return alter_column_action(c);
    }
    return AlterAction{};
}

// The lock one ALTER TABLE action takes on its table.
LockMode alter_lock(const AlterAction& a, const Cursor& raw) {
    switch (a.action) {
        case Action::kValidateConstraint:
            return LockMode::kShareUpdateExclusive;
        case Action::kAddForeignKey:
            return LockMode::kShareRowExclusive;
        default:
            break;
    }
    if (a.action == Action::kOther) {
        const std::string first = raw.word();
        const std::string second = raw.word(1);
        if ((first == "ENABLE" || first == "DISABLE") && (second == "TRIGGER")) {
            return LockMode::kShareRowExclusive;
        }
        if (first == "SET" && (second == "STATISTICS" || raw.at(1).kind == TokenKind::kOpenParen ||
                               second == "WITHOUT")) {
            return LockMode::kShareUpdateExclusive;
        }
        if (first == "ALTER" && raw.contains_word("STATISTICS")) {
            return LockMode::kShareUpdateExclusive;
        }
        if ((first == "CLUSTER" && second == "ON") || first == "ATTACH" ||
            (first == "DETACH" && raw.contains_word("CONCURRENTLY"))) {
            return LockMode::kShareUpdateExclusive;
        }
    }
    return LockMode::kAccessExclusive;
}

}  // namespace

void analyse_alter_table(Cursor& c, StatementFacts& f) {
    c.accept({"IF", "EXISTS"});
    c.accept("ONLY");
    const Relation table = c.relation();
    if (table.empty()) {
        return;
    }
    if (c.is_char('*')) {
        c.skip();
    }
    f.kind = Kind::kAlterTable;
    f.targets.push_back(table);
    LockMode strongest = LockMode::kNone;
    for (const Cursor& part : c.split_commas()) {
        AlterAction a = alter_action(part);
        strongest = std::max(strongest, alter_lock(a, part));
        if (a.action == Action::kAddForeignKey && !a.references.empty()) {
            add_lock(f, LockMode::kShareRowExclusive, a.references);
        }
        f.actions.push_back(std::move(a));
    }
    f.locks.insert(f.locks.begin(), Lock{strongest, table});
    f.understood = true;
}

}  // namespace sg::lint::detail
