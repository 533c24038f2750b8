// Takeover: another tool's history (Flyway, golang-migrate, dbmate, goose) -> the baseline rows
// that let schemagate carry on where that tool stopped, or the one reason it must not guess.
// Pure: rows in, rows out; the engine reads the other table and writes the result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/migrate/plan.hpp"
#include "sidecar/migrate/scan.hpp"

namespace sg::migrate {

enum class Tool { kFlyway, kGolangMigrate, kDbmate, kGoose };

[[nodiscard]] const char* to_string(Tool tool);  // "flyway", "golang-migrate", ...

// The history tables other tools keep, by name: flyway_schema_history, goose_db_version, and
// schema_migrations, which is golang-migrate's when it has a `dirty` column and dbmate's otherwise.
[[nodiscard]] std::optional<Tool> tool_of_table(std::string_view table, bool has_dirty_column);
[[nodiscard]] const char* table_of(Tool tool);

// One row of the other tool's table, as the engine reads it (absent columns stay empty).
struct ForeignRow {
    std::int64_t rank = 0;                 // installed_rank (Flyway), id (goose); order of rows
    std::optional<std::string> version;    // as stored: "1.1", "20240101120000", "3"
    std::string description;               // Flyway
    std::string type;                      // Flyway: SQL, BASELINE, SCHEMA, UNDO_SQL, DELETE, ...
    std::string script;                    // Flyway
    std::optional<std::int64_t> checksum;  // Flyway's CRC32 (signed)
    std::string installed_on;              // "2024-01-01 12:00:00" where the tool keeps one
    bool success = true;                   // Flyway's success; goose's is_applied
    bool dirty = false;                    // golang-migrate
};

struct Takeover {
    Tool tool = Tool::kFlyway;
    // The rows to record, in order: `baseline` rows naming the tool in installed_by, each with
    // its file's script and today's checksum (a Flyway BASELINE row becomes a schemagate
    // baseline: versions up to it count as applied).
    std::vector<HistoryRow> rows;
    std::string problem;  // set: refuse, with this line (version and fix named)
    [[nodiscard]] bool ok() const { return problem.empty(); }
};

// What `tool` applied, as schemagate history. Refused: a dirty golang-migrate version, a failed
// Flyway row, an applied version with no file in `files`, a Flyway file changed since it ran.
[[nodiscard]] Takeover plan_takeover(Tool tool, const std::string& table,
                                     const std::vector<ForeignRow>& rows,
                                     const MigrationSet& files);

// Flyway's checksum of a file: CRC-32 over its lines without their line breaks (a UTF-8 BOM
// dropped), as a signed 32-bit number, which is what flyway_schema_history stores.
[[nodiscard]] std::int32_t flyway_checksum(std::string_view text);

// The script a history row has when it stands for "everything up to this version" rather than
// one file: `schemagate baseline`'s rows and Flyway's BASELINE row taken over.
inline constexpr std::string_view kBaselineScript = "<< baseline >>";

}  // namespace sg::migrate
