#include <cstddef>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "sidecar/migrate/directives.hpp"
#include "sidecar/migrate/placeholders.hpp"
#include "sidecar/migrate/sql_lexer.hpp"

using namespace sg::migrate;

namespace {

std::vector<std::string> texts(std::string_view sql) {
    const SplitResult result = split_statements(sql);
    REQUIRE_MESSAGE(result.ok(), result.error->message);
    std::vector<std::string> out;
    for (const Statement& s : result.statements) {
        out.emplace_back(s.text);
    }
    return out;
}

std::vector<std::size_t> lines(std::string_view sql) {
    const SplitResult result = split_statements(sql);
    REQUIRE_MESSAGE(result.ok(), result.error->message);
    std::vector<std::size_t> out;
    for (const Statement& s : result.statements) {
        out.push_back(s.line);
    }
    return out;
}

LexError error_of(std::string_view sql) {
    const SplitResult result = split_statements(sql);
    REQUIRE(result.error.has_value());
    return *result.error;
}

using Texts = std::vector<std::string>;
using Lines = std::vector<std::size_t>;

}  // namespace

TEST_CASE("plain statements split at semicolons, trimmed, without the ';'") {
    CHECK(texts("CREATE TABLE a (id int);\nSELECT 1;\n") ==
          Texts{"CREATE TABLE a (id int)", "SELECT 1"});
    CHECK(texts("  SELECT 1  ;  SELECT 2") == Texts{"SELECT 1", "SELECT 2"});
    CHECK(texts("SELECT 1;SELECT 2;") == Texts{"SELECT 1", "SELECT 2"});
}

TEST_CASE("empty input, blank input, comments only and empty statements give nothing") {
    for (const char* sql : {"", "   \n\t\n", ";", ";;;\n;", "-- only a comment", "/* block */",
                            "-- a\n/* b */\n;\n-- c\n", "\xEF\xBB\xBF"}) {
        CAPTURE(sql);
        const SplitResult result = split_statements(sql);
        CHECK(result.ok());
        CHECK(result.statements.empty());
    }
}

TEST_CASE("comments before and after a statement are not part of its text") {
    const std::string sql =
        "-- create users\n/* the table */ CREATE TABLE users (id int) -- trailing\n;\n"
        "SELECT /* inside stays */ 1 /* after */;";
    CHECK(texts(sql) == Texts{"CREATE TABLE users (id int)", "SELECT /* inside stays */ 1"});
    CHECK(lines(sql) == Lines{2, 4});
}

TEST_CASE("statement views point into the input with the right offset") {
    const std::string sql = "\n  SELECT 1;\n\nSELECT 2";
    const SplitResult result = split_statements(sql);
    REQUIRE(result.statements.size() == 2);
    CHECK(result.statements[0].offset == 3);
    CHECK(result.statements[0].text.data() == sql.data() + 3);
    CHECK(result.statements[1].offset == sql.find("SELECT 2"));
    CHECK(result.statements[1].line == 4);
}

TEST_CASE("standard strings: '' escapes, semicolons inside, backslash is literal") {
    CHECK(texts("SELECT 'a;b';SELECT 'it''s; fine';") ==
          Texts{"SELECT 'a;b'", "SELECT 'it''s; fine'"});
    // standard_conforming_strings: a backslash does not escape the quote.
    CHECK(texts(R"(SELECT 'C:\'; SELECT 2)") == Texts{R"(SELECT 'C:\')", "SELECT 2"});
    CHECK(texts("SELECT '';SELECT ''''") == Texts{"SELECT ''", "SELECT ''''"});
    CHECK(texts("SELECT x'1F;', b'01;', n'x;';") == Texts{"SELECT x'1F;', b'01;', n'x;'"});
}

