#include "check/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace procrun::lint {

bool is_ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool is_ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_identifier(std::string_view s) {
    if (s.empty() || !is_ident_start(s[0]))
        return false;
    return std::all_of(s.begin(), s.end(), is_ident_char);
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::string_view basename(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// True when `command` expands the variable PORT: $PORT or ${PORT...}.
bool mentions_port(std::string_view command) {
    for (std::size_t at = command.find('$'); at != std::string_view::npos;
         at = command.find('$', at + 1)) {
        std::string_view rest = command.substr(at + 1);
        if (starts_with(rest, "PORT") && (rest.size() == 4 || !is_ident_char(rest[4]))) {
            return true;
        }
        if (starts_with(rest, "{PORT") && rest.size() > 5 &&
            std::string_view("}:-=+?").find(rest[5]) != std::string_view::npos) {
            return true;
        }
    }
    return false;
}

// Joins `relative` onto the root-relative directory `base` and normalises it.
// Nullopt when the result is not under the root or cannot be known statically
// (absolute, `~`, a variable).
std::optional<std::string> join_under_root(std::string_view base, std::string_view relative) {
    if (relative.empty())
        return std::string(base);
    if (relative.front() == '/' || relative.front() == '~' ||
        relative.find('$') != std::string_view::npos ||
        relative.find('`') != std::string_view::npos) {
        return std::nullopt;
    }
    std::filesystem::path p = std::filesystem::path(std::string(base)) / std::string(relative);
    std::string normal = p.lexically_normal().generic_string();
    while (!normal.empty() && normal.back() == '/')
        normal.pop_back();
    if (normal == ".")
        normal.clear();
    if (normal == ".." || starts_with(normal, "../"))
        return std::nullopt;
    return normal;
}

std::string under(std::string_view dir, std::string_view file) {
    if (dir.empty())
        return std::string(file);
    return fmt::format("{}/{}", dir, file);
}
bool mentions_word(std::string_view text, std::string_view word) {
    for (std::size_t at = text.find(word); at != std::string_view::npos;
         at = text.find(word, at + 1)) {
        const bool left = at == 0 || !is_ident_char(text[at - 1]);
        const std::size_t after = at + word.size();
        const bool right = after >= text.size() || !is_ident_char(text[after]);
        if (left && right)
            return true;
    }
    return false;
}

}  // namespace procrun::lint
