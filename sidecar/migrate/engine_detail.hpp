// What engine.cpp, apply.cpp and history.cpp share: timing and how a server error is described.
// Internal to the migrate module.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "sidecar/db/connection.hpp"

namespace sg::migrate::detail {

inline std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

// Lines of a text: newlines + 1.
[[nodiscard]] std::size_t count_lines(const std::string& text);

// "line 12: relation "x" does not exist (SQLSTATE 42P01)"; the line counted from `line_offset`
// and only when it falls inside the file's `file_lines`.
[[nodiscard]] std::string describe_error(const db::SqlError& e, std::size_t line_offset,
                                         std::size_t file_lines);

}  // namespace sg::migrate::detail
