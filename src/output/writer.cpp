#include "procrun/output/writer.hpp"

#include <cerrno>
#include <string>

#include "procrun/posix/fd.hpp"
#include "procrun/posix/tty.hpp"

namespace procrun {

namespace {

// At most this much per write(2): a terminal takes big writes slowly.
constexpr std::size_t kMaxWrite = 1024 * 1024;

}  // namespace

OutputWriter::OutputWriter(boost::asio::io_context& io, int fd)
    : io_(io), fd_(fd), terminal_(posix::is_terminal(fd)) {
    const posix::OutputFd out = posix::nonblocking_output(fd);
    fd_ = out.fd;
    owns_fd_ = out.owned;
    restore_flags_ = out.restore_flags;
}

OutputWriter::~OutputWriter() {
    if (waiter_) {
        // The descriptor object owns fd_ from here on.
        boost::system::error_code ignored;
        waiter_->cancel(ignored);
        if (restore_flags_)
            posix::set_status_flags(fd_, *restore_flags_);
        return;
    }
    if (restore_flags_)
        posix::set_status_flags(fd_, *restore_flags_);
    if (owns_fd_)
        posix::close_fd(fd_);
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
        const ssize_t n =
            posix::write_some(fd_, pending.data(), std::min(pending.size(), kMaxWrite));
        if (n >= 0) {
            buffer.consume(static_cast<std::size_t>(n));
            continue;
        }
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
    posix::write_message(2, text);
}

}  // namespace procrun
