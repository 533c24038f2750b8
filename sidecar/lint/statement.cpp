#include "sidecar/lint/statement.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "sidecar/lint/statement_detail.hpp"

namespace sg::lint {

namespace detail {

void add_lock(StatementFacts& f, LockMode mode, const Relation& r) {
    for (auto& lock : f.locks) {
        if (lock.relation.schema == r.schema && lock.relation.name == r.name) {
            lock.mode = std::max(lock.mode, mode);
            return;
        }
    }
    f.locks.push_back({mode, r});
}

}  // namespace detail

namespace {

using detail::add_lock;
using detail::Cursor;
using detail::TokenKind;
using detail::upper;

void analyse_create(Cursor& c, StatementFacts& f) {
    c.accept({"OR", "REPLACE"});
    c.accept("GLOBAL") || c.accept("LOCAL");
    c.accept("TEMPORARY") || c.accept("TEMP") || c.accept("UNLOGGED");
    if (c.accept("TABLE") || c.accept({"MATERIALIZED", "VIEW"})) {
        c.accept({"IF", "NOT", "EXISTS"});
        const Relation r = c.relation();
        if (!r.empty()) {
            f.kind = Kind::kCreateTable;
            f.targets.push_back(r);
            add_lock(f, LockMode::kAccessExclusive, r);
            f.understood = true;
        }
        return;
    }
    c.accept("UNIQUE");
    if (c.accept("INDEX")) {
        f.kind = Kind::kCreateIndex;
        f.concurrently = c.accept("CONCURRENTLY");
        c.accept({"IF", "NOT", "EXISTS"});
        if (!c.is("ON")) {
            f.index = c.relation();
        }
        if (!c.accept("ON")) {
            f.kind = Kind::kOther;
            return;
        }
        c.accept("ONLY");
        const Relation table = c.relation();
        if (table.empty()) {
            f.kind = Kind::kOther;
            return;
        }
        f.index.schema = table.schema;  // an index lives in its table's schema
        f.targets.push_back(table);
        add_lock(f, f.concurrently ? LockMode::kShareUpdateExclusive : LockMode::kShare, table);
        f.understood = true;
        return;
    }
    c.accept("RECURSIVE");
    if (c.accept("VIEW")) {
        const Relation r = c.relation();
        if (!r.empty()) {
            add_lock(f, LockMode::kAccessExclusive, r);
            f.understood = true;
        }
        return;
    }
    c.accept("CONSTRAINT");  // CREATE CONSTRAINT TRIGGER
    if (c.accept("TRIGGER")) {
        while (!c.done() && !c.is("ON")) {
            c.skip();
        }
        if (c.accept("ON")) {
            const Relation r = c.relation();
            if (!r.empty()) {
                add_lock(f, LockMode::kShareRowExclusive, r);
                f.understood = true;
            }
        }
        return;
    }
    // Objects that lock no table: functions, types, schemas, sequences, extensions, domains.
    static constexpr std::array<std::string_view, 12> kNoTableLock = {
        "FUNCTION", "PROCEDURE", "TYPE",      "SCHEMA", "SEQUENCE", "EXTENSION",
        "DOMAIN",   "ROLE",      "AGGREGATE", "CAST",   "OPERATOR", "COLLATION"};
    const std::string w = c.word();
    f.understood = std::find(kNoTableLock.begin(), kNoTableLock.end(), w) != kNoTableLock.end();
}

void analyse_drop(Cursor& c, StatementFacts& f) {
    if (c.accept("TABLE")) {
        c.accept({"IF", "EXISTS"});
        f.kind = Kind::kDropTable;
        for (Cursor part : c.split_commas()) {
            const Relation r = part.relation();
            if (!r.empty()) {
                f.targets.push_back(r);
                add_lock(f, LockMode::kAccessExclusive, r);
            }
        }
        f.understood = true;
        return;
    }
    if (c.accept("INDEX")) {
        f.kind = Kind::kDropIndex;
        f.concurrently = c.accept("CONCURRENTLY");
        c.accept({"IF", "EXISTS"});
        f.index = c.relation();
        f.understood = !f.index.empty();
        return;
    }
    f.understood = c.is("FUNCTION") || c.is("PROCEDURE") || c.is("TYPE") || c.is("SEQUENCE") ||
                   c.is("EXTENSION") || c.is("DOMAIN") || c.is("SCHEMA");
}

void analyse_lock_table(Cursor& c, StatementFacts& f) {
    c.accept("TABLE");
    c.accept("ONLY");
    f.kind = Kind::kLockTable;
    std::vector<Relation> tables;
    while (!c.done() && !c.is("IN") && !c.is("NOWAIT")) {
        const Relation r = c.relation();
        if (r.empty()) {
            c.skip();
        } else {
            tables.push_back(r);
        }
    }
    LockMode mode = LockMode::kAccessExclusive;
    if (c.accept("IN")) {
        static constexpr std::array<std::pair<std::string_view, LockMode>, 8> kModes = {{
            {"ACCESS SHARE", LockMode::kAccessShare},
            {"ROW SHARE", LockMode::kRowShare},
            {"ROW EXCLUSIVE", LockMode::kRowExclusive},
            {"SHARE UPDATE EXCLUSIVE", LockMode::kShareUpdateExclusive},
            {"SHARE ROW EXCLUSIVE", LockMode::kShareRowExclusive},
            {"SHARE", LockMode::kShare},
            {"ACCESS EXCLUSIVE", LockMode::kAccessExclusive},
            {"EXCLUSIVE", LockMode::kExclusive},
        }};
        std::string words;
        while (!c.done() && !c.is("MODE")) {
            words += (words.empty() ? "" : " ") + c.word();
            c.skip();
        }
        for (const auto& [name, m] : kModes) {
            if (words == name) {
                mode = m;
            }
        }
    }
    for (const auto& r : tables) {
        f.targets.push_back(r);
        add_lock(f, mode, r);
    }
    f.understood = true;
}

void analyse_vacuum(Cursor& c, StatementFacts& f) {
    bool full = false;
    while (!c.done()) {
        if (c.at().kind == TokenKind::kOpenParen) {
            const auto options = c.group();
            for (std::size_t i = 0; i < options.size(); ++i) {
                if (options[i].kind == TokenKind::kWord && upper(options[i].text) == "FULL") {
                    const bool off =
                        i + 1 < options.size() &&
                        (upper(options[i + 1].text) == "FALSE" ||
                         upper(options[i + 1].text) == "OFF" || options[i + 1].text == "0");
                    full = full || !off;
                }
            }
            continue;
        }
        const std::string w = c.word();
        if (w == "FULL") {
            full = true;
        } else if (w != "FREEZE" && w != "VERBOSE" && w != "ANALYZE" && w != "ANALYSE") {
            break;
        }
        c.skip();
    }
    f.kind = full ? Kind::kVacuumFull : Kind::kVacuum;
    for (Cursor part : c.split_commas()) {
        const Relation r = part.relation();
        if (!r.empty()) {
            f.targets.push_back(r);
            add_lock(f, full ? LockMode::kAccessExclusive : LockMode::kShareUpdateExclusive, r);
        }
    }
    f.understood = true;
}

void analyse_targets(Cursor& c, StatementFacts& f, Kind kind, LockMode mode) {
    f.kind = kind;
    for (Cursor part : c.split_commas()) {
        part.accept("ONLY");
        const Relation r = part.relation();
        if (!r.empty()) {
            f.targets.push_back(r);
            add_lock(f, mode, r);
        }
    }
    f.understood = true;
}

// REINDEX [ ( option, ... ) ] { INDEX | TABLE | ... } [ CONCURRENTLY ] name
void analyse_reindex(Cursor& c, StatementFacts& f) {
    if (c.at().kind == TokenKind::kOpenParen) {
        c.skip_group();
    }
    f.kind = Kind::kReindex;
    const std::string what = c.word();
    c.skip();
    f.concurrently = c.accept("CONCURRENTLY");
    const Relation r = c.relation();
    if (what == "INDEX") {
        f.index = r;
    } else if (what == "TABLE") {
        f.targets.push_back(r);
        add_lock(f, f.concurrently ? LockMode::kShareUpdateExclusive : LockMode::kShare, r);
    }
    f.understood = !r.empty();
}

// `c` is past REFRESH MATERIALIZED VIEW.
void analyse_refresh(Cursor& c, StatementFacts& f) {
    f.kind = Kind::kRefreshMaterializedView;
    f.concurrently = c.accept("CONCURRENTLY");
    const Relation r = c.relation();
    f.targets.push_back(r);
    add_lock(f, f.concurrently ? LockMode::kExclusive : LockMode::kAccessExclusive, r);
    f.understood = !r.empty();
}

// `c` is at the table of INSERT INTO, MERGE INTO, DELETE FROM, UPDATE or COPY.
void analyse_dml(Cursor& c, StatementFacts& f) {
    c.accept("ONLY");
    const Relation r = c.relation();
    f.kind = Kind::kDml;
    if (!r.empty()) {
        f.targets.push_back(r);
        add_lock(f, LockMode::kRowExclusive, r);
        f.understood = true;
    }
}

}  // namespace

const char* to_string(LockMode mode) {
    switch (mode) {
        case LockMode::kNone:
            return "no table lock";
        case LockMode::kAccessShare:
            return "ACCESS SHARE";
        case LockMode::kRowShare:
            return "ROW SHARE";
        case LockMode::kRowExclusive:
            return "ROW EXCLUSIVE";
        case LockMode::kShareUpdateExclusive:
            return "SHARE UPDATE EXCLUSIVE";
        case LockMode::kShare:
            return "SHARE";
        case LockMode::kShareRowExclusive:
            return "SHARE ROW EXCLUSIVE";
        case LockMode::kExclusive:
            return "EXCLUSIVE";
        case LockMode::kAccessExclusive:
            return "ACCESS EXCLUSIVE";
    }
    return "?";
}

std::string Relation::qualified(std::string_view default_schema) const {
    return (schema.empty() ? std::string(default_schema) : schema) + "." + name;
}

StatementFacts analyse(std::string_view statement) {
    StatementFacts f;
    Cursor c(statement);
    const std::string first = c.word();
    c.skip();
    if (first == "ALTER" && c.accept("TABLE")) {
        detail::analyse_alter_table(c, f);
    } else if (first == "CREATE") {
        analyse_create(c, f);
    } else if (first == "DROP") {
        analyse_drop(c, f);
    } else if (first == "REINDEX") {
        analyse_reindex(c, f);
    } else if (first == "VACUUM") {
        analyse_vacuum(c, f);
    } else if (first == "CLUSTER") {
        c.accept("VERBOSE");
        analyse_targets(c, f, Kind::kCluster, LockMode::kAccessExclusive);
        f.targets.resize(std::min<std::size_t>(f.targets.size(), 1));
    } else if (first == "LOCK") {
        analyse_lock_table(c, f);
    } else if (first == "TRUNCATE") {
        c.accept("TABLE");
        analyse_targets(c, f, Kind::kTruncate, LockMode::kAccessExclusive);
    } else if (first == "REFRESH" && c.accept({"MATERIALIZED", "VIEW"})) {
        analyse_refresh(c, f);
    } else if ((first == "INSERT" && c.accept("INTO")) || (first == "MERGE" && c.accept("INTO")) ||
               (first == "DELETE" && c.accept("FROM")) || first == "UPDATE" || first == "COPY") {
        analyse_dml(c, f);
    } else if (first == "SELECT" || first == "WITH" || first == "VALUES") {
        f.kind = Kind::kSelect;
    } else if (first == "GRANT" || first == "REVOKE" || first == "SET" || first == "RESET") {
        f.understood = true;
    }
    return f;
}

}  // namespace sg::lint
