// Migration versions and file names: "V1.1__add_email_index.sql" -> kind, version, description.
// Pure: no I/O, no logging.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sg::migrate {

// A version compares numerically part by part: 1 < 1.1 < 1.2 < 2 < 10. Parts are separated by
// '.' or '_' in file names; trailing zero parts do not count (1 == 1.0), so they are duplicates.
class Version {
  public:
    [[nodiscard]] static std::optional<Version> parse(std::string_view text);

    // Canonical text: parts joined by '.', leading zeros and trailing zero parts dropped ("1.01.0"
    // -> "1.1"). This is what the history table stores.
    [[nodiscard]] const std::string& text() const { return text_; }
    [[nodiscard]] const std::vector<std::uint64_t>& parts() const { return parts_; }

    friend std::strong_ordering operator<=>(const Version& a, const Version& b) {
        return a.parts_ <=> b.parts_;
    }
    friend bool operator==(const Version& a, const Version& b) { return a.parts_ == b.parts_; }

  private:
    std::vector<std::uint64_t> parts_;
    std::string text_;
};

enum class FileKind { kVersioned, kRepeatable, kUndo };

struct FileName {
    FileKind kind = FileKind::kVersioned;
    std::optional<Version> version;  // absent for repeatables
    std::string description;         // underscores shown as spaces
};

// Either the parsed name or why it is not a valid migration file name.
using FileNameResult = std::variant<FileName, std::string>;

// Parses the name of a file in the top directory: V<ver>__<desc>.sql, U<ver>__<desc>.sql or
// R__<desc>.sql.
[[nodiscard]] FileNameResult parse_file_name(std::string_view name);

// The description part of a file name made from free text: "Add user emails!" -> "add_user_emails".
[[nodiscard]] std::string description_slug(std::string_view text);

}  // namespace sg::migrate