TEST_CASE("bit, hex and national strings are single string tokens") {
    for (const char* sql : {"B'0;1'", "x'1F;'", "N'a;b'", "b''"}) {
        CAPTURE(sql);
        Tokenizer t(sql);
        const Token token = t.next();
        CHECK(token.kind == TokenKind::kString);
        CHECK(token.text == sql);
        CHECK(t.next().kind == TokenKind::kEnd);
    }
    // So a CREATE FUNCTION after one still opens a statement whose BEGIN ATOMIC body is tracked
    // the way psql tracks it (psql counts only identifiers).
    CHECK(texts("b'1' CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END; SELECT 2") ==
          Texts{"b'1' CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END", "SELECT 2"});
    CHECK(error_of("x'1F").message == "unterminated quoted string opened on line 1");
}

TEST_CASE("escape strings E'...' take backslash escapes and '' escapes") {
    CHECK(texts(R"(SELECT E'it\'s; still \\'; SELECT 2)") ==
          Texts{R"(SELECT E'it\'s; still \\')", "SELECT 2"});
    CHECK(texts(R"(SELECT e'a''b;\\'; SELECT 2)") == Texts{R"(SELECT e'a''b;\\')", "SELECT 2"});
    // Only a token-initial E starts an escape string: in "some'..." the quote is standard.
    CHECK(texts(R"(SELECT some'x\'; SELECT 2)") == Texts{R"(SELECT some'x\')", "SELECT 2"});
    // 1e'...' is a number followed by a standard string, as in PostgreSQL.
    CHECK(texts(R"(SELECT 1e'\'; SELECT 2)") == Texts{R"(SELECT 1e'\')", "SELECT 2"});
}

TEST_CASE("numbers are read as psql reads them") {
    CHECK(texts("SELECT 1.5e-3, .5, 1e+2, 0x1F, 1_000; SELECT 2") ==
          Texts{"SELECT 1.5e-3, .5, 1e+2, 0x1F, 1_000", "SELECT 2"});
    // "1e-" is one (invalid) token, as in psql, so the '-' after it does not open a comment.
    CHECK(texts("SELECT 1e-- ;\nSELECT 2") == Texts{"SELECT 1e--", "SELECT 2"});
    CHECK(texts("SELECT .5e+- ;\nSELECT 2") == Texts{"SELECT .5e+-", "SELECT 2"});
    // After "e-" without digits nothing glues on: "create" is a word of its own.
    Tokenizer e("1e-create");
    CHECK(e.next().text == "1e-");
    const Token word = e.next();
    CHECK(word.kind == TokenKind::kWord);
    CHECK(word.text == "create");
    // A range keeps its "..".
    Tokenizer t("1..2");
    CHECK(t.next().text == "1");
    CHECK(t.next().text == ".");
}

TEST_CASE("Unicode strings and identifiers U&'...' U&\"...\"") {
    CHECK(texts(R"(SELECT U&'d\0061t\+000061;'; SELECT u&'x\'; SELECT 3)") ==
          Texts{R"(SELECT U&'d\0061t\+000061;')", R"(SELECT u&'x\')", "SELECT 3"});
    CHECK(texts(R"(SELECT 1 AS U&"a;""b"; SELECT 2)") ==
          Texts{R"(SELECT 1 AS U&"a;""b")", "SELECT 2"});
}

TEST_CASE("quoted identifiers with \"\" escapes") {
    CHECK(texts(R"(CREATE TABLE "a;b" ("x"";" int); SELECT "";)") ==
          Texts{R"(CREATE TABLE "a;b" ("x"";" int))", R"(SELECT "")"});
    CHECK(texts("SELECT \"it's\"; SELECT 'x'") == Texts{"SELECT \"it's\"", "SELECT 'x'"});
}

