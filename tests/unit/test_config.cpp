#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "sidecar/config/config.hpp"
#include "sidecar/config/secret.hpp"
#include "sidecar/db/dsn.hpp"

using namespace std::chrono_literals;
using sg::config::Config;
using sg::config::Env;
using sg::config::Problem;

namespace {

// Files the injected reader serves; FileReader is a plain function pointer.
std::map<std::string, std::string>& fake_files() {
    static std::map<std::string, std::string> files;
    return files;
}

std::optional<std::string> fake_reader(const std::filesystem::path& path, std::string& error) {
    const auto it = fake_files().find(path.string());
    if (it == fake_files().end()) {
        error = "No such file or directory";
        return std::nullopt;
    }
    return it->second;
}

Config ok(const Env& env, sg::config::Requirements requirements = {}) {
    auto result = sg::config::parse(env, requirements, &fake_reader);
    if (const auto* problems = std::get_if<std::vector<Problem>>(&result)) {
        std::string all;
        for (const auto& p : *problems) {
            all += p.line() + "\n";
        }
        FAIL("unexpected problems:\n" << all);
    }
    return std::get<Config>(std::move(result));
}

std::vector<Problem> bad(const Env& env, sg::config::Requirements requirements = {}) {
    auto result = sg::config::parse(env, requirements, &fake_reader);
    REQUIRE_MESSAGE(std::holds_alternative<std::vector<Problem>>(result),
                    "expected configuration problems");
    return std::get<std::vector<Problem>>(std::move(result));
}

// The one problem `env` has; fails the test if there is not exactly one.
Problem one(Env env) {
    if (!env.contains("SCHEMAGATE_SERVICE")) {
        env["SCHEMAGATE_SERVICE"] = "orders";
    }
    const auto problems = bad(env);
    REQUIRE(problems.size() == 1);
    return problems.front();
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

constexpr std::string_view kDurationForm = "use 250ms, 5s, 5m, 1h or plain seconds";

}  // namespace

// ---------------------------------------------------------------- defaults and the table

TEST_CASE("defaults with only the service set") {
    const Config c = ok({{"SCHEMAGATE_SERVICE", "user-service"}});
    CHECK(c.service == "user-service");
    CHECK(c.migrations == std::filesystem::path("/migrations"));
    CHECK(c.isolation == sg::config::Isolation::kShared);
    CHECK(c.schema == "public");
    CHECK(c.role == "user_service");
    CHECK(c.database_url.empty());
    CHECK_FALSE(c.admin_url.has_value());
    CHECK_FALSE(c.role_password.has_value());
    CHECK(c.extensions.empty());
    CHECK(c.listen_host == "0.0.0.0");
    CHECK(c.listen_port == 8080);
    CHECK(c.lock_timeout == 5min);
    CHECK(c.statement_lock_timeout == std::optional<sg::config::Millis>(3s));
    CHECK(c.lock_retries == 10);
    CHECK(c.lint == sg::config::LintMode::kWarn);
    CHECK(c.max_retries == 10);
    CHECK(c.initial_delay == 100ms);
    CHECK(c.max_delay == 30s);
    CHECK(c.connect_timeout == 30s);
    CHECK(c.log_level == "info");
    CHECK(c.log_format == sg::config::LogFormat::kText);
    CHECK(c.placeholders.empty());
    CHECK(c.http.max_header_bytes == 8192);
    CHECK(c.http.max_connections == 256);
    CHECK(c.http.read_timeout == 5s);
    CHECK(c.http.idle_timeout == 5s);
}

TEST_CASE("the settings table covers the documented variables, each with its flag") {
    const std::vector<std::string> documented = {
        "DATABASE_URL",
        "SCHEMAGATE_SERVICE",
        "SCHEMAGATE_MIGRATIONS",
        "SCHEMAGATE_FORMAT",
        "SCHEMAGATE_ISOLATION",
        "SCHEMAGATE_SCHEMA",
        "SCHEMAGATE_ADMIN_URL",
        "SCHEMAGATE_ROLE",
        "SCHEMAGATE_ROLE_PASSWORD",
        "SCHEMAGATE_EXTENSIONS",
        "SCHEMAGATE_LISTEN",
        "SCHEMAGATE_LOCK_TIMEOUT",
        "SCHEMAGATE_STATEMENT_LOCK_TIMEOUT",
        "SCHEMAGATE_LOCK_RETRIES",
        "SCHEMAGATE_LINT",
        "SCHEMAGATE_OUT_OF_ORDER",
        "SCHEMAGATE_VERSION_STYLE",
        "DB_INIT_MAX_RETRIES",
        "DB_INIT_INITIAL_DELAY",
        "DB_INIT_MAX_DELAY",
        "DB_INIT_TIMEOUT",
        "LOG_LEVEL",
        "SCHEMAGATE_LOG_FORMAT",
        "SCHEMAGATE_HTTP_MAX_HEADER_BYTES",
        "SCHEMAGATE_HTTP_MAX_CONNECTIONS",
        "SCHEMAGATE_HTTP_READ_TIMEOUT",
        "SCHEMAGATE_HTTP_IDLE_TIMEOUT",
    };
    std::vector<std::string> listed;
    std::set<std::string> flags;
    for (const auto& s : sg::config::settings()) {
        listed.emplace_back(s.variable);
        CAPTURE(s.variable);
        CHECK(s.flag == sg::config::flag_for(s.variable));
        CHECK(flags.insert(std::string(s.flag)).second);
        CHECK_FALSE(s.help.empty());
        CHECK_FALSE(s.kind.empty());
        CHECK(s.commands != 0);
        const std::string v(s.variable);
        const bool secret = v.ends_with("_URL") || v.ends_with("_PASSWORD");
        CHECK(s.secret_file_allowed == secret);
    }
    CHECK(listed == documented);
}

TEST_CASE("README's settings table lists exactly the settings of the code, with their defaults") {
    std::ifstream in(std::string(SCHEMAGATE_SOURCE_DIR) + "/README.md");
    REQUIRE(in);
    std::set<std::string> in_readme;
    std::map<std::string, std::string> rows;
    bool in_table = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("## Settings", 0) == 0) {
            in_table = true;
            continue;
        }
        if (in_table && line.rfind("## ", 0) == 0) {
            break;
        }
        // | `NAME` (or `NAME` / `OTHER`) | default | meaning |
        if (in_table && line.rfind("| `", 0) == 0) {
            const auto end = line.find('`', 3);
            const std::string name = line.substr(3, end - 3);
            if (name.find('<') != std::string::npos) {
                continue;  // SCHEMAGATE_PLACEHOLDER_<NAME>: a family, not one setting
            }
            in_readme.insert(name);
            rows[name] = line;
        }
    }
    std::set<std::string> in_code;
    for (const auto& s : sg::config::settings()) {
        in_code.emplace(s.variable);
    }
    CHECK(in_readme == in_code);
    for (const auto& s : sg::config::settings()) {
        CAPTURE(s.variable);
        const auto row = rows.find(std::string(s.variable));
        if (row != rows.end() && !s.fallback.empty() && s.fallback.front() != '<') {
            CHECK(row->second.find(std::string(s.fallback)) != std::string::npos);
        }
    }
}

