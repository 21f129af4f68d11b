#include "supervisor/focus.hpp"

#include <boost/asio/post.hpp>

#include <cerrno>

#include "procrun/posix/fd.hpp"
#include "procrun/posix/input.hpp"

namespace procrun {

namespace asio = boost::asio;

FocusInput::FocusInput(asio::io_context& io, Launcher& launcher, std::size_t id, std::string name,
                       Announce announce, int fd)
    : io_(io),
      in_(io),
      launcher_(launcher),
      id_(id),
      name_(std::move(name)),
      announce_(std::move(announce)),
      fd_(fd),
      terminal_(posix::is_terminal(fd)) {}

FocusInput::~FocusInput() {
    // procrun's stdin is not ours to close.
    if (in_.is_open())
        in_.release();
}

void FocusInput::start() {
    boost::system::error_code ec;
    in_.assign(fd_, ec);  // a regular file or /dev/null cannot be waited on (EPERM)
    pollable_ = !ec;
    if (terminal_) {
        announce_("lines typed here go to " + name_ +
                  "'s stdin; Ctrl-D ends its input, Ctrl-C stops everything");
    }
    arm();
}

void FocusInput::resume() {
    if (!done_ && !armed_)
        arm();
}

void FocusInput::arm() {
    if (done_ || armed_)
        return;
    armed_ = true;
    if (!pollable_) {
        asio::post(io_, [this] {
            armed_ = false;
            read_now();
        });
        return;
    }
    in_.async_wait(asio::posix::descriptor_base::wait_read,
                   [this](const boost::system::error_code& ec) {
                       armed_ = false;
                       if (!ec)
                           read_now();
                   });
}

void FocusInput::read_now() {
    // In the background of its terminal procrun leaves it to the foreground
    // job; fg (SIGCONT) brings it back here through resume().
    if (terminal_ && posix::in_terminal_background(fd_))
        return;
    const ssize_t n = posix::read_some(fd_, buf_.data(), buf_.size());
    if (n > 0) {
        forward(std::string_view(buf_.data(), static_cast<std::size_t>(n)));
        arm();
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        arm();
        return;
    }
    if (n == 0) {
        ended();
        return;
    }
    // EIO: the terminal hung up, or procrun cannot read it.
    done_ = true;
}

void FocusInput::forward(std::string_view bytes) {
    if (launcher_.write_input(id_, bytes)) {
        dropping_ = false;
        return;
    }
    if (!dropping_)
        announce_(name_ + " takes no input now (not running, its stdin ended, or " +
                  std::to_string(kInputQueueLimit / 1024) +
                  " KiB are waiting to be read): what is typed is dropped");
    dropping_ = true;
}

// Ctrl-D on a terminal ends the instance's input and the terminal is read
// on; the end of a pipe or file ends both.
void FocusInput::ended() {
    launcher_.end_input(id_);
    if (terminal_ && !posix::terminal_hung_up(fd_)) {
        announce_("end of input (Ctrl-D) sent to " + name_);
        arm();
        return;
    }
    done_ = true;
}

}  // namespace procrun
