#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "sidecar/provision/desired.hpp"
#include "sidecar/provision/password.hpp"

using namespace sg::provision;
using sg::config::Config;
using sg::config::Isolation;
using sg::config::Secret;

namespace {

// Marks every quoted piece so a test sees exactly what went through the quoter.
class FakeQuoter final : public Quoter {
  public:
    std::string identifier(std::string_view name) override { return "[" + std::string(name) + "]"; }
    std::string literal(std::string_view text) override { return "<" + std::string(text) + ">"; }
};

Config config_for(Isolation isolation, const std::string& role, const std::string& schema) {
    Config c;
    c.service = role;
    c.isolation = isolation;
    c.role = role;
    c.schema = schema;
    return c;
}

std::vector<std::string> sql_of(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan.steps) {
        out.push_back(s.sql);
    }
    return out;
}

std::vector<std::string> changes_of(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan.steps) {
        if (!s.change.empty()) {
            out.push_back(s.change);
        }
    }
    return out;
}

bool mentions(const std::vector<std::string>& lines, std::string_view text) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

ClusterFacts superuser_on_empty_server() {
    ClusterFacts f;
    f.admin_role = "postgres";
    f.superuser = true;
    f.createrole = true;
    f.createdb = true;
    f.admin_acts_as_role = true;  // superusers are members of everything
    return f;
}

ClusterFacts all_in_place(const Desired& d) {
    ClusterFacts f = superuser_on_empty_server();
    f.role_exists = true;
    f.role_can_login = true;
    f.password = d.role_password ? PasswordState::kMatches : PasswordState::kNotWanted;
    f.database_exists = true;
    f.database_owner = d.isolation == Isolation::kDatabase ? d.role : "postgres";
    f.public_can_connect = d.isolation != Isolation::kDatabase;
    f.role_can_connect = true;
    return f;
}

const std::optional<Secret> kVerifier = Secret("SCRAM-SHA-256$4096:c2FsdA==$a:b");

}  // namespace

TEST_CASE("desired: shared isolation provisions only extensions and leaves the schema alone") {
    Config c = config_for(Isolation::kShared, "orders", "public");
    c.extensions = {" pgcrypto", "uuid-ossp ", "", "pgcrypto"};
    const Desired d = desired(c, "shop");
    CHECK(d.isolation == Isolation::kShared);
    CHECK(d.database == "shop");
    CHECK(d.schema == "public");
    CHECK(d.owner_of_schema.empty());
    CHECK(d.extensions == std::vector<std::string>{"pgcrypto", "uuid-ossp"});
    CHECK_FALSE(manages_role(d));
    CHECK(has_work(d));
    CHECK_FALSE(sets_search_path(d));
    CHECK_FALSE(has_work(desired(config_for(Isolation::kShared, "orders", "public"), "shop")));
}

TEST_CASE("desired: schema isolation gives the schema to the role and sets its search_path") {
    const Desired d =
        desired(config_for(Isolation::kSchema, "user_service", "user_service"), "shop");
    CHECK(d.owner_of_schema == "user_service");
    CHECK(manages_role(d));
    CHECK(sets_search_path(d));
    // The schema falls back to the role when the configuration left it empty.
    CHECK(desired(config_for(Isolation::kSchema, "cart", ""), "shop").schema == "cart");
}

TEST_CASE("desired: database isolation keeps public as the database owner's and owns others") {
    const Desired pub = desired(config_for(Isolation::kDatabase, "auth", "public"), "auth_db");
    CHECK(pub.owner_of_schema.empty());
    CHECK_FALSE(sets_search_path(pub));
    CHECK(desired(config_for(Isolation::kDatabase, "auth", ""), "auth_db").schema == "public");
    const Desired own = desired(config_for(Isolation::kDatabase, "auth", "auth"), "auth_db");
    CHECK(own.owner_of_schema == "auth");
    CHECK(sets_search_path(own));
}

TEST_CASE("desired: an empty password is no password") {
    Config c = config_for(Isolation::kDatabase, "auth", "public");
    c.role_password = Secret("");
    CHECK_FALSE(desired(c, "auth_db").role_password.has_value());
    c.role_password = Secret("s3cret");
    REQUIRE(desired(c, "auth_db").role_password.has_value());
    CHECK(desired(c, "auth_db").role_password->reveal() == "s3cret");
}

