#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "procrun/posix/spawn.hpp"  // first: it includes what Boost.Process needs

#include <boost/process/v2/posix/default_launcher.hpp>
#include <boost/process/v2/process.hpp>

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

namespace bp = boost::process::v2;

namespace {

constexpr const char* kShell = "/bin/sh";

bp::error_code last_error() {
    return bp::error_code(errno, bp::system_category());
}

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

// Runs in the child between fork and exec. Every failure returns with errno
// still set: Boost.Process sends errno to the parent through its pipe.
struct ChildSetup {
    const SpawnOptions& options;
    pid_t parent;  // procrun

    bp::error_code on_exec_setup(bp::posix::default_launcher& /*launcher*/,
                                 const bp::filesystem::path& /*exe*/,
                                 const char* const*& /*argv*/) {
        if (options.pty_slave >= 0) {
            // A new session, so that the terminal can become its controlling
            // terminal (TIOCSCTTY needs a session leader without one); the
            // session's process group is the child's own, as with setpgid(0, 0).
            // The terminal's foreground group is now the child's.
            if (::setsid() < 0 || ::ioctl(options.pty_slave, TIOCSCTTY, 0) != 0)
                return last_error();
        } else if (::setpgid(0, 0) != 0) {
            return last_error();
        }
        if (options.foreground_tty >= 0) {
            // A background group may not take the terminal unless SIGTTOU is ignored;
            // the reset below restores it.
            ::signal(SIGTTOU, SIG_IGN);
            if (::tcsetpgrp(options.foreground_tty, ::getpgrp()) != 0)
                return last_error();
        }
        if (options.stdin_fd >= 0 && ::dup2(options.stdin_fd, 0) < 0)
            return last_error();
        const int output = options.pty_slave >= 0 ? options.pty_slave : options.output_fd;
        if (output >= 0) {
            if (::dup2(output, 1) < 0 || ::dup2(output, 2) < 0)
                return last_error();
        }
        if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0)
            return last_error();
        discard_pending_signals();
        reset_signals_for_exec();
        if (options.parent_death_signal > 0 &&
            !set_parent_death_signal(options.parent_death_signal, parent))
            return last_error();
        if (!restore_fd_limit(options.nofile_soft))
            return last_error();
        if (cloexec_from_3() != 0)
            return last_error();
        return {};
    }
};

}  // namespace

namespace {

// Blocks every signal for its lifetime (a child forked meanwhile starts with
// them blocked, until its setup has reset their dispositions).
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

}  // namespace

pid_t spawn_detached(const SpawnOptions& options) {
    static boost::asio::io_context launch_context;
    const BlockSignals blocked;
    return spawn_shell(launch_context.get_executor(), options).pid;
}

Spawned spawn_shell(Executor executor, const SpawnOptions& options) {
    if (options.pty_slave >= 0 && (options.output_fd >= 0 || options.foreground_tty >= 0))
        throw std::invalid_argument("spawn_shell: pty_slave excludes output_fd and foreground_tty");
    std::vector<std::string> env = options.env;
    std::vector<const char*> envp;
    envp.reserve(env.size() + 1);
    for (const auto& e : env)
        envp.push_back(e.c_str());
    envp.push_back(nullptr);

    bp::posix::default_launcher launcher;
    launcher.env = envp.data();
    bp::error_code ec;
    const std::vector<std::string> args{"-c", exec_form(options.command)};
    bp::basic_process<Executor> process =
        launcher(executor, ec, bp::filesystem::path(kShell), args, ChildSetup{options, ::getpid()});
    if (ec) {
        // The child failed before exec and exited: reap it.
        if (launcher.pid > 0)
            ::waitpid(launcher.pid, nullptr, 0);
        std::string what = "cannot start " + std::string(kShell);
        if (!options.cwd.empty())
            what += " in " + options.cwd.string();
        throw std::system_error(ec.value(), std::generic_category(), what);
    }
    const pid_t pid = process.id();
    // Also set the group from this side, so it exists before anyone signals it
    // (a session leader already leads its group, and setpgid would fail on it).
    if (options.pty_slave < 0)
        ::setpgid(pid, pid);
    return Spawned{pid, process.detach()};
}

}  // namespace procrun::posix
