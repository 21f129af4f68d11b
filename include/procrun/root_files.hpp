#pragma once

#include <map>
#include <optional>
#include <string>

namespace procrun {

// Read-only access to the files under a project root that the lints look at
// (Python modules for gunicorn, requirements.txt, puma's config). Paths are
// relative to the root, '/'-separated and lexically normal ("app/wsgi.py").
// The lints never read the disk themselves: `procrun check` passes the loader's
// view of the real directory (DirectoryFiles), tests pass MemoryFiles.
class RootFiles {
  public:
    virtual ~RootFiles() = default;
    // The content of a regular file, or nullopt when there is none (or it
    // cannot be read).
    [[nodiscard]] virtual std::optional<std::string> read(const std::string& path) const = 0;
    [[nodiscard]] virtual bool is_directory(const std::string& path) const = 0;
};

// Files held in memory; directories are implied by the files' paths.
class MemoryFiles final : public RootFiles {
  public:
    MemoryFiles() = default;
    explicit MemoryFiles(std::map<std::string, std::string> files) : files_(std::move(files)) {}
    void add(std::string path, std::string content) {
        files_[std::move(path)] = std::move(content);
    }

    [[nodiscard]] std::optional<std::string> read(const std::string& path) const override;
    [[nodiscard]] bool is_directory(const std::string& path) const override;

  private:
    std::map<std::string, std::string> files_;
};

}  // namespace procrun
