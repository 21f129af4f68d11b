// The .gitignore subset procrun reads for `watch:` (procrun/glob.hpp).

#include <fmt/format.h>

#include "procrun/glob.hpp"

namespace procrun {

namespace {

// Trailing spaces go unless escaped with '\'.
std::string_view trim_trailing_spaces(std::string_view line) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
        std::size_t backslashes = 0;
        for (std::size_t i = line.size() - 1; i > 0 && line[i - 1] == '\\'; --i)
            ++backslashes;
        if (backslashes % 2 == 1)
            break;
        line.remove_suffix(1);
    }
    return line;
}

}  // namespace

Parsed<std::vector<PathPattern>> parse_gitignore(std::string_view text, std::string_view file) {
    Parsed<std::vector<PathPattern>> out;
    int number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        std::string_view line = text.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        start = end == std::string_view::npos ? text.size() : end + 1;
        ++number;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        line = trim_trailing_spaces(line);
        if (line.empty() || line.front() == '#')
            continue;
        std::string why;
        auto pattern = parse_path_pattern(line, true, &why);
        // "\#x" and "\!x" keep their first character: the glob reads the escape.
        const Location where{std::string(file), number, 1};
        if (!pattern) {
            out.diagnostics.push_back(make_warning(
                where, "gitignore/pattern",
                fmt::format("this .gitignore pattern is left out: {}", why), std::string(line),
                "git does not match it either; fix or remove the line"));
            continue;
        }
        if (pattern->glob.empty())
            continue;  // "/" or "!": matches nothing
        pattern->where = where;
        out.value.push_back(std::move(*pattern));
    }
    return out;
}

}  // namespace procrun
