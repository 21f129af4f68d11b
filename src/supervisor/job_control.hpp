#pragma once

// What `procrun start` does about job control and signals aimed at single
// processes, apart from the policy: suspending and resuming the whole app
// with procrun (Ctrl-Z, `fg`), telling about a child stopped because it
// touched the terminal, `procrun signal`, and leaving the terminal as it was.

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/control.hpp"

namespace procrun {

class JobControl {
  public:
    struct Hooks {
        std::function<std::vector<pid_t>()> groups;  // every process group that may be alive
        std::function<void(const std::string&)> announce;
        std::function<void()> flush;  // write what is pending before procrun stops
    };
    explicit JobControl(Hooks hooks) : hooks_(std::move(hooks)) {}

    // SIGTSTP: suspends every group as a shell suspends a job, then procrun
    // itself; SIGCONT after that: continues every group. True when `signal`
    // was one of the two.
    bool on_signal(int signal);

    // A child was stopped by `signal` (0: continued): a child that touched the
    // terminal (SIGTTIN, SIGTTOU) is announced.
    void on_child_stopped(const std::string& name, int signal);

  private:
    Hooks hooks_;
    bool suspended_ = false;
};

// What `procrun status` shows for a process stopped by `signal`:
// "stopped(SIGTTIN)", one word like every state.
std::string stopped_state(int signal);

// The line procrun prints when `name` is stopped by SIGTTIN or SIGTTOU.
std::string terminal_stop_message(const std::string& name, int signal);

// `procrun signal`: sends `signal` to each target with `send(i)` (which
// returns the pids that got it, as forward_to_group does) and says which pids
// got it; `status_of(i)` is the instance's status.
ControlReply signal_instances(int signal, const std::vector<std::size_t>& targets,
                              const std::function<std::vector<int>(std::size_t)>& send,
                              const std::function<InstanceStatus(std::size_t)>& status_of);

// Bytes that undo what a child on a pseudo-terminal may have left on procrun's
// terminal: attributes reset, cursor shown.
std::string_view terminal_restore_sequence();

}  // namespace procrun