TEST_CASE("flag_for maps variables to long flags") {
    CHECK(sg::config::flag_for("DATABASE_URL") == "database-url");
    CHECK(sg::config::flag_for("SCHEMAGATE_LOCK_TIMEOUT") == "lock-timeout");
    CHECK(sg::config::flag_for("SCHEMAGATE_SERVICE") == "service");
    CHECK(sg::config::flag_for("DB_INIT_MAX_RETRIES") == "db-init-max-retries");
    CHECK(sg::config::flag_for("LOG_LEVEL") == "log-level");
    CHECK(sg::config::flag_for("SCHEMAGATE_ADMIN_URL_FILE") == "admin-url-file");
}

TEST_CASE("set_override makes a flag win over the other form of a secret") {
    Env env = {{"DATABASE_URL", "host=a"}, {"SCHEMAGATE_ADMIN_URL_FILE", "/run/admin"}};
    sg::config::set_override(env, "DATABASE_URL_FILE", "/run/db");
    sg::config::set_override(env, "SCHEMAGATE_ADMIN_URL", "host=admin");
    sg::config::set_override(env, "SCHEMAGATE_LISTEN", ":9000");
    CHECK(env == Env{{"DATABASE_URL_FILE", "/run/db"},
                     {"SCHEMAGATE_ADMIN_URL", "host=admin"},
                     {"SCHEMAGATE_LISTEN", ":9000"}});
}

TEST_CASE("process_environment reads the real environment") {
    // Tests run on one thread; nothing else touches the environment meanwhile.
    REQUIRE(::setenv("SG_UNIT_TEST_PROBE", "a=b", 1) == 0);  // NOLINT(concurrency-mt-unsafe)
    const Env env = sg::config::process_environment();
    ::unsetenv("SG_UNIT_TEST_PROBE");  // NOLINT(concurrency-mt-unsafe)
    REQUIRE(env.contains("SG_UNIT_TEST_PROBE"));
    CHECK(env.at("SG_UNIT_TEST_PROBE") == "a=b");
}

TEST_CASE("empty values count as unset") {
    const Config c = ok({{"SCHEMAGATE_SERVICE", "orders"},
                         {"SCHEMAGATE_ADMIN_URL", ""},
                         {"SCHEMAGATE_LOCK_TIMEOUT", ""},
                         {"DATABASE_URL", ""},
                         {"DATABASE_URL_FILE", ""}});
    CHECK_FALSE(c.admin_url.has_value());
    CHECK(c.lock_timeout == 5min);
}

TEST_CASE("Problem::line names the variable first") {
    CHECK(Problem{"LOG_LEVEL", "bad"}.line() == "LOG_LEVEL: bad");
}

// ---------------------------------------------------------------- service, names, isolation

TEST_CASE("SCHEMAGATE_SERVICE is required unless the command does not need it") {
    const auto problems = bad({});
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].variable == "SCHEMAGATE_SERVICE");
    CHECK(has(problems[0].message, "required"));
    CHECK(has(problems[0].message, "SCHEMAGATE_SERVICE=orders"));

    const Config c = ok({}, {false});
    CHECK(c.service.empty());
    CHECK(c.schema == "public");
    CHECK(c.role.empty());
}

TEST_CASE("identifier_for lower-cases ASCII and maps - . and space to _") {
    CHECK(sg::config::identifier_for("user-service") == "user_service");
    CHECK(sg::config::identifier_for("User.Service v2") == "user_service_v2");
    CHECK(sg::config::identifier_for("a_b9") == "a_b9");
    CHECK(sg::config::identifier_for("caf\xc3\xa9$x") == "caf\xc3\xa9$x");  // kept, quoted later
    CHECK(sg::config::identifier_for("") == "");
}

TEST_CASE("SCHEMAGATE_SERVICE must fit a PostgreSQL name and have no control characters") {
    CHECK(ok({{"SCHEMAGATE_SERVICE", std::string(63, 's')}}).role == std::string(63, 's'));

    const auto too_long = one({{"SCHEMAGATE_SERVICE", std::string(64, 's')}});
    CHECK(too_long.variable == "SCHEMAGATE_SERVICE");
    CHECK(has(too_long.message, "63 bytes"));

    const auto control = one({{"SCHEMAGATE_SERVICE", "ord\ners"}});
    CHECK(control.variable == "SCHEMAGATE_SERVICE");
    CHECK(has(control.message, "control characters"));
    CHECK(has(control.message, "\\x0a"));  // shown escaped, never raw

    const auto nul = one({{"SCHEMAGATE_SERVICE", std::string("a\0b", 3)}});
    CHECK(nul.variable == "SCHEMAGATE_SERVICE");
}

