#include "procrun/posix/pty.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace procrun::posix {

namespace {

[[noreturn]] void fail(const char* call) {
    throw std::system_error(errno, std::generic_category(), call);
}

Fd open_slave(int master) {
#if defined(TIOCGPTPEER)
    // Opens the slave of this very master, with no path to race on.
    const int peer = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (peer >= 0)
        return Fd(peer);
    if (errno != EINVAL && errno != ENOTTY)
        fail("ioctl(TIOCGPTPEER)");
#endif
    char name[128];
    if (::ptsname_r(master, name, sizeof name) != 0)
        fail("ptsname_r");
    const int fd = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        fail("open pseudo-terminal slave");
    return Fd(fd);
}

}  // namespace

WindowSize terminal_window_size() {
    for (const int fd : {1, 2, 0}) {
        WindowSize ws{};
        if (::isatty(fd) == 1 && ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
            ws.ws_col > 0) {
            return ws;
        }
    }
    WindowSize ws{};
    ws.ws_row = kDefaultRows;
    ws.ws_col = kDefaultColumns;
    return ws;
}

PtyChannel open_pty(const WindowSize& window) {
    // O_NOCTTY: procrun never takes the terminal as its own controlling terminal,
    // even when it is a session leader without one.
    Fd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master.valid())
        fail("posix_openpt");
    const int flags = ::fcntl(master.get(), F_GETFL);
    if (flags < 0 || ::fcntl(master.get(), F_SETFL, flags | O_NONBLOCK) != 0)
        fail("fcntl(O_NONBLOCK)");
    if (::grantpt(master.get()) != 0)
        fail("grantpt");
    if (::unlockpt(master.get()) != 0)
        fail("unlockpt");
    Fd slave = open_slave(master.get());

    termios modes{};
    if (::tcgetattr(slave.get(), &modes) != 0)
        fail("tcgetattr");
    // Nothing is typed into this terminal; echo would only send input back out.
    modes.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL);
    // As a real terminal: "\n" out becomes "\r\n"; nothing else is translated.
    modes.c_oflag |= OPOST | ONLCR;
    modes.c_oflag &= ~static_cast<tcflag_t>(OCRNL | ONOCR | ONLRET | OFILL | TABDLY);
    if (::tcsetattr(slave.get(), TCSANOW, &modes) != 0)
        fail("tcsetattr");
    if (!set_window_size(master.get(), window))
        fail("ioctl(TIOCSWINSZ)");
    return PtyChannel{std::move(master), std::move(slave)};
}

PtyChannel open_pty() {
    return open_pty(terminal_window_size());
}

bool set_window_size(int master, const WindowSize& window) {
    return ::ioctl(master, TIOCSWINSZ, &window) == 0;
}

WindowSize window_size(int master) {
    WindowSize ws{};
    if (::ioctl(master, TIOCGWINSZ, &ws) != 0)
        fail("ioctl(TIOCGWINSZ)");
    return ws;
}

}  // namespace procrun::posix
