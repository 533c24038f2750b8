#include "sidecar/migrate/version.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace sg::migrate {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Digits in parts separated by single dots or underscores: "1", "1.1", "2_0_3".
bool well_formed(std::string_view text) {
    bool have_digit = false;
    for (const char c : text) {
        if (is_digit(c)) {
            have_digit = true;
        } else if ((c == '.' || c == '_') && have_digit) {
            have_digit = false;
        } else {
            return false;
        }
    }
    return have_digit;
}

}  // namespace

std::optional<Version> Version::parse(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    Version v;
    std::uint64_t part = 0;
    bool have_digit = false;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        const bool end = i == text.size();
        const char c = end ? '.' : text[i];
        if (is_digit(c)) {
            const auto digit = static_cast<std::uint64_t>(c - '0');
            if (part > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
                return std::nullopt;  // overflow
            }
            part = part * 10 + digit;
            have_digit = true;
        } else if (c == '.' || c == '_') {
            if (!have_digit) {
                return std::nullopt;  // empty part: "1..2", ".1", "1."
            }
            v.parts_.push_back(part);
            part = 0;
            have_digit = false;
        } else {
            return std::nullopt;
        }
    }
    while (v.parts_.size() > 1 && v.parts_.back() == 0) {
        v.parts_.pop_back();
    }
    for (std::size_t i = 0; i < v.parts_.size(); ++i) {
        if (i != 0) {
            v.text_ += '.';
        }
        v.text_ += std::to_string(v.parts_[i]);
    }
    return v;
}

FileNameResult parse_file_name(std::string_view name) {
    constexpr std::string_view kSuffix = ".sql";
    if (name.size() <= kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix) {
        return std::string("migration files end in .sql");
    }
    const std::string_view stem = name.substr(0, name.size() - kSuffix.size());
    const char prefix = stem.front();
    FileName result;
    switch (prefix) {
        case 'V':
            result.kind = FileKind::kVersioned;
            break;
        case 'U':
            result.kind = FileKind::kUndo;
            break;
        case 'R':
            result.kind = FileKind::kRepeatable;
            break;
        case 'v':
        case 'u':
        case 'r':
            return std::string("the prefix is upper-case: ") +
                   static_cast<char>(std::toupper(static_cast<unsigned char>(prefix))) +
                   std::string(stem.substr(1)) + ".sql";
        default:
            return std::string(
                "not a migration name; use V<version>__<description>.sql, "
                "U<version>__<description>.sql or R__<description>.sql");
    }
    const auto separator = stem.find("__");
    if (separator == std::string_view::npos) {
        return std::string("missing \"__\" between version and description (V1__create_users.sql)");
    }
    const std::string_view version_text = stem.substr(1, separator - 1);
    const std::string_view description = stem.substr(separator + 2);
    if (result.kind == FileKind::kRepeatable) {
        if (!version_text.empty()) {
            return std::string("repeatable migrations have no version: R__<description>.sql");
        }
    } else {
        if (version_text.empty()) {
            return std::string("missing version after the prefix (V1__create_users.sql)");
        }
        result.version = Version::parse(version_text);
        if (!result.version) {
            if (well_formed(version_text)) {  // then only a part's size can be wrong
                return "version \"" + std::string(version_text) +
                       "\" is too large: each part of a version is a number up to 20 digits "
                       "(at most 18446744073709551615); a timestamp such as 20261206120000 fits";
            }
            return "\"" + std::string(version_text) +
                   "\" is not a version; use numbers separated by dots (1, 1.1, 2.0.3)";
        }
    }
    if (description.empty() ||
        std::all_of(description.begin(), description.end(), [](char c) { return c == '_'; })) {
        return std::string("missing description after \"__\"");
    }
    result.description.reserve(description.size());
    for (const char c : description) {
        result.description += (c == '_') ? ' ' : c;
    }
    return result;
}

std::string description_slug(std::string_view text) {
    std::string slug;
    bool pending_separator = false;
    for (const char raw : text) {
        const auto c = static_cast<unsigned char>(raw);
        if (std::isalnum(c) != 0 || c >= 0x80) {
            if (pending_separator && !slug.empty()) {
                slug += '_';
            }
            pending_separator = false;
            slug += static_cast<char>(c < 0x80 ? std::tolower(c) : c);
        } else {
            pending_separator = true;
        }
    }
    return slug;
}

}  // namespace sg::migrate
