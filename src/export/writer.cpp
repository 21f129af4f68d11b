// The one writer of exported files: atomic writes, and a manifest per app so a
// later export removes exactly what an earlier one wrote and no longer needs.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "procrun/export.hpp"

namespace fs = std::filesystem;

namespace procrun {

namespace {

[[noreturn]] void fail(const char* call, const fs::path& path) {
    throw std::system_error(errno, std::generic_category(),
                            fmt::format("{} {}", call, path.string()));
}

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

// Writes `content` to `path` through a temporary file in the same directory.
void write_atomically(const fs::path& path, const std::string& content, unsigned mode) {
    std::string tmpl =
        (path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0)
        fail("mkstemp", tmpl);
    struct Cleanup {
        int fd;
        const std::string& name;
        bool done = false;
        ~Cleanup() {
            if (fd >= 0)
                ::close(fd);
            if (!done)
                ::unlink(name.c_str());
        }
    } guard{fd, tmpl};
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0)
        fail("fchmod", tmpl);
    const char* p = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("write", tmpl);
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0)
        fail("fsync", tmpl);
    const int closing = guard.fd;
    guard.fd = -1;
    if (::close(closing) != 0)
        fail("close", tmpl);
    if (::rename(tmpl.c_str(), path.c_str()) != 0)
        fail("rename", path);
    guard.done = true;
}

std::vector<std::string> read_manifest(const fs::path& path) {
    std::vector<std::string> entries;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line.front() == '#')
            continue;
        entries.push_back(line);
    }
    return entries;
}

}  // namespace

WriteResult write_export(
    const fs::path& dir, std::string_view app, const std::vector<ExportedFile>& files,
    const std::function<void(const std::string& what, const fs::path& path)>& on_path) {
    for (const auto& f : files) {
        if (!safe_relative(f.path) || f.path.back() == '/') {
            throw std::invalid_argument(
                fmt::format("export file path '{}' is not a relative path inside the export "
                            "directory",
                            f.path));
        }
    }
    std::error_code ec;
    if (!fs::is_directory(dir)) {
        fs::create_directories(dir, ec);
        if (ec)
            throw std::system_error(ec, fmt::format("mkdir {}", dir.string()));
    }
    const fs::path manifest = dir / export_manifest_name(app);
    const std::vector<std::string> old = read_manifest(manifest);
    const std::set<std::string> old_set(old.begin(), old.end());

    WriteResult result;
    std::set<std::string> new_files;
    std::set<std::string> our_dirs;  // directories this export relies on and owns
    for (const auto& f : files) {
        // Parent directories, outermost first.
        std::string rel;
        std::size_t pos = 0;
        while ((pos = f.path.find('/', pos)) != std::string::npos) {
            rel = f.path.substr(0, pos) + "/";
            const fs::path abs = dir / f.path.substr(0, pos);
            if (!fs::is_directory(abs)) {
                if (::mkdir(abs.c_str(), 0755) != 0 && errno != EEXIST)
                    fail("mkdir", abs);
                our_dirs.insert(rel);
            } else if (old_set.count(rel) != 0) {
                our_dirs.insert(rel);
            }
            ++pos;
        }
        const fs::path abs = dir / f.path;
        write_atomically(abs, f.content, f.mode);
        new_files.insert(f.path);
        result.written.push_back(f.path);
        if (on_path)
            on_path("wrote", abs);
    }

    // Stale files of the previous export, then its directories left empty
    // (deepest first).
    std::vector<std::string> stale_dirs;
    for (const auto& entry : old) {
        if (!safe_relative(entry.back() == '/' ? entry.substr(0, entry.size() - 1) : entry)) {
            continue;
        }
        if (entry.back() == '/') {
            if (our_dirs.count(entry) == 0)
                stale_dirs.push_back(entry);
            continue;
        }
        if (new_files.count(entry) != 0)
            continue;
        const fs::path abs = dir / entry;
        const auto st = fs::symlink_status(abs, ec);
        if (ec || st.type() == fs::file_type::directory || st.type() == fs::file_type::not_found) {
            continue;
        }
        if (::unlink(abs.c_str()) != 0 && errno != ENOENT)
            fail("unlink", abs);
        result.removed.push_back(entry);
        if (on_path)
            on_path("removed", abs);
    }
    std::sort(stale_dirs.begin(), stale_dirs.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const auto& d : stale_dirs) {
        const fs::path abs = dir / d.substr(0, d.size() - 1);
        if (fs::is_directory(fs::symlink_status(abs, ec)) && fs::is_empty(abs, ec) && !ec) {
            if (::rmdir(abs.c_str()) == 0) {
                result.removed.push_back(d);
                if (on_path)
                    on_path("removed", abs);
                continue;
            }
        }
        // Still holding something (a supervisor's state, say): keep owning it so
        // a later export can remove it once it is empty.
        if (fs::is_directory(fs::symlink_status(abs, ec)))
            our_dirs.insert(d);
    }

    std::ostringstream m;
    m << "# Written by procrun export for " << app
      << ": the files below are removed by the next export of " << app
      << " that no longer produces them.\n";
    for (const auto& d : our_dirs)
        m << d << "\n";
    for (const auto& f : files)
        m << f.path << "\n";
    write_atomically(manifest, m.str(), 0644);
    return result;
}

}  // namespace procrun
