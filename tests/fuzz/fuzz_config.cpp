// Settings: the input is lines of NAME=VALUE (the environment after flags); also durations.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "sidecar/config/config.hpp"

#include "tests/fuzz/fuzz_common.hpp"

namespace {

// *_FILE variables read "files" from the input itself: the path is the content.
std::optional<std::string> read_file(const std::filesystem::path& path, std::string& error) {
    const std::string text = path.string();
    if (text.rfind("missing", 0) == 0) {
        error = "No such file or directory";
        return std::nullopt;
    }
    return text + "\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (const auto duration = sg::config::parse_duration(input)) {
        FUZZ_CHECK(duration->count() >= 0);
        FUZZ_CHECK(*duration <= sg::config::kMaxDuration);
    }
    sg::config::Env env;
    std::size_t start = 0;
    while (start <= input.size()) {
        auto end = input.find('\n', start);
        if (end == std::string_view::npos) {
            end = input.size();
        }
        const auto line = input.substr(start, end - start);
        if (const auto eq = line.find('='); eq != std::string_view::npos && eq > 0) {
            env.insert_or_assign(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
        }
        start = end + 1;
    }
    const auto result = sg::config::parse(env, {}, read_file);
    if (const auto* problems = std::get_if<std::vector<sg::config::Problem>>(&result)) {
        FUZZ_CHECK(!problems->empty());
        for (const auto& problem : *problems) {
            FUZZ_CHECK(!problem.message.empty());
            // One line each: a value with a newline is never echoed raw.
            FUZZ_CHECK(problem.line().find('\n') == std::string::npos);
        }
    } else {
        const auto& config = std::get<sg::config::Config>(result);
        FUZZ_CHECK(config.initial_delay.count() >= 0 && config.max_delay.count() >= 0);
    }
    return 0;
}
