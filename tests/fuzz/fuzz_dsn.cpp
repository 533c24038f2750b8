// Connection strings: parse_dsn (libpq's parser), with_defaults, describe (masking), database_name.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "sidecar/db/dsn.hpp"

#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string dsn(reinterpret_cast<const char*>(data), size);
    if (dsn.find('\0') != std::string::npos) {
        return 0;  // libpq takes C strings
    }
    const sg::db::EnvLookup no_env = [](const std::string&) {
        return std::optional<std::string>();
    };
    const auto options = sg::db::parse_dsn(dsn);
    (void)sg::db::describe(dsn);  // any input: no crash
    if (options) {
        // The description does not depend on the password: it is the same with it removed.
        if (options->count("password") != 0) {
            auto without = *options;
            without.erase("password");
            FUZZ_CHECK(sg::db::describe(sg::db::to_conninfo(without)) ==
                       sg::db::describe(sg::db::to_conninfo(*options)));
        }
        const auto full = sg::db::with_defaults(dsn, "fuzz", std::chrono::seconds(30), no_env);
        FUZZ_CHECK(sg::db::parse_dsn(full).has_value());
        (void)sg::db::database_name(dsn, no_env);
        (void)sg::db::with_database(dsn, "other_db");
    }
    return 0;
}
