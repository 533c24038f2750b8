// What the engine's files share: timing, a refusal's outcome and how a server error is described.
// Internal to the migrate module.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <variant>

#include "sidecar/db/connection.hpp"
#include "sidecar/migrate/engine.hpp"
#include "sidecar/migrate/lint.hpp"

namespace sg::migrate::detail {

inline std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

// An outcome that ends the run before (or instead of) applying: its result, why, and the time
// since `start`.
[[nodiscard]] Outcome refusal(Result result, std::string message,
                              std::chrono::steady_clock::time_point start);

// The prepared file, or nullptr with `outcome` made kInvalid with the file's problem.
[[nodiscard]] const Prepared* prepared_or_invalid(
    const std::variant<Prepared, std::string>& prepared, Outcome& outcome);

// Lines of a text: newlines + 1.
[[nodiscard]] std::size_t count_lines(const std::string& text);

// "line 12: relation "x" does not exist (SQLSTATE 42P01)"; the line counted from `line_offset`
// and only when it falls inside the file's `file_lines`.
[[nodiscard]] std::string describe_error(const db::SqlError& e, std::size_t line_offset,
                                         std::size_t file_lines);

}  // namespace sg::migrate::detail
