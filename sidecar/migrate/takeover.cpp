#include "sidecar/migrate/takeover.hpp"

#include <algorithm>
#include <array>
#include <map>

namespace sg::migrate {

const char* to_string(Tool tool) {
    switch (tool) {
        case Tool::kFlyway:
            return "flyway";
        case Tool::kGolangMigrate:
            return "golang-migrate";
        case Tool::kDbmate:
            return "dbmate";
        case Tool::kGoose:
            return "goose";
    }
    return "unknown";
}

std::optional<Tool> tool_of_table(std::string_view table, bool has_dirty_column) {
    if (table == "flyway_schema_history") {
        return Tool::kFlyway;
    }
    if (table == "goose_db_version") {
        return Tool::kGoose;
    }
    if (table == "schema_migrations") {
        return has_dirty_column ? Tool::kGolangMigrate : Tool::kDbmate;
    }
    return std::nullopt;
}

const char* table_of(Tool tool) {
    switch (tool) {
        case Tool::kFlyway:
            return "flyway_schema_history";
        case Tool::kGoose:
            return "goose_db_version";
        case Tool::kGolangMigrate:
        case Tool::kDbmate:
            return "schema_migrations";
    }
    return "";
}

std::int32_t flyway_checksum(std::string_view text) {
    static const auto table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) {
                c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1U) : c >> 1U;
            }
            t[i] = c;
        }
        return t;
    }();
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        text.remove_prefix(3);
    }
    std::uint32_t crc = 0xFFFFFFFFU;
    for (const char ch : text) {
        if (ch == '\n' || ch == '\r') {
            continue;  // Flyway reads line by line: line breaks are not part of the sum
        }
        crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xFFU] ^ (crc >> 8U);
    }
    return static_cast<std::int32_t>(crc ^ 0xFFFFFFFFU);
}

namespace {

class Builder {
  public:
    Builder(Tool tool, const std::string& table, const MigrationSet& files)
        : tool_(tool), table_(table), files_(files) {
        takeover_.tool = tool;
    }

    // Records the file of `version_text` as applied; false (and the problem set) when it has
    // no file or is not a version.
    bool applied(const std::string& version_text, const std::string& installed_on) {
        const auto v = Version::parse(version_text);
        const Migration* m = v ? files_.find_versioned(*v) : nullptr;
        if (m == nullptr) {
            refuse(table_ + " records version " + version_text + " as applied by " +
                   to_string(tool_) +
                   ", but no file in the migrations directory has that version; restore the file "
                   "(version control has it) so schemagate can check it and carry on after it");
            return false;
        }
        rows_[m->version->parts()] = row(*m, installed_on);
        return true;
    }

    void threshold(const std::string& version_text, const std::string& description,
                   const std::string& installed_on) {
        const auto v = Version::parse(version_text);
        if (!v) {
            return;
        }
        HistoryRow h;
        h.version = v->text();
        h.description = description.empty() ? "baseline" : description;
        h.type = "baseline";
        h.script = std::string(kBaselineScript);
        h.installed_by = to_string(tool_);
        h.installed_on = installed_on;
        h.success = true;
        threshold_ = std::move(h);
    }

    void repeatable(const Migration& m, const std::string& installed_on) {
        HistoryRow h = row(m, installed_on);
        h.version.reset();
        repeatables_.push_back(std::move(h));
    }

    void refuse(std::string problem) {
        if (takeover_.problem.empty()) {
            takeover_.problem = std::move(problem);
        }
    }
    [[nodiscard]] bool refused() const { return !takeover_.problem.empty(); }

    Takeover finish() {
        if (refused()) {
            return std::move(takeover_);
        }
        if (threshold_) {
            takeover_.rows.push_back(std::move(*threshold_));
        }
        for (auto& [parts, r] : rows_) {
            takeover_.rows.push_back(std::move(r));
        }
        for (auto& r : repeatables_) {
            takeover_.rows.push_back(std::move(r));
        }
        return std::move(takeover_);
    }

  private:
    HistoryRow row(const Migration& m, const std::string& installed_on) const {
        HistoryRow h;
        h.version = m.version ? std::optional<std::string>(m.version->text()) : std::nullopt;
        h.description = m.description;
        h.type = "baseline";
        h.script = m.script;
        h.checksum = m.checksum;
        h.installed_by = to_string(tool_);
        h.installed_on = installed_on;
        h.success = true;
        return h;
    }