TEST_CASE("SCHEMAGATE_ISOLATION chooses the schema default") {
    CHECK(ok({{"SCHEMAGATE_SERVICE", "Cart-Service"}, {"SCHEMAGATE_ISOLATION", "Schema"}}).schema ==
          "cart_service");
    const Config db = ok({{"SCHEMAGATE_SERVICE", "cart"}, {"SCHEMAGATE_ISOLATION", " DATABASE "}});
    CHECK(db.isolation == sg::config::Isolation::kDatabase);
    CHECK(db.schema == "cart");
    CHECK(ok({{"SCHEMAGATE_SERVICE", "cart"}, {"SCHEMAGATE_ISOLATION", "shared"}}).schema ==
          "public");
    CHECK(ok({{"SCHEMAGATE_SERVICE", "cart"},
              {"SCHEMAGATE_ISOLATION", "schema"},
              {"SCHEMAGATE_SCHEMA", "Mixed Case"}})
              .schema == "Mixed Case");
    CHECK(sg::config::to_string(sg::config::Isolation::kSchema) == "schema");

    const auto p = one({{"SCHEMAGATE_ISOLATION", "tenant"}});
    CHECK(p.variable == "SCHEMAGATE_ISOLATION");
    CHECK(has(p.message, "\"tenant\""));
    CHECK(has(p.message, "shared, schema or database"));
}

TEST_CASE("SCHEMAGATE_SCHEMA and SCHEMAGATE_ROLE are checked as PostgreSQL names") {
    const Config c = ok({{"SCHEMAGATE_SERVICE", "orders"},
                         {"SCHEMAGATE_ROLE", "orders_rw"},
                         {"SCHEMAGATE_SCHEMA", "sales"}});
    CHECK(c.role == "orders_rw");
    CHECK(c.schema == "sales");

    const auto schema = one({{"SCHEMAGATE_SCHEMA", std::string(64, 'x')}});
    CHECK(schema.variable == "SCHEMAGATE_SCHEMA");
    CHECK(has(schema.message, "at most 63 bytes"));

    const auto role = one({{"SCHEMAGATE_ROLE", "a\tb"}});
    CHECK(role.variable == "SCHEMAGATE_ROLE");
    CHECK(has(role.message, "control characters"));
}

TEST_CASE("provisioning refuses names PostgreSQL reserves") {
    const auto role = one({{"SCHEMAGATE_SERVICE", "pg-stats"}, {"SCHEMAGATE_ADMIN_URL", "host=a"}});
    CHECK(role.variable == "SCHEMAGATE_SERVICE");
    CHECK(has(role.message, "pg_"));
    CHECK(has(role.message, "SCHEMAGATE_ROLE"));
    const auto explicit_role =
        one({{"SCHEMAGATE_ROLE", "pg_app"}, {"SCHEMAGATE_ADMIN_URL", "host=a"}});
    CHECK(explicit_role.variable == "SCHEMAGATE_ROLE");
    const auto schema = one({{"SCHEMAGATE_ISOLATION", "schema"},
                             {"SCHEMAGATE_SCHEMA", "pg_app"},
                             {"SCHEMAGATE_ADMIN_URL", "host=a"}});
    CHECK(schema.variable == "SCHEMAGATE_SCHEMA");
    CHECK(has(schema.message, "set SCHEMAGATE_SCHEMA"));
    // Without an admin URL nothing is created, so the name is only used.
    CHECK(ok({{"SCHEMAGATE_SERVICE", "pg-stats"}}).role == "pg_stats");
}

// ---------------------------------------------------------------- connection strings

TEST_CASE("DATABASE_URL and SCHEMAGATE_ADMIN_URL must parse, and the value is never echoed") {
    for (const std::string variable : {"DATABASE_URL", "SCHEMAGATE_ADMIN_URL"}) {
        CAPTURE(variable);
        const auto p = one({{variable, "host=db password=hunter2 bogus=1"}});
        CHECK(p.variable == variable);
        CHECK(has(p.message, "not a valid libpq connection string"));
        CHECK(has(p.message, "postgres://user@host:5432/db?sslmode="));
        CHECK(has(p.message, "host=db port=5432"));
        CHECK_FALSE(has(p.line(), "hunter2"));

        const auto uri = one({{variable, "postgres://u:hunter2@db/x?bad_option=1"}});
        CHECK_FALSE(has(uri.line(), "hunter2"));
    }
    const Config c = ok({{"SCHEMAGATE_SERVICE", "orders"},
                         {"DATABASE_URL", "postgres://orders:pw@db:5432/orders"},
                         {"SCHEMAGATE_ADMIN_URL", "host=db user=postgres"}});
    CHECK(c.database_url.reveal() == "postgres://orders:pw@db:5432/orders");
    REQUIRE(c.admin_url.has_value());
    CHECK(c.admin_url->reveal() == "host=db user=postgres");
}

TEST_CASE("database isolation with provisioning needs a database name") {
    const Env base = {{"SCHEMAGATE_SERVICE", "orders"},
                      {"SCHEMAGATE_ISOLATION", "database"},
                      {"SCHEMAGATE_ADMIN_URL", "host=db user=postgres"}};
    Env missing = base;
    missing["DATABASE_URL"] = "postgres://orders@db:5432";
    const auto p = one(missing);
    CHECK(p.variable == "DATABASE_URL");
    CHECK(has(p.message, "names no database"));
    CHECK(has(p.message, "dbname=orders"));

    Env named = base;
    named["DATABASE_URL"] = "postgres://orders@db:5432/orders";
    CHECK(ok(named).isolation == sg::config::Isolation::kDatabase);

    Env from_env = missing;
    from_env["PGDATABASE"] = "orders";
    (void)ok(from_env);

    Env no_admin = missing;
    no_admin.erase("SCHEMAGATE_ADMIN_URL");
    (void)ok(no_admin);
}

