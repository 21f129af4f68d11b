#include "procrun/posix/reaper.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <utility>

namespace procrun::posix {

Reaper::Reaper(boost::asio::io_context& io) : sigchld_(io, SIGCHLD) {
    wait_signal();
}

void Reaper::watch(pid_t pid, std::function<void(int)> on_exit) {
    watched_[pid] = std::move(on_exit);
}

void Reaper::forget(pid_t pid) {
    watched_.erase(pid);
    stopped_.erase(pid);
}

void Reaper::wait_signal() {
    sigchld_.async_wait([this](const boost::system::error_code& ec, int /*signal*/) {
        if (ec)
            return;  // cancelled: the reaper is going away
        // Re-armed first, so that a callback that throws does not stop reaping.
        wait_signal();
        reap();
    });
}

void Reaper::reap() {
    // SIGCHLDs coalesce: one signal may stand for many exits, so collect until
    // nothing more has exited (0) or there is no child at all (ECHILD).
    bool reaped = false;
    for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG | WUNTRACED | WCONTINUED);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            break;
        if (WIFSTOPPED(status) || WIFCONTINUED(status)) {
            // Reported once per change; the process lives on.
            if (watched_.count(pid) != 0) {
                const int sig = WIFSTOPPED(status) ? WSTOPSIG(status) : 0;
                if (sig != 0)
                    stopped_[pid] = sig;
                else
                    stopped_.erase(pid);
                if (on_stopped_)
                    on_stopped_(pid, sig);
            }
            continue;
        }
        stopped_.erase(pid);
        reaped = true;
        auto it = watched_.find(pid);
        if (it == watched_.end()) {
            ++orphans_;
            if (on_orphan_)
                on_orphan_(pid, status);
            continue;
        }
        // Out of the map before the call: the callback may watch() a new pid.
        std::function<void(int)> on_exit = std::move(it->second);
        watched_.erase(it);
        if (on_exit)
            on_exit(status);
    }
    if (reaped && after_reap_)
        after_reap_();
}

}  // namespace procrun::posix
