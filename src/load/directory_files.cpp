#include "procrun/directory_files.hpp"

#include <fstream>
#include <sstream>

namespace procrun {

namespace fs = std::filesystem;

std::optional<std::string> DirectoryFiles::read(const std::string& path) const {
    constexpr std::uintmax_t kMaxBytes = 4U << 20U;
    std::error_code ec;
    const fs::path full = root_ / path;
    if (!fs::is_regular_file(full, ec) || fs::file_size(full, ec) > kMaxBytes || ec)
        return std::nullopt;
    std::ifstream in(full, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        return std::nullopt;
    return std::move(text).str();
}

bool DirectoryFiles::is_directory(const std::string& path) const {
    std::error_code ec;
    return fs::is_directory(root_ / path, ec);
}

}  // namespace procrun