TEST_CASE("problems: names that cannot be provisioned are refused with the variable named") {
    const auto problems_of = [](Isolation iso, const std::string& role, const std::string& schema,
                                const std::string& db) {
        return problems(desired(config_for(iso, role, schema), db));
    };
    CHECK(problems_of(Isolation::kDatabase, "auth", "public", "auth_db").empty());
    CHECK(problems_of(Isolation::kSchema, "we\"ird", "sp ace", "shop").empty());
    CHECK(problems_of(Isolation::kSchema, "ünï", "x; DROP TABLE y", "shop").empty());

    CHECK(mentions(problems_of(Isolation::kDatabase, "auth", "public", ""),
                   "DATABASE_URL: names no database"));
    for (const char* server_db : {"postgres", "template0", "template1"}) {
        CAPTURE(server_db);
        CHECK(mentions(problems_of(Isolation::kDatabase, "auth", "public", server_db),
                       "belongs to the server"));
    }
    CHECK(problems_of(Isolation::kSchema, "auth", "auth", "postgres").empty());
    CHECK(mentions(problems_of(Isolation::kSchema, "pg_auth", "auth", "shop"),
                   "SCHEMAGATE_ROLE: role names starting with \"pg_\" are reserved"));
    CHECK(mentions(problems_of(Isolation::kSchema, "public", "auth", "shop"),
                   "SCHEMAGATE_ROLE: public is a reserved role name"));
    CHECK(mentions(problems_of(Isolation::kDatabase, "", "public", "auth_db"),
                   "SCHEMAGATE_ROLE: the role name is empty"));
    CHECK(mentions(problems_of(Isolation::kSchema, "auth", "public", "shop"),
                   "SCHEMAGATE_SCHEMA: schema isolation gives the service a schema of its own"));
    CHECK(mentions(problems_of(Isolation::kSchema, "auth", "pg_temp", "shop"),
                   "SCHEMAGATE_SCHEMA: pg_temp is reserved"));
    CHECK(mentions(problems_of(Isolation::kSchema, std::string(64, 'a'), "auth", "shop"),
                   "longer than 63 bytes"));
    CHECK(mentions(problems_of(Isolation::kSchema, std::string("a\0b", 3), "auth", "shop"),
                   "NUL byte"));
    // Shared isolation without extensions provisions nothing, so nothing can be wrong.
    CHECK(problems_of(Isolation::kShared, "", "", "").empty());

    Config c = config_for(Isolation::kShared, "orders", "public");
    c.extensions = {std::string(64, 'x')};
    CHECK(mentions(problems(desired(c, "shop")), "SCHEMAGATE_EXTENSIONS"));
}

TEST_CASE("display: simple names plain, others quoted with control characters escaped") {
    CHECK(display("auth_db") == "auth_db");
    CHECK(display("user-service") == "\"user-service\"");
    CHECK(display("Auth") == "\"Auth\"");
    CHECK(display("1abc") == "\"1abc\"");
    CHECK(display("we\"ird") == "\"we\"\"ird\"");
    CHECK(display("a\nb") == "\"a\\x0ab\"");
    CHECK(display("") == "\"\"");
}

TEST_CASE("missing_without_admin names the object and the fix") {
    const Desired d = desired(config_for(Isolation::kDatabase, "auth", "public"), "auth_db");
    CHECK(missing_without_admin(d, "database") ==
          "database auth_db does not exist: create it, or set SCHEMAGATE_ADMIN_URL to a "
          "privileged connection so schemagate provisions it");
    CHECK(missing_without_admin(d, "role").find("role auth does not exist") == 0);
    const Desired s = desired(config_for(Isolation::kSchema, "cart", "cart"), "shop");
    CHECK(missing_without_admin(s, "schema")
              .find("schema cart does not exist in database shop: create it owned by role cart") ==
          0);
    const Desired sh = desired(config_for(Isolation::kShared, "cart", "public"), "shop");
    CHECK(missing_without_admin(sh, "database").find("SCHEMAGATE_ISOLATION=database") !=
          std::string::npos);
}