TEST_CASE("dollar quotes: $$, tags, same-prefix tags, and tags inside other tags") {
    CHECK(texts("SELECT $$a;b$$; SELECT 2") == Texts{"SELECT $$a;b$$", "SELECT 2"});
    CHECK(texts("CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ "
                "LANGUAGE plpgsql; SELECT 2") ==
          Texts{"CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ "
                "LANGUAGE plpgsql",
                "SELECT 2"});
    // $ab$ and $$ inside $a$ do not close it; $a$ does.
    CHECK(texts("SELECT $a$ x; $ab$ y; $$ z; $a$; SELECT 2") ==
          Texts{"SELECT $a$ x; $ab$ y; $$ z; $a$", "SELECT 2"});
    // A longer tag that ends like the opening one does not close it ($x$a$ holds "$a$" at
    // the end, as psql reads it: $x$ is not the tag, its last '$' starts $a$).
    CHECK(texts("SELECT $a$ q $x$a$; SELECT 2") == Texts{"SELECT $a$ q $x$a$", "SELECT 2"});
    CHECK(texts("SELECT $_T1$ ; $_T1$; SELECT 2") == Texts{"SELECT $_T1$ ; $_T1$", "SELECT 2"});
    // Quotes inside dollar bodies mean nothing.
    CHECK(texts("SELECT $$ ' \" /* -- $$; SELECT 2") ==
          Texts{"SELECT $$ ' \" /* -- $$", "SELECT 2"});
    // Dollar bodies hold other tags.
    CHECK(texts("DO $outer$ BEGIN EXECUTE $inner$ SELECT 1; $inner$; END $outer$; SELECT 2") ==
          Texts{"DO $outer$ BEGIN EXECUTE $inner$ SELECT 1; $inner$; END $outer$", "SELECT 2"});
    // Tags are case-sensitive.
    CHECK(texts("SELECT $A$ $a$; $A$; SELECT 2") == Texts{"SELECT $A$ $a$; $A$", "SELECT 2"});
}

TEST_CASE("$1 parameters, identifiers with $, and a lone $ are not dollar quotes") {
    CHECK(texts("PREPARE p AS SELECT $1; SELECT $2, $10;") ==
          Texts{"PREPARE p AS SELECT $1", "SELECT $2, $10"});
    // $1$ would be a delimiter with a digit-first tag, which PostgreSQL rejects.
    CHECK(texts("SELECT $1$; SELECT 2") == Texts{"SELECT $1$", "SELECT 2"});
    // a$b$ is one identifier: no dollar quote opens.
    CHECK(texts("SELECT a$b$; SELECT 2") == Texts{"SELECT a$b$", "SELECT 2"});
    CHECK(texts("SELECT $ ; SELECT 2") == Texts{"SELECT $", "SELECT 2"});
    CHECK(texts("SELECT $abc; SELECT 2") == Texts{"SELECT $abc", "SELECT 2"});
}

TEST_CASE("comments: -- to end of line and nested /* */") {
    CHECK(texts("SELECT 1 -- not; split\n, 2; SELECT 3") ==
          Texts{"SELECT 1 -- not; split\n, 2", "SELECT 3"});
    CHECK(texts("SELECT /* a /* b; */ c; */ 1; SELECT 2") ==
          Texts{"SELECT /* a /* b; */ c; */ 1", "SELECT 2"});
    CHECK(texts("SELECT /*/ x; */ 1; SELECT 2") == Texts{"SELECT /*/ x; */ 1", "SELECT 2"});
    CHECK(texts("SELECT /** x; **/ 1; SELECT 2") == Texts{"SELECT /** x; **/ 1", "SELECT 2"});
    CHECK(texts("SELECT 1--comment; SELECT 2\n;SELECT 3") == Texts{"SELECT 1", "SELECT 3"});
    // Quotes inside comments mean nothing.
    CHECK(texts("SELECT 1 /* it's */; -- don't\nSELECT 2") == Texts{"SELECT 1", "SELECT 2"});
    // A -- comment also ends at a lone CR.
    CHECK(texts("SELECT 1 -- c\rSELECT 2; SELECT 3") ==
          Texts{"SELECT 1 -- c\rSELECT 2", "SELECT 3"});
}

