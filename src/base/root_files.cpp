// The project root as the lints see it, held in memory (tests, fuzzing).

#include "procrun/root_files.hpp"

namespace procrun {

std::optional<std::string> MemoryFiles::read(const std::string& path) const {
    auto it = files_.find(path);
    if (it == files_.end())
        return std::nullopt;
    return it->second;
}

bool MemoryFiles::is_directory(const std::string& path) const {
    if (path.empty())
        return true;
    const std::string prefix = path + "/";
    auto it = files_.lower_bound(prefix);
    return it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace procrun
