// Text helpers below every module: the "did you mean" of settings and connection parameters.
#pragma once

#include <cstddef>
#include <string_view>

namespace sg::text {

// Levenshtein distance: insertions, deletions and substitutions, one each.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace sg::text
