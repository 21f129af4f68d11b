#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace procrun::posix {

// Sends `signal` to every process of group `pgid`. A group that no longer
// exists (ESRCH) is not an error. Returns false only for another failure.
bool signal_group(pid_t pgid, int signal);

// Whether group `pgid` has any process left (zombies included).
bool group_exists(pid_t pgid);

// Sends `signal` to process `pid`; false (errno set) when it failed.
bool signal_process(pid_t pid, int signal);

// Passes `signal` on to the processes of group `pgid`, except its leader when
// that is still the `/bin/sh -c` procrun started and the signal's default
// action would kill it (dash does not exec the last command: a SIGUSR1 would
// end the shell, and so the instance, while the program itself handles it).
// A leader that traps or ignores the signal, exec'd the program, or is the
// only process left gets it. Returns how many processes were signalled; their
// pids are appended to `sent_to` when given.
int forward_to_group(pid_t pgid, int signal, std::vector<pid_t>* sent_to = nullptr);

// A process's state, parent and process group, from /proc/PID/stat.
struct ProcStat {
    char state = '?';
    pid_t ppid = 0;
    pid_t pgrp = 0;
};
// `pid` as its /proc directory name; nullopt when the process is gone.
std::optional<ProcStat> read_proc_stat(const char* pid);

// The processes of group `pgid` that have not exited (zombies excluded),
// found by reading /proc.
std::vector<pid_t> live_group_members(pid_t pgid);

// Tells, without polling, when the last process of a group has exited: the
// group's members are found in /proc and each is watched through a pidfd
// (which becomes readable when that process exits, whoever its parent is);
// when all have exited the group is looked at again, since a member may have
// forked meanwhile. Where pidfd_open is unavailable (valgrind) it looks again
// every 50 ms instead.
class GroupWatch {
  public:
    explicit GroupWatch(boost::asio::io_context& io) : io_(io), retry_(io) {}
    GroupWatch(const GroupWatch&) = delete;
    GroupWatch& operator=(const GroupWatch&) = delete;

    // Calls `on_empty` once, from the loop, when group `pgid` has no live process.
    void start(pid_t pgid, std::function<void()> on_empty);
    void cancel();
    [[nodiscard]] bool active() const { return active_; }

  private:
    void scan();
    boost::asio::io_context& io_;
    boost::asio::steady_timer retry_;
    pid_t pgid_ = -1;
    bool active_ = false;
    std::size_t pending_ = 0;
    unsigned generation_ = 0;  // handlers of an earlier scan see a different value
    std::vector<std::unique_ptr<boost::asio::posix::stream_descriptor>> pidfds_;
    std::function<void()> on_empty_;
};

}  // namespace procrun::posix
