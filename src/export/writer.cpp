// The one writer of exported files: atomic writes, and a manifest per app so a
// later export removes exactly what an earlier one wrote and no longer needs.
//
// Every path is resolved below the export directory one component at a time
// without following symbolic links (posix::Dir): a link planted inside the
// directory by someone who can write it never makes the writer create, replace
// or remove anything outside it. A manifest is trusted only when the exporting
// user owns it and nobody else can write it.

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "procrun/export.hpp"
#include "procrun/posix/nofollow.hpp"

namespace fs = std::filesystem;

namespace procrun {

namespace {

using posix::Dir;
using posix::Entry;

constexpr std::size_t kMaxManifest = 16 * 1024 * 1024;

// A relative path that stays inside the export directory.
bool safe_relative(std::string_view p) {
    if (p.empty() || p.front() == '/')
        return false;
    std::size_t start = 0;
    while (start <= p.size()) {
        std::size_t end = p.find('/', start);
        if (end == std::string_view::npos)
            end = p.size();
        const std::string_view part = p.substr(start, end - start);
        if (part == ".." || part == ".")
            return false;
        if (part.empty() && end != p.size())
            return false;
        start = end + 1;
    }
    return true;
}

std::string parent_of(const std::string& rel) {
    const std::size_t slash = rel.rfind('/');
    return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

std::string name_of(const std::string& rel) {
    const std::size_t slash = rel.rfind('/');
    return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

// The previous export's entries, or nullopt (with a warning) when the manifest
// cannot be trusted: only a regular file the exporting user owns, writable by
// nobody else, says what may be removed.
std::optional<std::vector<std::string>> read_manifest(const Dir& dir, const std::string& name,
                                                      std::vector<std::string>& warnings) {
    const auto untrusted = [&](const std::string& why) {
        warnings.push_back(fmt::format("not trusting the manifest {}: {}; no old files are removed",
                                       dir.path_of(name).string(), why));
        return std::nullopt;
    };
    Entry info;
    errno = 0;
    const std::optional<std::string> text = dir.read(name, kMaxManifest, &info);
    if (!text) {
        const int error = errno;
        if (error == ENOENT)
            return std::vector<std::string>{};
        if (posix::is_link_error(error))
            return untrusted("it is a symbolic link");
        if (error == EINVAL)
            return untrusted("it is not a regular file");
        return untrusted(std::strerror(error));
    }
    const uid_t me = posix::effective_uid();
    if (info.uid != me)
        return untrusted(
            fmt::format("it is owned by uid {}, not by uid {} (who exports)", info.uid, me));
    if ((info.mode & 022) != 0) {
        return untrusted(
            fmt::format("its mode {:04o} lets group or other users write it", info.mode));
    }
    std::vector<std::string> entries;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line.front() == '#')
            continue;
        entries.push_back(line);
    }
    return entries;
}

// The open directories below the export directory, by relative path ("" for
// the directory itself), reached without following links.
class Tree {
  public:
    explicit Tree(Dir root) { dirs_.emplace(std::string(), std::move(root)); }

    const Dir& root() const { return dirs_.at(std::string()); }

    // The directory `rel` ("a/b"), opened component by component; created
    // (0755) when `create`, each new one added to `created` ("a/", "a/b/").
    // nullopt with `why` set when it is missing (without `create`), a link or
    // not a directory.
    const Dir* open(const std::string& rel, bool create, std::set<std::string>* created,
                    std::string& why) {
        if (const auto it = dirs_.find(rel); it != dirs_.end())
            return &it->second;
        const std::string up = parent_of(rel);
        const Dir* parent = open(up, create, created, why);
        if (parent == nullptr)
            return nullptr;
        int error = 0;
        bool made = false;
        std::optional<Dir> sub = parent->subdir(
            name_of(rel), create ? std::optional<unsigned>(0755) : std::nullopt, error, &made);
        if (!sub) {
            if (error == ENOENT)
                why.clear();
            else if (posix::is_link_error(error))
                why = fmt::format("{} is a symbolic link", root().path_of(rel).string());
            else if (error == ENOTDIR)
                why = fmt::format("{} is not a directory", root().path_of(rel).string());
            else
                why = fmt::format("cannot open {}: {}", root().path_of(rel).string(),
                                  std::strerror(error));
            return nullptr;
        }
        if (made && created != nullptr)
            created->insert(rel + "/");
        return &dirs_.emplace(rel, std::move(*sub)).first->second;
    }

