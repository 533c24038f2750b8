// What the tokenizer, the splitter and the classifiers of sql_lexer.hpp share: keyword matching
// and how an unterminated construct is described. Internal to the migrate module.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sg::migrate::detail {

inline char to_upper_ascii(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// ASCII case-insensitive comparison with an upper-case keyword.
inline bool is_keyword(std::string_view word, std::string_view upper) {
    if (word.size() != upper.size()) {
        return false;
    }
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (to_upper_ascii(word[i]) != upper[i]) {
            return false;
        }
    }
    return true;
}

inline std::string opened_on(std::size_t line) {
    return " opened on line " + std::to_string(line);
}

}  // namespace sg::migrate::detail