TEST_CASE("parentheses keep semicolons inside (CREATE RULE ... DO (...; ...))") {
    CHECK(texts("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b "
                "VALUES (2)); SELECT 1") ==
          Texts{"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b "
                "VALUES (2))",
                "SELECT 1"});
    // A surplus ')' is left for the server to reject, as psql does.
    CHECK(texts("SELECT 1); SELECT 2") == Texts{"SELECT 1)", "SELECT 2"});
}

TEST_CASE("line numbers with LF, CRLF, CR and multi-line tokens") {
    CHECK(lines("SELECT 1;\nSELECT 2;\n\n\nSELECT 3;") == Lines{1, 2, 5});
    CHECK(lines("SELECT 1;\r\nSELECT 2;\r\n\r\nSELECT 3;\r\n") == Lines{1, 2, 4});
    CHECK(lines("SELECT 1;\rSELECT 2;\r\rSELECT 3;") == Lines{1, 2, 4});
    CHECK(lines("SELECT 'a\nb\nc'; SELECT $$\r\n\r\n$$;\nSELECT \"x\ny\"; /*\n\n*/ SELECT 4") ==
          Lines{1, 3, 6, 9});
    CHECK(lines("\xEF\xBB\xBF-- header\r\n\r\nCREATE TABLE t (\r\n id int\r\n);\r\nSELECT 1") ==
          Lines{3, 6});
    CHECK(lines("SELECT E'\\\n'; SELECT 2") == Lines{1, 2});
}

TEST_CASE("a leading byte-order mark is not part of the first statement") {
    CHECK(texts("\xEF\xBB\xBF"
                "SELECT 1; SELECT 2") == Texts{"SELECT 1", "SELECT 2"});
}

TEST_CASE("BEGIN ATOMIC bodies of SQL-standard functions and procedures do not split") {
    const std::string fn =
        "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n"
        "  SELECT a + b;\n"
        "  SELECT CASE WHEN a > b THEN a ELSE b END;\n"
        "  SELECT CASE a WHEN 1 THEN CASE WHEN b = 2 THEN 3 END END;\n"
        "END";
    CHECK(texts(fn + ";\nSELECT add(1, 2);") == Texts{fn, "SELECT add(1, 2)"});
    CHECK(lines(fn + ";\nSELECT add(1, 2);") == Lines{1, 7});

    const std::string proc =
        "create or replace procedure ins(x int) language sql begin atomic "
        "insert into t values (x); insert into t values (x + 1); end";
    CHECK(texts(proc + "; CALL ins(1)") == Texts{proc, "CALL ins(1)"});

    // CASE inside parentheses is balanced inside them.
    const std::string paren =
        "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT (CASE WHEN true THEN 1 END); END";
    CHECK(texts(paren + "; SELECT 2") == Texts{paren, "SELECT 2"});

    // Comments between BEGIN and ATOMIC.
    const std::string commented =
        "CREATE FUNCTION f() RETURNS int BEGIN /* c */ -- d\n ATOMIC SELECT 1; END";
    CHECK(texts(commented + "; SELECT 2") == Texts{commented, "SELECT 2"});
}

TEST_CASE("BEGIN, CASE and END outside a routine body do not change splitting") {
    CHECK(texts("BEGIN; SELECT 1; END;") == Texts{"BEGIN", "SELECT 1", "END"});
    CHECK(texts("SELECT CASE WHEN true THEN 1 END; SELECT 2") ==
          Texts{"SELECT CASE WHEN true THEN 1 END", "SELECT 2"});
    // A plpgsql body is a dollar string; BEGIN there is not BEGIN ATOMIC.
    CHECK(texts("CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql; "
                "SELECT 2") ==
          Texts{"CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql",
                "SELECT 2"});
    // A function named begin is not a body (psql would wait for an END here).
    CHECK(texts("CREATE FUNCTION begin() RETURNS int RETURN 1; SELECT 2") ==
          Texts{"CREATE FUNCTION begin() RETURNS int RETURN 1", "SELECT 2"});
    // "begin atomic" in a quoted identifier or another statement is nothing special.
    CHECK(texts("CREATE TABLE \"begin atomic\" (x int); SELECT 2") ==
          Texts{"CREATE TABLE \"begin atomic\" (x int)", "SELECT 2"});
    CHECK(texts("CREATE VIEW v AS SELECT 1 AS atomic; SELECT 2") ==
          Texts{"CREATE VIEW v AS SELECT 1 AS atomic", "SELECT 2"});
}