    Tool tool_;
    const std::string& table_;
    const MigrationSet& files_;
    Takeover takeover_;
    std::map<std::vector<std::uint64_t>, HistoryRow> rows_;
    std::optional<HistoryRow> threshold_;
    std::vector<HistoryRow> repeatables_;
};

void take_golang_migrate(const std::vector<ForeignRow>& rows, const std::string& table,
                         const MigrationSet& files, Builder& b) {
    if (rows.empty()) {
        return;  // created, nothing applied (or everything migrated down)
    }
    if (rows.size() > 1) {
        b.refuse(table + " has " + std::to_string(rows.size()) +
                 " rows but golang-migrate keeps exactly one (the current version); delete the "
                 "wrong ones, then run schemagate again");
        return;
    }
    const ForeignRow& r = rows.front();
    const std::string version = r.version.value_or("");
    if (r.dirty) {
        b.refuse(table + ": version " + version +
                 " is dirty (golang-migrate failed in the middle of it); check what of it ran, "
                 "finish or revert it by hand, then `migrate force " +
                 version + "` (or the version before it) and run schemagate again");
        return;
    }
    if (version.empty() || version.front() == '-') {
        return;  // golang-migrate's "no version"
    }
    if (!b.applied(version, "")) {
        return;
    }
    const auto current = Version::parse(version);
    for (const auto& m : files.versioned) {
        if (!(*current < *m.version) && !b.applied(m.version->text(), "")) {
            return;
        }
    }
}

void take_goose(const std::vector<ForeignRow>& rows, Builder& b) {
    std::map<std::string, const ForeignRow*> latest;  // by version: the row with the highest id
    for (const auto& r : rows) {
        if (!r.version) {
            continue;
        }
        const auto v = Version::parse(*r.version);
        if (v && std::all_of(v->parts().begin(), v->parts().end(),
                             [](std::uint64_t part) { return part == 0; })) {
            continue;  // version 0: the row goose writes when it creates its table
        }
        auto& slot = latest[v ? v->text() : *r.version];
        if (slot == nullptr || slot->rank < r.rank) {
            slot = &r;
        }
    }
    for (const auto& [version, r] : latest) {
        if (r->success && !b.applied(*r->version, r->installed_on)) {
            return;
        }
    }
}

bool is_flyway_baseline(const std::string& type) {
    return type == "BASELINE" || type == "SQL_BASELINE";
}

void take_flyway(const std::vector<ForeignRow>& rows, const std::string& table,
                 const MigrationSet& files, Builder& b) {
    std::map<std::string, const ForeignRow*> versions;     // canonical version -> latest row
    std::map<std::string, const ForeignRow*> repeatables;  // script -> latest row
    for (const auto& r : rows) {
        if (r.type == "SCHEMA") {
            continue;  // Flyway's "<< Flyway Schema Creation >>" marker
        }
        if (!r.success) {
            b.refuse(table + ": " + (r.version ? "version " + *r.version : r.script) +
                     " failed when Flyway ran it (success = false); fix what it left, remove the "
                     "row (`flyway repair`), then run schemagate again");
            return;
        }
        if (is_flyway_baseline(r.type)) {
            b.threshold(r.version.value_or(""), r.description, r.installed_on);
            continue;
        }
        if (!r.version) {
            repeatables[r.script] = &r;
            continue;
        }
        const auto v = Version::parse(*r.version);
        versions[v ? v->text() : *r.version] = &r;
    }
    for (const auto& [version, r] : versions) {
        if (r->type.rfind("UNDO_", 0) == 0 || r->type == "DELETE") {
            continue;  // undone, or deleted by `flyway repair`
        }
        if (!b.applied(*r->version, r->installed_on)) {
            return;
        }
        const Migration* m = files.find_versioned(*Version::parse(*r->version));
        if (r->checksum && *r->checksum != flyway_checksum(m->sql)) {
            b.refuse(m->script + " changed after Flyway applied it (checksum " +
                     std::to_string(*r->checksum) + " in " + table + ", " +
                     std::to_string(flyway_checksum(m->sql)) +
                     " now); restore the file as it was applied, or accept the change with "
                     "`flyway repair`, then run schemagate again");
            return;
        }
    }
    for (const auto& [script, r] : repeatables) {
        for (const auto& m : files.repeatable) {
            // Changed since Flyway ran it: not recorded, so it runs again, as Flyway would.
            if (m.script == script && r->checksum && *r->checksum == flyway_checksum(m.sql)) {
                b.repeatable(m, r->installed_on);
            }
        }
    }
}

}  // namespace

Takeover plan_takeover(Tool tool, const std::string& table, const std::vector<ForeignRow>& rows,
                       const MigrationSet& files) {
    std::vector<ForeignRow> ordered = rows;
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const ForeignRow& a, const ForeignRow& b) { return a.rank < b.rank; });
    Builder b(tool, table, files);
    switch (tool) {
        case Tool::kGolangMigrate:
            take_golang_migrate(ordered, table, files, b);
            break;
        case Tool::kDbmate:
            for (const auto& r : ordered) {
                if (r.version && !b.applied(*r.version, r.installed_on)) {
                    break;
                }
            }
            break;
        case Tool::kGoose:
            take_goose(ordered, b);
            break;
        case Tool::kFlyway:
            take_flyway(ordered, table, files, b);
            break;
    }
    return b.finish();
}

}  // namespace sg::migrate
