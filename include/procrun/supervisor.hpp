#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "procrun/environment.hpp"
#include "procrun/output.hpp"
#include "procrun/plan.hpp"

namespace procrun {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// How a process ended.
struct ExitStatus {
    int code = 0;    // the exit code, when it exited
    int signal = 0;  // the signal that killed it; 0 when it exited
    bool core_dumped = false;

    static ExitStatus exited(int code) { return ExitStatus{code, 0, false}; }
    static ExitStatus killed(int signal) { return ExitStatus{0, signal, false}; }
    // From a waitpid() status (Boost.Process's native_exit_code()).
    static ExitStatus from_wait_status(int status);

    // The code a shell reports: the exit code, or 128 + the signal.
    [[nodiscard]] int shell_code() const { return signal != 0 ? 128 + signal : code; }

    friend bool operator==(const ExitStatus&, const ExitStatus&) = default;
};

// "exited with code 3", "terminated by SIGTERM", "terminated by SIGSEGV (core dumped)".
std::string describe(const ExitStatus& status);

// The exit code when a write to procrun's standard output fails because the
// reader went away (EPIPE): what a shell reports for a writer killed by SIGPIPE.
inline constexpr int kExitOutputClosed = 141;
// The exit code when procrun could not start a process, or could not write its output.
inline constexpr int kExitSupervisorFailed = 1;

// ---- The supervisor's policy: events in, actions out ----------------------
//
// Processes are numbered by their position in the plan. The policy never
// touches the system: the runtime (or a test) turns what happens into events
// and carries out the actions it returns.

namespace event {
struct Started {  // the process was spawned
    std::size_t process;
    int pid;
};
struct SpawnFailed {  // it could not be spawned at all (fork, pipe, chdir...)
    std::size_t process;
    std::string reason;
};
struct Exited {  // its main process was reaped and its output drained
    std::size_t process;
    ExitStatus status;
};
struct GroupEmpty {  // no process of its process group is left
    std::size_t process;
};
struct SignalReceived {  // procrun received a signal
    int signal;
};
struct DeadlineReached {};  // the stop deadline's timer fired
struct OutputFailed {       // writing procrun's standard output failed
    int error;              // errno
};
}  // namespace event

using Event = std::variant<event::Started, event::SpawnFailed, event::Exited, event::GroupEmpty,
                           event::SignalReceived, event::DeadlineReached, event::OutputFailed>;

namespace action {
struct Spawn {
    std::size_t process;
};
struct SignalGroups {  // send `signal` to each process's group
    int signal;
    std::vector<std::size_t> processes;
};
struct ForwardSignal {  // pass `signal` on to each process's app (see forward_to_group)
    int signal;
    std::vector<std::size_t> processes;
};
struct Announce {  // a line under `system`
    std::string text;
};
struct ArmDeadline {
    TimePoint at;
};
struct CancelDeadline {};
struct Finish {  // stop the loop; procrun exits with this code
    int exit_code;
};
}  // namespace action

using Action =
    std::variant<action::Spawn, action::SignalGroups, action::ForwardSignal, action::Announce,
                 action::ArmDeadline, action::CancelDeadline, action::Finish>;

// What `procrun start` decides, as a state machine:
//   - start every process, in plan order;
//   - the first process to exit on its own (or to fail to start), SIGINT,
//     SIGTERM or SIGHUP, or a failed write to the output stops everything:
//     SIGTERM (then SIGCONT, for stopped ones) to every process group, a
//     deadline `timeout` later, then SIGKILL to every group still alive;
//   - a second SIGINT or SIGTERM while stopping sends SIGKILL at once;
//   - SIGUSR1 and SIGUSR2 are forwarded to every process group (but not to
//     procrun's own `sh -c`, which their default action would kill);
//   - it finishes when every process has exited and its group is empty;
//     the exit code is the first exit's (128 + signal when killed), 128 +
//     the signal that stopped procrun, 141 for a closed output, 1 for a
//     process that could not be started or an output that failed otherwise.
class Supervisor {
  public:
    Supervisor(std::vector<std::string> names, std::chrono::milliseconds timeout);

    std::vector<Action> start(TimePoint now);
    std::vector<Action> handle(const Event& event, TimePoint now);

    [[nodiscard]] bool finished() const { return phase_ == Phase::finished; }
    [[nodiscard]] bool stopping() const {
        return phase_ == Phase::stopping || phase_ == Phase::killing;
    }

  private:
    enum class Phase { idle, starting, running, stopping, killing, finished };
    enum class State {
        pending,  // not spawned yet
        running,  // its main process runs
        exited,   // its main process exited; its group may still have processes
        gone,     // exited and its group is empty, or never started
    };

    void on(const event::Started& e, TimePoint now, std::vector<Action>& out);
    void on(const event::SpawnFailed& e, TimePoint now, std::vector<Action>& out);
    void on(const event::Exited& e, TimePoint now, std::vector<Action>& out);
    void on(const event::GroupEmpty& e, TimePoint now, std::vector<Action>& out);
    void on(const event::SignalReceived& e, TimePoint now, std::vector<Action>& out);
    void on(const event::DeadlineReached& e, TimePoint now, std::vector<Action>& out);
    void on(const event::OutputFailed& e, TimePoint now, std::vector<Action>& out);

    void stop(int exit_code, TimePoint now, std::vector<Action>& out);
    void kill_remaining(std::vector<Action>& out);
    void finish_if_done(std::vector<Action>& out);
    [[nodiscard]] std::vector<std::size_t> alive() const;

    std::vector<std::string> names_;
    std::vector<State> states_;
    std::chrono::milliseconds timeout_;
    Phase phase_ = Phase::idle;
    TimePoint deadline_{};
    bool deadline_armed_ = false;
    int exit_code_ = 0;
};

// ---- The runtime ----------------------------------------------------------

struct StartOptions {
    OutputStyle style;
    std::vector<std::string> quiet;  // process types whose output is hidden
    int output_fd = 1;
};

// Runs every instance of `plan` under the Supervisor policy in one Boost.Asio
// event loop until they have all stopped; returns procrun's exit code.
int run_start(const Plan& plan, const StartOptions& options);

// ---- procrun run ----------------------------------------------------------

struct ForegroundOptions {
    std::string command;        // for `/bin/sh -c`
    Environment env;            // the whole environment
    std::filesystem::path cwd;  // empty: the current directory
};

// Runs one command in the foreground with procrun's stdin, stdout, stderr and
// terminal, forwarding signals; returns its exit code (128 + signal if killed).
int run_foreground(const ForegroundOptions& options);

}  // namespace procrun
