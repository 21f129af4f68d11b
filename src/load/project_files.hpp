#pragma once

// Private to the loader: what is at a path, reading a file with a size limit,
// showing paths the way the user wrote them, and the Procfile's near misses.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace procrun::project_detail {

// What stands at a path, following symbolic links.
enum class PathKind {
    missing,        // nothing, not even a link
    regular,        // a regular file (or a link to one)
    directory,      // a directory (or a link to one)
    other,          // a FIFO, socket, device...
    dangling_link,  // a symbolic link to nothing; `detail` is its target
    link_loop,      // symbolic links that point back into their own chain
    no_access,      // the path cannot be looked at; `detail` says why
};

struct PathProbe {
    PathKind kind = PathKind::missing;
    std::string detail;
};

PathProbe probe_path(const std::filesystem::path& path);

// Why a path that is there cannot be read as a file: for the kinds a link or a
// permission causes (dangling_link, link_loop, no_access). `what` names the
// file ("env file"; empty for the Procfile, whose name says it), `prefix` the
// diagnostic code's family.
struct Problem {
    std::string code;
    std::string message;
    std::string hint;
};
// "env file '.env'", or "'Procfile'" when `what` is empty.
std::string named(std::string_view what, const std::string& shown);
std::optional<Problem> link_problem(const PathProbe& probe, std::string_view prefix,
                                    std::string_view what, const std::string& shown);

// Why `path`, the folder of `root` a working_dir names, cannot be one: it is
// missing, not a directory, a broken link, or a link that leads out of the
// root. Nullopt when it is fine.
std::optional<Problem> working_dir_problem(const std::filesystem::path& root,
                                           const std::filesystem::path& path,
                                           const std::string& shown);

// Reads a whole file of at most `limit` bytes. On failure `text` is empty and
// `problem` says why (code `PREFIX/unreadable` or `PREFIX/too-large`).
struct FileText {
    std::optional<std::string> text;
    Problem problem;
};
FileText read_text_file(const std::filesystem::path& path, std::uintmax_t limit,
                        std::string_view prefix, std::string_view what, const std::string& shown);

// Paths as the user would write them: relative to the current directory when
// under it, else absolute.
class PathDisplay {
  public:
    explicit PathDisplay(std::filesystem::path cwd) : cwd_(std::move(cwd)) {}
    [[nodiscard]] std::string operator()(const std::filesystem::path& p) const;
    // "the current directory (/abs)" for ".", else the path.
    [[nodiscard]] std::string describe_dir(const std::filesystem::path& dir) const;
    [[nodiscard]] const std::filesystem::path& cwd() const { return cwd_; }

  private:
    std::filesystem::path cwd_;
};

// A hint per near miss, in the same order.
std::vector<std::string> near_miss_hints(const std::vector<std::string>& found);

// The names a Procfile appears to define: the leading run of name characters
// of every line that is not blank or a comment.
std::vector<std::string> loose_names(std::string_view text);

}  // namespace procrun::project_detail
