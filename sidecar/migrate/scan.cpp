#include "sidecar/migrate/scan.hpp"

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "sidecar/migrate/checksum.hpp"
#include "sidecar/migrate/layout.hpp"
#include "sidecar/migrate/script_file.hpp"

namespace sg::migrate {

namespace fs = std::filesystem;
using detail::is_regular_file;
using detail::not_regular_reason;
using detail::read_script;

const char* to_string(MigrationType type) {
    switch (type) {
        case MigrationType::kVersioned:
            return "versioned";
        case MigrationType::kRepeatable:
            return "repeatable";
        case MigrationType::kUndo:
            return "undo";
        case MigrationType::kSeed:
            return "seed";
        case MigrationType::kVerify:
            return "verify";
    }
    return "unknown";
}

const Migration* MigrationSet::find_versioned(const Version& v) const {
    const auto it =
        std::lower_bound(versioned.begin(), versioned.end(), v,
                         [](const Migration& m, const Version& x) { return *m.version < x; });
    return (it != versioned.end() && *it->version == v) ? &*it : nullptr;
}

const Migration* MigrationSet::find_undo(const Version& v) const {
    for (const auto& m : undo) {
        if (*m.version == v) {
            return &m;
        }
    }
    return nullptr;
}

namespace {

// seed/ and verify/: NN_<name>.sql in name order.
void scan_ordered_dir(const fs::path& dir, const std::string& prefix, MigrationType type,
                      std::vector<Migration>& out, std::vector<ScanProblem>& problems,
                      std::vector<ScanProblem>& ignored) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return;
    }
    fs::directory_iterator it(dir, ec);
    if (ec) {
        problems.push_back({prefix, "cannot list: " + ec.message()});
        return;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        std::string script = prefix;
        script.append("/").append(name);
        if (name.size() < 4 || name.substr(name.size() - 4) != ".sql" || name.front() == '.') {
            if (std::string why = ignored_reason(name); !why.empty()) {
                ignored.push_back({script, std::move(why)});
            }
            continue;  // README.md and the like
        }
        if (!is_regular_file(*it)) {
            problems.push_back({script, not_regular_reason(*it)});
            continue;
        }
        const auto underscore = name.find('_');
        const bool numbered =
            underscore != std::string::npos && underscore > 0 &&
            std::all_of(name.begin(), name.begin() + static_cast<std::ptrdiff_t>(underscore),
                        [](char c) { return c >= '0' && c <= '9'; }) &&
            underscore + 1 < name.size() - 4;
        if (!numbered) {
            problems.push_back({script, "name it NN_<name>.sql (e.g. 01_" +
                                            description_slug(name.substr(0, name.size() - 4)) +
                                            ".sql); files run in name order"});
            continue;
        }
        auto sql = read_script(it->path(), script, problems);
        if (!sql) {
            continue;
        }
        Migration m;
        m.type = type;
        m.description = name.substr(0, name.size() - 4);
        m.script = script;
        m.checksum = sha256_hex(*sql);
        m.sql = std::move(*sql);
        out.push_back(std::move(m));
    }
    if (ec) {
        problems.push_back({prefix, "cannot list: " + ec.message()});
    }
    std::sort(out.begin(), out.end(),
              [](const Migration& a, const Migration& b) { return a.script < b.script; });
}

void report_duplicates(std::vector<Migration>& list, const char* what,
                       std::vector<ScanProblem>& problems) {
    for (std::size_t i = 1; i < list.size(); ++i) {
        if (*list[i].version == *list[i - 1].version) {
            problems.push_back({list[i].script, std::string("duplicate ") + what + " version " +
                                                    list[i].version->text() + " (also " +
                                                    list[i - 1].script +
                                                    "); renumber one of them"});
        }
    }
}

}  // namespace

namespace {

// A migration file of the top level, read, with the layout its name and text show (auto only).
struct Read {
    std::string name;
    std::string sql;
    std::optional<Format> detected;
};

// The directory opened for listing, or nullopt with the problem recorded.
std::optional<fs::directory_iterator> open_directory(const fs::path& directory, MigrationSet& set) {
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) {
        set.directory_missing = true;
        std::error_code exists_ec;
        const bool exists = fs::exists(directory, exists_ec);
        std::string why = " does not exist";
        if (ec) {
            why = " cannot be read (" + ec.message() + ")";
        } else if (exists) {
            why = " is not a directory";
        }
        set.problems.push_back(
            {"", "migrations directory " + directory.string() + why +
                     "; mount the service's migrations there or set SCHEMAGATE_MIGRATIONS"});
        return std::nullopt;
    }
    fs::directory_iterator it(directory, ec);
    if (ec) {
        set.directory_missing = true;
        set.problems.push_back({"", "cannot list " + directory.string() + ": " + ec.message()});
        return std::nullopt;
    }
    return it;
}

