#include <string>

#include <doctest/doctest.h>

#include "sidecar/migrate/checksum.hpp"

using namespace sg::migrate;

TEST_CASE("sha256 of known inputs") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("line endings and BOM do not change the checksum") {
    const std::string lf = "CREATE TABLE a (id int);\nSELECT 1;\n";
    CHECK(normalise("CREATE TABLE a (id int);\r\nSELECT 1;\r\n") == lf);
    CHECK(normalise("CREATE TABLE a (id int);\rSELECT 1;\r") == lf);
    CHECK(normalise("\xEF\xBB\xBF" + lf) == lf);
    CHECK(sha256_hex(normalise("\xEF\xBB\xBF"
                               "CREATE TABLE a (id int);\r\nSELECT 1;\r\n")) == sha256_hex(lf));
    CHECK(sha256_hex(lf) != sha256_hex(lf + " "));
}

TEST_CASE("UTF-8 validation") {
    CHECK(invalid_utf8_offset("plain ascii") == std::string::npos);
    CHECK(invalid_utf8_offset("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == std::string::npos);
    CHECK(invalid_utf8_offset("ab\xFF") == 2);
    CHECK(invalid_utf8_offset("ab\xC3") == 2);            // truncated
    CHECK(invalid_utf8_offset("\xC0\xAF") == 0);          // overlong
    CHECK(invalid_utf8_offset("\xED\xA0\x80") == 0);      // surrogate
    CHECK(invalid_utf8_offset("x\xE2\x82") == 1);         // truncated 3-byte
    CHECK(invalid_utf8_offset("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
}
