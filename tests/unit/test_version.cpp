#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "sidecar/migrate/scan.hpp"
#include "sidecar/migrate/version.hpp"

using sg::migrate::FileKind;
using sg::migrate::FileName;
using sg::migrate::Version;

namespace {

Version v(const char* text) {
    auto parsed = Version::parse(text);
    REQUIRE(parsed.has_value());
    return *parsed;
}

std::string why(const char* name) {
    const auto r = sg::migrate::parse_file_name(name);
    REQUIRE(std::holds_alternative<std::string>(r));
    return std::get<std::string>(r);
}

}  // namespace

TEST_CASE("versions compare numerically part by part") {
    CHECK(v("1") < v("1.1"));
    CHECK(v("1.1") < v("1.2"));
    CHECK(v("1.2") < v("2"));
    CHECK(v("2") < v("10"));
    CHECK(v("9.9.9") < v("10"));
    CHECK(v("1.10") > v("1.9"));
    CHECK(v("1") == v("1.0"));
    CHECK(v("1") == v("1.0.0"));
    CHECK(v("01.002") == v("1.2"));
    CHECK(v("1_1") == v("1.1"));

    std::vector<Version> list{v("10"), v("1.1"), v("2"), v("1"), v("1.10"), v("1.2")};
    std::sort(list.begin(), list.end());
    std::vector<std::string> texts;
    for (const auto& x : list) {
        texts.push_back(x.text());
    }
    CHECK(texts == std::vector<std::string>{"1", "1.1", "1.2", "1.10", "2", "10"});
}

TEST_CASE("canonical version text drops leading zeros and trailing zero parts") {
    CHECK(v("1.0").text() == "1");
    CHECK(v("007.010").text() == "7.10");
    CHECK(v("0").text() == "0");
    CHECK(v("2_0_3").text() == "2.0.3");
}

TEST_CASE("invalid versions") {
    for (const char* bad :
         {"", ".", "1.", ".1", "1..2", "a", "1a", "1.-1", "-1", "1 2", "99999999999999999999999"}) {
        CAPTURE(bad);
        CHECK_FALSE(Version::parse(bad).has_value());
    }
}

TEST_CASE("file names") {
    const auto ok = [](const char* name) {
        const auto r = sg::migrate::parse_file_name(name);
        REQUIRE(std::holds_alternative<FileName>(r));
        return std::get<FileName>(r);
    };
    auto f = ok("V1__create_users.sql");
    CHECK(f.kind == FileKind::kVersioned);
    CHECK(f.version->text() == "1");
    CHECK(f.description == "create users");

    f = ok("V1.1__add_email_index.sql");
    CHECK(f.version->text() == "1.1");
    f = ok("U1.1__add_email_index.sql");
    CHECK(f.kind == FileKind::kUndo);
    f = ok("R__user_views.sql");
    CHECK(f.kind == FileKind::kRepeatable);
    CHECK_FALSE(f.version.has_value());
    CHECK(f.description == "user views");
    f = ok("V2__with__double.sql");
    CHECK(f.description == "with  double");

    CHECK(why("v1__x.sql").find("upper-case: V1__x.sql") != std::string::npos);
    CHECK(why("V1_x.sql").find("__") != std::string::npos);
    CHECK(why("V__x.sql").find("missing version") != std::string::npos);
    CHECK(why("Vx__y.sql").find("is not a version") != std::string::npos);
    CHECK(why("V99999999999999999999__x.sql")
              .find("too large: each part of a version is a number up to 20 digits") !=
          std::string::npos);
    CHECK(why("V1.99999999999999999999__x.sql").find("too large") != std::string::npos);
    CHECK(why("V1..2__x.sql").find("is not a version") != std::string::npos);
    CHECK(why("R1__x.sql").find("no version") != std::string::npos);
    CHECK(why("V1__.sql").find("missing description") != std::string::npos);
    CHECK(why("V1__x.txt").find(".sql") != std::string::npos);
    CHECK(why("create_users.sql").find("V<version>__<description>.sql") != std::string::npos);
}

TEST_CASE("description slugs for `new`") {
    CHECK(sg::migrate::description_slug("Add user emails!") == "add_user_emails");
    CHECK(sg::migrate::description_slug("  create   orders  ") == "create_orders");
    CHECK(sg::migrate::description_slug("---") == "");
}

TEST_CASE("files that look meant as migrations but are not read are named, others are not") {
    using sg::migrate::ignored_reason;
    CHECK(ignored_reason("V1__a.SQL").find("lower-case .sql") != std::string::npos);
    CHECK(ignored_reason("V1__a.Sql").find("lower-case .sql") != std::string::npos);
    for (const char* backup : {"V1__a.sql~", "V1__a.sql.bak", "V1__a.sql.orig", ".V1__a.sql.swp",
                               "#V1__a.sql#", "V1__a.sql-copy", ".V1__a.sql"}) {
        CAPTURE(backup);
        CHECK(ignored_reason(backup).find("backup") != std::string::npos);
    }
    for (const char* other : {"README.md", "..data", "..2026_12_06_10_00_00.123", "notes.txt",
                              "cache.sqlite", ".gitkeep", "Makefile"}) {
        CAPTURE(other);
        CHECK(ignored_reason(other).empty());
    }
}
