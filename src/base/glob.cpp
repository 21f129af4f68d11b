#include "procrun/glob.hpp"

#include <cstddef>

namespace procrun {

namespace {

// The set `[...]` starting at pattern[at] (just after the '['): whether `c` is
// in it, and where the pattern goes on. nullopt when the set is not closed.
struct SetMatch {
    bool matched = false;
    std::size_t next = 0;
};

std::optional<SetMatch> match_set(std::string_view p, std::size_t at, char c) {
    std::size_t i = at;
    bool negate = false;
    if (i < p.size() && (p[i] == '!' || p[i] == '^')) {
        negate = true;
        ++i;
    }
    bool matched = false;
    bool first = true;
    while (i < p.size() && (first || p[i] != ']')) {
        first = false;
        char lo = p[i];
        if (lo == '\\') {
            if (++i >= p.size())
                return std::nullopt;
            lo = p[i];
        }
        char hi = lo;
        if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
            i += 2;
            hi = p[i];
            if (hi == '\\') {
                if (++i >= p.size())
                    return std::nullopt;
                hi = p[i];
            }
        }
        const auto u = static_cast<unsigned char>(c);
        if (static_cast<unsigned char>(lo) <= u && u <= static_cast<unsigned char>(hi))
            matched = true;
        ++i;
    }
    if (i >= p.size())
        return std::nullopt;
    return SetMatch{(matched != negate) && c != '/', i + 1};
}

// One component: `*`, `?`, sets and escapes against a name without '/'.
// One backtracking point (the last '*'): at most |p| x |s| steps.
bool match_component(std::string_view p, std::string_view s) {
    std::size_t pi = 0;
    std::size_t si = 0;
    std::size_t star_p = std::string_view::npos;
    std::size_t star_s = 0;
    while (si < s.size()) {
        bool step = false;
        std::size_t next_p = pi;
        if (pi < p.size()) {
            const char c = p[pi];
            if (c == '*') {
                while (pi < p.size() && p[pi] == '*')
                    ++pi;
                star_p = pi;
                star_s = si;
                continue;
            }
            if (c == '?') {
                step = true;
                next_p = pi + 1;
            } else if (c == '[') {
                const auto set = match_set(p, pi + 1, s[si]);
                if (!set)
                    return false;
                step = set->matched;
                next_p = set->next;
            } else if (c == '\\') {
                step = pi + 1 < p.size() && p[pi + 1] == s[si];
                next_p = pi + 2;
            } else {
                step = c == s[si];
                next_p = pi + 1;
            }
        }
        if (step) {
            pi = next_p;
            ++si;
        } else if (star_p != std::string_view::npos) {
            pi = star_p;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < p.size() && p[pi] == '*')
        ++pi;
    return pi == p.size();
}

std::vector<std::string_view> split(std::string_view text) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = text.find('/', start);
        parts.push_back(
            text.substr(start, slash == std::string_view::npos ? slash : slash - start));
        if (slash == std::string_view::npos)
            return parts;
        start = slash + 1;
    }
}

}  // namespace

std::string glob_error(std::string_view pattern) {
    if (pattern.empty())
        return "a pattern cannot be empty";
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\') {
            if (i + 1 >= pattern.size())
                return "it ends with a lone '\\' (write '\\\\' for a backslash)";
            ++i;
        } else if (pattern[i] == '[') {
            const auto set = match_set(pattern, i + 1, 'a');
            if (!set)
                return "its '[' has no closing ']' (write '\\[' for a bracket)";
            i = set->next - 1;
        }
    }
    return {};
}

// Components against components, '**' matching any number of them: the same
// one-backtracking-point walk as within a component.
bool glob_match(std::string_view pattern, std::string_view path) {
    if (!glob_error(pattern).empty())
        return false;
    const auto p = split(pattern);
    const auto s = split(path);
    std::size_t pi = 0;
    std::size_t si = 0;
    std::size_t star_p = std::string_view::npos;
    std::size_t star_s = 0;
    while (si < s.size()) {
        if (pi < p.size() && p[pi] == "**") {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < p.size() && match_component(p[pi], s[si])) {
            ++pi;
            ++si;
        } else if (star_p != std::string_view::npos) {
            pi = star_p;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < p.size() && p[pi] == "**")
        ++pi;
    return pi == p.size();
}

std::optional<PathPattern> parse_path_pattern(std::string_view text, bool allow_negation,
                                              std::string* error) {
    PathPattern out;
    if (allow_negation && !text.empty() && text.front() == '!') {
        out.negated = true;
        text.remove_prefix(1);
    }
    if (!text.empty() && text.back() == '/' && (text.size() < 2 || text[text.size() - 2] != '\\')) {
        out.dir_only = true;
        while (!text.empty() && text.back() == '/')
            text.remove_suffix(1);
    }
    if (!text.empty() && text.front() == '/') {
        out.anchored = true;
        while (!text.empty() && text.front() == '/')
            text.remove_prefix(1);
    }
    if (text.find('/') != std::string_view::npos)
        out.anchored = true;
    // "**/x" matches x at any depth, as an unanchored "x" does.
    if (text.substr(0, 3) == "**/" && text.find('/', 3) == std::string_view::npos) {
        text.remove_prefix(3);
        out.anchored = false;
    }
    if (std::string why = glob_error(text); !why.empty()) {
        if (error)
            *error = std::move(why);
        return std::nullopt;
    }
    out.glob = std::string(text);
    return out;
}

bool matches(const PathPattern& pattern, std::string_view path, bool is_dir) {
    if (pattern.dir_only && !is_dir)
        return false;
    if (pattern.anchored)
        return glob_match(pattern.glob, path);
    const std::size_t slash = path.rfind('/');
    return glob_match(pattern.glob,
                      slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool ignored(const std::vector<PathPattern>& patterns, std::string_view path, bool is_dir) {
    for (auto it = patterns.rbegin(); it != patterns.rend(); ++it) {
        if (matches(*it, path, is_dir))
            return !it->negated;
    }
    return false;
}

}  // namespace procrun