TEST_CASE("plan_cluster: database isolation from an empty server") {
    Config c = config_for(Isolation::kDatabase, "auth", "public");
    c.role_password = Secret("pw");
    const Desired d = desired(c, "auth_db");
    FakeQuoter q;
    ClusterFacts f = superuser_on_empty_server();
    f.password = PasswordState::kUnset;
    const Plan plan = plan_cluster(d, f, q, kVerifier);
    CHECK(plan.problems.empty());
    CHECK(sql_of(plan) == std::vector<std::string>{
                              "CREATE ROLE [auth] LOGIN PASSWORD <SCRAM-SHA-256$4096:c2FsdA==$a:b>",
                              "CREATE DATABASE [auth_db] OWNER [auth]",
                              "REVOKE CONNECT, TEMPORARY ON DATABASE [auth_db] FROM PUBLIC"});
    CHECK(changes_of(plan) ==
          std::vector<std::string>{"created role auth", "created database auth_db owned by auth",
                                   "revoked CONNECT on database auth_db from PUBLIC"});
    REQUIRE(plan.steps.size() == 3);
    CHECK(plan.steps[0].secret);
    CHECK(plan.steps[0].already == std::vector<std::string>{"42710", "23505"});
    CHECK_FALSE(plan.steps[1].secret);
    CHECK(plan.steps[1].already == std::vector<std::string>{"42P04", "23505"});
    for (const auto& change : changes_of(plan)) {
        CHECK(change.find("SCRAM") == std::string::npos);
    }
}

TEST_CASE("plan_cluster: a second run with everything in place plans nothing") {
    for (const Isolation iso : {Isolation::kDatabase, Isolation::kSchema}) {
        Config c = config_for(iso, "auth", iso == Isolation::kSchema ? "auth" : "public");
        c.role_password = Secret("pw");
        const Desired d = desired(c, iso == Isolation::kSchema ? "shop" : "auth_db");
        FakeQuoter q;
        const Plan plan = plan_cluster(d, all_in_place(d), q, kVerifier);
        CHECK(plan.problems.empty());
        CHECK(plan.steps.empty());
    }
}

TEST_CASE("plan_cluster: passwords are rotated, set, or left alone") {
    Config c = config_for(Isolation::kDatabase, "auth", "public");
    c.role_password = Secret("new");
    const Desired d = desired(c, "auth_db");
    FakeQuoter q;
    ClusterFacts f = all_in_place(d);

    f.password = PasswordState::kDiffers;
    Plan plan = plan_cluster(d, f, q, kVerifier);
    REQUIRE(plan.steps.size() == 1);
    CHECK(plan.steps[0].sql == "ALTER ROLE [auth] PASSWORD <SCRAM-SHA-256$4096:c2FsdA==$a:b>");
    CHECK(plan.steps[0].change == "rotated password of role auth");
    CHECK(plan.steps[0].secret);

    f.password = PasswordState::kUnset;
    plan = plan_cluster(d, f, q, kVerifier);
    REQUIRE(plan.steps.size() == 1);
    CHECK(plan.steps[0].change == "set password of role auth");

    // Not comparable (pg_authid unreadable): set every run, never reported as a change.
    f.password = PasswordState::kUnknown;
    plan = plan_cluster(d, f, q, kVerifier);
    REQUIRE(plan.steps.size() == 1);
    CHECK(plan.steps[0].change.empty());
    CHECK(plan.steps[0].secret);

    f.password = PasswordState::kMatches;
    CHECK(plan_cluster(d, f, q, std::nullopt).steps.empty());

    // No password configured: a missing role is created without one.
    const Desired none = desired(config_for(Isolation::kDatabase, "auth", "public"), "auth_db");
    ClusterFacts empty = superuser_on_empty_server();
    plan = plan_cluster(none, empty, q, std::nullopt);
    REQUIRE_FALSE(plan.steps.empty());
    CHECK(plan.steps[0].sql == "CREATE ROLE [auth] LOGIN");
    CHECK_FALSE(plan.steps[0].secret);
}

TEST_CASE("plan_cluster: a role that cannot log in is allowed to") {
    const Desired d = desired(config_for(Isolation::kSchema, "cart", "cart"), "shop");
    FakeQuoter q;
    ClusterFacts f = all_in_place(d);
    f.role_can_login = false;
    const Plan plan = plan_cluster(d, f, q, std::nullopt);
    CHECK(sql_of(plan) == std::vector<std::string>{"ALTER ROLE [cart] LOGIN"});
    CHECK(changes_of(plan) == std::vector<std::string>{"allowed role cart to log in"});
}

