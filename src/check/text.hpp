#pragma once

// Small text helpers of the lints: identifiers, trimming, root-relative paths.

#include <optional>
#include <string>
#include <string_view>

namespace procrun::lint {

bool is_ident_start(char c);
bool is_ident_char(char c);
bool is_digit(char c);
bool is_identifier(std::string_view s);
bool all_digits(std::string_view s);
// Without blanks at both ends (and a CR at the end).
std::string_view trim(std::string_view s);
// The last component of a '/'-separated path.
std::string_view basename(std::string_view path);
bool starts_with(std::string_view s, std::string_view prefix);

// True when `command` expands the variable PORT: $PORT or ${PORT...}.
bool mentions_port(std::string_view command);
// True when `word` occurs in `text` as a whole identifier.
bool mentions_word(std::string_view text, std::string_view word);

// Joins `relative` onto the root-relative directory `base` and normalises it.
// Nullopt when the result is not under the root or cannot be known statically
// (absolute, `~`, a variable).
std::optional<std::string> join_under_root(std::string_view base, std::string_view relative);
// `file` in the root-relative directory `dir` ("" for the root).
std::string under(std::string_view dir, std::string_view file);

}  // namespace procrun::lint
