// `procrun run`: one command in the foreground, the way a shell runs a job.
// The child leads its own process group; when procrun's stdin is the
// terminal it is in the foreground of, the child's group becomes the
// terminal's foreground group before it execs (so Ctrl-C, Ctrl-\ and window
// size changes reach it directly and it may read the terminal), and procrun
// takes the terminal and its modes back afterwards. A signal that means
// "stop" (SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGALRM... every one whose default
// action ends a process, but SIGUSR1 and SIGUSR2) goes to the child's whole
// group, the `sh -c` included, so that `a; b` does not go on to run `b` after
// `a` was stopped. SIGUSR1, SIGUSR2 and SIGWINCH are passed on past the shell
// (forward_to_group), which would otherwise die of them and leave the program
// running. When the child is stopped (Ctrl-Z),
// procrun stops too, so the shell gets the terminal back; when continued, it
// hands the terminal back and continues the child.

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <functional>
#include <optional>

#include "procrun/posix/fd.hpp"
#include "procrun/posix/process_group.hpp"
#include "procrun/posix/signals.hpp"
#include "procrun/posix/spawn.hpp"
#include "procrun/posix/tty.hpp"
#include "procrun/supervisor.hpp"

namespace procrun {

namespace {

namespace asio = boost::asio;

}  // namespace

int run_foreground(const ForegroundOptions& options) {
    posix::ensure_standard_fds();
    posix::set_supervisor_dispositions();
    asio::io_context io;
    // Installed before the child exists, so none of these is lost.
    asio::signal_set signals(io);
    // A signal that cannot be caught here (valgrind keeps SIGRT32 for itself)
    // is left at its default: the rest are still handled.
    for (int sig : posix::foreground_signals()) {
        boost::system::error_code ignored;
        signals.add(sig, ignored);
    }
    signals.add(SIGCHLD);
    posix::TerminalHandover terminal;

    posix::SpawnOptions spawn;
    spawn.command = options.command;
    spawn.env = options.env.to_strings();
    spawn.cwd = options.cwd;
    spawn.foreground_tty = terminal.tty();
    std::optional<posix::Spawned> child;
    try {
        child.emplace(posix::spawn_shell(io.get_executor(), spawn));
    } catch (const std::exception& e) {
        terminal.take_back();
        posix::write_message(2, std::string("procrun: ") + e.what() + "\n");
        return kExitSupervisorFailed;
    }
    const pid_t pid = child->pid;

    std::optional<ExitStatus> status;
    child->handle.async_wait([&](const boost::system::error_code& ec, int native) {
        status =
            ec ? ExitStatus::exited(kExitSupervisorFailed) : ExitStatus::from_wait_status(native);
        signals.cancel();
    });

    std::function<void()> wait_signal = [&] {
        signals.async_wait([&](const boost::system::error_code& ec, int sig) {
            if (ec || status)
                return;
            if (sig == SIGCHLD) {
                if (posix::is_stopped_now(pid))
                    terminal.suspend(pid);
            } else if (sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGWINCH) {
                posix::forward_to_group(pid, sig);
            } else {
                posix::signal_group(pid, sig);
            }
            wait_signal();
        });
    };
    wait_signal();
    io.run();
    terminal.take_back();
    return status ? status->shell_code() : kExitSupervisorFailed;
}

}  // namespace procrun
