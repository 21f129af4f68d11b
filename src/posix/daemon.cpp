#include "procrun/posix/daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <system_error>

namespace procrun::posix {

namespace {

void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = write_some(fd, text.data(), text.size());
        if (n <= 0)
            return;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

// One line from the background procrun: a record, or a message for stderr.
void take_line(std::string_view line, DaemonOutcome& out) {
    if (line.empty() || line.front() != '\0') {
        write_all(2, std::string(line) + "\n");
        return;
    }
    line.remove_prefix(1);
    const auto word = [&](std::string_view w) {
        if (line.substr(0, w.size()) != w)
            return false;
        line.remove_prefix(std::min(line.size(), w.size() + 1));
        return true;
    };
    if (word("pid")) {
        out.pid = static_cast<pid_t>(std::atoi(std::string(line).c_str()));
    } else if (word("say")) {
        out.said.emplace_back(line);
        if (out.said.size() > kMaxSaid)
            out.said.pop_front();
    } else if (word("up")) {
        out.up = true;
    } else if (word("failed")) {
        out.failed = true;
    } else if (word("exit")) {
        out.exit_code = std::atoi(std::string(line).c_str());
    }
}

// The waiting command: reads the pipe until the start is decided (up), or the
// background procrun has ended (its exit record, or end-of-file).
DaemonOutcome wait_for(Fd read_end) {
    DaemonOutcome out;
    std::string buffer;
    char chunk[4096];
    while (!out.up && !out.exit_code) {
        const ssize_t n = read_some(read_end.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EAGAIN)
            continue;
        if (n <= 0)
            break;
        buffer.append(chunk, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (std::size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
            take_line(std::string_view(buffer).substr(start, nl - start), out);
        }
        buffer.erase(0, start);
    }
    if (!buffer.empty() && !out.up)
        take_line(buffer, out);
    return out;
}

}  // namespace

void DaemonReport::record(std::string_view text) {
    if (!pipe_.valid())
        return;
    std::string line;
    line.reserve(text.size() + 2);
    line += '\0';
    for (char c : text)
        line += (c == '\n' || c == '\r') ? ' ' : c;
    line += '\n';
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        const ssize_t n = write_some(pipe_.get(), p, left);
        if (n <= 0) {
            to_log();  // the waiting command is gone (EPIPE): nobody reads any more
            return;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

void DaemonReport::to_log() {
    if (!pipe_.valid())
        return;
    if (log_.valid())
        ::dup2(log_.get(), 2);
    pipe_.reset();
    log_.reset();
}

void DaemonReport::pid(pid_t pid) {
    record("pid " + std::to_string(pid));
}

void DaemonReport::announced(std::string_view text) {
    record("say " + std::string(text));
}

void DaemonReport::up() {
    record("up");
    to_log();
}

void DaemonReport::failed() {
    record("failed");
}

void DaemonReport::exit(int code) {
    record("exit " + std::to_string(code));
    to_log();
}

Daemonized daemonize(const std::filesystem::path& log) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
    Fd read_end(fds[0]);
    Fd write_end(fds[1]);
    const pid_t first = ::fork();
    if (first < 0)
        throw std::system_error(errno, std::generic_category(), "fork");
    Daemonized result;
    if (first > 0) {
        write_end.reset();  // or the pipe would never reach end-of-file
        result.waited = wait_for(std::move(read_end));
        int status = 0;
        while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
        }
        result.waited->fork_failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        return result;
    }
    // The first child: a new session, then the background procrun forked from it.
    read_end.reset();
    if (::setsid() < 0)
        ::_exit(1);
    const pid_t second = ::fork();
    if (second != 0)
        ::_exit(second < 0 ? 1 : 0);
    // The background procrun: not a session leader, so no terminal can become its own.
    Fd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY));
    if (null_fd.valid()) {
        ::dup2(null_fd.get(), 0);
        ::dup2(null_fd.get(), 1);
    }
    ::dup2(write_end.get(), 2);
    Fd pipe(::fcntl(write_end.get(), F_DUPFD_CLOEXEC, 3));
    write_end.reset();
    Fd log_fd(::open(log.c_str(),
                     O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
                     0600));
    if (!log_fd.valid())
        log_fd = std::move(null_fd);
    // A waiting command that is gone makes a record fail with EPIPE, not kill procrun.
    ::signal(SIGPIPE, SIG_IGN);
    result.report = DaemonReport(std::move(pipe), std::move(log_fd));
    result.report.pid(::getpid());
    return result;
}

}  // namespace procrun::posix
