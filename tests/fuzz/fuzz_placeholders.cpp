// Placeholder substitution: ${name} in migration text.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sidecar/migrate/placeholders.hpp"

#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view sql(reinterpret_cast<const char*>(data), size);
    static const std::map<std::string, std::string> values = {
        {"service", "user-service"},
        {"schema", "user_service"},
        {"role", "user_service"},
        {"database", "user_db"},
        {"empty", ""},
        {"nested", "${service}"},
        {"dollar", "$$"},
    };
    const auto result = sg::migrate::substitute(sql, values);
    if (sql.find("${") == std::string_view::npos) {
        FUZZ_CHECK(result.ok());
        FUZZ_CHECK(result.text == sql);
    }
    const auto uses = sg::migrate::find_placeholders(sql);
    std::size_t unknown = 0;
    for (const auto& use : uses) {
        FUZZ_CHECK(use.line >= 1);
        std::string lowered;
        for (const char c : use.name) {
            lowered += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        }
        unknown += values.count(lowered) == 0 ? 1 : 0;
    }
    // Every unknown use is reported, and nothing else is.
    FUZZ_CHECK(result.errors.size() == unknown);
    // Values are inserted once: "${nested}" becomes "${service}", never "user-service".
    if (result.ok() && sql.find("${") == std::string_view::npos) {
        FUZZ_CHECK(result.text.size() == sql.size());
    }
    return 0;
}
