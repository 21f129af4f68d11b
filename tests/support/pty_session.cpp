#include "pty_session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace procrun::test {

using namespace std::chrono;

namespace {

[[noreturn]] void fail(const char* call) {
    throw std::system_error(errno, std::generic_category(), call);
}

std::vector<std::string> environment(const RunOptions& o) {
    std::map<std::string, std::string> env;
    if (!o.clear_env) {
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string s = *e;
            const auto eq = s.find('=');
            if (eq != std::string::npos)
                env[s.substr(0, eq)] = s.substr(eq + 1);
        }
    } else if (const char* path = std::getenv("PATH")) {
        env["PATH"] = path;
    }
    env["TERM"] = "xterm";
    for (const auto& k : o.unset_env)
        env.erase(k);
    for (const auto& kv : o.set_env) {
        const auto eq = kv.find('=');
        env[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : env)
        out.push_back(k + "=" + v);
    return out;
}

}  // namespace

PtySession::PtySession(const std::vector<std::string>& argv, const RunOptions& options,
                       unsigned short rows, unsigned short cols) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0)
        fail("posix_openpt");
    if (::grantpt(master_) != 0 || ::unlockpt(master_) != 0)
        fail("grantpt/unlockpt");
    char name[128];
    if (::ptsname_r(master_, name, sizeof name) != 0)
        fail("ptsname_r");
    resize(rows, cols);

    std::vector<std::string> env = environment(options);
    std::vector<char*> envp;
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> argp;
    for (auto& a : args)
        argp.push_back(a.data());
    argp.push_back(nullptr);
    const std::string cwd = options.cwd.string();

    pid_ = ::fork();
    if (pid_ < 0)
        fail("fork");
    if (pid_ == 0) {
        // A new session, whose controlling terminal is the slave opened first.
        ::setsid();
        const int slave = ::open(name, O_RDWR);
        if (slave < 0)
            _exit(126);
        ::ioctl(slave, TIOCSCTTY, 0);
        termios modes{};
        if (::tcgetattr(slave, &modes) == 0) {
            modes.c_lflag |= ICANON | ECHO | ISIG;
            modes.c_iflag |= ICRNL;
            modes.c_oflag |= OPOST | ONLCR;
            ::tcsetattr(slave, TCSANOW, &modes);
        }
        ::dup2(slave, 0);
        ::dup2(slave, 1);
        ::dup2(slave, 2);
        if (slave > 2)
            ::close(slave);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP, SIGCHLD})
            ::signal(sig, SIG_DFL);
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0)
            _exit(125);
        ::execvpe(argp[0], argp.data(), envp.data());
        _exit(127);
    }
    const int flags = ::fcntl(master_, F_GETFL);
    ::fcntl(master_, F_SETFL, flags | O_NONBLOCK);
}

PtySession::~PtySession() {
    if (!reaped_ && pid_ > 0) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0)
        ::close(master_);
}

void PtySession::write(std::string_view bytes) {
    std::size_t done = 0;
    const auto deadline = steady_clock::now() + seconds(30);
    while (done < bytes.size()) {
        const ssize_t n = ::write(master_, bytes.data() + done, bytes.size() - done);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            fail("write to the pseudo-terminal");
        if (steady_clock::now() > deadline)
            throw std::runtime_error("write to the pseudo-terminal: nobody reads it");
        pump(milliseconds(10));  // the program may be blocked writing output
    }
}

// Reads what is there within `budget`; false once the terminal is closed (EIO).
bool PtySession::pump(milliseconds budget) {
    pollfd pfd{master_, POLLIN, 0};
    const int r = ::poll(&pfd, 1, static_cast<int>(budget.count()));
    if (r <= 0)
        return true;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(master_, buf, sizeof buf);
        if (n > 0) {
            output_.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && errno == EAGAIN;
    }
}

bool PtySession::wait_for(std::string_view text, milliseconds timeout, std::size_t from) {
    const auto deadline = steady_clock::now() + timeout;
    for (;;) {
        if (output_.size() > from && output_.find(text, from) != std::string::npos)
            return true;
        const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
        if (left.count() <= 0)
            return false;
        if (!pump(std::min(left, milliseconds(100))) && reap(false))
            return output_.find(text, from) != std::string::npos;
    }
}

void PtySession::settle(milliseconds duration) {
    const auto deadline = steady_clock::now() + duration;
    while (steady_clock::now() < deadline) {
        const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
        if (!pump(std::max(left, milliseconds(1))) && reap(false))
            return;
    }
}

std::size_t PtySession::count(std::string_view text) const {
    std::size_t n = 0;
    for (auto at = output_.find(text); at != std::string::npos; at = output_.find(text, at + 1))
        ++n;
    return n;
}

void PtySession::resize(unsigned short rows, unsigned short cols) {
    winsize ws{};
    ws.ws_row = rows;
    ws.ws_col = cols;
    if (::ioctl(master_, TIOCSWINSZ, &ws) != 0)
        fail("ioctl(TIOCSWINSZ)");
}

void PtySession::signal(int sig) const {
    if (!reaped_ && pid_ > 0)
        ::kill(pid_, sig);
}

bool PtySession::reap(bool block) {
    if (reaped_)
        return true;
    const pid_t r = ::waitpid(pid_, &status_, block ? 0 : WNOHANG);
    if (r == pid_)
        reaped_ = true;
    return reaped_;
}

int PtySession::wait_exit(milliseconds timeout) {
    const auto deadline = steady_clock::now() + timeout;
    while (!reap(false)) {
        if (steady_clock::now() > deadline)
            return -1;
        pump(milliseconds(50));
    }
    // What it wrote last is still in the terminal.
    while (pump(milliseconds(50)) && output_.size() < output_.max_size()) {
        pollfd pfd{master_, POLLIN, 0};
        if (::poll(&pfd, 1, 0) <= 0)
            break;
    }
    if (WIFEXITED(status_))
        return WEXITSTATUS(status_);
    if (WIFSIGNALED(status_))
        return 128 + WTERMSIG(status_);
    return -1;
}

}  // namespace procrun::test
