#include "procrun/posix/tty.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace procrun::posix {

TerminalHandover::TerminalHandover() {
    if (::isatty(0) != 1 || ::tcgetpgrp(0) != ::getpgrp())
        return;
    if (::tcgetattr(0, &modes_) != 0)
        return;
    active_ = true;
    // Taking the terminal back from the background needs SIGTTOU ignored.
    ::signal(SIGTTOU, SIG_IGN);
    ::signal(SIGTTIN, SIG_IGN);
}

TerminalHandover::~TerminalHandover() {
    take_back();
}

void TerminalHandover::take_back() {
    if (!active_)
        return;
    ::tcsetpgrp(0, ::getpgrp());
    ::tcsetattr(0, TCSADRAIN, &modes_);
}

void TerminalHandover::suspend(pid_t child) {
    if (!active_)
        return;
    termios child_modes{};
    ::tcgetattr(0, &child_modes);
    take_back();
    ::kill(::getpid(), SIGSTOP);
    if (::tcgetpgrp(0) == ::getpgrp()) {
        ::tcsetattr(0, TCSADRAIN, &child_modes);
        ::tcsetpgrp(0, child);
    }
    ::kill(-child, SIGCONT);
}

bool is_stopped_now(pid_t pid) {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WSTOPPED | WNOHANG) == 0 &&
           info.si_pid == pid && info.si_code == CLD_STOPPED;
}

void write_message(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace procrun::posix