// The top level's .sql files, read and sorted by name; names not to read are set aside. `ec`:
// why listing stopped early.
std::vector<Read> read_top_level(fs::directory_iterator it, Format format, MigrationSet& set,
                                 std::error_code& ec) {
    std::vector<Read> reads;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        std::error_code type_ec;
        if (it->is_directory(type_ec)) {
            continue;  // seed/ and verify/ are read below; other folders are not ours
        }
        if (name.size() < 4 || name.substr(name.size() - 4) != ".sql" || name.front() == '.') {
            if (std::string why = ignored_reason(name); !why.empty()) {
                set.ignored.push_back({name, std::move(why)});
            }
            continue;  // README.md, hidden files, Kubernetes' ..data links
        }
        // A name the layout can judge alone is checked before the file is read (under auto,
        // names that start with a number may still be another tool's, told by their text).
        if (format != Format::kAuto || !numbered_name(name)) {
            if (auto why = reader_for(format).name_problem(name)) {
                set.problems.push_back({name, std::move(*why)});
                continue;
            }
        }
        if (!is_regular_file(*it)) {
            set.problems.push_back({name, not_regular_reason(*it)});
            continue;
        }
        auto sql = read_script(it->path(), name, set.problems);
        if (!sql) {
            continue;
        }
        Read r{name, std::move(*sql), std::nullopt};
        if (format == Format::kAuto) {
            r.detected = detect_format(r.name, r.sql);
        }
        reads.push_back(std::move(r));
    }
    std::sort(reads.begin(), reads.end(),
              [](const Read& a, const Read& b) { return a.name < b.name; });
    return reads;
}

// set.format: the one given, or under auto the layout the files show; false (and a problem)
// when they show two.
bool settle_format(const std::vector<Read>& reads, Format format, MigrationSet& set) {
    set.format = format == Format::kAuto ? Format::kSchemagate : format;
    if (format != Format::kAuto) {
        return true;
    }
    const Read* first_of_layout = nullptr;
    for (const auto& r : reads) {
        if (!r.detected) {
            continue;
        }
        if (first_of_layout == nullptr) {
            first_of_layout = &r;
            set.format = *r.detected;
        } else if (*r.detected != set.format) {
            set.problems.push_back(
                {r.name, std::string("is in ") + to_string(*r.detected) + "'s layout but " +
                             first_of_layout->name + " is in " + to_string(set.format) +
                             "'s; keep one layout per directory, or set SCHEMAGATE_FORMAT to "
                             "read them all as one"});
            return false;
        }
    }
    return true;
}

void add_migrations(const LayoutReader& reader, std::vector<Read>& reads, const EnvLookup& env,
                    MigrationSet& set) {
    const EnvLookup lookup = env ? env : EnvLookup([](const std::string& name) {
        const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
        return value == nullptr ? std::nullopt : std::optional<std::string>(value);
    });
    for (auto& r : reads) {
        LayoutRead read = reader.read(r.name, r.sql, lookup);
        for (auto& p : read.problems) {
            set.problems.push_back({r.name, std::move(p)});
        }
        for (auto& m : read.migrations) {
            switch (m.type) {
                case MigrationType::kUndo:
                    set.undo.push_back(std::move(m));
                    break;
                case MigrationType::kRepeatable:
                    set.repeatable.push_back(std::move(m));
                    break;
                default:
                    set.versioned.push_back(std::move(m));
                    break;
            }
        }
    }
}

// Sorted by version (repeatables by name); duplicates and undo files without their version.
void order_and_check(const LayoutReader& reader, MigrationSet& set) {
    const auto by_version = [](const Migration& a, const Migration& b) {
        return *a.version != *b.version ? *a.version < *b.version : a.script < b.script;
    };
    std::sort(set.versioned.begin(), set.versioned.end(), by_version);
    std::sort(set.undo.begin(), set.undo.end(), by_version);
    std::sort(set.repeatable.begin(), set.repeatable.end(),
              [](const Migration& a, const Migration& b) { return a.script < b.script; });
    report_duplicates(set.versioned, "migration", set.problems);
    report_duplicates(set.undo, "undo", set.problems);
    for (std::size_t i = 1; i < set.repeatable.size(); ++i) {
        if (set.repeatable[i].description == set.repeatable[i - 1].description) {
            set.problems.push_back(
                {set.repeatable[i].script, "same description as " + set.repeatable[i - 1].script});
        }
    }
    for (const auto& u : set.undo) {
        if (set.find_versioned(*u.version) == nullptr) {
            set.problems.push_back({u.script, "undoes version " + u.version->text() +
                                                  " but there is no " +
                                                  reader.versioned_name_for(*u.version)});
        }
    }
}

}  // namespace

MigrationSet scan(const fs::path& directory, Format format, const EnvLookup& env) {
    MigrationSet set;
    set.directory = directory;
    auto listing = open_directory(directory, set);
    if (!listing) {
        return set;
    }
    std::error_code listing_ec;  // reported after what was read before it
    std::vector<Read> reads = read_top_level(std::move(*listing), format, set, listing_ec);
    if (!settle_format(reads, format, set)) {
        return set;
    }
    const LayoutReader& reader = reader_for(set.format);
    add_migrations(reader, reads, env, set);
    if (listing_ec) {
        set.problems.push_back(
            {"", "cannot list " + directory.string() + ": " + listing_ec.message()});
    }
    order_and_check(reader, set);
    scan_ordered_dir(directory / "seed", "seed", MigrationType::kSeed, set.seed, set.problems,
                     set.ignored);
    scan_ordered_dir(directory / "verify", "verify", MigrationType::kVerify, set.verify,
                     set.problems, set.ignored);
    return set;
}

}  // namespace sg::migrate