TEST_CASE("SCHEMAGATE_ROLE_PASSWORD alone is accepted") {
    const Config c = ok({{"SCHEMAGATE_SERVICE", "orders"}, {"SCHEMAGATE_ROLE_PASSWORD", "pw"}});
    REQUIRE(c.role_password.has_value());
    CHECK(c.role_password->reveal() == "pw");
}

// ---------------------------------------------------------------- *_FILE secrets

TEST_CASE("_FILE variables read secrets and strip exactly one trailing newline") {
    fake_files() = {{"/run/secrets/db", "postgres://app:pw@db/app\n"},
                    {"/run/secrets/admin", "host=db user=postgres\r\n"},
                    {"/run/secrets/role", "two newlines\n\n"}};
    const Config c = ok({{"SCHEMAGATE_SERVICE", "orders"},
                         {"DATABASE_URL_FILE", "/run/secrets/db"},
                         {"SCHEMAGATE_ADMIN_URL_FILE", "/run/secrets/admin"},
                         {"SCHEMAGATE_ROLE_PASSWORD_FILE", "/run/secrets/role"}});
    CHECK(c.database_url.reveal() == "postgres://app:pw@db/app");
    REQUIRE(c.admin_url.has_value());
    CHECK(c.admin_url->reveal() == "host=db user=postgres");
    REQUIRE(c.role_password.has_value());
    CHECK(c.role_password->reveal() == "two newlines\n");
}

TEST_CASE("_FILE errors name the variable and path, never the content") {
    fake_files() = {{"/run/secrets/db", "host=db password=hunter2 bogus=1\n"},
                    {"/run/secrets/empty", "\n"},
                    {"/run/secrets/nul", std::string("pw\0x", 4)}};

    const auto both = one({{"DATABASE_URL", "host=a"}, {"DATABASE_URL_FILE", "/run/secrets/db"}});
    CHECK(both.variable == "DATABASE_URL");
    CHECK(has(both.message, "DATABASE_URL and DATABASE_URL_FILE"));
    CHECK(has(both.message, "only one"));

    const auto missing = one({{"SCHEMAGATE_ADMIN_URL_FILE", "/run/secrets/nope"}});
    CHECK(missing.variable == "SCHEMAGATE_ADMIN_URL_FILE");
    CHECK(has(missing.message, "cannot read \"/run/secrets/nope\""));
    CHECK(has(missing.message, "No such file or directory"));
    CHECK(has(missing.message, "SCHEMAGATE_ADMIN_URL"));

    const auto empty = one({{"SCHEMAGATE_ROLE_PASSWORD_FILE", "/run/secrets/empty"}});
    CHECK(empty.variable == "SCHEMAGATE_ROLE_PASSWORD_FILE");
    CHECK(has(empty.message, "is empty"));

    const auto nul = one({{"SCHEMAGATE_ROLE_PASSWORD_FILE", "/run/secrets/nul"}});
    CHECK(nul.variable == "SCHEMAGATE_ROLE_PASSWORD_FILE");
    CHECK(has(nul.message, "NUL"));

    const auto invalid = one({{"DATABASE_URL_FILE", "/run/secrets/db"}});
    CHECK(invalid.variable == "DATABASE_URL");
    CHECK(has(invalid.message, "read from DATABASE_URL_FILE"));
    CHECK_FALSE(has(invalid.line(), "hunter2"));
}

TEST_CASE("the default reader reads real files") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("sg-config-test-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream(dir / "url") << "host=db dbname=x\n";
        std::ofstream(dir / "empty");
    }
    auto good = sg::config::parse(
        {{"SCHEMAGATE_SERVICE", "s"}, {"DATABASE_URL_FILE", (dir / "url").string()}});
    REQUIRE(std::holds_alternative<Config>(good));
    CHECK(std::get<Config>(good).database_url.reveal() == "host=db dbname=x");

    auto problems =
        sg::config::parse({{"SCHEMAGATE_SERVICE", "s"},
                           {"DATABASE_URL_FILE", (dir / "nope").string()},
                           {"SCHEMAGATE_ADMIN_URL_FILE", dir.string()},
                           {"SCHEMAGATE_ROLE_PASSWORD_FILE", (dir / "empty").string()}});
    std::filesystem::remove_all(dir);
    REQUIRE(std::holds_alternative<std::vector<Problem>>(problems));
    const auto& list = std::get<std::vector<Problem>>(problems);
    REQUIRE(list.size() == 3);
    CHECK(list[0].variable == "DATABASE_URL_FILE");
    CHECK(has(list[0].message, "No such file"));
    CHECK(list[1].variable == "SCHEMAGATE_ADMIN_URL_FILE");
    CHECK(has(list[1].message, "directory"));
    CHECK(list[2].variable == "SCHEMAGATE_ROLE_PASSWORD_FILE");
    CHECK(has(list[2].message, "empty"));
}

TEST_CASE("_FILE is refused for settings that are not secrets") {
    const auto p = one({{"SCHEMAGATE_SCHEMA_FILE", "/x"}});
    CHECK(p.variable == "SCHEMAGATE_SCHEMA_FILE");
    CHECK(has(p.message, "cannot be given as a file"));
    CHECK(has(p.message, "_URL and *_PASSWORD"));
}

// ---------------------------------------------------------------- unknown names, placeholders

