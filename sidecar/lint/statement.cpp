#include "sidecar/lint/statement.hpp"

#include <algorithm>
#include <array>

#include "sidecar/migrate/sql_lexer.hpp"

namespace sg::lint {

namespace {

using migrate::Token;
using migrate::TokenKind;

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

// A name as PostgreSQL folds it: "Mixed" -> Mixed (with "" -> "), bare -> lower case.
std::string fold(const Token& t) {
    if (t.kind == TokenKind::kQuotedIdentifier) {
        std::string_view body = t.text;
        if (body.size() >= 3 && (body[0] == 'U' || body[0] == 'u') && body[1] == '&') {
            body.remove_prefix(2);  // U&"..." escapes are left as written
        }
        body = body.substr(1, body.size() >= 2 ? body.size() - 2 : 0);
        std::string out;
        out.reserve(body.size());
        for (std::size_t i = 0; i < body.size(); ++i) {
            out += body[i];
            if (body[i] == '"' && i + 1 < body.size() && body[i + 1] == '"') {
                ++i;
            }
        }
        return out;
    }
    return lower(t.text);
}

// Functions whose value differs per row: a column added with one as its default is filled by
// rewriting the table (a constant or stable default such as now() is not, since PostgreSQL 11).
constexpr std::array<std::string_view, 12> kVolatileFunctions = {
    "random",           "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
    "uuid_generate_v4", "clock_timestamp", "timeofday",        "nextval",
    "txid_current",     "setseed",         "gen_random_bytes", "uuidv7",
};
constexpr std::array<std::string_view, 6> kSerialTypes = {"serial",  "serial4",     "serial8",
                                                          "serial2", "smallserial", "bigserial"};

// The statement's tokens without comments, with a cursor.
class Cursor {
  public:
    explicit Cursor(std::string_view sql) {
        migrate::Tokenizer tokenizer(sql);
        for (Token t = tokenizer.next(); t.kind != TokenKind::kEnd && t.kind != TokenKind::kError;
             t = tokenizer.next()) {
            if (t.kind != TokenKind::kLineComment && t.kind != TokenKind::kBlockComment) {
                tokens_.push_back(t);
            }
        }
    }
    explicit Cursor(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

    [[nodiscard]] bool done() const { return pos_ >= tokens_.size(); }
    [[nodiscard]] const Token& at(std::size_t ahead = 0) const {
        static const Token kEnd{};
        return pos_ + ahead < tokens_.size() ? tokens_[pos_ + ahead] : kEnd;
    }
    // The upper-cased word `ahead` tokens on, or "" for anything but a bare word.
    [[nodiscard]] std::string word(std::size_t ahead = 0) const {
        const Token& t = at(ahead);
        return t.kind == TokenKind::kWord ? upper(t.text) : std::string();
    }
    [[nodiscard]] bool is(std::string_view w, std::size_t ahead = 0) const {
        return word(ahead) == w;
    }
    [[nodiscard]] bool is_char(char c, std::size_t ahead = 0) const {
        const Token& t = at(ahead);
        return t.text.size() == 1 && t.text[0] == c &&
               (t.kind == TokenKind::kOther || t.kind == TokenKind::kOpenParen ||
                t.kind == TokenKind::kCloseParen);
    }
    void skip(std::size_t n = 1) { pos_ = std::min(pos_ + n, tokens_.size()); }
    // Consumes the words in order when they all follow; else consumes nothing.
    bool accept(std::initializer_list<std::string_view> words) {
        std::size_t i = 0;
        for (const auto w : words) {
            if (!is(w, i)) {
                return false;
            }
            ++i;
        }
        skip(i);
        return true;
    }
    bool accept(std::string_view w) { return accept({w}); }
    // From '(' to its matching ')', both consumed.
    void skip_group() {
        int depth = 0;
        while (!done()) {
            if (at().kind == TokenKind::kOpenParen) {
                ++depth;
            } else if (at().kind == TokenKind::kCloseParen) {
                --depth;
            }
            skip();
            if (depth <= 0) {
                return;
            }
        }
    }
    // The tokens of a parenthesised group without the outer parentheses; consumes the group.
    std::vector<Token> group() {
        std::vector<Token> inner;
        const std::size_t start = pos_;
        skip_group();
        if (pos_ - start >= 2) {
            inner.assign(tokens_.begin() + static_cast<std::ptrdiff_t>(start + 1),
                         tokens_.begin() + static_cast<std::ptrdiff_t>(pos_ - 1));
        }
        return inner;
    }
    // name or schema.name (a third part, db.schema.name, keeps the last two).
    Relation relation() {
        Relation r;
        if (!is_name(at())) {
            return r;
        }
        r.name = fold(at());
        skip();
        while (is_char('.') && is_name(at(1))) {
            r.schema = r.name;
            r.name = fold(at(1));
            skip(2);
        }
        return r;
    }
    // Splits the rest at top-level commas.
    std::vector<Cursor> split_commas() {
        std::vector<Cursor> parts;
        std::vector<Token> current;
        int depth = 0;
        for (; !done(); skip()) {
            const Token& t = at();
            if (t.kind == TokenKind::kOpenParen) {
                ++depth;
            } else if (t.kind == TokenKind::kCloseParen) {
                --depth;
            } else if (depth == 0 && t.kind == TokenKind::kOther && t.text == ",") {
                parts.emplace_back(std::move(current));
                current.clear();
                continue;
            }
            current.push_back(t);
        }
        parts.emplace_back(std::move(current));
        return parts;
    }
    // Whether any bare word of the rest (at any depth) is `w`.
    [[nodiscard]] bool contains_word(std::string_view w) const {
        return std::any_of(
            tokens_.begin() + static_cast<std::ptrdiff_t>(pos_), tokens_.end(),
            [&](const Token& t) { return t.kind == TokenKind::kWord && upper(t.text) == w; });
    }
    [[nodiscard]] const std::vector<Token>& tokens() const { return tokens_; }
    [[nodiscard]] std::size_t position() const { return pos_; }

    static bool is_name(const Token& t) {
        return t.kind == TokenKind::kWord || t.kind == TokenKind::kQuotedIdentifier;
    }

  private:
    std::vector<Token> tokens_;
    std::size_t pos_ = 0;
};

void add_lock(StatementFacts& f, LockMode mode, const Relation& r) {
    for (auto& lock : f.locks) {
        if (lock.relation.schema == r.schema && lock.relation.name == r.name) {
            lock.mode = std::max(lock.mode, mode);
            return;
        }
    }
    f.locks.push_back({mode, r});
}

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

AlterAction alter_action(Cursor c) {
    AlterAction a;
    if (c.accept("ADD")) {
        const bool constraint_named = c.accept("CONSTRAINT");
        if (constraint_named) {
            a.constraint = Cursor::is_name(c.at()) ? fold(c.at()) : "";
            c.skip();
        }
        const std::string w = c.word();
        if (constraint_named || w == "CHECK" || w == "FOREIGN" || w == "PRIMARY" || w == "UNIQUE" ||
            w == "EXCLUDE") {
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
            return a;
        }
        c.accept("COLUMN");
        c.accept({"IF", "NOT", "EXISTS"});
        a.action = Action::kAddColumn;
        a.column = Cursor::is_name(c.at()) ? fold(c.at()) : "";
        c.skip();
        a.volatile_reason = volatile_part(c);
        a.volatile_default = !a.volatile_reason.empty();
        return a;
    }
    if (c.accept("DROP")) {
        if (c.is("CONSTRAINT") || c.is("NOT") || c.is("DEFAULT") || c.is("EXPRESSION") ||
            c.is("IDENTITY")) {
            return a;
        }
        c.accept("COLUMN");
        c.accept({"IF", "EXISTS"});
        a.action = Action::kDropColumn;
        a.column = Cursor::is_name(c.at()) ? fold(c.at()) : "";
        return a;
    }
    if (c.accept("RENAME")) {
        if (c.accept("TO")) {
            a.action = Action::kRenameTable;
            a.new_name = Cursor::is_name(c.at()) ? fold(c.at()) : "";
            return a;
        }
        if (c.is("CONSTRAINT")) {
            return a;
        }
        c.accept("COLUMN");
        a.action = Action::kRenameColumn;
        a.column = Cursor::is_name(c.at()) ? fold(c.at()) : "";
        c.skip();
        if (c.accept("TO")) {
            a.new_name = Cursor::is_name(c.at()) ? fold(c.at()) : "";
        }
        return a;
    }
    if (c.accept("VALIDATE")) {
        c.accept("CONSTRAINT");
        a.action = Action::kValidateConstraint;
        a.constraint = Cursor::is_name(c.at()) ? fold(c.at()) : "";
        return a;
    }
    if (c.accept("ALTER")) {
        c.accept("COLUMN");
        a.column = Cursor::is_name(c.at()) ? fold(c.at()) : "";
        c.skip();
        if (c.accept({"SET", "DATA", "TYPE"}) || c.accept("TYPE")) {
            a.action = Action::kAlterColumnType;
        } else if (c.accept({"SET", "NOT", "NULL"})) {
            a.action = Action::kSetNotNull;
        }
        return a;
    }
    return a;
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
    for (Cursor part : c.split_commas()) {
        const Cursor raw = part;
        AlterAction a = alter_action(part);
        strongest = std::max(strongest, alter_lock(a, raw));
        if (a.action == Action::kAddForeignKey && !a.references.empty()) {
            add_lock(f, LockMode::kShareRowExclusive, a.references);
        }
        f.actions.push_back(std::move(a));
    }
    f.locks.insert(f.locks.begin(), Lock{strongest, table});
    f.understood = true;
}

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
        analyse_alter_table(c, f);
    } else if (first == "CREATE") {
        analyse_create(c, f);
    } else if (first == "DROP") {
        analyse_drop(c, f);
    } else if (first == "REINDEX") {
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
        f.kind = Kind::kRefreshMaterializedView;
        f.concurrently = c.accept("CONCURRENTLY");
        const Relation r = c.relation();
        f.targets.push_back(r);
        add_lock(f, f.concurrently ? LockMode::kExclusive : LockMode::kAccessExclusive, r);
        f.understood = !r.empty();
    } else if ((first == "INSERT" && c.accept("INTO")) || (first == "MERGE" && c.accept("INTO")) ||
               (first == "DELETE" && c.accept("FROM")) || first == "UPDATE" || first == "COPY") {
        c.accept("ONLY");
        const Relation r = c.relation();
        f.kind = Kind::kDml;
        if (!r.empty()) {
            f.targets.push_back(r);
            add_lock(f, LockMode::kRowExclusive, r);
            f.understood = true;
        }
    } else if (first == "SELECT" || first == "WITH" || first == "VALUES") {
        f.kind = Kind::kSelect;
    } else if (first == "GRANT" || first == "REVOKE" || first == "SET" || first == "RESET") {
        f.understood = true;
    }
    return f;
}

}  // namespace sg::lint