TEST_CASE("each unterminated form is an error naming the line where it opened") {
    struct Case {
        const char* sql;
        std::size_t line;
        const char* message;
    };
    const Case cases[] = {
        {"SELECT 1;\nSELECT 'abc;\n\n", 2, "unterminated quoted string opened on line 2"},
        {"SELECT 1;\n\nSELECT E'abc\\'", 3, "unterminated escape string E'...' opened on line 3"},
        {"SELECT U&'abc", 1, "unterminated Unicode string U&'...' opened on line 1"},
        {"SELECT 1;\r\nSELECT \"abc", 2, "unterminated quoted identifier opened on line 2"},
        {"SELECT U&\"abc", 1, "unterminated quoted identifier opened on line 1"},
        {"SELECT 1;\n/* a /* b */\nSELECT 2;", 2, "unterminated /* comment opened on line 2"},
        {"\n\n\n\n\n\n\n\n\n\n\nCREATE FUNCTION f() AS $body$\nSELECT 1; $bod$", 12,
         "unterminated dollar-quoted string $body$ opened on line 12"},
        {"SELECT $$ x", 1, "unterminated dollar-quoted string $$ opened on line 1"},
        {"SELECT 'it''s", 1, "unterminated quoted string opened on line 1"},
        {"SELECT 1;\nINSERT INTO t VALUES (1,\n2;\nSELECT 3;", 2,
         "unclosed parenthesis opened on line 2"},
        {"CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\nSELECT 1;\n", 2,
         "BEGIN ATOMIC body opened on line 2 has no matching END"},
        {"CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; CASE", 1,
         "BEGIN ATOMIC body opened on line 1 has no matching END"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.sql);
        const LexError error = error_of(c.sql);
        CHECK(error.line == c.line);
        CHECK(error.message == c.message);
    }
}

TEST_CASE("an error keeps the statements completed before it, and none after") {
    const SplitResult result = split_statements("SELECT 1;\nSELECT 2;\nSELECT 'x;\nSELECT 4;");
    REQUIRE(result.error.has_value());
    REQUIRE(result.statements.size() == 2);
    CHECK(result.statements[1].text == "SELECT 2");
}

TEST_CASE("a -- comment at the end of input without a newline is complete") {
    CHECK(texts("SELECT 1; -- the end") == Texts{"SELECT 1"});
    CHECK(texts("SELECT 1 -- the end") == Texts{"SELECT 1"});
}

TEST_CASE("leading_keywords") {
    CHECK(leading_keywords("-- c\n/* d */ create unique index i on t (x)", 3) ==
          std::vector<std::string>{"CREATE", "UNIQUE", "INDEX"});
    CHECK(leading_keywords("SELECT 1", 5) == std::vector<std::string>{"SELECT"});
    CHECK(leading_keywords("ALTER DATABASE \"x\" SET", 5) ==
          std::vector<std::string>{"ALTER", "DATABASE"});
    CHECK(leading_keywords("", 2).empty());
    CHECK(leading_keywords("SELECT 1", 0).empty());
    const SplitResult r = split_statements("Drop Table x;");
    REQUIRE(r.statements.size() == 1);
    CHECK(leading_keywords(r.statements[0], 2) == std::vector<std::string>{"DROP", "TABLE"});
}

