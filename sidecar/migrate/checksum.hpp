// Content normalisation and SHA-256 checksums of migration files. Pure.
#pragma once

#include <string>
#include <string_view>

namespace sg::migrate {

// Strips a UTF-8 byte-order mark and turns CRLF and lone CR into LF, so a file checked out on
// Windows has the same checksum and line numbers as on Linux.
[[nodiscard]] std::string normalise(std::string_view content);

// Lower-case hex SHA-256 of `content` (64 characters).
[[nodiscard]] std::string sha256_hex(std::string_view content);

// Byte offset of the first invalid UTF-8 sequence, or npos when `text` is valid UTF-8.
[[nodiscard]] std::size_t invalid_utf8_offset(std::string_view text);

}  // namespace sg::migrate
