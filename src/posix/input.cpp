#include "procrun/posix/input.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

#include "procrun/posix/process_group.hpp"

namespace procrun::posix {

namespace {

// The first bytes of a small /proc file; empty when it cannot be read.
std::string read_small(const std::string& path) {
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return {};
    char buf[256];
    const ssize_t n = read_some(fd.get(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// "NR ARG0 ARG1 ...": the system call `pid` is blocked in, and its first argument.
bool in_read_of_fd0(pid_t pid) {
    const std::string text = read_small("/proc/" + std::to_string(pid) + "/syscall");
    if (text.empty())
        return false;
    char* end = nullptr;
    const long nr = std::strtol(text.c_str(), &end, 10);
    if (end == text.c_str() || *end != ' ')
        return false;  // "running", or -1: not in a system call
    if (nr != SYS_read && nr != SYS_readv && nr != SYS_pread64)
        return false;
    const unsigned long long fd = std::strtoull(end + 1, nullptr, 16);
    return fd == 0;
}

bool stdin_is_ours(pid_t pid, const struct stat& ours, bool terminal) {
    struct stat st {};
    const std::string path = "/proc/" + std::to_string(pid) + "/fd/0";
    if (::stat(path.c_str(), &st) != 0)
        return false;
    if (terminal)
        return S_ISCHR(st.st_mode);
    return S_ISFIFO(st.st_mode) && st.st_ino == ours.st_ino && st.st_dev == ours.st_dev;
}

}  // namespace

Pipe make_input_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
    Pipe p{Fd(fds[0]), Fd(fds[1])};
    const int flags = ::fcntl(fds[1], F_GETFL);
    if (flags < 0 || ::fcntl(fds[1], F_SETFL, flags | O_NONBLOCK) != 0)
        throw std::system_error(errno, std::generic_category(), "fcntl(O_NONBLOCK)");
    return p;
}

bool in_terminal_background(int fd) {
    if (::isatty(fd) != 1)
        return false;
    const pid_t foreground = ::tcgetpgrp(fd);
    return foreground > 0 && foreground != ::getpgrp();
}

int unread_bytes(int fd) {
    int n = 0;
    return ::ioctl(fd, FIONREAD, &n) == 0 ? n : 0;
}

bool group_running(pid_t pgid) {
    for (const pid_t pid : live_group_members(pgid)) {
        const auto stat = read_proc_stat(std::to_string(pid).c_str());
        if (stat && stat->state == 'R')
            return true;
    }
    return false;
}

bool terminal_hung_up(int fd) {
    return ::tcgetpgrp(fd) < 0;
}

char terminal_eof_char(int master) {
    termios modes{};
    if (::tcgetattr(master, &modes) != 0 || modes.c_cc[VEOF] == _POSIX_VDISABLE)
        return '\x04';
    return static_cast<char>(modes.c_cc[VEOF]);
}

bool waiting_for_input(pid_t pgid, int stdin_writer, bool terminal) {
    struct stat ours {};
    if (pgid <= 0 || ::fstat(stdin_writer, &ours) != 0)
        return false;
    const auto waiting = [&](pid_t pid) {
        return in_read_of_fd0(pid) && stdin_is_ours(pid, ours, terminal);
    };
    if (waiting(pgid))
        return true;
    for (const pid_t pid : live_group_members(pgid)) {
        if (pid != pgid && waiting(pid))
            return true;
    }
    return false;
}

}  // namespace procrun::posix
