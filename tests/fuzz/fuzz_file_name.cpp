// Migration file names and versions: parse_file_name, Version::parse, description_slug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "sidecar/migrate/version.hpp"

#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto result = sg::migrate::parse_file_name(input);
    if (const auto* name = std::get_if<sg::migrate::FileName>(&result)) {
        if (name->kind != sg::migrate::FileKind::kRepeatable) {
            FUZZ_CHECK(name->version.has_value());
        }
        if (name->version) {
            // The canonical text parses back to the same version.
            const auto again = sg::migrate::Version::parse(name->version->text());
            FUZZ_CHECK(again.has_value());
            FUZZ_CHECK(*again == *name->version);
            FUZZ_CHECK(again->text() == name->version->text());
        }
    } else {
        FUZZ_CHECK(!std::get<std::string>(result).empty());  // every refusal says why
    }
    if (const auto version = sg::migrate::Version::parse(input)) {
        const auto again = sg::migrate::Version::parse(version->text());
        FUZZ_CHECK(again.has_value() && *again == *version);
    }
    const std::string slug = sg::migrate::description_slug(input);
    (void)slug;
    return 0;
}