TEST_CASE("unknown SCHEMAGATE_ variables are errors with a suggestion when close") {
    const auto typo = one({{"SCHEMAGATE_LOCKTIMEOUT", "5m"}});
    CHECK(typo.variable == "SCHEMAGATE_LOCKTIMEOUT");
    CHECK(has(typo.message, "did you mean SCHEMAGATE_LOCK_TIMEOUT?"));

    CHECK(
        has(one({{"SCHEMAGATE_MIGRATION", "/m"}}).message, "did you mean SCHEMAGATE_MIGRATIONS?"));
    CHECK(has(one({{"SCHEMAGATE_LOG_LEVEL", "debug"}}).message, "did you mean LOG_LEVEL?"));
    CHECK(has(one({{"SCHEMAGATE_DATABASE_URL", "x"}}).message, "did you mean DATABASE_URL?"));
    CHECK(has(one({{"SCHEMAGATE_ADMIN_URL_FIEL", "x"}}).message,
              "did you mean SCHEMAGATE_ADMIN_URL_FILE?"));

    const auto far = one({{"SCHEMAGATE_COMPLETELY_DIFFERENT", "x"}});
    CHECK(has(far.message, "unknown setting"));
    CHECK_FALSE(has(far.message, "did you mean"));

    const auto placeholder = one({{"SCHEMAGATE_PLACEHOLDERS_X", "x"}});
    CHECK(has(placeholder.message, "SCHEMAGATE_PLACEHOLDER_<NAME>"));

    // Other programs' variables and the test suites' own are not ours to judge.
    (void)ok({{"SCHEMAGATE_SERVICE", "s"},
              {"PATH", "/bin"},
              {"DB_HOST", "x"},
              {"SCHEMAGATE_TEST_ADMIN_URL", "host=x"}});
}

TEST_CASE("SCHEMAGATE_PLACEHOLDER_<NAME> becomes ${name}") {
    const Config c = ok({{"SCHEMAGATE_SERVICE", "s"},
                         {"SCHEMAGATE_PLACEHOLDER_APP_USER", "alice"},
                         {"SCHEMAGATE_PLACEHOLDER_Region9", ""}});
    CHECK(c.placeholders ==
          std::map<std::string, std::string>{{"app_user", "alice"}, {"region9", ""}});

    const auto invalid = one({{"SCHEMAGATE_PLACEHOLDER_A-B", "x"}});
    CHECK(invalid.variable == "SCHEMAGATE_PLACEHOLDER_A-B");
    CHECK(has(invalid.message, "letters, digits and _"));
    CHECK(one({{"SCHEMAGATE_PLACEHOLDER_", "x"}}).variable == "SCHEMAGATE_PLACEHOLDER_");

    const auto builtin = one({{"SCHEMAGATE_PLACEHOLDER_SCHEMA", "x"}});
    CHECK(has(builtin.message, "${schema} is built in"));

    const auto twice =
        one({{"SCHEMAGATE_PLACEHOLDER_FOO", "1"}, {"SCHEMAGATE_PLACEHOLDER_foo", "2"}});
    CHECK(has(twice.message, "SCHEMAGATE_PLACEHOLDER_FOO and SCHEMAGATE_PLACEHOLDER_foo"));
}

// ---------------------------------------------------------------- durations and numbers

TEST_CASE("parse_duration accepts the documented forms") {
    struct Case {
        const char* text;
        std::optional<sg::config::Millis> expected;
    };
    const std::vector<Case> cases = {
        {"250ms", 250ms},
        {"5s", 5s},
        {"5m", 5min},
        {"1h", 1h},
        {"1.5s", 1500ms},
        {"30", 30s},
        {"0.25", 250ms},
        {".5", 500ms},
        {"2.", 2s},
        {"0", 0ms},
        {"007s", 7s},
        {"1.0005s", 1001ms},  // rounded to the nearest millisecond
        {"0.4ms", 0ms},
        {"1.25h", 75min},
        {"168h", 168h},
        {"604800", 168h},
        {"168.0000001h", 168h},      // 0.36ms over, rounded to the millisecond
        {"168.001h", std::nullopt},  // beyond 7 days
        {"169h", std::nullopt},
        {"99999999999999999999", std::nullopt},
        {"", std::nullopt},
        {"-5s", std::nullopt},
        {"+5s", std::nullopt},
        {"5 s", std::nullopt},
        {" 5s", std::nullopt},
        {"5 minutes", std::nullopt},
        {"5min", std::nullopt},
        {"5d", std::nullopt},
        {"5S", std::nullopt},
        {"1.2.3s", std::nullopt},
        {".", std::nullopt},
        {"s", std::nullopt},
        {"ms", std::nullopt},
        {"1e3", std::nullopt},
        {"0x10", std::nullopt},
        {"inf", std::nullopt},
        {"nan", std::nullopt},
    };
    for (const auto& c : cases) {
        const std::string text = c.text;
        CAPTURE(text);
        CHECK(sg::config::parse_duration(text) == c.expected);
    }
}

TEST_CASE("SCHEMAGATE_LINT and SCHEMAGATE_LOCK_RETRIES") {
    CHECK(ok({{"SCHEMAGATE_SERVICE", "s"}, {"SCHEMAGATE_LINT", " Error "}}).lint ==
          sg::config::LintMode::kError);
    CHECK(ok({{"SCHEMAGATE_SERVICE", "s"}, {"SCHEMAGATE_LINT", "off"}}).lint ==
          sg::config::LintMode::kOff);
    CHECK(one({{"SCHEMAGATE_LINT", "strict"}}).line() ==
          "SCHEMAGATE_LINT: \"strict\" is not a lint mode; use error, warn or off");
    CHECK(ok({{"SCHEMAGATE_SERVICE", "s"}, {"SCHEMAGATE_LOCK_RETRIES", "0"}}).lock_retries == 0);
    const auto bad = one({{"SCHEMAGATE_LOCK_RETRIES", "many"}});
    CHECK(bad.variable == "SCHEMAGATE_LOCK_RETRIES");
    CHECK(has(bad.message, "10, or 0 for no retry"));
}

TEST_CASE("every duration setting reports the accepted form") {
    const std::vector<std::string> variables = {
        "SCHEMAGATE_LOCK_TIMEOUT",
        "SCHEMAGATE_STATEMENT_LOCK_TIMEOUT",
        "DB_INIT_INITIAL_DELAY",
        "DB_INIT_MAX_DELAY",
        "DB_INIT_TIMEOUT",
        "SCHEMAGATE_HTTP_READ_TIMEOUT",
        "SCHEMAGATE_HTTP_IDLE_TIMEOUT",
    };
    for (const auto& variable : variables) {
        CAPTURE(variable);
        const auto p = one({{variable, "5 minutes"}});
        std::string expected = variable;
        expected.append(": \"5 minutes\" is not a duration; ").append(kDurationForm);
        CHECK(p.line() == expected);

        const auto range = one({{variable, "200h"}});
        CHECK(range.variable == variable);
        CHECK(has(range.message, "out of range"));
        CHECK(has(range.message, "168h (7 days)"));
    }
}

