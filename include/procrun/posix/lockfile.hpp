#pragma once

// Lock files and Unix-socket details for the control socket: an exclusive
// flock on a file opened without following a link, and the peer checks of a
// connected socket.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "procrun/posix/fd.hpp"

namespace procrun::posix {

// Takes an exclusive, non-blocking flock on `path`, created 0600 when missing
// and never through a symbolic link. A lock taken on a file that was replaced
// at the path meanwhile is retried. Returns the locked descriptor, or an
// invalid Fd with `error` set: EWOULDBLOCK when another process holds it,
// ELOOP for a link, EPERM for a file owned by another uid, else the errno.
Fd lock_file(const std::filesystem::path& path, bool create, int& error);

// Replaces a lock file's contents (it is locked by us).
bool rewrite(int fd, std::string_view text);
// The first bytes of an open file (at most `limit`), "" when unreadable.
std::string read_head(int fd, std::size_t limit);

// unlink(2); false with errno set.
bool remove_file(const std::filesystem::path& path);

// Marks a descriptor close-on-exec.
void set_cloexec(int fd);

// The uid of a connected Unix socket's peer (SO_PEERCRED); nullopt with errno set.
std::optional<uid_t> peer_uid(int fd);

// Whether the peer of a connected stream socket has closed it entirely
// (POLLHUP), as a client that gave up does. A peer that only shut down its
// writing side (it still waits for the reply) is not closed.
bool peer_closed(int fd);

}  // namespace procrun::posix
