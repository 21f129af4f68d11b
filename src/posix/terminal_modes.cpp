#include "procrun/posix/terminal_modes.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace procrun::posix {

namespace {

bool apply(int fd, const termios& modes) {
    int rc = 0;
    do {
        rc = ::tcsetattr(fd, TCSADRAIN, &modes);
    } while (rc != 0 && errno == EINTR);
    return rc == 0;
}

}  // namespace

TerminalModes::TerminalModes(int fd) : fd_(fd) {
    termios modes{};
    if (::isatty(fd) == 1 && ::tcgetattr(fd, &modes) == 0)
        saved_ = modes;
}

TerminalModes::~TerminalModes() {
    restore();
}

bool TerminalModes::make_raw() {
    if (!saved_)
        return false;
    termios raw = *saved_;
    raw.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
                                          ICRNL | IXON | IXOFF | IXANY);
    raw.c_oflag &= ~static_cast<tcflag_t>(OPOST);
    raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (!apply(fd_, raw))
        return false;
    applied_ = raw;
    changed_ = true;
    return true;
}

bool TerminalModes::end_lines_with(char key) {
    if (!saved_)
        return false;
    termios line = *saved_;
    line.c_lflag |= ICANON;
    line.c_cc[VEOL] = static_cast<cc_t>(key);
    if (!apply(fd_, line))
        return false;
    applied_ = line;
    changed_ = true;
    return true;
}

void TerminalModes::restore() {
    if (saved_ && changed_) {
        apply(fd_, *saved_);
        changed_ = false;
    }
}

void TerminalModes::reapply() {
    if (applied_)
        changed_ = apply(fd_, *applied_) || changed_;
}

std::optional<WindowSize> window_size_of(int fd) {
    WindowSize w{};
    if (::ioctl(fd, TIOCGWINSZ, &w) != 0 || w.ws_row == 0 || w.ws_col == 0)
        return std::nullopt;
    return w;
}

}  // namespace procrun::posix