TEST_CASE("transaction control statements are recognised, case-insensitively, after comments") {
    for (const char* sql : {"BEGIN",
                            "begin transaction isolation level serializable",
                            "BEGIN WORK",
                            "START TRANSACTION",
                            "start transaction read only",
                            "COMMIT",
                            "commit and chain",
                            "END",
                            "end transaction",
                            "ROLLBACK",
                            "ROLLBACK TO SAVEPOINT s",
                            "ABORT",
                            "SAVEPOINT s",
                            "RELEASE SAVEPOINT s",
                            "release s",
                            "PREPARE TRANSACTION 'x'",
                            "COMMIT PREPARED 'x'",
                            "ROLLBACK PREPARED 'x'",
                            "-- why\nCOMMIT",
                            "/* a */ /* b */ Begin",
                            "\n\t BEGIN"}) {
        CAPTURE(sql);
        CHECK(is_transaction_control(sql));
    }
    for (const char* sql :
         {"SELECT 1", "PREPARE p AS SELECT 1", "START", "CREATE TABLE begin_log (x int)",
          "SELECT 'BEGIN'", "\"begin\"", "-- BEGIN\nSELECT 1", "/* COMMIT */ SELECT 1",
          "DO $$ BEGIN COMMIT; END $$",
          "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END",
          "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "", "beginning"}) {
        CAPTURE(sql);
        CHECK_FALSE(is_transaction_control(sql));
    }
    const SplitResult r = split_statements("-- lead\nSELECT 1;\n/* x */ COMMIT;\n");
    REQUIRE(r.statements.size() == 2);
    CHECK_FALSE(is_transaction_control(r.statements[0]));
    CHECK(is_transaction_control(r.statements[1]));
    CHECK(r.statements[1].line == 3);
}

TEST_CASE("commands PostgreSQL refuses inside a transaction block are named") {
    struct Case {
        const char* sql;
        const char* command;
    };
    const Case flagged[] = {
        {"CREATE INDEX CONCURRENTLY i ON t (x)", "CREATE INDEX CONCURRENTLY"},
        {"create unique index concurrently if not exists i on t (x)", "CREATE INDEX CONCURRENTLY"},
        {"-- speed up lookups\nCREATE INDEX /* c */ CONCURRENTLY ON t (x)",
         "CREATE INDEX CONCURRENTLY"},
        {"DROP INDEX CONCURRENTLY IF EXISTS i", "DROP INDEX CONCURRENTLY"},
        {"REINDEX INDEX CONCURRENTLY i", "REINDEX CONCURRENTLY"},
        {"REINDEX (VERBOSE) TABLE CONCURRENTLY t", "REINDEX CONCURRENTLY"},
        {"REINDEX (CONCURRENTLY, VERBOSE) TABLE t", "REINDEX CONCURRENTLY"},
        {"REINDEX SCHEMA app", "REINDEX SCHEMA"},
        {"REINDEX DATABASE app", "REINDEX DATABASE"},
        {"reindex system", "REINDEX SYSTEM"},
        {"CREATE DATABASE app", "CREATE DATABASE"},
        {"DROP DATABASE IF EXISTS app", "DROP DATABASE"},
        {"VACUUM", "VACUUM"},
        {"vacuum (analyze) t", "VACUUM"},
        {"ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM"},
        {"CREATE TABLESPACE fast LOCATION '/ssd'", "CREATE TABLESPACE"},
        {"DROP TABLESPACE fast", "DROP TABLESPACE"},
        {"ALTER DATABASE app SET TABLESPACE fast", "ALTER DATABASE ... SET TABLESPACE"},
        {"ALTER DATABASE \"App\" SET TABLESPACE fast", "ALTER DATABASE ... SET TABLESPACE"},
        {"ALTER TABLE m DETACH PARTITION m_2020 CONCURRENTLY",
         "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY"},
        {"CLUSTER", "CLUSTER without a table name"},
        {"CLUSTER VERBOSE", "CLUSTER without a table name"},
        {"DISCARD ALL", "DISCARD ALL"},
    };
    for (const Case& c : flagged) {
        CAPTURE(c.sql);
        const auto command = no_transaction_command(c.sql);
        REQUIRE(command.has_value());
        CHECK(*command == c.command);
        CHECK(needs_no_transaction_hint(c.sql));
    }
    for (const char* sql : {"CREATE INDEX i ON t (x)",
                            "CREATE UNIQUE INDEX i ON t (x)",
                            "DROP INDEX i",
                            "REINDEX TABLE t",
                            "REINDEX INDEX i",
                            "ALTER TYPE mood ADD VALUE 'meh'",
                            "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'ok'",
                            "ANALYZE t",
                            "ALTER DATABASE app SET search_path = app",
                            "ALTER TABLE m DETACH PARTITION m_2020",
                            "ALTER TABLE t ADD COLUMN c int",
                            "CLUSTER t USING i",
                            "CLUSTER VERBOSE t",
                            "DISCARD PLANS",
                            "CREATE TABLE database (x int)",
                            "SELECT 'VACUUM'",
                            "-- VACUUM\nSELECT 1",
                            "CREATE MATERIALIZED VIEW v AS SELECT 1",
                            "REFRESH MATERIALIZED VIEW CONCURRENTLY v",
                            ""}) {
        CAPTURE(sql);
        CHECK_FALSE(no_transaction_command(sql).has_value());
        CHECK_FALSE(needs_no_transaction_hint(sql));
    }
    const SplitResult r = split_statements(
        "CREATE TABLE t (x int);\n\nCREATE INDEX CONCURRENTLY "
        "i ON t (x);\n");
    REQUIRE(r.statements.size() == 2);
    CHECK_FALSE(needs_no_transaction_hint(r.statements[0]));
    CHECK(needs_no_transaction_hint(r.statements[1]));
    CHECK(r.statements[1].line == 3);
}

TEST_CASE("the tokenizer reports kinds, text and lines") {
    Tokenizer t("SELECT $1, 'a''b' -- c\n/* d */ \"e\" $t$x$t$ 12 (;)");
    const TokenKind expected[] = {TokenKind::kWord,
                                  TokenKind::kParameter,
                                  TokenKind::kOther,
                                  TokenKind::kString,
                                  TokenKind::kLineComment,
                                  TokenKind::kBlockComment,
                                  TokenKind::kQuotedIdentifier,
                                  TokenKind::kDollarString,
                                  TokenKind::kNumber,
                                  TokenKind::kOpenParen,
                                  TokenKind::kSemicolon,
                                  TokenKind::kCloseParen,
                                  TokenKind::kEnd};
    std::vector<Token> tokens;
    for (const TokenKind kind : expected) {
        const Token token = t.next();
        CHECK(token.kind == kind);
        tokens.push_back(token);
    }
    CHECK(tokens[3].text == "'a''b'");
    CHECK(tokens[4].text == "-- c");
    CHECK(tokens[4].line == 1);
    CHECK(tokens[5].line == 2);
    CHECK(tokens[7].text == "$t$x$t$");
    CHECK_FALSE(t.error().has_value());
    CHECK(t.next().kind == TokenKind::kEnd);
}

TEST_CASE("large inputs split in linear time") {
    // 200k statements, a long dollar body full of near-miss tags, deep comment nesting.
    std::string sql;
    for (int i = 0; i < 200000; ++i) {
        sql += "INSERT INTO t VALUES (1, 'a;b');\n";
    }
    sql += "SELECT $tag$";
    for (int i = 0; i < 100000; ++i) {
        sql += "$ta$ $tagx$ $$ $TAG$ $ta;";
    }
    sql += "$tag$;\n/*";
    for (int i = 0; i < 100000; ++i) {
        sql += "/*";
    }
    for (int i = 0; i < 100001; ++i) {
        sql += "*/";
    }
    sql += "SELECT 'end';";
    const SplitResult result = split_statements(sql);
    REQUIRE(result.ok());
    REQUIRE(result.statements.size() == 200002);
    CHECK(result.statements[199999].line == 200000);
    CHECK(result.statements[200001].text == "SELECT 'end'");
    CHECK(result.statements[200001].line == 200002);
}

namespace {

// Random text made mostly of the characters that matter to the lexer.
std::string random_sql(std::mt19937& rng) {
    static constexpr std::string_view kAlphabet = "'\"$;()/*-\n\r\\eEuU&ab_1 \tBEGINATOMICCASEND{}";
    std::uniform_int_distribution<std::size_t> length(0, 120);
    std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> coin(0, 9);
    std::string out;
    const std::size_t n = length(rng);
    for (std::size_t i = 0; i < n; ++i) {
        const int roll = coin(rng);
        if (roll == 0) {
            out += static_cast<char>(byte(rng));
        } else if (roll == 1) {
            static constexpr std::string_view kPieces[] = {"$a$",
                                                           "$$",
                                                           "${x}",
                                                           "/*",
                                                           "*/",
                                                           "--",
                                                           "E'",
                                                           "U&'",
                                                           "U&\"",
                                                           "BEGIN ATOMIC",
                                                           "CREATE FUNCTION f() ",
                                                           "CASE",
                                                           "END",
                                                           "$1",
                                                           "\r\n",
                                                           "''"};
            out += kPieces[static_cast<std::size_t>(byte(rng)) % std::size(kPieces)];
        } else {
            out += kAlphabet[pick(rng)];
        }
    }
    return out;
}

bool is_space_char(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

TEST_CASE("random input never crashes and statements stay inside the input") {
    std::mt19937 rng(20240607);
    std::size_t with_error = 0;
    std::size_t statements = 0;
    for (int round = 0; round < 20000; ++round) {
        const std::string sql = random_sql(rng);
        CAPTURE(sql);
        std::size_t total_lines = 1;
        for (std::size_t i = 0; i < sql.size(); ++i) {
            if (sql[i] == '\n' || (sql[i] == '\r' && (i + 1 >= sql.size() || sql[i + 1] != '\n'))) {
                ++total_lines;
            }
        }
        const SplitResult result = split_statements(sql);
        std::size_t previous_end = 0;
        std::size_t previous_line = 1;
        for (const Statement& s : result.statements) {
            REQUIRE(s.offset >= previous_end);
            REQUIRE(s.offset + s.text.size() <= sql.size());
            REQUIRE(s.text.data() == sql.data() + s.offset);
            REQUIRE_FALSE(s.text.empty());
            CHECK_FALSE(is_space_char(s.text.front()));
            CHECK_FALSE(is_space_char(s.text.back()));
            CHECK(s.line >= previous_line);
            CHECK(s.line <= total_lines);
            previous_end = s.offset + s.text.size();
            previous_line = s.line;
            // A statement's text splits again into exactly itself.
            const SplitResult again = split_statements(s.text);
            CHECK(again.ok());
            REQUIRE(again.statements.size() == 1);
            CHECK(again.statements[0].text == s.text);
            (void)is_transaction_control(s);
            (void)no_transaction_command(s);
            (void)leading_keywords(s, 3);
        }
        if (result.error) {
            ++with_error;
            CHECK(result.error->line >= 1);
            CHECK(result.error->line <= total_lines);
            CHECK_FALSE(result.error->message.empty());
        }
        statements += result.statements.size();
        // Directives and placeholders survive the same text.
        for (const DirectiveError& e : parse_directives(sql).errors) {
            CHECK(e.line >= 1);
            CHECK(e.line <= total_lines);
        }
        const Substitution none = substitute(sql, {});
        CHECK(none.text == sql);
        CHECK(none.errors.size() == find_placeholders(sql).size());
    }
    // The generator reaches both outcomes, so the checks above ran on real splits.
    CHECK(with_error > 1000);
    CHECK(statements > 10000);
}
