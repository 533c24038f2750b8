#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "sidecar/migrate/placeholders.hpp"

using namespace sg::migrate;

namespace {

const std::map<std::string, std::string> kValues = {
    {"database", "shop"}, {"role", "orders_rw"}, {"schema", "orders"}, {"service", "orders"}};

}  // namespace

TEST_CASE("text without placeholders comes back unchanged") {
    for (const char* sql :
         {"", "SELECT 1;", "SELECT '$'; SELECT $$ { } $$; SELECT $1", "SELECT '$ {schema}'"}) {
        CAPTURE(sql);
        const Substitution s = substitute(sql, kValues);
        CHECK(s.text == sql);
        CHECK(s.ok());
    }
}

TEST_CASE("known placeholders are replaced everywhere, quotes and comments included") {
    const Substitution s = substitute(
        "-- for ${service}\n"
        "CREATE TABLE ${schema}.orders (id int);\n"
        "GRANT SELECT ON ${schema}.orders TO \"${role}\";\n"
        "COMMENT ON DATABASE ${database} IS 'owned by ${role}';\n"
        "SELECT $$ ${schema} $$; /* ${service} */\n",
        kValues);
    CHECK(s.ok());
    CHECK(s.text ==
          "-- for orders\n"
          "CREATE TABLE orders.orders (id int);\n"
          "GRANT SELECT ON orders.orders TO \"orders_rw\";\n"
          "COMMENT ON DATABASE shop IS 'owned by orders_rw';\n"
          "SELECT $$ orders $$; /* orders */\n");
}

TEST_CASE("names compare case-insensitively") {
    const Substitution s = substitute("SET search_path = ${Schema}, ${SCHEMA};", kValues);
    CHECK(s.ok());
    CHECK(s.text == "SET search_path = orders, orders;");
    // Keys that are not lower-case still match.
    const Substitution upper = substitute("${x_y}", {{"X_Y", "1"}});
    CHECK(upper.ok());
    CHECK(upper.text == "1");
}

TEST_CASE("adjacent and many on one line") {
    CHECK(substitute("${service}${schema}${role}", kValues).text == "ordersordersorders_rw");
    std::string line;
    std::string expected;
    for (int i = 0; i < 500; ++i) {
        line += "${role},";
        expected += "orders_rw,";
    }
    const Substitution s = substitute(line, kValues);
    CHECK(s.ok());
    CHECK(s.text == expected);
}

TEST_CASE("names with dots, digits and underscores; values containing ${...} are not rescanned") {
    const std::map<std::string, std::string> values = {
        {"app.tier", "gold"}, {"v_2", "two"}, {"loop", "${loop}"}};
    const Substitution s = substitute("${app.tier} ${V_2} ${loop}", values);
    CHECK(s.ok());
    CHECK(s.text == "gold two ${loop}");
}

TEST_CASE("an unknown placeholder is an error with its line and the known names") {
    const Substitution s =
        substitute("SELECT 1;\r\nSELECT 2;\r\n\r\nSELECT ${foo}, ${schema};\n${Bar}", kValues);
    REQUIRE(s.errors.size() == 2);
    CHECK(s.errors[0].line == 4);
    CHECK(s.errors[0].name == "foo");
    CHECK(s.errors[0].message ==
          "unknown placeholder ${foo} on line 4; known: database, role, schema, service");
    CHECK(s.errors[1].line == 5);
    CHECK(s.errors[1].name == "Bar");
    // Unknown ones stay as written; known ones around them are still replaced.
    CHECK(s.text == "SELECT 1;\r\nSELECT 2;\r\n\r\nSELECT ${foo}, orders;\n${Bar}");
    CHECK_FALSE(s.ok());

    const Substitution none = substitute("${x}", {});
    REQUIRE(none.errors.size() == 1);
    CHECK(none.errors[0].message ==
          "unknown placeholder ${x} on line 1; no placeholders are defined");
}

TEST_CASE("what is not a placeholder is left alone") {
    for (const char* sql : {
             "SELECT $${schema}",     // $${ is not special
             "SELECT ${schema",       // no closing brace
             "SELECT ${schema\n}",    // closing brace on another line
             "SELECT ${}",            // empty name
             "SELECT ${1abc}",        // name starts with a digit
             "SELECT ${ schema }",    // spaces
             "SELECT ${sch-ema}",     // invalid character
             "SELECT '${\"a\": 1}'",  // JSON-looking text
             "SELECT $ {schema}",
         }) {
        CAPTURE(sql);
        const Substitution s = substitute(sql, kValues);
        CHECK(s.text == sql);
        CHECK(s.ok());
        CHECK(find_placeholders(sql).empty());
    }
    // After an unterminated one, later placeholders are still found.
    CHECK(substitute("${schema ${schema}", kValues).text == "${schema orders");
    CHECK(substitute("$${schema}${schema}", kValues).text == "$${schema}orders");
}

TEST_CASE("find_placeholders lists every use with its line, as written") {
    const std::vector<PlaceholderUse> uses = find_placeholders(
        "-- ${service}\nCREATE SCHEMA ${Schema};\r\nSELECT '${x.y}' -- ${schema}");
    REQUIRE(uses.size() == 4);
    CHECK(uses[0].line == 1);
    CHECK(uses[0].name == "service");
    CHECK(uses[1].line == 2);
    CHECK(uses[1].name == "Schema");
    CHECK(uses[2].line == 3);
    CHECK(uses[2].name == "x.y");
    CHECK(uses[3].line == 3);
    CHECK(uses[3].name == "schema");
}

TEST_CASE("a large text with placeholders substitutes in one pass") {
    std::string sql;
    std::string expected;
    for (int i = 0; i < 100000; ++i) {
        sql += "INSERT INTO ${schema}.t VALUES ('${service}');\n";
        expected += "INSERT INTO orders.t VALUES ('orders');\n";
    }
    sql += "${nope}";
    expected += "${nope}";
    const Substitution s = substitute(sql, kValues);
    CHECK(s.text == expected);
    REQUIRE(s.errors.size() == 1);
    CHECK(s.errors[0].line == 100001);
}
