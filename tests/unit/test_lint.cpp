#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "sidecar/lint/rules.hpp"
#include "sidecar/lint/statement.hpp"

namespace {

using sg::lint::FileReport;
using sg::lint::Linter;
using sg::lint::LockMode;

sg::migrate::Migration file(std::string script, std::string sql) {
    sg::migrate::Migration m;
    m.script = std::move(script);
    m.sql = std::move(sql);
    return m;
}

// The rule ids of the findings of `pending` (after `applied`, learnt from), silenced ones marked
// with a leading '~'.
std::vector<std::string> findings(const std::string& pending,
                                  const std::vector<std::string>& applied = {},
                                  bool transactional = true) {
    Linter linter("public");
    std::vector<sg::migrate::Migration> files;
    files.reserve(applied.size() + 1);
    for (std::size_t i = 0; i < applied.size(); ++i) {
        files.push_back(file("V" + std::to_string(i + 1) + "__applied.sql", applied[i]));
    }
    files.push_back(file("V99__pending.sql", pending));
    for (std::size_t i = 0; i + 1 < files.size(); ++i) {
        (void)linter.add(files[i], files[i].sql, true, false);
    }
    const FileReport report = linter.add(files.back(), files.back().sql, transactional, true);
    std::vector<std::string> out;
    for (const auto& st : report.statements) {
        for (const auto& f : st.findings) {
            out.push_back((f.allowed ? "~" : "") + f.rule);
        }
    }
    for (const auto& p : report.problems) {
        out.push_back("problem: " + p);
    }
    return out;
}

using Ids = std::vector<std::string>;

}  // namespace

