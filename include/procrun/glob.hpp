#pragma once

// Globs over '/'-separated relative paths, as `watch:` (include, exclude) and
// .gitignore write them. Pure functions: no regular expression, no recursion
// on the input; matching a path costs at most (pattern length x path length)
// steps, whatever the pattern.
//
//   *      any run of characters except '/'
//   ?      one character except '/'
//   [abc] [a-z] [!a-z] [^a-z]   one character of (or not of) the set; never '/'
//   **     as a whole component: any number of components (none included):
//          "**/x", "a/**/x", "a/**"; elsewhere it is '*'
//   \c     the character c itself

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/diagnostic.hpp"

namespace procrun {

// What is wrong with `pattern` as a glob (an unterminated '[', a trailing '\',
// an empty pattern); empty when it is valid.
std::string glob_error(std::string_view pattern);

// Whether the whole `path` matches the whole `pattern`. An invalid pattern
// matches nothing.
bool glob_match(std::string_view pattern, std::string_view path);

// One pattern as .gitignore and `watch:` write it:
//   - without a '/' (a trailing one aside) it matches the last component of a
//     path at any depth ("*.pyc", "node_modules");
//   - with a '/' at its start or in its middle it matches the path relative to
//     the root ("/build", "docs/_build", "src/**/gen");
//   - a trailing '/' matches directories only ("log/");
//   - a leading '!' (in .gitignore) takes a path matched by an earlier pattern
//     back in.
struct PathPattern {
    std::string glob;  // without its '!', leading and trailing '/'
    bool anchored = false;
    bool dir_only = false;
    bool negated = false;
    Location where;
    friend bool operator==(const PathPattern&, const PathPattern&) = default;
};

// Reads one pattern the way .gitignore does (no '!' unless `allow_negation`).
// nullopt for an invalid one, with `*error` saying why.
std::optional<PathPattern> parse_path_pattern(std::string_view text, bool allow_negation,
                                              std::string* error);

// Whether `pattern` matches `path` (relative, '/'-separated, no leading '/').
bool matches(const PathPattern& pattern, std::string_view path, bool is_dir);

// The patterns of a .gitignore file, in order. Supported: blank lines and
// '#' comments, '!' negation, a trailing '/' for directories, anchoring by a
// leading or inner '/', '*', '?', '[...]', '**', '\' escapes ("\#", "\!", "\ "),
// trailing spaces trimmed. Not supported (docs/config.md): .gitignore files in
// subdirectories, .git/info/exclude and the global excludes file. A pattern
// that is not a valid glob is a located warning and is left out.
Parsed<std::vector<PathPattern>> parse_gitignore(std::string_view text, std::string_view file);

// Whether the last pattern of `patterns` matching `path` is not negated: git's
// rule for one .gitignore. (A path under an ignored directory is never looked
// at: the watcher does not enter ignored directories.)
bool ignored(const std::vector<PathPattern>& patterns, std::string_view path, bool is_dir);

}  // namespace procrun
