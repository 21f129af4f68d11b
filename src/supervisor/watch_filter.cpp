#include "supervisor/watch_filter.hpp"

namespace procrun {

namespace {

bool any(const std::vector<PathPattern>& patterns, std::string_view path, bool is_dir) {
    for (const auto& p : patterns) {
        if (matches(p, path, is_dir))
            return true;
    }
    return false;
}

}  // namespace

WatchFilter::WatchFilter(const Watch& watch, const std::vector<PathPattern>& gitignore,
                         const std::vector<PathPattern>& extra)
    : watch_(&watch), gitignore_(&gitignore), extra_(&extra) {}

bool WatchFilter::excluded(std::string_view path, bool is_dir) const {
    if (any(default_watch_exclusions(), path, is_dir) || any(*extra_, path, is_dir) ||
        any(watch_->exclude, path, is_dir))
        return true;
    // .gitignore speaks of paths under the root only.
    const bool outside = path == ".." || path.substr(0, 3) == "../" || path.substr(0, 1) == "/";
    return watch_->gitignore && !outside && ignored(*gitignore_, path, is_dir);
}

bool WatchFilter::wanted(std::string_view path) const {
    if (excluded(path, false))
        return false;
    return watch_->include.empty() || any(watch_->include, path, false);
}

}  // namespace procrun
