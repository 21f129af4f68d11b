#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "procrun/posix/spawn.hpp"  // first: it includes what Boost.Process needs

#include <array>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "procrun/posix/guardian.hpp"
#include "procrun/posix/limits.hpp"
#include "procrun/posix/signals.hpp"
#include "procrun/shell.hpp"

#if __has_include(<linux/close_range.h>)
#include <linux/close_range.h>
#endif

namespace procrun::posix {

namespace {

constexpr const char* kShell = "/bin/sh";

// Marks every descriptor from 3 up close-on-exec.
int cloexec_from_3() {
#if defined(CLOSE_RANGE_CLOEXEC)
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return -1;
#endif
    const long max = ::sysconf(_SC_OPEN_MAX);
    for (int fd = 3; fd < (max > 0 ? max : 65536); ++fd)
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

// In the child, with signals still blocked: a signal that was meant for
// procrun (sent to its group before the child left it) is dropped by setting
// it to be ignored, instead of acting on the child once unblocked.
void discard_pending_signals() {
    sigset_t pending;
    if (::sigpending(&pending) != 0)
        return;
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP && sigismember(&pending, sig) == 1)
            ::sigaction(sig, &ignore, nullptr);
    }
}

// Runs in the child between vfork and exec, with every signal blocked: system
// calls only (the child shares procrun's memory until it execs). Returns false
// with errno set when a step fails.
bool child_setup(const SpawnOptions& options, pid_t parent) {
    if (options.pty_slave >= 0) {
        // A new session, so that the terminal can become its controlling
        // terminal (TIOCSCTTY needs a session leader without one); the
        // session's process group is the child's own, as with setpgid(0, 0).
        // The terminal's foreground group is now the child's.
        if (::setsid() < 0 || ::ioctl(options.pty_slave, TIOCSCTTY, 0) != 0)
            return false;
    } else if (::setpgid(0, 0) != 0) {
        return false;
    }
    if (options.foreground_tty >= 0) {
        // A background group may not take the terminal unless SIGTTOU is ignored;
        // the reset below restores it.
        ::signal(SIGTTOU, SIG_IGN);
        if (::tcsetpgrp(options.foreground_tty, ::getpgrp()) != 0)
            return false;
    }
    if (options.stdin_fd >= 0 && ::dup2(options.stdin_fd, 0) < 0)
        return false;
    const int output = options.pty_slave >= 0 ? options.pty_slave : options.output_fd;
    if (output >= 0 && (::dup2(output, 1) < 0 || ::dup2(output, 2) < 0))
        return false;
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0)
        return false;
    discard_pending_signals();
    reset_signals_for_exec();
    if (options.parent_death_signal > 0 &&
        !set_parent_death_signal(options.parent_death_signal, parent))
        return false;
    if (!restore_fd_limit(options.nofile_soft))
        return false;
    return cloexec_from_3() == 0;
}

// Blocks every signal for its lifetime: the child of a vfork must never run
// procrun's handlers (it shares procrun's memory), and starts with them
// blocked until its setup has reset their dispositions.
class BlockSignals {
  public:
    BlockSignals() {
        sigset_t all;
        sigfillset(&all);
        ::pthread_sigmask(SIG_BLOCK, &all, &old_);
    }
    ~BlockSignals() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
    BlockSignals(const BlockSignals&) = delete;
    BlockSignals& operator=(const BlockSignals&) = delete;

  private:
    sigset_t old_{};
};

// What the child executes, prepared before the vfork (the child allocates nothing).
struct Exec {
    std::string script;
    std::vector<const char*> envp;
    std::array<const char*, 4> argv{};

    explicit Exec(const SpawnOptions& options) : script(exec_form(options.command)) {
        envp.reserve(options.env.size() + 1);
        for (const auto& e : options.env)
            envp.push_back(e.c_str());
        envp.push_back(nullptr);
        argv = {kShell, "-c", script.c_str(), nullptr};
    }
};

[[noreturn]] void child_main(const SpawnOptions& options, const Exec& exec, pid_t parent,
                             volatile int* error) {
    if (child_setup(options, parent))
        ::execve(kShell, const_cast<char* const*>(exec.argv.data()),
                 const_cast<char* const*>(exec.envp.data()));
    *error = errno != 0 ? errno : EINVAL;
    ::_exit(127);
}

}  // namespace

pid_t spawn_detached(const SpawnOptions& options) {
    if (options.pty_slave >= 0 && (options.output_fd >= 0 || options.foreground_tty >= 0))
        throw std::invalid_argument("spawn_shell: pty_slave excludes output_fd and foreground_tty");
    const Exec exec(options);
    const pid_t parent = ::getpid();
    volatile int error = 0;  // written by the child, which shares this memory until it execs
    pid_t pid = -1;
    {
        const BlockSignals blocked;
        // vfork: the child borrows procrun's memory and procrun waits until it
        // has exec'd (or failed): no page tables copied, no pipe to report an
        // error, no scheduling round trip before the next spawn.
        pid = ::vfork();
        if (pid == 0)
            child_main(options, exec, parent, &error);
    }
    if (pid < 0)
        throw std::system_error(errno, std::generic_category(), "vfork");
    if (error != 0) {
        // The child failed before exec and exited: reap it.
        ::waitpid(pid, nullptr, 0);
        std::string what = "cannot start " + std::string(kShell);
        if (!options.cwd.empty())
            what += " in " + options.cwd.string();
        throw std::system_error(error, std::generic_category(), what);
    }
    return pid;
}

Spawned spawn_shell(Executor executor, const SpawnOptions& options) {
    const pid_t pid = spawn_detached(options);
    return Spawned{pid, ProcessHandle(executor, pid)};
}

}  // namespace procrun::posix
