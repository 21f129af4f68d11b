#pragma once

#include <string_view>

// The character classes the Procfile, .env and formation parsers share.
namespace procrun::characters {

// A UTF-8 byte order mark, skipped at the start of a file.
inline constexpr std::string_view kBom = "\xEF\xBB\xBF";

inline constexpr bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

// Letters, digits, '_' and '-': the characters of a process type's name.
inline constexpr bool is_process_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

}  // namespace procrun::characters
