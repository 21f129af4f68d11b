// `check` of `watch:`: every path named must exist under the root.

#include <fmt/format.h>

#include <filesystem>

#include "procrun/check.hpp"

namespace procrun {

std::vector<Diagnostic> check_watch(const Plan& plan, const RootFiles& files) {
    std::vector<Diagnostic> out;
    for (const auto& type : plan.types) {
        const auto& w = type.lifecycle.watch;
        if (!w || !w->enabled)
            continue;
        for (const auto& p : w->paths) {
            const std::filesystem::path path(p.path);
            const std::string rel = path.lexically_normal().generic_string();
            // Outside the root (absolute, or "../"): not the lints' to look at.
            if (path.is_absolute() || rel == ".." || rel.rfind("../", 0) == 0)
                continue;
            std::string clean = rel;
            while (clean.size() > 1 && clean.back() == '/')
                clean.pop_back();
            if (clean == "." || files.is_directory(clean) || files.read(clean))
                continue;
            out.push_back(make_warning(
                p.where, "config/watch-path-missing",
                fmt::format("watch path '{}' of {} does not exist: nothing there is watched",
                            p.path, type.name),
                {}, "watch paths are relative to the root; a folder made later is not watched"));
        }
    }
    return out;
}

}  // namespace procrun