TEST_CASE("plan_cluster: a database owned by someone else is given to the role") {
    const Desired d = desired(config_for(Isolation::kDatabase, "auth", "public"), "auth_db");
    FakeQuoter q;
    ClusterFacts f = all_in_place(d);
    f.database_owner = "postgres";
    f.public_can_connect = true;
    const Plan plan = plan_cluster(d, f, q, std::nullopt);
    CHECK(sql_of(plan) ==
          std::vector<std::string>{"ALTER DATABASE [auth_db] OWNER TO [auth]",
                                   "REVOKE CONNECT, TEMPORARY ON DATABASE [auth_db] FROM PUBLIC"});
    CHECK(changes_of(plan).front() == "gave database auth_db (owned by postgres) to role auth");
}

TEST_CASE("plan_cluster: schema isolation creates a missing shared database and grants CONNECT") {
    const Desired d = desired(config_for(Isolation::kSchema, "cart", "cart"), "shop");
    FakeQuoter q;
    ClusterFacts f = superuser_on_empty_server();
    Plan plan = plan_cluster(d, f, q, std::nullopt);
    CHECK(sql_of(plan) ==
          std::vector<std::string>{"CREATE ROLE [cart] LOGIN", "CREATE DATABASE [shop]"});

    // The database exists with CONNECT revoked from PUBLIC: the role gets it explicitly.
    f = all_in_place(d);
    f.public_can_connect = false;
    f.role_can_connect = false;
    plan = plan_cluster(d, f, q, std::nullopt);
    CHECK(sql_of(plan) == std::vector<std::string>{"GRANT CONNECT ON DATABASE [shop] TO [cart]"});
    CHECK(changes_of(plan) == std::vector<std::string>{"granted CONNECT on database shop to cart"});

    // A new role inherits PUBLIC's CONNECT: nothing to grant.
    f.role_exists = false;
    f.public_can_connect = true;
    CHECK(sql_of(plan_cluster(d, f, q, std::nullopt)) ==
          std::vector<std::string>{"CREATE ROLE [cart] LOGIN"});
}

TEST_CASE("plan_cluster: an admin without privileges gets one clear line per missing privilege") {
    const Desired d = desired(config_for(Isolation::kDatabase, "auth", "public"), "auth_db");
    FakeQuoter q;
    ClusterFacts f;
    f.admin_role = "weak";
    Plan plan = plan_cluster(d, f, q, std::nullopt);
    CHECK(mentions(plan.problems,
                   "SCHEMAGATE_ADMIN_URL's role weak cannot create roles (needs "
                   "CREATEROLE or superuser)"));
    CHECK(mentions(plan.problems,
                   "SCHEMAGATE_ADMIN_URL's role weak cannot create databases "
                   "(needs CREATEDB or superuser)"));
    CHECK(mentions(plan.problems, "cannot act as role auth"));

    // CREATEROLE without superuser: it makes itself a member of the role to give it objects.
    f.createrole = true;
    f.createdb = true;
    plan = plan_cluster(d, f, q, std::nullopt);
    CHECK(plan.problems.empty());
    CHECK(sql_of(plan) ==
          std::vector<std::string>{"CREATE ROLE [auth] LOGIN", "GRANT [auth] TO [weak]",
                                   "CREATE DATABASE [auth_db] OWNER [auth]",
                                   "REVOKE CONNECT, TEMPORARY ON DATABASE [auth_db] FROM PUBLIC"});
    CHECK(mentions(changes_of(plan), "granted role auth to admin role weak"));

    // Already a member: nothing to grant.
    f.admin_acts_as_role = true;
    CHECK_FALSE(mentions(sql_of(plan_cluster(d, f, q, std::nullopt)), "GRANT [auth]"));

    // Setting a password needs CREATEROLE too.
    Config c = config_for(Isolation::kDatabase, "auth", "public");
    c.role_password = Secret("pw");
    ClusterFacts g = all_in_place(desired(c, "auth_db"));
    g.superuser = false;
    g.createrole = false;
    g.password = PasswordState::kUnknown;
    CHECK(mentions(plan_cluster(desired(c, "auth_db"), g, q, kVerifier).problems,
                   "cannot set the password of role auth (needs CREATEROLE or superuser)"));
}

