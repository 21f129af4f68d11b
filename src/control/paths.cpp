// Where a root's control socket and lock live: a directory private to the user,
// and a name hashed from the canonical root.

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "procrun/control.hpp"
#include "procrun/posix/nofollow.hpp"

namespace procrun {

namespace fs = std::filesystem;

namespace {

// Whether `dir` is a real directory owned by us without group/other access.
bool is_private_directory(const fs::path& dir) {
    const std::optional<posix::Entry> st = posix::entry_at(dir);
    return st && st->kind == posix::Entry::Kind::directory && st->uid == posix::effective_uid() &&
           (st->mode & 077) == 0;
}

}  // namespace

std::uint64_t fnv1a64(std::string_view bytes) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : bytes) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

fs::path canonical_root(const fs::path& root) {
    std::error_code ec;
    fs::path absolute = fs::absolute(root, ec);
    if (ec)
        absolute = root;
    fs::path canonical = fs::weakly_canonical(absolute, ec);
    if (ec)
        canonical = absolute.lexically_normal();
    // "/x/y/" -> "/x/y", so both spellings name the same socket.
    if (!canonical.has_filename() && canonical != canonical.root_path())
        canonical = canonical.parent_path();
    return canonical;
}

std::string root_hash(const fs::path& root) {
    return fmt::format("{:016x}", fnv1a64(canonical_root(root).native()));
}

fs::path control_directory(const Environment& env) {
    if (const std::string* xdg = env.find("XDG_RUNTIME_DIR")) {
        const fs::path dir(*xdg);
        if (dir.is_absolute() && is_private_directory(dir))
            return dir / "procrun";
    }
    fs::path tmp = "/tmp";
    if (const std::string* tmpdir = env.find("TMPDIR")) {
        if (fs::path(*tmpdir).is_absolute())
            tmp = *tmpdir;
    }
    return tmp / fmt::format("procrun-{}", ::geteuid());
}

ControlPaths control_paths(const fs::path& root, const Environment& env) {
    ControlPaths paths;
    paths.root = canonical_root(root);
    paths.directory = control_directory(env);
    const std::string hash = fmt::format("{:016x}", fnv1a64(paths.root.native()));
    paths.socket = paths.directory / (hash + ".sock");
    paths.lock = paths.directory / (hash + ".lock");
    paths.root_lock = paths.root / ".procrun.lock";
    return paths;
}

void check_private_directory(const fs::path& dir) {
    const std::optional<posix::Entry> st = posix::entry_at(dir);
    if (!st) {
        throw ControlError(fmt::format("cannot use the control directory {}: {}", dir.string(),
                                       std::strerror(errno)));
    }
    const uid_t me = posix::effective_uid();
    if (st->kind == posix::Entry::Kind::symlink) {
        throw ControlError(fmt::format(
            "refusing the control directory {}: it is a symbolic link (remove it; procrun "
            "creates a private directory there)",
            dir.string()));
    }
    if (st->kind != posix::Entry::Kind::directory) {
        throw ControlError(
            fmt::format("refusing the control directory {}: it is not a directory", dir.string()));
    }
    if (st->uid != me) {
        throw ControlError(fmt::format(
            "refusing the control directory {}: it is owned by uid {}, not by uid {} (remove it, "
            "or set XDG_RUNTIME_DIR or TMPDIR to a directory of your own)",
            dir.string(), st->uid, me));
    }
    if ((st->mode & 077) != 0) {
        throw ControlError(fmt::format(
            "refusing the control directory {}: its mode {:04o} gives group or other users "
            "access (chmod 700 it)",
            dir.string(), st->mode));
    }
}

void make_private_directory(const fs::path& dir) {
    // A new directory gets exactly 0700, whatever the umask.
    if (const int error = posix::make_directory(dir, 0700); error != 0 && error != EEXIST) {
        throw ControlError(fmt::format("cannot create the control directory {}: {}", dir.string(),
                                       std::strerror(error)));
    }
    check_private_directory(dir);
}

}  // namespace procrun
