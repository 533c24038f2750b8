#include "sidecar/migrate/layout.hpp"

#include <algorithm>
#include <array>

#include "sidecar/migrate/layouts/readers.hpp"

namespace sg::migrate {

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

const LayoutReader& reader_for(Format format) {
    switch (format) {
        case Format::kAuto:
        case Format::kSchemagate:
            return layouts::schemagate_reader();
        case Format::kFlyway:
            return layouts::flyway_reader();
        case Format::kGolangMigrate:
            return layouts::golang_migrate_reader();
        case Format::kGoose:
            return layouts::goose_reader();
        case Format::kDbmate:
            return layouts::dbmate_reader();
    }
    return layouts::schemagate_reader();
}

std::optional<Format> detect_format(std::string_view name, std::string_view text) {
    static const std::array<const LayoutReader*, 4> order = {
        &layouts::schemagate_reader(), &layouts::golang_migrate_reader(), &layouts::goose_reader(),
        &layouts::dbmate_reader()};
    for (const LayoutReader* reader : order) {
        if (reader->recognises(name, text)) {
            return reader->format();
        }
    }
    return std::nullopt;
}

std::optional<NumberedName> numbered_name(std::string_view name) {
    const auto underscore = name.find('_');
    if (underscore == std::string_view::npos || underscore == 0 ||
        !std::all_of(name.begin(), name.begin() + static_cast<std::ptrdiff_t>(underscore),
                     [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return NumberedName{name.substr(0, underscore), name.substr(underscore + 1)};
}

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        if (end == std::string_view::npos) {
            out.push_back(text.substr(start));
            break;
        }
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

bool is_blank_or_comment(std::string_view line) {
    const auto first = line.find_first_not_of(" \t");
    return first == std::string_view::npos || line.substr(first, 2) == "--";
}

std::string section_text(std::string_view text, const std::vector<bool>& keep) {
    const auto lines = lines_of(text);
    std::string out;
    out.reserve(text.size());
    bool has_sql = false;
    std::size_t kept_end = 0;  // out's size after the last non-empty kept line
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i < keep.size() && keep[i]) {
            out.append(lines[i]);
            if (!lines[i].empty()) {
                kept_end = out.size();
            }
            has_sql = has_sql || !is_blank_or_comment(lines[i]);
        }
        out.push_back('\n');
    }
    if (!has_sql) {
        return {};
    }
    out.resize(kept_end);
    out.push_back('\n');
    return out;
}

}  // namespace sg::migrate
