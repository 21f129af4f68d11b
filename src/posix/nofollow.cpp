#include "procrun/posix/nofollow.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <random>
#include <system_error>

namespace procrun::posix {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(int error, const char* call, const fs::path& path) {
    throw std::system_error(error, std::generic_category(),
                            fmt::format("{} {}", call, path.string()));
}

std::string c_name(std::string_view name) {
    return std::string(name);
}

Entry from_stat(const struct stat& st) {
    Entry e;
    if (S_ISREG(st.st_mode))
        e.kind = Entry::Kind::regular;
    else if (S_ISDIR(st.st_mode))
        e.kind = Entry::Kind::directory;
    else if (S_ISLNK(st.st_mode))
        e.kind = Entry::Kind::symlink;
    else
        e.kind = Entry::Kind::other;
    e.uid = st.st_uid;
    e.mode = st.st_mode & 07777;
    e.size = static_cast<std::uint64_t>(st.st_size);
    e.links = static_cast<std::uint64_t>(st.st_nlink);
    return e;
}

}  // namespace

int make_directories(const fs::path& path, unsigned mode) {
    fs::path at;
    for (const auto& part : path) {
        at /= part;
        if (::mkdir(at.c_str(), static_cast<mode_t>(mode)) == 0) {
            // The umask may have taken bits away.
            if (::chmod(at.c_str(), static_cast<mode_t>(mode)) != 0)
                return errno;
            continue;
        }
        if (errno != EEXIST)
            return errno;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

std::optional<Entry> entry_of(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return std::nullopt;
    return from_stat(st);
}

int write_all(int fd, std::string_view data, std::size_t& written) {
    written = 0;
    while (written < data.size()) {
        const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
        if (n > 0) {
            written += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 ? errno : EIO;
    }
    return 0;
}

uid_t effective_uid() {
    return ::geteuid();
}

pid_t own_pid() {
    return ::getpid();
}

std::optional<Entry> entry_at(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
        return std::nullopt;
    return from_stat(st);
}

int make_directory(const fs::path& path, unsigned mode) {
    if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0)
        return errno;
    return ::chmod(path.c_str(), static_cast<mode_t>(mode)) == 0 ? 0 : errno;
}

bool is_link_error(int error) {
    return error == ELOOP || error == EMLINK;
}

Dir::Dir(const fs::path& path)
    : fd_(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)), path_(path) {
    if (!fd_.valid())
        fail(errno, "open", path);
}

std::optional<Dir> Dir::subdir(std::string_view name, std::optional<unsigned> create_mode,
                               int& error, bool* created) const {
    const std::string n = c_name(name);
    if (created != nullptr)
        *created = false;
    for (int attempt = 0; attempt < 2; ++attempt) {
        const int fd =
            ::openat(fd_.get(), n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            return Dir(Fd(fd), path_ / name);
        error = errno;
        if (error != ENOENT || !create_mode || attempt > 0)
            break;
        if (::mkdirat(fd_.get(), n.c_str(), static_cast<mode_t>(*create_mode)) != 0) {
            if (errno != EEXIST) {
                error = errno;
                return std::nullopt;
            }
        } else {
            if (created != nullptr)
                *created = true;
        }
    }
    // O_NOFOLLOW | O_DIRECTORY on a link says ELOOP on Linux; say the same for
    // ENOTDIR when the name is a link, whatever the kernel reported.
    if (error == ENOTDIR && stat(name).kind == Entry::Kind::symlink)
        error = ELOOP;
    return std::nullopt;
}

Entry Dir::stat(std::string_view name) const {
    struct stat st {};
    if (::fstatat(fd_.get(), c_name(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return Entry{};
        fail(errno, "stat", path_of(name));
    }
    return from_stat(st);
}

int Dir::open(std::string_view name, int flags, unsigned mode) const {
    return ::openat(fd_.get(), c_name(name).c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                    static_cast<mode_t>(mode));
}

std::optional<std::string> Dir::read(std::string_view name, std::size_t limit, Entry* info) const {
    Fd fd(open(name, O_RDONLY | O_NONBLOCK));
    if (!fd.valid())
        return std::nullopt;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return std::nullopt;
    if (info != nullptr)
        *info = from_stat(st);
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return std::nullopt;
    }
    std::string text;
    char buf[16384];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return std::nullopt;
        if (n == 0)
            return text;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > limit) {
            errno = EFBIG;
            return std::nullopt;
        }
    }
}

void Dir::write_atomically(std::string_view name, std::string_view content, unsigned mode) const {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    std::string tmp;
    Fd fd;
    for (int attempt = 0; attempt < 100 && !fd.valid(); ++attempt) {
        tmp = fmt::format(".{}.tmp-{:012x}", name, random() & 0xffffffffffffULL);
        fd.reset(open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600));
        if (!fd.valid() && errno != EEXIST)
            fail(errno, "create", path_of(tmp));
    }
    if (!fd.valid())
        fail(EEXIST, "create", path_of(tmp));
    struct Cleanup {
        const Dir& dir;
        const std::string& name;
        bool done = false;
        ~Cleanup() {
            if (!done)
                ::unlinkat(dir.fd_.get(), name.c_str(), 0);
        }
    } guard{*this, tmp};
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0)
        fail(errno, "fchmod", path_of(tmp));
    const char* p = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        const ssize_t n = ::write(fd.get(), p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail(errno, "write", path_of(tmp));
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0)
        fail(errno, "fsync", path_of(tmp));
    if (::close(fd.release()) != 0)
        fail(errno, "close", path_of(tmp));
    if (!rename(tmp, name))
        fail(errno, "rename", path_of(name));
    guard.done = true;
}

bool Dir::unlink(std::string_view name) const {
    return ::unlinkat(fd_.get(), c_name(name).c_str(), 0) == 0;
}

bool Dir::rmdir(std::string_view name) const {
    return ::unlinkat(fd_.get(), c_name(name).c_str(), AT_REMOVEDIR) == 0;
}

bool Dir::rename(std::string_view from, std::string_view to) const {
    return ::renameat(fd_.get(), c_name(from).c_str(), fd_.get(), c_name(to).c_str()) == 0;
}

}  // namespace procrun::posix
