#pragma once

// `watch:` of a process type in .procrun.yaml: restart its instances when a
// file they are built from changes (docs/config.md, docs/running.md).

#include <chrono>
#include <string>
#include <vector>

#include "procrun/diagnostic.hpp"
#include "procrun/duration.hpp"
#include "procrun/glob.hpp"

namespace procrun {

inline constexpr Millis kDefaultDebounce{200};

// One folder or file to watch, as written (relative to the root unless absolute).
struct WatchPath {
    std::string path;
    Location where;
    friend bool operator==(const WatchPath&, const WatchPath&) = default;
};

struct Watch {
    bool enabled = true;               // false: `watch: false`
    std::vector<WatchPath> paths;      // empty: the root
    std::vector<PathPattern> include;  // a changed file must match one (none: every file)
    std::vector<PathPattern> exclude;  // over the default exclusions and .gitignore
    bool gitignore = true;             // the root's .gitignore patterns are excluded too
    Millis debounce = kDefaultDebounce;
    bool restart_dependents = false;  // the types that depend on it restart after it
    Location where;                   // the `watch:` key
    friend bool operator==(const Watch&, const Watch&) = default;
};

// What is left out of every watch: version control, dependency and build
// folders, editor swap and backup files, procrun's own lock file.
const std::vector<PathPattern>& default_watch_exclusions();

}  // namespace procrun
