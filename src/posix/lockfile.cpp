#include "procrun/posix/lockfile.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace procrun::posix {

Fd lock_file(const std::filesystem::path& path, bool create, int& error) {
    // The previous holder removes the file when it exits; a lock taken on a
    // file that is no longer at the path is worthless, so then try again.
    for (int attempt = 0; attempt < 16; ++attempt) {
        Fd fd(::open(path.c_str(),
                     O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | (create ? O_CREAT : 0), 0600));
        if (!fd.valid()) {
            error = errno;
            return Fd();
        }
        struct stat held {};
        if (::fstat(fd.get(), &held) != 0) {
            error = errno;
            return Fd();
        }
        if (held.st_uid != ::geteuid()) {
            error = EPERM;
            return Fd();
        }
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
            error = errno;
            return error == EWOULDBLOCK ? std::move(fd) : Fd();
        }
        struct stat at_path {};
        if (::lstat(path.c_str(), &at_path) != 0 || held.st_ino != at_path.st_ino ||
            held.st_dev != at_path.st_dev) {
            continue;
        }
        error = 0;
        return fd;
    }
    error = EAGAIN;
    return Fd();
}

bool rewrite(int fd, std::string_view text) {
    return ::ftruncate(fd, 0) == 0 &&
           ::pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size());
}

std::string read_head(int fd, std::size_t limit) {
    std::string buf(limit, '\0');
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return buf;
}

bool remove_file(const std::filesystem::path& path) {
    return ::unlink(path.c_str()) == 0;
}

void set_cloexec(int fd) {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0)
        ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

std::optional<uid_t> peer_uid(int fd) {
    struct ucred peer {};
    socklen_t len = sizeof(peer);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0)
        return std::nullopt;
    return peer.uid;
}

bool peer_closed(int fd) {
    pollfd p{fd, 0, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

}  // namespace procrun::posix
