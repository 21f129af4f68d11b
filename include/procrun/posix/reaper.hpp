#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstddef>
#include <functional>
#include <unordered_map>

namespace procrun::posix {

// The one place `procrun start` waits for processes. On SIGCHLD it reaps every
// exited child with waitpid(-1, WNOHANG) and hands each watched pid's wait
// status to its callback, from the loop; it also reports a watched child that
// is stopped or continued (WUNTRACED, WCONTINUED). Children it does not know of are
// orphans reparented to procrun (it is a child subreaper, or PID 1): they are
// reaped and counted, so no zombie is ever left.
//
// A child that exits before it is watched is not lost: it stays a zombie until
// waitpid collects it, and waitpid only runs from the loop (the SIGCHLD
// handler) or from reap(). So watch() must be called synchronously after the
// fork, before control returns to the loop and without a reap() in between;
// then the status always reaches its callback. No status of an unwatched pid is
// kept: an orphan's status is dropped as soon as it is reaped, so nothing
// accumulates and a reused pid can never receive a stale status.
//
// Nothing else in the process may wait for its children (no waitpid(-1), no
// Boost.Process async_wait/wait on a child the reaper watches): whoever reaps
// first takes the status.
class Reaper {
  public:
    explicit Reaper(boost::asio::io_context& io);
    Reaper(const Reaper&) = delete;
    Reaper& operator=(const Reaper&) = delete;

    // Calls `on_exit(status)` once, from the loop, when child `pid` exits
    // (`status` as from waitpid). Call it right after spawning, before the loop
    // runs again. Watching a pid again replaces its callback.
    void watch(pid_t pid, std::function<void(int status)> on_exit);
    // Stops waiting for `pid` (it will be reaped as an orphan).
    void forget(pid_t pid);
    // Called for every orphan reaped (after it is counted), e.g. to report a
    // process that left its group and has now exited. Optional.
    void on_orphan(std::function<void(pid_t pid, int status)> hook) {
        on_orphan_ = std::move(hook);
    }

    // Called once after each pass that reaped at least one process (watched or
    // not), after their callbacks: the moment orphans may have been
    // reparented to procrun. Optional.
    void after_reap(std::function<void()> hook) { after_reap_ = std::move(hook); }

    // Called when a watched child is stopped (`signal`: SIGTSTP, SIGSTOP,
    // SIGTTIN, SIGTTOU...) or continued (`signal` 0). Optional.
    void on_stopped(std::function<void(pid_t pid, int signal)> hook) {
        on_stopped_ = std::move(hook);
    }
    // The signal that stopped watched child `pid`, 0 while it is not stopped.
    [[nodiscard]] int stop_signal(pid_t pid) const {
        auto it = stopped_.find(pid);
        return it == stopped_.end() ? 0 : it->second;
    }

    [[nodiscard]] std::size_t orphans_reaped() const { return orphans_; }
    [[nodiscard]] std::size_t watched() const { return watched_.size(); }
    [[nodiscard]] bool watching(pid_t pid) const { return watched_.count(pid) != 0; }

    // Reaps whatever has exited now (also done on every SIGCHLD). Callbacks run
    // from here; they may watch() and forget() (e.g. to spawn a replacement).
    void reap();

  private:
    void wait_signal();

    boost::asio::signal_set sigchld_;
    std::unordered_map<pid_t, std::function<void(int)>> watched_;
    std::function<void(pid_t, int)> on_orphan_;
    std::function<void()> after_reap_;
    std::function<void(pid_t, int)> on_stopped_;
    std::unordered_map<pid_t, int> stopped_;  // watched children now stopped, by signal
    std::size_t orphans_ = 0;
};

}  // namespace procrun::posix
