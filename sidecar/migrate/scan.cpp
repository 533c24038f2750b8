#include "sidecar/migrate/scan.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <system_error>

#include "sidecar/migrate/checksum.hpp"
#include "sidecar/migrate/layout.hpp"

namespace sg::migrate {

namespace fs = std::filesystem;

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

const char* to_string(Format format) {
    switch (format) {
        case Format::kAuto:
            return "auto";
        case Format::kSchemagate:
            return "schemagate";
        case Format::kFlyway:
            return "flyway";
        case Format::kGolangMigrate:
            return "golang-migrate";
        case Format::kGoose:
            return "goose";
        case Format::kDbmate:
            return "dbmate";
    }
    return "unknown";
}

std::optional<Format> parse_format(std::string_view text) {
    std::string lowered(text);
    for (auto& c : lowered) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    for (const Format f : {Format::kAuto, Format::kSchemagate, Format::kFlyway,
                           Format::kGolangMigrate, Format::kGoose, Format::kDbmate}) {
        if (lowered == to_string(f)) {
            return f;
        }
    }
    return std::nullopt;
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

std::size_t line_of(std::string_view text, std::size_t offset) {
    return static_cast<std::size_t>(
               std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n')) +
           1;
}

// Reads and normalises one file; on failure adds a problem and returns nullopt.
std::optional<std::string> read_script(const fs::path& path, const std::string& script,
                                       std::vector<ScanProblem>& problems) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
        problems.push_back({script, "cannot read: " + ec.message()});
        return std::nullopt;
    }
    if (size > kMaxFileBytes) {
        problems.push_back({script, "is " + std::to_string(size / (std::uintmax_t{1024} * 1024)) +
                                        " MiB; files larger than 64 MiB are refused"});
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problems.push_back({script, "cannot read: " + std::generic_category().message(errno)});
        return std::nullopt;
    }
    std::string raw(static_cast<std::size_t>(size), '\0');
    in.read(raw.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size) {
        problems.push_back({script, "cannot read: the file changed while it was read"});
        return std::nullopt;
    }
    std::string sql = normalise(raw);
    if (const auto bad = invalid_utf8_offset(sql); bad != std::string_view::npos) {
        problems.push_back({script, "line " + std::to_string(line_of(sql, bad)) +
                                        ": not valid UTF-8; save the file as UTF-8"});
        return std::nullopt;
    }
    // libpq sends SQL as C strings: a NUL would end the text there and silently drop the rest
    // (and the history row sent with it). It is valid UTF-8, so it needs its own refusal.
    if (const auto nul = sql.find('\0'); nul != std::string::npos) {
        problems.push_back({script, "line " + std::to_string(line_of(sql, nul)) +
                                        ": contains a NUL byte, which SQL text cannot hold; "
                                        "remove it (is this a binary file saved as .sql?)"});
        return std::nullopt;
    }
    if (std::all_of(sql.begin(), sql.end(),
                    [](char c) { return c == ' ' || c == '\n' || c == '\t'; })) {
        problems.push_back({script, "is empty; write its SQL or delete the file"});
        return std::nullopt;
    }
    return sql;
}

bool is_regular_file(const fs::directory_entry& entry) {
    std::error_code ec;
    return entry.is_regular_file(ec);  // follows symlinks (Kubernetes ConfigMaps mount those)
}

// Why an entry that is not a regular file cannot be a migration.
std::string not_regular_reason(const fs::directory_entry& entry) {
    std::error_code ec;
    const auto status = fs::status(entry.path(), ec);
    if (ec == std::errc::too_many_symbolic_link_levels) {
        return "is a symbolic link loop; point it at a file";
    }
    if (ec || status.type() == fs::file_type::not_found) {
        return "is a broken symbolic link (its target does not exist)";
    }
    if (status.type() == fs::file_type::directory) {
        return "is a directory";
    }
    return "is not a regular file (a FIFO, socket or device); migrations must be files";
}

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

std::string ignored_reason(std::string_view name) {
    if (name.empty() || name.substr(0, 2) == "..") {
        return {};  // Kubernetes' ..data and ..<timestamp> entries of a mounted ConfigMap
    }
    std::string lower(name);
    for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const auto sql = lower.rfind(".sql");
    if (sql == std::string::npos) {
        return {};
    }
    const std::string_view rest = std::string_view(lower).substr(sql + 4);
    if (!rest.empty() && std::string_view("~.#-_").find(rest.front()) == std::string_view::npos) {
        return {};  // .sqlite and the like
    }
    if (name.front() == '.' || name.front() == '#' || !rest.empty()) {
        return "an editor's backup or swap file, or a copy; only names ending in .sql are read";
    }
    return "the extension must be lower-case .sql to be read";
}

MigrationSet scan(const fs::path& directory, Format format, const EnvLookup& env) {
    MigrationSet set;
    set.directory = directory;
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
        return set;
    }
    fs::directory_iterator it(directory, ec);
    if (ec) {
        set.directory_missing = true;
        set.problems.push_back({"", "cannot list " + directory.string() + ": " + ec.message()});
        return set;
    }
    struct Read {
        std::string name;
        std::string sql;
        std::optional<Format> detected;
    };
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
    set.format = format == Format::kAuto ? Format::kSchemagate : format;
    const Read* first_of_layout = nullptr;
    if (format == Format::kAuto) {
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
                return set;
            }
        }
    }
    const LayoutReader& reader = reader_for(set.format);
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
    if (ec) {
        set.problems.push_back({"", "cannot list " + directory.string() + ": " + ec.message()});
    }
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
    scan_ordered_dir(directory / "seed", "seed", MigrationType::kSeed, set.seed, set.problems,
                     set.ignored);
    scan_ordered_dir(directory / "verify", "verify", MigrationType::kVerify, set.verify,
                     set.problems, set.ignored);
    return set;
}

}  // namespace sg::migrate
