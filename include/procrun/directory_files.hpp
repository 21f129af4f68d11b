#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "procrun/root_files.hpp"

namespace procrun {

// The project root on disk, read-only, as `procrun check`'s lints see it:
// regular files of at most 4 MiB (larger ones are not source code).
class DirectoryFiles final : public RootFiles {
  public:
    explicit DirectoryFiles(std::filesystem::path root) : root_(std::move(root)) {}

    [[nodiscard]] std::optional<std::string> read(const std::string& path) const override;
    [[nodiscard]] bool is_directory(const std::string& path) const override;

  private:
    std::filesystem::path root_;
};

}  // namespace procrun