TEST_SUITE("lint") {
    TEST_CASE("statement facts: locks and relations, names folded as PostgreSQL folds them") {
        const auto f = sg::lint::analyse("ALTER TABLE Shop.\"Orders\" ADD COLUMN note text");
        REQUIRE(f.locks.size() == 1);
        CHECK(f.locks[0].mode == LockMode::kAccessExclusive);
        CHECK(f.locks[0].relation.qualified("public") == "shop.Orders");
        const auto idx = sg::lint::analyse("create index concurrently i on orders (id)");
        CHECK(idx.concurrently);
        CHECK(idx.locks.at(0).mode == LockMode::kShareUpdateExclusive);
        const auto fk = sg::lint::analyse(
            "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id) NOT "
            "VALID");
        REQUIRE(fk.locks.size() == 2);
        CHECK(fk.locks[0].mode == LockMode::kShareRowExclusive);
        CHECK(fk.locks[1].relation.name == "customers");
        const auto lock = sg::lint::analyse("LOCK TABLE a, b IN ROW EXCLUSIVE MODE");
        REQUIRE(lock.locks.size() == 2);
        CHECK(lock.locks[1].mode == LockMode::kRowExclusive);
        CHECK(std::string(sg::lint::to_string(LockMode::kAccessExclusive)) == "ACCESS EXCLUSIVE");
        CHECK_FALSE(sg::lint::analyse("DO $$ BEGIN END $$").understood);
    }

    TEST_CASE("every rule has an id, an effect and a safe way, and the ids are unique") {
        std::vector<std::string> seen;
        for (const auto& r : sg::lint::rules()) {
            CHECK_FALSE(r.effect.empty());
            CHECK_FALSE(r.safe.empty());
            CHECK(std::find(seen.begin(), seen.end(), std::string(r.id)) == seen.end());
            seen.emplace_back(r.id);
        }
        CHECK(seen.size() == 18);
    }

    TEST_CASE("index-not-concurrent") {
        CHECK(findings("CREATE INDEX i ON orders (created_at);") == Ids{"index-not-concurrent"});
        CHECK(findings("create unique index if not exists i on public.orders using btree (a);") ==
              Ids{"index-not-concurrent"});
        CHECK(findings("CREATE INDEX CONCURRENTLY i ON orders (created_at);", {}, false).empty());
        CHECK(findings("CREATE TABLE orders (id int); CREATE INDEX i ON orders (id);").empty());
        // A table created by an earlier pending file of the same run is new too.
        Linter linter("public");
        const auto v1 = file("V1__t.sql", "CREATE TABLE t (id int);");
        const auto v2 = file("V2__i.sql", "CREATE INDEX i ON t (id);");
        (void)linter.add(v1, v1.sql, true, true);
        CHECK(linter.add(v2, v2.sql, true, true).active().empty());
        // ... but one created by an applied file exists.
        CHECK(findings("CREATE INDEX i ON t (id);", {"CREATE TABLE t (id int);"}) ==
              Ids{"index-not-concurrent"});
        CHECK(findings("-- CREATE INDEX i ON orders (id);\nSELECT 'CREATE INDEX i ON orders (a)';")
                  .empty());
        CHECK(findings("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
                       "  CREATE INDEX i ON orders (id);\nEND $$;")
                  .empty());
        CHECK(findings("CREATE INDEX i ON other.orders (id);") == Ids{"index-not-concurrent"});
        CHECK(findings("CREATE TABLE orders (id int); CREATE INDEX i ON other.orders (id);") ==
              Ids{"index-not-concurrent"});
    }

    TEST_CASE("reindex-not-concurrent and drop-index-not-concurrent") {
        CHECK(findings("REINDEX TABLE orders;") == Ids{"reindex-not-concurrent"});
        CHECK(findings("REINDEX INDEX orders_pkey;") == Ids{"reindex-not-concurrent"});
        CHECK(findings("REINDEX TABLE CONCURRENTLY orders;", {}, false).empty());
        CHECK(findings("REINDEX (VERBOSE) INDEX CONCURRENTLY i;", {}, false).empty());
        CHECK(findings("DROP INDEX orders_created;") == Ids{"drop-index-not-concurrent"});
        CHECK(findings("DROP INDEX CONCURRENTLY IF EXISTS orders_created;", {}, false).empty());
        CHECK(
            findings("CREATE TABLE t (id int); CREATE INDEX ti ON t (id); DROP INDEX ti;").empty());
        CHECK(findings("CREATE TABLE t (id int); CREATE INDEX ti ON t (id); REINDEX INDEX ti;")
                  .empty());
    }

    TEST_CASE("constraint-not-valid") {
        CHECK(findings("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES c (id);") ==
              Ids{"constraint-not-valid"});
        CHECK(findings("ALTER TABLE orders ADD CHECK (total >= 0);") ==
              Ids{"constraint-not-valid"});
        CHECK(findings("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES c (id) "
                       "NOT VALID;")
                  .empty());
        CHECK(findings("ALTER TABLE orders ADD CONSTRAINT pos CHECK (total >= 0) NOT VALID;")
                  .empty());
        CHECK(findings("CREATE TABLE t (id int, c int); ALTER TABLE t ADD FOREIGN KEY (c) "
                       "REFERENCES t (id);")
                  .empty());
        // Validating in the same transaction keeps the ADD's lock while every row is checked.
        CHECK(findings("ALTER TABLE orders ADD CONSTRAINT pos CHECK (total >= 0) NOT VALID;\n"
                       "ALTER TABLE orders VALIDATE CONSTRAINT pos;") ==
              Ids{"constraint-not-valid"});
        CHECK(findings("ALTER TABLE orders VALIDATE CONSTRAINT pos;",
                       {"ALTER TABLE orders ADD CONSTRAINT pos CHECK (total >= 0) NOT VALID;"})
                  .empty());
    }

    TEST_CASE("column-type-change, set-not-null, add-column-volatile-default") {
        CHECK(findings("ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);") ==
              Ids{"column-type-change"});
        CHECK(findings("ALTER TABLE orders ALTER total SET DATA TYPE bigint;") ==
              Ids{"column-type-change"});
        CHECK(findings("CREATE TABLE orders (total int); ALTER TABLE orders ALTER total TYPE "
                       "bigint;")
                  .empty());
        CHECK(findings("ALTER TABLE orders ALTER COLUMN note SET NOT NULL;") ==
              Ids{"set-not-null"});
        CHECK(findings("ALTER TABLE orders ALTER COLUMN note SET NOT NULL;",
                       {"ALTER TABLE orders ADD CONSTRAINT nn CHECK (note IS NOT NULL) NOT VALID;",
                        "ALTER TABLE orders VALIDATE CONSTRAINT nn;"})
                  .empty());
        CHECK(findings(
                  "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;",
                  {"ALTER TABLE orders ADD CONSTRAINT nn CHECK (note IS NOT NULL) NOT VALID;"}) ==
              Ids{"set-not-null"});
        CHECK(findings("ALTER TABLE orders ALTER COLUMN note DROP NOT NULL;").empty());
        CHECK(findings("ALTER TABLE orders ADD COLUMN ref uuid DEFAULT gen_random_uuid();") ==
              Ids{"add-column-volatile-default"});
        CHECK(findings("ALTER TABLE orders ADD COLUMN n bigserial;") ==
              Ids{"add-column-volatile-default"});
        CHECK(findings("ALTER TABLE orders ADD COLUMN n int GENERATED ALWAYS AS IDENTITY;") ==
              Ids{"add-column-volatile-default"});
        CHECK(findings("ALTER TABLE orders ADD COLUMN at timestamptz NOT NULL DEFAULT now();")
                  .empty());
        CHECK(findings("ALTER TABLE orders ADD COLUMN flag boolean DEFAULT false;").empty());
        CHECK(findings("ALTER TABLE orders ADD COLUMN note text DEFAULT 'random()';").empty());
    }

    TEST_CASE("constraint-not-using-index") {
        CHECK(findings("ALTER TABLE orders ADD PRIMARY KEY (id);") ==
              Ids{"constraint-not-using-index"});
        CHECK(findings("ALTER TABLE orders ADD CONSTRAINT u UNIQUE (code);") ==
              Ids{"constraint-not-using-index"});
        CHECK(findings("ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX i;")
                  .empty());
        CHECK(findings("CREATE TABLE t (id int); ALTER TABLE t ADD PRIMARY KEY (id);").empty());
    }

    TEST_CASE("vacuum-full, cluster, lock-table, truncate, refresh-not-concurrent") {
        CHECK(findings("VACUUM FULL orders;", {}, false) == Ids{"vacuum-full"});
        CHECK(findings("VACUUM (FULL, ANALYZE) orders;", {}, false) == Ids{"vacuum-full"});
        CHECK(findings("VACUUM (FULL false) orders;", {}, false).empty());
        CHECK(findings("VACUUM ANALYZE orders;", {}, false).empty());
        CHECK(findings("CLUSTER orders USING orders_pkey;") == Ids{"cluster"});
        CHECK(findings("LOCK TABLE orders;") == Ids{"lock-table"});
        CHECK(findings("LOCK orders IN SHARE MODE;") == Ids{"lock-table"});
        CHECK(findings("CREATE TABLE t (id int); LOCK TABLE t;").empty());
        // Two tables under ACCESS EXCLUSIVE in one transaction: the lock-ordering rule fires too.
        CHECK(findings("TRUNCATE orders, lines;") ==
              Ids{"truncate", "truncate", "multiple-exclusive-locks"});
        CHECK(findings("CREATE TABLE t (id int); TRUNCATE t;").empty());
        CHECK(findings("REFRESH MATERIALIZED VIEW totals;") == Ids{"refresh-not-concurrent"});
        CHECK(findings("REFRESH MATERIALIZED VIEW CONCURRENTLY totals;").empty());
    }

    TEST_CASE("drop-table, drop-column, rename-table, rename-column") {
        CHECK(findings("DROP TABLE IF EXISTS legacy;") == Ids{"drop-table"});
        CHECK(findings("CREATE TABLE scratch (id int); DROP TABLE scratch;").empty());
        CHECK(findings("ALTER TABLE orders DROP COLUMN note;") == Ids{"drop-column"});
        CHECK(findings("ALTER TABLE orders DROP CONSTRAINT pos;").empty());
        CHECK(findings("ALTER TABLE orders RENAME TO purchases;") == Ids{"rename-table"});
        CHECK(findings("ALTER TABLE orders RENAME COLUMN note TO remark;") == Ids{"rename-column"});
        CHECK(findings("ALTER TABLE orders RENAME note TO remark;") == Ids{"rename-column"});
        CHECK(findings("ALTER TABLE orders RENAME CONSTRAINT a TO b;").empty());
        CHECK(findings("CREATE TABLE t (id int); ALTER TABLE t RENAME TO u; "
                       "ALTER TABLE u RENAME id TO uid;")
                  .empty());
    }

    TEST_CASE("multiple-exclusive-locks: two existing tables in one transactional file") {
        CHECK(findings("ALTER TABLE a ADD COLUMN x int;\nALTER TABLE b ADD COLUMN y int;") ==
              Ids{"multiple-exclusive-locks"});
        CHECK(findings("ALTER TABLE a ADD COLUMN x int;\nALTER TABLE a ADD COLUMN y int;").empty());
        CHECK(findings("CREATE TABLE b (id int);\nALTER TABLE a ADD COLUMN x int;\n"
                       "ALTER TABLE b ADD COLUMN y int;")
                  .empty());
        CHECK(
            findings("ALTER TABLE a ADD COLUMN x int;\nALTER TABLE b ADD COLUMN y int;", {}, false)
                .empty());
        // Reported once per file.
        CHECK(findings("ALTER TABLE a ADD x int; ALTER TABLE b ADD y int; ALTER TABLE c ADD z int;")
                  .size() == 1);
    }

    TEST_CASE("schemagate:allow silences a rule for the next statement or the whole file") {
        CHECK(findings("-- schemagate:allow drop-table legacy has been unused since v3\n"
                       "DROP TABLE legacy;") == Ids{"~drop-table"});
        // The line before the statement only: the next one still fires.
        CHECK(findings("SELECT 1;\n-- schemagate:allow drop-table unused\nDROP TABLE a;\n"
                       "DROP TABLE b;") ==
              Ids{"~drop-table", "drop-table", "multiple-exclusive-locks"});
        // In the directive lines: the whole file.
        CHECK(findings("-- schemagate:allow drop-table both are unused\nDROP TABLE a;\n"
                       "DROP TABLE b;") ==
              Ids{"~drop-table", "~drop-table", "multiple-exclusive-locks"});
        // Another rule is not silenced.
        CHECK(findings("-- schemagate:allow truncate reason\nDROP TABLE a;") == Ids{"drop-table"});
        const auto unknown = findings("-- schemagate:allow no-such-rule reason\nSELECT 1;");
        REQUIRE(unknown.size() == 1);
        CHECK(unknown[0].find("names no lint rule \"no-such-rule\"") != std::string::npos);
        // The reason is kept and shown.
        Linter linter("public");
        const auto m = file("V2__drop.sql",
                            "-- schemagate:allow drop-table moved to archive\n"
                            "DROP TABLE legacy;");
        const auto report = linter.add(m, m.sql, true, true);
        REQUIRE(report.statements.size() == 1);
        REQUIRE(report.statements[0].findings.size() == 1);
        const auto& f = report.statements[0].findings[0];
        CHECK(f.allowed == "moved to archive");
        CHECK(f.text().find("V2__drop.sql:2: drop-table: DROP TABLE public.legacy") == 0);
        CHECK(report.active().empty());
    }

    TEST_CASE("a finding's text names file:line, the table and the safe way") {
        Linter linter("app");
        const auto m = file("V7__idx.sql", "SELECT 1;\n\nCREATE INDEX i ON orders (a);");
        const auto report = linter.add(m, m.sql, true, true);
        const auto active = report.active();
        REQUIRE(active.size() == 1);
        const std::string text = active[0]->text();
        CHECK(text.find("V7__idx.sql:3: index-not-concurrent: CREATE INDEX on existing table "
                        "app.orders") == 0);
        CHECK(text.find("CONCURRENTLY") != std::string::npos);
        CHECK(active[0]->relation == "app.orders");
    }

    TEST_CASE("applied files are never reported") {
        Linter linter("public");
        const auto m = file("V1__old.sql", "DROP TABLE legacy; CREATE INDEX i ON orders (a);");
        CHECK(linter.add(m, m.sql, true, false).statements.empty());
    }
}
