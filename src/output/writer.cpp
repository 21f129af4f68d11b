#include "output/writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace procrun {

namespace {

// At most this much per write(2): a terminal takes big writes slowly.
constexpr std::size_t kMaxWrite = 1024 * 1024;

}  // namespace

OutputWriter::OutputWriter(boost::asio::io_context& io, int fd)
    : io_(io), fd_(fd), terminal_(::isatty(fd) == 1) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
        return;
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        const std::string self = "/proc/self/fd/" + std::to_string(fd);
        const int own = ::open(self.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (own >= 0) {
            fd_ = own;
            owns_fd_ = true;
            return;
        }
    }
    const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (dup < 0)
        return;  // keep blocking writes on the original
    const int flags = ::fcntl(dup, F_GETFL);
    if (flags < 0 || ::fcntl(dup, F_SETFL, flags | O_NONBLOCK) != 0) {
        ::close(dup);
        return;
    }
    if ((flags & O_NONBLOCK) == 0)
        restore_flags_ = flags;
    fd_ = dup;
    owns_fd_ = true;
}

OutputWriter::~OutputWriter() {
    if (waiter_) {
        // The descriptor object owns fd_ from here on.
        boost::system::error_code ignored;
        waiter_->cancel(ignored);
        if (restore_flags_)
            ::fcntl(fd_, F_SETFL, *restore_flags_);
        return;
    }
    if (restore_flags_)
        ::fcntl(fd_, F_SETFL, *restore_flags_);
    if (owns_fd_)
        ::close(fd_);
}

void OutputWriter::flush(OutputBuffer& buffer) {
    if (error_ != 0) {
        buffer.clear();
        return;
    }
    if (waiting_)
        return;
    while (!buffer.empty()) {
        const std::string_view pending = buffer.pending();
        const ssize_t n = ::write(fd_, pending.data(), std::min(pending.size(), kMaxWrite));
        if (n >= 0) {
            buffer.consume(static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wait_writable(buffer);
            return;
        }
        fail(buffer, errno);
        return;
    }
}

void OutputWriter::wait_writable(OutputBuffer& buffer) {
    if (!waiter_) {
        boost::system::error_code ec;
        waiter_.emplace(io_);
        waiter_->assign(fd_, ec);
        if (ec) {
            fail(buffer, ec.value());
            return;
        }
        owns_fd_ = false;  // closed by the descriptor object
    }
    waiting_ = true;
    waiter_->async_wait(boost::asio::posix::descriptor_base::wait_write,
                        [this, &buffer](const boost::system::error_code& ec) {
                            waiting_ = false;
                            if (ec == boost::asio::error::operation_aborted)
                                return;
                            flush(buffer);
                            if (on_progress_)
                                on_progress_();
                        });
}

void OutputWriter::fail(OutputBuffer& buffer, int err) {
    error_ = err;
    buffer.clear();
    if (on_error_)
        on_error_(err);
}

void write_stderr(std::string_view text) {
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(2, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

}  // namespace procrun