TEST_CASE("durations are read, and zero only where it makes sense") {
    const Config c = ok({{"SCHEMAGATE_SERVICE", "s"},
                         {"SCHEMAGATE_LOCK_TIMEOUT", " 0 "},
                         {"SCHEMAGATE_STATEMENT_LOCK_TIMEOUT", "2s"},
                         {"DB_INIT_INITIAL_DELAY", "0.5"},
                         {"DB_INIT_MAX_DELAY", "1m"},
                         {"DB_INIT_TIMEOUT", "2500ms"},
                         {"SCHEMAGATE_HTTP_READ_TIMEOUT", "1"},
                         {"SCHEMAGATE_HTTP_IDLE_TIMEOUT", "750ms"}});
    CHECK(c.lock_timeout == 0ms);
    CHECK(c.statement_lock_timeout == std::optional<sg::config::Millis>(2s));
    CHECK_FALSE(ok({{"SCHEMAGATE_SERVICE", "s"}, {"SCHEMAGATE_STATEMENT_LOCK_TIMEOUT", "0"}})
                    .statement_lock_timeout.has_value());
    CHECK(c.initial_delay == 500ms);
    CHECK(c.max_delay == 1min);
    CHECK(c.connect_timeout == 2500ms);
    CHECK(c.http.read_timeout == 1s);
    CHECK(c.http.idle_timeout == 750ms);

    for (const char* variable : {"DB_INIT_INITIAL_DELAY", "DB_INIT_MAX_DELAY", "DB_INIT_TIMEOUT",
                                 "SCHEMAGATE_HTTP_READ_TIMEOUT", "SCHEMAGATE_HTTP_IDLE_TIMEOUT"}) {
        CAPTURE(variable);
        const auto p = one({{variable, "0"}});
        CHECK(p.variable == variable);
        CHECK(has(p.message, "from 1ms to 168h"));
    }
}

TEST_CASE("the first back-off delay may not exceed the cap") {
    const auto p = one({{"DB_INIT_INITIAL_DELAY", "40"}});
    CHECK(p.variable == "DB_INIT_INITIAL_DELAY");
    CHECK(has(p.message, "DB_INIT_INITIAL_DELAY, 40s"));
    CHECK(has(p.message, "DB_INIT_MAX_DELAY, 30s"));

    const auto cap = one({{"DB_INIT_MAX_DELAY", "50ms"}});
    CHECK(cap.variable == "DB_INIT_MAX_DELAY");
    CHECK(has(cap.message, "100ms"));

    CHECK(ok({{"SCHEMAGATE_SERVICE", "s"}, {"DB_INIT_INITIAL_DELAY", "30"}}).initial_delay == 30s);
}

TEST_CASE("DB_INIT_MAX_RETRIES is a non-negative whole number") {
    CHECK(ok({{"SCHEMAGATE_SERVICE", "s"}, {"DB_INIT_MAX_RETRIES", "0"}}).max_retries == 0);
    CHECK(ok({{"SCHEMAGATE_SERVICE", "s"}, {"DB_INIT_MAX_RETRIES", "25"}}).max_retries == 25);
    for (const char* text : {"-1", "ten", "1.5", "99999999999", "1e3"}) {
        CAPTURE(text);
        const auto p = one({{"DB_INIT_MAX_RETRIES", text}});
        CHECK(p.variable == "DB_INIT_MAX_RETRIES");
        CHECK(has(p.message, "is not a whole number"));
        CHECK(has(p.message, "0 for no limit"));
    }
}

TEST_CASE("HTTP limits are read and bounded") {
    const Config c = ok({{"SCHEMAGATE_SERVICE", "s"},
                         {"SCHEMAGATE_HTTP_MAX_HEADER_BYTES", "16384"},
                         {"SCHEMAGATE_HTTP_MAX_CONNECTIONS", "10"}});
    CHECK(c.http.max_header_bytes == 16384);
    CHECK(c.http.max_connections == 10);
    const auto small = one({{"SCHEMAGATE_HTTP_MAX_HEADER_BYTES", "100"}});
    CHECK(small.variable == "SCHEMAGATE_HTTP_MAX_HEADER_BYTES");
    CHECK(has(small.message, "from 1024 to 1048576"));
    const auto zero = one({{"SCHEMAGATE_HTTP_MAX_CONNECTIONS", "0"}});
    CHECK(zero.variable == "SCHEMAGATE_HTTP_MAX_CONNECTIONS");
    CHECK(has(zero.message, "from 1 to 65536"));
}

// ---------------------------------------------------------------- listen, logs, extensions

TEST_CASE("SCHEMAGATE_LISTEN accepts host:port, [v6]:port and :port") {
    struct Case {
        const char* text;
        const char* host;
        std::uint16_t port;
    };
    const std::vector<Case> good = {
        {"127.0.0.1:9000", "127.0.0.1", 9000},
        {":8081", "0.0.0.0", 8081},
        {"[::1]:80", "::1", 80},
        {"[::]:0", "::", 0},
        {"localhost:65535", "localhost", 65535},
    };
    for (const auto& c : good) {
        CAPTURE(c.text);
        const Config config = ok({{"SCHEMAGATE_SERVICE", "s"}, {"SCHEMAGATE_LISTEN", c.text}});
        CHECK(config.listen_host == c.host);
        CHECK(config.listen_port == c.port);
    }
    for (const char* text : {"localhost", "host:", "host:65536", "host:-1", "::1:80", "[::1]80",
                             "[]:80", "[::1]", "a b:80", "host:8o", "host:000080"}) {
        CAPTURE(text);
        const auto p = one({{"SCHEMAGATE_LISTEN", text}});
        CHECK(p.variable == "SCHEMAGATE_LISTEN");
        CHECK(has(p.message, "use host:port, [ipv6]:port or :port"));
    }
    CHECK(has(one({{"SCHEMAGATE_LISTEN", "8080"}}).message, "did you mean :8080?"));
}

