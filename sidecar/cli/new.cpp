// `schemagate new <description> [--timestamp|--sequential]`: the next migration file, empty.
#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "sidecar/app/initialise.hpp"
#include "sidecar/cli/command.hpp"

namespace sg::cli {

namespace {

namespace fs = std::filesystem;

// The UTC time as a version: 2026-12-06 19:30:05 -> 20261206193005.
std::uint64_t timestamp_version() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::array<char, 16> text{};
    const std::size_t n = std::strftime(text.data(), text.size(), "%Y%m%d%H%M%S", &utc);
    return std::stoull(std::string(text.data(), n));
}

}  // namespace

int cmd_new(const config::Config& config, const std::string& description, bool timestamp) {
    const std::string slug = migrate::description_slug(description);
    if (slug.empty()) {
        std::fprintf(
            stderr,
            "schemagate: new: the description needs letters or digits, e.g. \"add orders\"\n");
        return kExitUsage;
    }
    const migrate::MigrationSet set = migrate::scan(config.migrations, app::format_of(config));
    if (set.directory_missing) {
        std::fprintf(stderr, "schemagate: %s\n", set.problems.front().line().c_str());
        return kExitUsage;
    }
    // The next number is chosen from the files: one it cannot read could hold a higher version.
    if (!set.problems.empty()) {
        for (const auto& p : set.problems) {
            std::fprintf(stderr, "schemagate: %s\n", p.line().c_str());
        }
        std::fprintf(stderr,
                     "schemagate: new: fix the %zu problem(s) above first; the next version "
                     "cannot be chosen while they stand\n",
                     set.problems.size());
        return kExitInvalid;
    }
    std::uint64_t next = 1;
    if (!set.versioned.empty()) {
        const std::uint64_t last = set.versioned.back().version->parts().front();
        if (last == std::numeric_limits<std::uint64_t>::max()) {
            std::fprintf(stderr, "schemagate: new: %s has the largest version there is\n",
                         set.versioned.back().script.c_str());
            return kExitInvalid;
        }
        next = last + 1;
    }
    // A timestamp, unless the directory is already past it (then the next one after the
    // highest: a new file never lands below an existing version).
    if (timestamp) {
        next = std::max(next, timestamp_version());
    }
    const std::string name = "V" + std::to_string(next) + "__" + slug + ".sql";
    const fs::path path = config.migrations / name;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        std::fprintf(stderr, "schemagate: new: cannot create %s: %s\n", path.c_str(),
                     std::generic_category().message(errno).c_str());
        return kExitUsage;
    }
    const std::string body =
        "-- " + description + "\n-- Runs once, in one transaction with its history row.\n\n";
    const bool written = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
    ::close(fd);
    if (!written) {
        std::fprintf(stderr, "schemagate: new: cannot write %s\n", path.c_str());
        return kExitUsage;
    }
    std::printf("%s\n", path.c_str());
    return kExitOk;
}

}  // namespace sg::cli
