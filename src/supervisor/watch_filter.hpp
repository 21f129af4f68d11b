#pragma once

// Which changed paths restart a watched process type: pure, so the rules are
// tested as tables (tests/unit/supervisor/watch_filter_test.cpp).
//
// Paths are relative to the root, '/'-separated ("app/views.py"; "../lib/x.py"
// outside the root). Only the last component is judged: the watcher does not
// enter an excluded folder, so whatever is below one is never seen, and a
// folder named in `paths:` is watched even when the default exclusions or
// .gitignore would leave it out.

#include <string_view>
#include <vector>

#include "procrun/glob.hpp"
#include "procrun/watch.hpp"

namespace procrun {

class WatchFilter {
  public:
    // `gitignore`: the root's patterns (used when watch.gitignore); `extra`:
    // more exclusions (procrun's log folder). Both must outlive the filter.
    WatchFilter(const Watch& watch, const std::vector<PathPattern>& gitignore,
                const std::vector<PathPattern>& extra);

    // Left out: not entered (a folder), never a restart (a file).
    [[nodiscard]] bool excluded(std::string_view path, bool is_dir) const;
    // A file whose change restarts: not excluded, and matched by `include`
    // when there is one.
    [[nodiscard]] bool wanted(std::string_view path) const;

  private:
    const Watch* watch_;
    const std::vector<PathPattern>* gitignore_;
    const std::vector<PathPattern>* extra_;
};

}  // namespace procrun
