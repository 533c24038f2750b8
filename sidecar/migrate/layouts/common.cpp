#include <cctype>

#include "sidecar/migrate/checksum.hpp"
#include "sidecar/migrate/layouts/readers.hpp"

namespace sg::migrate::layouts {

Migration make_migration(MigrationType type, std::optional<Version> version,
                         std::string description, const std::string& script, std::string sql,
                         std::string_view raw) {
    Migration m;
    m.type = type;
    m.version = std::move(version);
    m.description = std::move(description);
    m.script = script;
    m.checksum = sha256_hex(raw);
    m.sql = std::move(sql);
    return m;
}

void add_up_down(LayoutRead& out, const Version& version, const std::string& title,
                 const std::string& script, Section up, Section down) {
    Migration m = make_migration(MigrationType::kVersioned, version, title, script,
                                 std::move(up.sql), up.raw);
    m.no_transaction = up.no_transaction;
    m.no_placeholders = true;
    out.migrations.push_back(std::move(m));
    if (!down.raw.empty()) {
        Migration u = make_migration(MigrationType::kUndo, version, title, script,
                                     std::move(down.sql), down.raw);
        u.no_transaction = down.no_transaction;
        u.no_placeholders = true;
        out.migrations.push_back(std::move(u));
    }
}

std::string title_of(std::string_view rest, std::string_view digits) {
    std::string out;
    for (const char c : rest) {
        out += c == '_' ? ' ' : c;
    }
    return out.empty() ? std::string(digits) : out;
}

std::optional<Version> numbered_version(std::string_view digits,
                                        std::vector<std::string>& problems) {
    auto v = Version::parse(digits);
    if (!v) {
        problems.push_back("version " + std::string(digits) +
                           " is too large: a version is a number up to 20 digits "
                           "(at most 18446744073709551615)");
    }
    return v;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string at_line(std::size_t line) {
    return "line " + std::to_string(line + 1) + ": ";
}

}  // namespace sg::migrate::layouts