TEST_CASE("plan_cluster: the admin's own role is never the service's") {
    const Desired d = desired(config_for(Isolation::kSchema, "postgres", "app"), "shop");
    FakeQuoter q;
    const Plan plan = plan_cluster(d, superuser_on_empty_server(), q, std::nullopt);
    CHECK(mentions(plan.problems,
                   "SCHEMAGATE_ROLE postgres is SCHEMAGATE_ADMIN_URL's role "
                   "postgres itself"));
}

TEST_CASE("plan_cluster: shared isolation needs an existing database and available extensions") {
    Config c = config_for(Isolation::kShared, "orders", "public");
    c.extensions = {"pgcrypto", "nosuch"};
    const Desired d = desired(c, "shop");
    FakeQuoter q;
    ClusterFacts f = superuser_on_empty_server();
    f.extensions = {{"pgcrypto", false, true, false}, {"nosuch", false, false, true}};
    Plan plan = plan_cluster(d, f, q, std::nullopt);
    CHECK(plan.steps.empty());
    CHECK(
        mentions(plan.problems, "database shop does not exist, and shared isolation creates none"));
    CHECK(mentions(plan.problems,
                   "extension nosuch is not available on the server: install its package (e.g. "
                   "postgresql-contrib) or remove it from SCHEMAGATE_EXTENSIONS"));
    CHECK_FALSE(mentions(plan.problems, "pgcrypto"));

    f.database_exists = true;
    f.superuser = false;
    f.extensions = {{"pgcrypto", false, true, false}, {"plpython3u", false, true, true}};
    plan = plan_cluster(d, f, q, std::nullopt);
    REQUIRE(plan.problems.size() == 1);
    CHECK(plan.problems[0].find("cannot create extension plpython3u (it is not trusted") !=
          std::string::npos);
}

TEST_CASE("plan_database: schema isolation from empty, then nothing") {
    Config c = config_for(Isolation::kSchema, "cart", "cart");
    c.extensions = {"uuid-ossp"};
    const Desired d = desired(c, "shop");
    FakeQuoter q;
    DatabaseFacts f;
    f.admin_role = "postgres";
    f.superuser = true;
    f.extensions = {{"uuid-ossp", false, true, false}};
    Plan plan = plan_database(d, f, q);
    CHECK(plan.problems.empty());
    CHECK(sql_of(plan) ==
          std::vector<std::string>{"CREATE SCHEMA [cart] AUTHORIZATION [cart]",
                                   "ALTER ROLE [cart] IN DATABASE [shop] SET search_path = [cart], "
                                   "public",
                                   "CREATE EXTENSION [uuid-ossp]"});
    CHECK(changes_of(plan) ==
          std::vector<std::string>{"created schema cart owned by cart",
                                   "set search_path of role cart in database shop to cart, public",
                                   "created extension \"uuid-ossp\" in database shop"});
    CHECK(plan.steps[0].already == std::vector<std::string>{"42P06", "23505"});
    CHECK(plan.steps[2].already == std::vector<std::string>{"42710", "23505"});

    f.schema_exists = true;
    f.schema_owner = "cart";
    f.role_schema_usage = true;
    f.role_schema_create = true;
    f.search_path_ok = true;
    f.extensions[0].installed = true;
    plan = plan_database(d, f, q);
    CHECK(plan.problems.empty());
    CHECK(plan.steps.empty());
}

TEST_CASE("plan_database: a schema open to PUBLIC or owned by another role is taken back") {
    const Desired d = desired(config_for(Isolation::kSchema, "cart", "cart"), "shop");
    FakeQuoter q;
    DatabaseFacts f;
    f.admin_role = "postgres";
    f.superuser = true;
    f.schema_exists = true;
    f.schema_owner = "postgres";
    f.schema_public_access = true;
    f.search_path_ok = true;
    const Plan plan = plan_database(d, f, q);
    CHECK(sql_of(plan) == std::vector<std::string>{"ALTER SCHEMA [cart] OWNER TO [cart]",
                                                   "REVOKE ALL ON SCHEMA [cart] FROM PUBLIC"});
    CHECK(changes_of(plan) ==
          std::vector<std::string>{"gave schema cart (owned by postgres) to role cart",
                                   "revoked PUBLIC's access to schema cart"});
}

