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
// status to its callback, from the loop. Children it does not know of are
// orphans reparented to procrun (it is a child subreaper, or PID 1): they are
// reaped and counted, so no zombie is ever left.
class Reaper {
  public:
    explicit Reaper(boost::asio::io_context& io);
    Reaper(const Reaper&) = delete;
    Reaper& operator=(const Reaper&) = delete;

    // Calls `on_exit(status)` once, from the loop, when child `pid` exits
    // (`status` as from waitpid). Call it right after spawning, before the loop
    // runs again.
    void watch(pid_t pid, std::function<void(int status)> on_exit);
    // Stops waiting for `pid` (it will be reaped as an orphan).
    void forget(pid_t pid);

    [[nodiscard]] std::size_t orphans_reaped() const { return orphans_; }
    [[nodiscard]] std::size_t watched() const { return watched_.size(); }

    // Reaps whatever has exited now (also done on every SIGCHLD).
    void reap();

  private:
    void wait_signal();

    boost::asio::signal_set sigchld_;
    std::unordered_map<pid_t, std::function<void(int)>> watched_;
    std::size_t orphans_ = 0;
};

}  // namespace procrun::posix
