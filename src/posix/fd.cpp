#include "procrun/posix/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace procrun::posix {

Pipe make_pipe(bool nonblocking_read) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
    Pipe p{Fd(fds[0]), Fd(fds[1])};
    if (nonblocking_read) {
        const int flags = ::fcntl(fds[0], F_GETFL);
        if (flags < 0 || ::fcntl(fds[0], F_SETFL, flags | O_NONBLOCK) != 0) {
            throw std::system_error(errno, std::generic_category(), "fcntl(O_NONBLOCK)");
        }
    }
    return p;
}

Fd open_dev_null() {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "open /dev/null");
    return Fd(fd);
}

void ensure_standard_fds() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        // open() returns the lowest free number: this one.
        const int opened = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (opened >= 0 && opened != fd)
            ::close(opened);
    }
}

}  // namespace procrun::posix

namespace procrun::posix {

void set_pipe_size(int fd, int bytes) {
    ::fcntl(fd, F_SETPIPE_SZ, bytes);
}

int pipe_size(int fd) {
    const int n = ::fcntl(fd, F_GETPIPE_SZ);
    return n > 0 ? n : 0;
}

OutputFd nonblocking_output(int fd) {
    OutputFd out;
    out.fd = fd;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
        return out;
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        const std::string self = "/proc/self/fd/" + std::to_string(fd);
        const int own = ::open(self.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (own >= 0)
            return OutputFd{own, true, std::nullopt};
    }
    const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (dup < 0)
        return out;  // keep blocking writes on the original
    const int flags = ::fcntl(dup, F_GETFL);
    if (flags < 0 || ::fcntl(dup, F_SETFL, flags | O_NONBLOCK) != 0) {
        ::close(dup);
        return out;
    }
    out.fd = dup;
    out.owned = true;
    if ((flags & O_NONBLOCK) == 0)
        out.restore_flags = flags;
    return out;
}

void set_status_flags(int fd, int flags) {
    ::fcntl(fd, F_SETFL, flags);
}

void close_fd(int fd) {
    ::close(fd);
}

ssize_t write_some(int fd, const char* data, std::size_t size) {
    ssize_t n;
    do {
        n = ::write(fd, data, size);
    } while (n < 0 && errno == EINTR);
    return n;
}

bool is_terminal(int fd) {
    return ::isatty(fd) == 1;
}

ssize_t read_some(int fd, char* buf, std::size_t size) {
    ssize_t n;
    do {
        n = ::read(fd, buf, size);
    } while (n < 0 && errno == EINTR);
    return n;
}

}  // namespace procrun::posix