TEST_CASE("LOG_LEVEL and SCHEMAGATE_LOG_FORMAT") {
    const std::vector<std::pair<std::string, std::string>> levels = {
        {"trace", "trace"},     {"DEBUG", "debug"}, {"info", "info"},         {"warn", "warning"},
        {"Warning", "warning"}, {"error", "error"}, {"critical", "critical"}, {"off", "off"},
    };
    for (const auto& level_case : levels) {
        const std::string& text = level_case.first;
        CAPTURE(text);
        CHECK(ok({{"SCHEMAGATE_SERVICE", "s"}, {"LOG_LEVEL", text}}).log_level ==
              level_case.second);
    }
    const auto level = one({{"LOG_LEVEL", "verbose"}});
    CHECK(level.line() ==
          "LOG_LEVEL: \"verbose\" is not a log level; use trace, debug, info, warn, error, "
          "critical or off");

    CHECK(ok({{"SCHEMAGATE_SERVICE", "s"}, {"SCHEMAGATE_LOG_FORMAT", "JSON"}}).log_format ==
          sg::config::LogFormat::kJson);
    const auto format = one({{"SCHEMAGATE_LOG_FORMAT", "xml"}});
    CHECK(format.line() == "SCHEMAGATE_LOG_FORMAT: \"xml\" is not a log format; use text or json");
}

TEST_CASE("SCHEMAGATE_EXTENSIONS is a trimmed comma list of names") {
    const Config c = ok({{"SCHEMAGATE_SERVICE", "s"},
                         {"SCHEMAGATE_EXTENSIONS", " uuid-ossp, pgcrypto,,citext , pgcrypto,"}});
    CHECK(c.extensions == std::vector<std::string>{"uuid-ossp", "pgcrypto", "citext"});
    const auto p = one({{"SCHEMAGATE_EXTENSIONS", "pgcrypto, uuid ossp"}});
    CHECK(p.variable == "SCHEMAGATE_EXTENSIONS");
    CHECK(has(p.message, "\"uuid ossp\" is not an extension name"));
    CHECK(has(p.message, "letters, digits, _ and -"));
    CHECK(bad({{"SCHEMAGATE_SERVICE", "s"}, {"SCHEMAGATE_EXTENSIONS", "a b,c;d"}}).size() == 2);
}

TEST_CASE("SCHEMAGATE_MIGRATIONS is taken as a path") {
    CHECK(
        ok({{"SCHEMAGATE_SERVICE", "s"}, {"SCHEMAGATE_MIGRATIONS", "schemas/orders"}}).migrations ==
        std::filesystem::path("schemas/orders"));
    CHECK(one({{"SCHEMAGATE_MIGRATIONS", "a\nb"}}).variable == "SCHEMAGATE_MIGRATIONS");
}

// ---------------------------------------------------------------- all at once

TEST_CASE("every problem is reported at once, in table order, unknown names last") {
    const auto problems = bad({{"SCHEMAGATE_ZZZ_UNKNOWN", "1"},
                               {"LOG_LEVEL", "loud"},
                               {"SCHEMAGATE_LISTEN", "nowhere"},
                               {"SCHEMAGATE_LOCK_TIMEOUT", "soon"},
                               {"DB_INIT_MAX_RETRIES", "-3"},
                               {"DATABASE_URL", "nonsense"},
                               {"SCHEMAGATE_ISOLATION", "x"}});
    std::vector<std::string> variables;
    variables.reserve(problems.size());
    for (const auto& p : problems) {
        variables.push_back(p.variable);
    }
    CHECK(variables == std::vector<std::string>{"DATABASE_URL", "SCHEMAGATE_SERVICE",
                                                "SCHEMAGATE_ISOLATION", "SCHEMAGATE_LISTEN",
                                                "SCHEMAGATE_LOCK_TIMEOUT", "DB_INIT_MAX_RETRIES",
                                                "LOG_LEVEL", "SCHEMAGATE_ZZZ_UNKNOWN"});
}

// ---------------------------------------------------------------- masking secrets

TEST_CASE("mask_dsn hides passwords in both forms") {
    using sg::config::mask_dsn;
    CHECK(mask_dsn("postgres://user:pw@host/db?password=x") ==
          "postgres://user:****@host/db?password=****");
    CHECK(mask_dsn("postgresql://u:p%40ss%3Aw@h1:5432,h2:5433/db?sslmode=require") ==
          "postgresql://u:****@h1:5432,h2:5433/db?sslmode=require");
    CHECK(mask_dsn("postgres://user@host/db") == "postgres://user@host/db");
    CHECK(mask_dsn("postgres://host") == "postgres://host");
    CHECK(mask_dsn("postgres://u:@host") == "postgres://u:****@host");
    CHECK(mask_dsn("postgres://u:raw@at@host/db") == "postgres://u:****@host/db");
    CHECK(mask_dsn("postgres://u:raw/slash@host/db") == "postgres://u:****@host/db");
    CHECK(mask_dsn("postgres://u:raw?q@host/db?sslmode=x") ==
          "postgres://u:****@host/db?sslmode=x");
    CHECK(mask_dsn("postgres:///db?host=/tmp&pass%77ord=s&sslpassword=k") ==
          "postgres:///db?host=/tmp&pass%77ord=****&sslpassword=****");
    CHECK(mask_dsn("password=secret") == "password=****");
    CHECK(mask_dsn("host=db  password = 'a b\\' c' user=u") == "host=db  password = **** user=u");
    CHECK(mask_dsn("host=db sslpassword=k dbname=x") == "host=db sslpassword=**** dbname=x");
    CHECK(mask_dsn("host=db password=unter\\ minated") == "host=db password=****");
    CHECK(mask_dsn("host=db password='unterminated") == "host=db password=****");
    CHECK(mask_dsn("host='unterminated password=x") == "host=****");
    CHECK(mask_dsn("host=db garbage password=x") == "host=db ****");
    CHECK(mask_dsn("dbname='postgres://u:pw@h/d'") == "dbname=****");
    CHECK(mask_dsn("") == "");
    CHECK(mask_dsn("host=db dbname=x") == "host=db dbname=x");
    CHECK(sg::config::masked(sg::config::Secret("password=p host=h")) == "password=**** host=h");
}

