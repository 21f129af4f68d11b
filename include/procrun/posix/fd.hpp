#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <optional>
#include <utility>

namespace procrun::posix {

// An owned file descriptor: closed on destruction, move-only.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    [[nodiscard]] int get() const { return fd_; }
    [[nodiscard]] bool valid() const { return fd_ >= 0; }
    // Gives up ownership.
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = fd;
    }

  private:
    int fd_ = -1;
};

struct Pipe {
    Fd read;
    Fd write;
};

// A close-on-exec pipe (pipe2 with O_CLOEXEC); the read end is non-blocking
// when `nonblocking_read`. Throws std::system_error naming the call.
Pipe make_pipe(bool nonblocking_read);

// Opens /dev/null for reading, close-on-exec.
Fd open_dev_null();

// Asks for a pipe buffer of `bytes` (F_SETPIPE_SZ); best effort: the
// system's limit may be lower.
void set_pipe_size(int fd, int bytes);
// The pipe's buffer size (F_GETPIPE_SZ); 0 when `fd` does not say (a terminal).
int pipe_size(int fd);

// One read(2), retried after EINTR: bytes read, 0 at end-of-file, -1 with
// errno set (EAGAIN when nothing is there now).
ssize_t read_some(int fd, char* buf, std::size_t size);

// A descriptor for writing, without blocking, to what `fd` refers to (procrun's
// stdout): for a pipe or terminal a new open of /proc/self/fd/N, so the
// descriptor shared with others keeps its flags; else a duplicate set
// O_NONBLOCK, whose old flags `restore_flags` holds to put back. A regular
// file or block device (never "full"), or a failure, gives `fd` itself, owned
// by nobody and left blocking.
struct OutputFd {
    int fd = -1;
    bool owned = false;
    std::optional<int> restore_flags;
};
OutputFd nonblocking_output(int fd);
// fcntl(F_SETFL) and close(2), their errors ignored.
void set_status_flags(int fd, int flags);
void close_fd(int fd);
// One write(2), retried after EINTR: bytes written, or -1 with errno set.
ssize_t write_some(int fd, const char* data, std::size_t size);

// Whether `fd` is a terminal (isatty).
bool is_terminal(int fd);

// Opens /dev/null on whichever of 0, 1 and 2 is closed, so that no pipe or
// file procrun opens later can take one of those numbers.
void ensure_standard_fds();

}  // namespace procrun::posix
