#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "procrun/posix/fd.hpp"

namespace boost::asio {
class io_context;
}

namespace procrun::posix {

// A tiny process, forked by `procrun start` before it spawns anything, that
// stops the app when procrun dies without stopping it itself (SIGKILL, a crash,
// the OOM killer). procrun tells it, through a pipe only the two of them hold,
// every process group it starts (with its stop signal and timeout) and every
// group that is gone; at a normal end it sends a clean-exit record. When the
// pipe reaches end-of-file without that record, procrun has died: the guardian
// sends each recorded group its stop signal and SIGCONT, waits up to each
// one's timeout for it to vanish, sends SIGKILL to what is left, and exits.
//
// The guardian is a plain fork(), not an exec: it runs only async-signal-safe
// system calls on memory of its own (a fixed table), never touching procrun's
// heap, Asio state or stdio, and needs no path to the procrun binary (which an
// upgrade may have replaced). It leads a session (and process group) of its
// own, so that a SIGKILL sent to procrun's whole group or session does not kill
// it too (and a Ctrl-C or a terminal's hangup does not reach it); it ignores SIGINT, SIGTERM,
// SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1 and SIGUSR2 all the same (someone
// may signal it by pid or by its group), keeps only the pipe's read end with /dev/null on 0, 1 and
// 2 (so a `procrun start | head` still ends), works in
// "/", and shows as `procrun-guard` in ps.
//
// If the Guardian object is destroyed without finish() (an exception unwinding
// run_start), the pipe closes without the clean-exit record and the app is
// stopped as if procrun had died.
class Guardian {
  public:
    Guardian() = default;  // inactive: every call is a no-op
    ~Guardian();
    Guardian(Guardian&&) noexcept;
    Guardian& operator=(Guardian&&) noexcept;
    Guardian(const Guardian&) = delete;
    Guardian& operator=(const Guardian&) = delete;

    // Forks the guardian. Call it while procrun is still single-threaded and
    // before the first child is spawned. Throws std::system_error (pipe2, fork).
    static Guardian start();

    [[nodiscard]] bool active() const { return write_.valid(); }
    [[nodiscard]] pid_t pid() const { return pid_; }
    // False once a record could not be written (the guardian is gone); the
    // error number is then in error().
    [[nodiscard]] bool healthy() const { return error_ == 0; }
    [[nodiscard]] int error() const { return error_; }

    // Group `pgid` is to be stopped with `stop_signal`, then SIGKILL after
    // `timeout`, should procrun die. Call right after spawning its leader.
    void track_group(pid_t pgid, int stop_signal, std::chrono::milliseconds timeout);
    // Likewise for one process outside every tracked group (one that left its
    // group with setsid or setpgid).
    void track_process(pid_t pid, int stop_signal, std::chrono::milliseconds timeout);
    // The group (or process) is gone: forget it, so that a later group with the
    // same number is not taken for it.
    void untrack(pid_t id);
    // From now on, untrack records wait until the handlers `io` already has
    // ready have run, and go in one write: a stop of thousands of groups wakes
    // the guardian a few times instead of once per group. A track record, and
    // release(), send the waiting ones first (in order). The Guardian must not
    // be moved after this.
    void defer_untracks(boost::asio::io_context& io);
    // Sends the records waiting (defer_untracks).
    void flush();
    // Everything has stopped: the guardian exits without signalling anything,
    // while procrun tears down (so that its exit overlaps procrun's own).
    void release();
    // procrun ends normally: release(), then wait (at most half a second) for
    // the guardian to exit, so it is not left a zombie.
    void finish();

    // The on-disk form of one record (16 bytes, below PIPE_BUF, so each write is
    // atomic). Exposed for the tests.
    enum class Kind : int { group = 1, process = 2, untrack = 3, clean_exit = 4 };
    struct Record {
        Kind kind;
        int id;  // pgid or pid
        int signal;
        int timeout_ms;
    };

  private:
    void send(const Record& record);
    void write_all(const char* p, std::size_t left);

    Fd write_;
    pid_t pid_ = -1;
    int error_ = 0;
    boost::asio::io_context* io_ = nullptr;
    std::vector<Record> waiting_;  // untrack records not written yet
    bool flush_posted_ = false;
};

// One process that is a descendant of procrun but in none of its groups.
struct Escapee {
    pid_t pid = -1;
    pid_t pgid = -1;
    std::string command;  // its command line, arguments separated by spaces
};

// `pid`'s command line, arguments separated by spaces ("[comm]" for a kernel
// thread or a process without one), from /proc.
std::string command_line(pid_t pid);

// Makes procrun a child subreaper (PR_SET_CHILD_SUBREAPER): a process whose
// parent exits is reparented to procrun instead of init, so the Reaper reaps it
// and escaped_processes() can still find it. Returns false (errno set) when
// the kernel refuses.
bool become_subreaper();

// Every live descendant of this process (children, their children, and
// processes reparented to it as a subreaper) whose process group is none of
// `groups`, except the processes in `exclude` (the guardian) and their
// descendants. These are processes that left their instance's group (setsid,
// `--daemonize`): signalling the groups does not reach them. Read from /proc.
std::vector<Escapee> escaped_processes(const std::vector<pid_t>& groups,
                                       const std::vector<pid_t>& exclude);

// For a child between fork and exec (async-signal-safe): asks the kernel to
// send `signal` to it when procrun dies (PR_SET_PDEATHSIG), then checks that
// `parent` has not already died before the request took effect. Returns false
// with errno set (ESRCH: the parent is already gone) when the child must not
// go on.
bool set_parent_death_signal(int signal, pid_t parent);

}  // namespace procrun::posix
