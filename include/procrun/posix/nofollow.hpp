#pragma once

// Files below a directory, reached without following symbolic links.
//
// A directory is opened once (its own path may hold links: the user named it);
// every name below it is then one component, opened with openat(O_NOFOLLOW),
// created with mkdirat, removed with unlinkat and replaced with renameat, all
// relative to the directory's descriptor. A link planted anywhere below the
// directory is never followed: opening through it fails with ELOOP, and
// removing or renaming it touches the link, never what it points at.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "procrun/posix/fd.hpp"

namespace procrun::posix {

// What is at a name, without following a link there.
struct Entry {
    enum class Kind { missing, regular, directory, symlink, other };
    Kind kind = Kind::missing;
    uid_t uid = 0;
    unsigned mode = 0;  // permission bits
    std::uint64_t size = 0;
    std::uint64_t links = 0;
};

// mkdir -p: every missing directory of `path` is created with `mode` (exactly,
// whatever the umask). Links in `path` are followed: the caller named it.
// Returns 0 or the errno of the first failure (ENOTDIR when `path` is not a
// directory).
int make_directories(const std::filesystem::path& path, unsigned mode);

// The effective uid: whose files are trusted.
uid_t effective_uid();
// This process's pid.
pid_t own_pid();

// What is at `path`, without following a link there; nullopt with errno set
// when lstat fails (ENOENT: nothing).
std::optional<Entry> entry_at(const std::filesystem::path& path);

// Creates one directory with exactly `mode` (whatever the umask); returns 0,
// or the errno (EEXIST when something is there already).
int make_directory(const std::filesystem::path& path, unsigned mode);

// What an open descriptor is; nullopt with errno set when fstat fails.
std::optional<Entry> entry_of(int fd);

// Writes all of `data` (retrying on EINTR and short writes); returns 0, or the
// errno of the failure (EIO when the kernel took nothing). `written` counts
// the bytes that did go out.
int write_all(int fd, std::string_view data, std::size_t& written);

// True when `error` is what opening through a symbolic link with O_NOFOLLOW
// reports.
bool is_link_error(int error);

// An open directory. Failing calls throw std::system_error with the call and
// the path shown to the user (the directory's path joined with the name).
class Dir {
  public:
    // Opens `path` as a directory (O_DIRECTORY, links in it followed).
    explicit Dir(const std::filesystem::path& path);
    Dir(Fd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::filesystem::path path_of(std::string_view name) const {
        return path_ / name;
    }

    // The subdirectory `name` (one component), never through a link. When it
    // is missing and `create_mode` is set, it is created with that mode.
    // Returns nullopt with `error` set (ELOOP: a link, ENOTDIR: not a
    // directory, ENOENT: missing) instead of throwing.
    std::optional<Dir> subdir(std::string_view name, std::optional<unsigned> create_mode,
                              int& error, bool* created = nullptr) const;

    [[nodiscard]] Entry stat(std::string_view name) const;

    // openat(name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode); -1 and errno on failure.
    [[nodiscard]] int open(std::string_view name, int flags, unsigned mode = 0) const;

    // Reads a regular file of at most `limit` bytes; nullopt with errno set
    // otherwise (EINVAL: not a regular file, EFBIG: too big). `info`, when
    // given, receives what the opened file is (owner, mode...).
    std::optional<std::string> read(std::string_view name, std::size_t limit,
                                    Entry* info = nullptr) const;

    // Writes `content` to `name` atomically: a new temporary file in this
    // directory (mode `mode` exactly), written, synced and renamed over `name`.
    void write_atomically(std::string_view name, std::string_view content, unsigned mode) const;

    // unlinkat; false with errno set on failure. Removes a link itself.
    bool unlink(std::string_view name) const;
    // unlinkat(AT_REMOVEDIR); false with errno set on failure (ENOTEMPTY...).
    bool rmdir(std::string_view name) const;
    // renameat within this directory; false with errno set on failure.
    bool rename(std::string_view from, std::string_view to) const;

  private:
    Fd fd_;
    std::filesystem::path path_;
};

}  // namespace procrun::posix
