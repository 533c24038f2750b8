// The layout readers, one per file in this folder; reached through layout.hpp's reader_for and
// detect_format, never directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sidecar/migrate/layout.hpp"

namespace sg::migrate::layouts {

[[nodiscard]] const LayoutReader& schemagate_reader();  // flyway.cpp
[[nodiscard]] const LayoutReader& flyway_reader();      // flyway.cpp
[[nodiscard]] const LayoutReader& golang_migrate_reader();
[[nodiscard]] const LayoutReader& goose_reader();
[[nodiscard]] const LayoutReader& dbmate_reader();

// A migration of `type` from a section's text; the checksum is of `raw` (the text as written,
// before any substitution), so a changed environment is not a changed file.
[[nodiscard]] Migration make_migration(MigrationType type, std::optional<Version> version,
                                       std::string description, const std::string& script,
                                       std::string sql, std::string_view raw);

// One section of a file that holds an up and a down section: its text as sent (`sql`) and as
// written (`raw`, what the checksum is of).
struct Section {
    std::string sql;
    std::string raw;
    bool no_transaction = false;
};

// Adds the up section as the versioned migration and, when it holds SQL, the down section as its
// undo; both without ${...} placeholders, which these tools do not have.
void add_up_down(LayoutRead& out, const Version& version, const std::string& title,
                 const std::string& script, Section up, Section down);

// "20240101_add_users" -> "add users"; the number itself when there is no title.
[[nodiscard]] std::string title_of(std::string_view rest, std::string_view digits);

// The version of a numbered name, or why it is not one ("... is too large").
[[nodiscard]] std::optional<Version> numbered_version(std::string_view digits,
                                                      std::vector<std::string>& problems);

// Lower-cased ASCII copy.
[[nodiscard]] std::string lower(std::string_view text);

// Line `line` (0-based) as a problem prefix: "line 12: ".
[[nodiscard]] std::string at_line(std::size_t line);

}  // namespace sg::migrate::layouts
