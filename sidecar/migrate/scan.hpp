// Scan: a service's migrations directory -> the migrations it holds, or what is wrong with it.
// Reads files; never logs, never touches the database.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/migrate/version.hpp"

namespace sg::migrate {

enum class MigrationType { kVersioned, kRepeatable, kUndo, kSeed, kVerify };

[[nodiscard]] const char* to_string(MigrationType type);

// The layout of a migrations directory (SCHEMAGATE_FORMAT): whose file names and section markers
// it uses. kAuto detects it per file; a directory that mixes layouts is a problem.
enum class Format { kAuto, kSchemagate, kFlyway, kGolangMigrate, kGoose, kDbmate };

[[nodiscard]] const char* to_string(Format format);
[[nodiscard]] std::optional<Format> parse_format(std::string_view text);  // case-insensitive

// Looks up an environment variable (goose's ENVSUB); nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

struct Migration {
    MigrationType type = MigrationType::kVersioned;
    std::optional<Version> version;  // versioned and undo only
    std::string description;
    std::string script;    // path relative to the directory: "V1__init.sql", "seed/01_users.sql"
    std::string sql;       // content with BOM stripped and line endings normalised
    std::string checksum;  // SHA-256 of the file's text (for a section: of the section's text)
    // Set by the layout, on top of the file's own `-- schemagate:` directives: goose's
    // `NO TRANSACTION` and dbmate's `transaction:false`; other tools have no ${...} placeholders.
    bool no_transaction = false;
    bool no_placeholders = false;
};

// A problem with one file (or the directory): `script` names it, `message` says what and how to
// fix.
struct ScanProblem {
    std::string script;
    std::string message;
    [[nodiscard]] std::string line() const {
        return script.empty() ? message : script + ": " + message;
    }
};

struct MigrationSet {
    std::filesystem::path directory;
    Format format = Format::kSchemagate;  // the layout read (detected, under auto)
    std::vector<Migration> versioned;     // ascending version
    std::vector<Migration> repeatable;    // by description
    std::vector<Migration> undo;          // ascending version
    std::vector<Migration> seed;          // by name
    std::vector<Migration> verify;        // by name
    std::vector<ScanProblem> problems;    // bad names, duplicates, unreadable or invalid files
    // Files that look meant as migrations but are not read: `V1__a.SQL`, editor backups
    // (`V1__a.sql~`, `V1__a.sql.bak`, `.V1__a.sql.swp`). Warned about, never silently skipped.
    std::vector<ScanProblem> ignored;
    bool directory_missing = false;  // the directory itself does not exist or cannot be read

    [[nodiscard]] const Migration* find_versioned(const Version& v) const;
    [[nodiscard]] const Migration* find_undo(const Version& v) const;
};

// Largest file accepted (larger ones are a problem, not an out-of-memory).
inline constexpr std::size_t kMaxFileBytes = std::size_t{64} * 1024 * 1024;

// `env` defaults to the process environment.
[[nodiscard]] MigrationSet scan(const std::filesystem::path& directory,
                                Format format = Format::kAuto, const EnvLookup& env = {});

// Why a directory entry that is not read as a migration should still be mentioned: "" for
// names that are clearly something else (README.md, Kubernetes' ..data), else the reason
// ("the extension must be lower-case .sql", "an editor's backup or swap file").
[[nodiscard]] std::string ignored_reason(std::string_view name);

}  // namespace sg::migrate
