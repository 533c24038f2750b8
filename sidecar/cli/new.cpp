// `schemagate new <description> [--timestamp|--sequential]`: the next migration's file(s), empty,
// in the directory's layout.
#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "sidecar/app/initialise.hpp"
#include "sidecar/cli/command.hpp"
#include "sidecar/migrate/layout.hpp"

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
    // Zero-padded like the directory's files (goose's 00001_...), where they are.
    std::string version = std::to_string(next);
    if (!set.versioned.empty() && set.versioned.back().script.front() == '0') {
        const std::string& last = set.versioned.back().script;
        const std::size_t width = last.find_first_not_of("0123456789");
        if (width != std::string::npos && width > version.size()) {
            version.insert(0, width - version.size(), '0');
        }
    }
    const auto files = migrate::reader_for(set.format).new_files(version, slug, description);
    std::vector<fs::path> created;
    for (const auto& f : files) {
        const fs::path path = config.migrations / f.name;
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        const int open_errno = errno;
        const bool written = fd >= 0 && ::write(fd, f.text.data(), f.text.size()) ==
                                            static_cast<ssize_t>(f.text.size());
        if (fd >= 0) {
            ::close(fd);
            created.push_back(path);
        }
        if (!written) {
            std::fprintf(stderr, "schemagate: new: cannot %s %s: %s\n", fd < 0 ? "create" : "write",
                         path.c_str(),
                         std::generic_category().message(fd < 0 ? open_errno : errno).c_str());
            for (const auto& p : created) {
                std::error_code ec;
                fs::remove(p, ec);  // never half of a migration's files
            }
            return kExitUsage;
        }
    }
    for (const auto& path : created) {
        std::printf("%s\n", path.c_str());
    }
    return kExitOk;
}

}  // namespace sg::cli