namespace {

// Builds connection strings of many shapes from fragments; every secret fragment carries a
// marker "M<n>X" that occurs once in the string.
struct Fuzzer {
    std::mt19937 rng{20240611};
    int counter = 0;

    std::string marker() { return "M" + std::to_string(counter++) + "X"; }

    std::string pick(const std::vector<std::string>& options) {
        return options[rng() % options.size()];
    }

    // A password text with the marker somewhere and awkward bytes around it.
    std::string password() {
        const std::vector<std::string> bits = {"",    "a",   " ", "'", "\\", "@",
                                               ":",   "/",   "?", "&", "=",  "%",
                                               "%40", "%2F", "#", ",", "\t", "\xc3\xa9"};
        return pick(bits) + pick(bits) + marker() + pick(bits) + pick(bits);
    }

    static std::string quoted(const std::string& value) {
        std::string out = "'";
        for (const char c : value) {
            if (c == '\'' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        return out + "'";
    }

    std::string uri() {
        std::string s = pick({"postgres://", "postgresql://"});
        const int user = static_cast<int>(rng() % 3);
        if (user == 1) {
            s += "app@";
        } else if (user == 2) {
            s += pick({"app", "", "a%20b"}) + ":" + password() + "@";
        }
        s += pick({"", "db", "db:5432", "a:1,b:2", "[::1]:5432", "%2Ftmp"});
        s += pick({"", "/", "/orders", "/my%20db"});
        const int params = static_cast<int>(rng() % 4);
        for (int i = 0; i < params; ++i) {
            s += i == 0 ? "?" : "&";
            s += pick({"password", "sslpassword", "pass%77ord", "sslmode", "application_name"}) +
                 "=" + password();
        }
        return s;
    }

    std::string keywords() {
        std::string s;
        const int pairs = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < pairs; ++i) {
            s += pick({"", " ", "  ", "\t", "\n"});
            const std::string key = pick({"password", "sslpassword", "host", "dbname", "user"});
            s += key + pick({"=", " = ", "= ", " ="});
            const bool secret = key.find("password") != std::string::npos;
            const std::string value = secret ? password() : pick({"db", "orders", "my db", ""});
            s += rng() % 2 == 0 ? quoted(value) : value;
        }
        return s + pick({"", " ", " junk", " host='open"});
    }

    std::string garbage() {
        const std::vector<std::string> bits = {
            "postgres://", "password", "=", "'", "\\",   "@",           ":",          "/",
            "?",           "&",        " ", "%", "host", "sslpassword", "%70assword", "\n"};
        std::string s;
        const int n = static_cast<int>(rng() % 14);
        for (int i = 0; i < n; ++i) {
            s += rng() % 3 == 0 ? marker() : pick(bits);
        }
        return s;
    }
};

}  // namespace

TEST_CASE("mask_dsn never returns a password libpq would use, whatever the shape") {
    Fuzzer fuzz;
    int checked_passwords = 0;
    for (int round = 0; round < 9000; ++round) {
        std::string dsn;
        switch (round % 3) {
            case 0:
                dsn = fuzz.uri();
                break;
            case 1:
                dsn = fuzz.keywords();
                break;
            default:
                dsn = fuzz.garbage();
                break;
        }
        CAPTURE(dsn);
        std::string out;
        CHECK_NOTHROW(out = sg::config::mask_dsn(dsn));
        const auto options = sg::db::parse_dsn(dsn);
        if (!options) {
            continue;
        }
        for (const char* key : {"password", "sslpassword"}) {
            const auto it = options->find(key);
            if (it == options->end()) {
                continue;
            }
            // Every marker inside the password libpq sees must be gone from the masked text.
            const std::string& secret = it->second;
            for (std::size_t at = secret.find('M'); at != std::string::npos;
                 at = secret.find('M', at + 1)) {
                const std::size_t end = secret.find('X', at);
                if (end == std::string::npos) {
                    break;
                }
                const std::string marker = secret.substr(at, end - at + 1);
                ++checked_passwords;
                CHECK_MESSAGE(out.find(marker) == std::string::npos, out);
                CHECK(sg::db::describe(dsn).find(marker) == std::string::npos);
            }
        }
    }
    CHECK(checked_passwords > 1000);  // the generator really produced passwords libpq accepts
}

TEST_CASE("local_url: the healthcheck reaches the listen address, wildcards on loopback") {
    using sg::config::local_url;
    CHECK(local_url("", "/readyz") == "http://127.0.0.1:8080/readyz");
    CHECK(local_url("0.0.0.0:8080", "/readyz") == "http://127.0.0.1:8080/readyz");
    CHECK(local_url(":9000", "/readyz") == "http://127.0.0.1:9000/readyz");
    CHECK(local_url("[::]:9000", "/readyz") == "http://[::1]:9000/readyz");
    CHECK(local_url("[::1]:9000", "/livez") == "http://[::1]:9000/livez");
    CHECK(local_url("[fd00::5]:81", "/readyz") == "http://[fd00::5]:81/readyz");
    CHECK(local_url("10.0.0.5:8081", "/readyz") == "http://10.0.0.5:8081/readyz");
    CHECK(local_url("localhost:8081", "/readyz") == "http://localhost:8081/readyz");
    CHECK(local_url("not an address", "/readyz") == "http://127.0.0.1:8080/readyz");
}
