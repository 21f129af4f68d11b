#include "procrun/shell.hpp"

#include <algorithm>
#include <array>

namespace procrun {

std::string shell_quote(std::string_view word) {
    auto safe = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
    };
    bool plain = !word.empty();
    for (char c : word)
        plain = plain && safe(c);
    if (plain)
        return std::string(word);
    std::string out = "'";
    for (char c : word) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

std::string shell_join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty())
            out += ' ';
        out += shell_quote(w);
    }
    return out;
}

bool can_exec(std::string_view command) {
    for (std::size_t i = 0; i < command.size(); ++i) {
        const char c = command[i];
        // `&` is only allowed in a descriptor redirection: 2>&1, <&3.
        if (c == '&' && (i == 0 || (command[i - 1] != '>' && command[i - 1] != '<')))
            return false;
        if (std::string_view(";|()`\n\r").find(c) != std::string_view::npos)
            return false;
    }
    const std::size_t start = command.find_first_not_of(" \t");
    if (start == std::string_view::npos)
        return false;
    const std::size_t end = command.find_first_of(" \t", start);
    const std::string_view first =
        command.substr(start, end == std::string_view::npos ? end : end - start);
    if (first.find('=') != std::string_view::npos || first.front() == '#' || first.front() == '{' ||
        first.front() == '!') {
        return false;
    }
    // Reserved words and the builtins that have no program of the same name to exec.
    static constexpr std::array<std::string_view, 42> kShellOnly{
        "if",       "then",   "else",  "elif",     "fi",       "case",    "esac",
        "for",      "while",  "until", "do",       "done",     "in",      "[[",
        "function", "select", "exec",  "cd",       ".",        "source",  "export",
        "set",      "unset",  "trap",  "ulimit",   "umask",    "eval",    "wait",
        "read",     "shift",  "alias", "unalias",  "command",  "builtin", "local",
        "return",   "exit",   "break", "continue", "readonly", "getopts", "hash"};
    return std::find(kShellOnly.begin(), kShellOnly.end(), first) == kShellOnly.end();
}

std::string exec_form(std::string_view command) {
    if (!can_exec(command))
        return std::string(command);
    return "exec " + std::string(command);
}

}  // namespace procrun
