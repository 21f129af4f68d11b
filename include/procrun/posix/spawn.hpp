#pragma once

#include <sys/resource.h>
#include <sys/types.h>

// Boost.Process 1.81 headers are not self-contained: with BOOST_PROCESS_USE_STD_FS
// it names boost::optional without including it, and process.hpp must come
// before the other headers. Include Boost.Process through this header.
#include <boost/optional.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/process/v2/process.hpp>  // before any other Boost.Process header

#include <filesystem>
#include <string>
#include <vector>

namespace procrun::posix {

using Executor = boost::asio::io_context::executor_type;
using ProcessHandle = boost::process::v2::basic_process_handle<Executor>;

struct SpawnOptions {
    std::string command;           // run as `/bin/sh -c COMMAND`
    std::vector<std::string> env;  // the whole environment, "KEY=value"
    std::filesystem::path cwd;     // empty: procrun's own
    int stdin_fd = -1;             // dup'ed onto 0; -1 keeps procrun's
    int output_fd = -1;            // dup'ed onto 1 and 2; -1 keeps procrun's
    // A terminal whose foreground process group the child's group becomes
    // (before exec, so the child never runs in the background); -1: none.
    int foreground_tty = -1;
    // The slave of a pseudo-terminal (open_pty in posix/pty.hpp) that becomes
    // the child's controlling terminal and its stdout and stderr, in place of
    // output_fd; -1: none. The child then leads a new session (setsid) instead
    // of only a new process group: the session, its one process group and the
    // child share its pid, so signalling the group -pid works the same. When
    // the child exits, the kernel sends SIGHUP (and SIGCONT) to the terminal's
    // foreground group: processes it left in its group get SIGHUP, as at a
    // terminal whose shell exits. Cannot be combined with output_fd or
    // foreground_tty.
    int pty_slave = -1;
    // Sent to the child when procrun dies (PR_SET_PDEATHSIG, checked against a
    // death between fork and prctl); 0: none.
    int parent_death_signal = 0;
    // The child's soft RLIMIT_NOFILE, set before exec (procrun raises its own,
    // see posix/limits.hpp); 0: procrun's.
    rlim_t nofile_soft = 0;
};

struct Spawned {
    pid_t pid = -1;
    ProcessHandle handle;  // async_wait() reaps; destroying it never kills the child
};

// Starts `/bin/sh -c COMMAND` as the leader of a new process group (of a new
// session with a pty_slave), with default signal dispositions, an empty signal
// mask and no file descriptor but 0, 1 and 2 (everything else is made
// close-on-exec with close_range). The child is made with vfork: it shares
// procrun's memory until its exec, with every signal blocked meanwhile, and
// procrun goes on once it has exec'd; a failure in the child before exec is
// reported through that shared memory. A signal sent to procrun's group before
// the child left it is discarded, not taken by the child. Returns its pid, for
// the Reaper to wait on. Throws std::system_error naming what failed;
// std::invalid_argument for pty_slave with output_fd or foreground_tty.
pid_t spawn_detached(const SpawnOptions& options);

// The same, with a handle (a pidfd in the loop of `executor`) whose
// async_wait() reaps it; destroying the handle never kills the child.
Spawned spawn_shell(Executor executor, const SpawnOptions& options);

}  // namespace procrun::posix