  private:
    std::map<std::string, Dir> dirs_;
};

void check_paths(const std::vector<ExportedFile>& files) {
    for (const auto& f : files) {
        if (!safe_relative(f.path) || f.path.back() == '/') {
            throw std::invalid_argument(
                fmt::format("export file path '{}' is not a relative path inside the export "
                            "directory",
                            f.path));
        }
    }
}

Dir open_export_dir(const fs::path& dir) {
    if (const int error = posix::make_directories(dir, 0755); error != 0)
        throw std::system_error(error, std::generic_category(), "mkdir " + dir.string());
    return Dir(dir);
}

using OnPath = std::function<void(const std::string& what, const fs::path& path)>;

// Removes the previous export's files that this one no longer produces, then
// its directories left empty (deepest first). A listed path that leads through
// a link is refused with a warning; nothing but regular files and links
// themselves is unlinked, and only empty directories are removed.
void remove_stale(Tree& tree, const fs::path& dir, const std::vector<std::string>& old,
                  const std::set<std::string>& new_files, std::set<std::string>& our_dirs,
                  WriteResult& result, const OnPath& on_path) {
    const auto refuse = [&](const std::string& entry, const std::string& why) {
        result.warnings.push_back(fmt::format(
            "not removing {} (listed in the manifest): {}; export removes only inside {} and "
            "never through a link",
            (dir / entry).string(), why, dir.string()));
    };
    std::vector<std::string> stale_dirs;
    for (const auto& entry : old) {
        const bool is_dir = entry.back() == '/';
        const std::string rel = is_dir ? entry.substr(0, entry.size() - 1) : entry;
        if (!safe_relative(rel))
            continue;
        if (is_dir) {
            if (our_dirs.count(entry) == 0)
                stale_dirs.push_back(rel);
            continue;
        }
        if (new_files.count(entry) != 0)
            continue;
        std::string why;
        const Dir* parent = tree.open(parent_of(rel), false, nullptr, why);
        if (parent == nullptr) {
            if (!why.empty())
                refuse(entry, why);
            continue;
        }
        const Entry e = parent->stat(name_of(rel));
        if (e.kind != Entry::Kind::regular && e.kind != Entry::Kind::symlink)
            continue;
        if (!parent->unlink(name_of(rel)) && errno != ENOENT)
            throw std::system_error(errno, std::generic_category(),
                                    "unlink " + (dir / rel).string());
        result.removed.push_back(entry);
        if (on_path)
            on_path("removed", dir / rel);
    }
    std::sort(stale_dirs.begin(), stale_dirs.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const auto& rel : stale_dirs) {
        std::string why;
        const Dir* parent = tree.open(parent_of(rel), false, nullptr, why);
        if (parent == nullptr) {
            if (!why.empty())
                refuse(rel + "/", why);
            continue;
        }
        if (parent->stat(name_of(rel)).kind != Entry::Kind::directory)
            continue;
        if (parent->rmdir(name_of(rel))) {
            result.removed.push_back(rel + "/");
            if (on_path)
                on_path("removed", dir / rel);
            continue;
        }
        // Still holding something (a supervisor's state, say): keep owning it so
        // a later export can remove it once it is empty.
        our_dirs.insert(rel + "/");
    }
}

}  // namespace

WriteResult write_export(
    const fs::path& dir, std::string_view app, const std::vector<ExportedFile>& files,
    const std::function<void(const std::string& what, const fs::path& path)>& on_path) {
    check_paths(files);
    Tree tree(open_export_dir(dir));
    const std::string manifest = export_manifest_name(app);
    WriteResult result;
    const std::vector<std::string> old =
        read_manifest(tree.root(), manifest, result.warnings).value_or(std::vector<std::string>{});
    const std::set<std::string> old_set(old.begin(), old.end());

    // Every directory first, so that a refused one stops the export before any
    // file is written.
    std::set<std::string> our_dirs;  // directories this export relies on and owns
    for (const auto& f : files) {
        std::string why;
        const std::string up = parent_of(f.path);
        if (tree.open(up, true, &our_dirs, why) == nullptr) {
            throw std::runtime_error(fmt::format(
                "refusing to write {}: {}; export writes only inside {} and never through a "
                "link",
                (dir / f.path).string(), why, dir.string()));
        }
        for (std::string at = up; !at.empty(); at = parent_of(at)) {
            if (old_set.count(at + "/") != 0)
                our_dirs.insert(at + "/");
        }
    }
    std::set<std::string> new_files;
    for (const auto& f : files) {
        std::string why;
        tree.open(parent_of(f.path), false, nullptr, why)
            ->write_atomically(name_of(f.path), f.content, f.mode);
        new_files.insert(f.path);
        result.written.push_back(f.path);
        if (on_path)
            on_path("wrote", dir / f.path);
    }
    remove_stale(tree, dir, old, new_files, our_dirs, result, on_path);

    std::ostringstream m;
    m << "# Written by procrun export for " << app
      << ": the files below are removed by the next export of " << app
      << " that no longer produces them.\n";
    for (const auto& d : our_dirs)
        m << d << "\n";
    for (const auto& f : files)
        m << f.path << "\n";
    tree.root().write_atomically(manifest, m.str(), 0644);
    return result;
}

}  // namespace procrun