TEST_CASE("plan_database: database isolation only makes sure the role may use public") {
    const Desired d = desired(config_for(Isolation::kDatabase, "auth", "public"), "auth_db");
    FakeQuoter q;
    DatabaseFacts f;
    f.admin_role = "postgres";
    f.superuser = true;
    f.schema_exists = true;
    f.schema_owner = "pg_database_owner";
    f.schema_public_access = true;  // =U/pg_database_owner: left alone, nobody else connects
    f.role_schema_usage = true;
    f.role_schema_create = true;
    CHECK(plan_database(d, f, q).steps.empty());

    f.role_schema_create = false;
    CHECK(sql_of(plan_database(d, f, q)) ==
          std::vector<std::string>{"GRANT USAGE, CREATE ON SCHEMA [public] TO [auth]"});
}

TEST_CASE("plan_database: missing privileges in the database are named") {
    Config c = config_for(Isolation::kSchema, "cart", "cart");
    c.extensions = {"nosuch"};
    const Desired d = desired(c, "shop");
    FakeQuoter q;
    DatabaseFacts f;
    f.admin_role = "weak";
    f.extensions = {{"nosuch", false, false, true}};
    const Plan plan = plan_database(d, f, q);
    CHECK(mentions(plan.problems,
                   "SCHEMAGATE_ADMIN_URL's role weak cannot create schemas in "
                   "database shop (needs CREATE on it"));
    CHECK(mentions(plan.problems, "cannot set the search_path of role cart"));
    CHECK(mentions(plan.problems, "extension nosuch is not available on the server"));
}

TEST_CASE("plans quote every name through the quoter, whatever it contains") {
    const std::string nasty = "x; DROP TABLE y";
    Config c = config_for(Isolation::kSchema, nasty, nasty);
    c.extensions = {nasty};
    c.role_password = Secret("p'w");
    const Desired d = desired(c, nasty);
    FakeQuoter q;
    ClusterFacts cf = superuser_on_empty_server();
    cf.password = PasswordState::kUnset;
    DatabaseFacts df;
    df.admin_role = "postgres";
    df.superuser = true;
    df.extensions = {{nasty, false, true, false}};
    std::vector<Step> steps = plan_cluster(d, cf, q, Secret("p'w")).steps;
    const auto more = plan_database(d, df, q).steps;
    steps.insert(steps.end(), more.begin(), more.end());
    REQUIRE(steps.size() >= 5);
    for (const auto& step : steps) {
        CAPTURE(step.sql);
        // Remove every quoted piece; no trace of the name or the password may remain.
        std::string rest = step.sql;
        for (const std::string& quoted : {"[" + nasty + "]", std::string("<p'w>")}) {
            for (auto at = rest.find(quoted); at != std::string::npos; at = rest.find(quoted)) {
                rest.erase(at, quoted.size());
            }
        }
        CHECK(rest.find("DROP") == std::string::npos);
        CHECK(rest.find("p'w") == std::string::npos);
    }
}

TEST_CASE("password: SCRAM verifiers match PostgreSQL's") {
    // Made by PostgreSQL 15: CREATE ROLE t1 PASSWORD 'pencil' (salt rn2re13MT4OXrwVYOXSgDg==).
    const std::string stored =
        "SCRAM-SHA-256$4096:rn2re13MT4OXrwVYOXSgDg==$o64jD6ZlfWlmb4LgBnTLnwwCF94x7Ithw3yUIjeiO+k="
        ":Ezca78xPs6yUarC0GVQ3xcELP2ebKEqd02HSZ/6Tem4=";
    const unsigned char salt[] = {0xae, 0x7d, 0xab, 0x7b, 0x5d, 0xcc, 0x4f, 0x83,
                                  0x97, 0xaf, 0x05, 0x58, 0x39, 0x74, 0xa0, 0x0e};
    CHECK(scram_verifier("pencil", std::string_view(reinterpret_cast<const char*>(salt), 16),
                         4096) == stored);
    CHECK(check_password(stored, "pencil", "t1") == PasswordMatch::kMatches);
    CHECK(check_password(stored, "pencil2", "t1") == PasswordMatch::kDiffers);
    CHECK(check_password(stored, "", "t1") == PasswordMatch::kDiffers);
}

TEST_CASE("password: fresh verifiers differ by salt and still verify") {
    const std::string a = new_scram_verifier("s3cret");
    const std::string b = new_scram_verifier("s3cret");
    CHECK(a != b);
    CHECK(a.rfind("SCRAM-SHA-256$4096:", 0) == 0);
    CHECK(a.find("s3cret") == std::string::npos);
    CHECK(check_password(a, "s3cret", "r") == PasswordMatch::kMatches);
    CHECK(check_password(b, "s3cret", "r") == PasswordMatch::kMatches);
    CHECK(check_password(a, "S3cret", "r") == PasswordMatch::kDiffers);
}

TEST_CASE("password: md5 verifiers and unknown formats") {
    CHECK(md5_verifier("pencil", "t1") == "md5e9e5a138840bce61be3720eafb9023e7");
    CHECK(check_password("md5e9e5a138840bce61be3720eafb9023e7", "pencil", "t1") ==
          PasswordMatch::kMatches);
    CHECK(check_password("md5e9e5a138840bce61be3720eafb9023e7", "pencil", "t2") ==
          PasswordMatch::kDiffers);
    CHECK(check_password("plain", "plain", "t1") == PasswordMatch::kUnknown);
    CHECK(check_password("SCRAM-SHA-256$x:y$z:w", "p", "t1") == PasswordMatch::kUnknown);
    CHECK(check_password("SCRAM-SHA-256$4096:!!!!$AAAA:AAAA", "p", "t1") ==
          PasswordMatch::kUnknown);
}

TEST_CASE("password: only ASCII is pre-hashed (the server normalises the rest)") {
    CHECK(can_prehash("plain ascii with 'quotes' and \\ backslash"));
    CHECK_FALSE(can_prehash("pässword"));
}

// Expected values computed independently (Python's hashlib.pbkdf2_hmac, hmac and base64).
TEST_CASE("password: SCRAM-SHA-256 and md5 verifiers match an independent computation") {
    using sg::provision::check_password;
    using sg::provision::PasswordMatch;
    const std::string scram =
        "SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$nQpbZ77WudtqufPwikHXGRt6g2QJ4zns8bZLw273DRM=:"
        "jn2amWP1q1h+jgjy0YTO14S6/F02SV7taipOeB7ef20=";
    CHECK(sg::provision::scram_verifier("pencil", "0123456789abcdef", 4096) == scram);
    CHECK(sg::provision::md5_verifier("secret", "alice") == "md54a0a68b43b6cd5cf266fa02f196e2371");

    CHECK(check_password(scram, "pencil", "anyone") == PasswordMatch::kMatches);
    CHECK(check_password(scram, "pencil!", "anyone") == PasswordMatch::kDiffers);
    CHECK(check_password("md54a0a68b43b6cd5cf266fa02f196e2371", "secret", "alice") ==
          PasswordMatch::kMatches);
    CHECK(check_password("md54a0a68b43b6cd5cf266fa02f196e2371", "secret", "bob") ==
          PasswordMatch::kDiffers);
}

TEST_CASE("password: fresh verifiers have their own salt and check against their password") {
    using sg::provision::check_password;
    using sg::provision::PasswordMatch;
    const std::string a = sg::provision::new_scram_verifier("s3cret");
    const std::string b = sg::provision::new_scram_verifier("s3cret");
    CHECK(a != b);
    CHECK(a.rfind("SCRAM-SHA-256$4096:", 0) == 0);
    CHECK(check_password(a, "s3cret", "r") == PasswordMatch::kMatches);
    CHECK(check_password(b, "s3cret", "r") == PasswordMatch::kMatches);
    CHECK(check_password(a, "s3cre", "r") == PasswordMatch::kDiffers);
}

TEST_CASE("password: stored values of unknown or broken format are unknown, never a match") {
    using sg::provision::check_password;
    using sg::provision::PasswordMatch;
    for (const std::string stored :
         {"", "plaintext", "md5short", "SCRAM-SHA-256$", "SCRAM-SHA-256$x:AAAA$AAAA:AAAA",
          "SCRAM-SHA-256$0:AAAA$AAAA:AAAA", "SCRAM-SHA-256$4096:A$AAAA:AAAA",
          "SCRAM-SHA-256$4096:AAAA$AA!A:AAAA", "SCRAM-SHA-256$4096:AAAA$AAAA",
          "SCRAM-SHA-256$4096:AAAA:AAAA"}) {
        CAPTURE(stored);
        CHECK(check_password(stored, "pw", "r") == PasswordMatch::kUnknown);
    }
}
