#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "procrun/environment.hpp"
#include "procrun/lifecycle.hpp"
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
struct DeadlineReached {};  // the timer armed by ArmDeadline fired
struct OutputFailed {       // writing procrun's standard output failed
    int error;              // errno
};
struct Ready {  // its readiness probe passed
    std::size_t process;
};
struct NeverReady {  // its readiness probe gave up
    std::size_t process;
    std::string detail;
};
enum class ControlOp { start, stop, restart };
struct Control {  // from `procrun start|stop|restart NAME` in another terminal
    ControlOp op;
    std::vector<std::size_t> processes;
};
struct StopAll {  // `procrun kill`: stop everything, exit code 0
    std::string reason;
};
}  // namespace event

using Event = std::variant<event::Started, event::SpawnFailed, event::Exited, event::GroupEmpty,
                           event::SignalReceived, event::DeadlineReached, event::OutputFailed,
                           event::Ready, event::NeverReady, event::Control, event::StopAll>;

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
struct ArmDeadline {  // wake the policy (DeadlineReached) at `at`; replaces an earlier one
    TimePoint at;
};
struct CancelDeadline {};
struct StartProbe {  // start the process's readiness probe
    std::size_t process;
};
struct CancelProbe {
    std::size_t process;
};
struct Finish {  // stop the loop; procrun exits with this code
    int exit_code;
};
}  // namespace action

using Action = std::variant<action::Spawn, action::SignalGroups, action::ForwardSignal,
                            action::Announce, action::ArmDeadline, action::CancelDeadline,
                            action::StartProbe, action::CancelProbe, action::Finish>;

// One process as the policy sees it.
struct Member {
    std::string name;  // "web.1"
    std::string type;  // "web"
    Lifecycle lifecycle;
};

// What `procrun status` shows of one process.
struct MemberStatus {
    std::string state;  // waiting, starting, running, ready, stopping, backoff, stopped,
                        // exited, failed
    int restarts = 0;
    std::optional<ExitStatus> last_exit;
    std::string last_failure;             // "could not start: ...", when that is how it last ended
    std::optional<TimePoint> started_at;  // while it runs
    std::string readiness;                // "", "pending", "ready", "failed"
    std::optional<TimePoint> restart_at;  // in backoff
};

// What `procrun start` decides, as a state machine (docs/running.md,
// docs/config.md):
//   - start every process in plan order, one after the other; a process whose
//     depends_on conditions are not met yet waits, and starts when they are;
//   - an exit that is not followed by a restart stops everything (foreman's
//     rule), unless the process can_die, gave up after max_restarts with
//     on_exhausted give-up, or was a dependency that completed successfully;
//     restart policies restart it after an exponential backoff, the old
//     group stopped first;
//   - stopping everything (that exit, SIGINT, SIGTERM, SIGQUIT, SIGHUP... `procrun
//     kill`, a failed write to the output, a process that could not start, a
//     dependency that never became ready): each process's stop_signal (then
//     SIGCONT) to every group, and SIGKILL to the groups still alive
//     stop_timeout later; a second SIGINT or SIGTERM sends SIGKILL at once;
//   - a signal is forwarded to the types that list it in forward_signals;
//     SIGUSR1, SIGUSR2 and SIGWINCH go nowhere otherwise (the first two are
//     announced); any other signal that would end procrun stops everything;
//   - control requests stop, start and restart single processes;
//   - it finishes when every process has exited and its group is empty, after
//     a stop, or when nothing runs or can run any more; the exit code is the
//     deciding exit's (128 + signal when killed), 128 + the signal that
//     stopped procrun, 0 for `procrun kill`, 141 for a closed output, 1 for a
//     process that could not be started or an output that failed otherwise.
class Supervisor {
  public:
    Supervisor(std::vector<Member> members, std::chrono::milliseconds timeout);
    // Members with default lifecycles; the type is the name up to its last '.'.
    Supervisor(const std::vector<std::string>& names, std::chrono::milliseconds timeout);

    std::vector<Action> start(TimePoint now);
    std::vector<Action> handle(const Event& event, TimePoint now);

    [[nodiscard]] bool finished() const { return phase_ == Phase::finished; }
    [[nodiscard]] bool stopping() const {
        return phase_ == Phase::stopping || phase_ == Phase::killing;
    }
    [[nodiscard]] std::size_t size() const { return procs_.size(); }
    [[nodiscard]] MemberStatus status(std::size_t process) const;

  private:
    enum class Phase { idle, running, stopping, killing, finished };
    enum class State {
        pending,   // to be spawned (or waiting for its dependencies)
        spawning,  // Spawn sent, no answer yet
        running,   // its main process runs
        exited,    // its main process exited; its group may still have processes
        backoff,   // waiting to be restarted
        stopped,   // stopped by request; `start` runs it again
        done,      // ended and not restarted; `start` runs it again
    };
    enum class Then { nothing, restart, respawn, stay_stopped };
    struct Proc {
        Member member;
        State state = State::pending;
        Then then = Then::nothing;  // when its group is empty
        bool stop_requested = false;
        bool started_once = false;
        bool ready = false;
        bool ready_once = false;
        bool probe_failed = false;
        bool completed_ok = false;
        bool announced_waiting = false;
        int restarts = 0;     // shown in status
        int consecutive = 0;  // restarts since it last ran stably
        std::optional<ExitStatus> last_exit;
        std::string last_failure;
        TimePoint started_at{};
        TimePoint exited_at{};
        std::optional<TimePoint> kill_at;  // SIGKILL to its group if still alive then
        TimePoint restart_at{};            // in backoff: when it starts again
    };

    void on(const event::Started& e, TimePoint now, std::vector<Action>& out);
    void on(const event::SpawnFailed& e, TimePoint now, std::vector<Action>& out);
    void on(const event::Exited& e, TimePoint now, std::vector<Action>& out);
    void on(const event::GroupEmpty& e, TimePoint now, std::vector<Action>& out);
    void on(const event::SignalReceived& e, TimePoint now, std::vector<Action>& out);
    void on(const event::DeadlineReached& e, TimePoint now, std::vector<Action>& out);
    void on(const event::OutputFailed& e, TimePoint now, std::vector<Action>& out);
    void on(const event::Ready& e, TimePoint now, std::vector<Action>& out);
    void on(const event::NeverReady& e, TimePoint now, std::vector<Action>& out);
    void on(const event::Control& e, TimePoint now, std::vector<Action>& out);
    void on(const event::StopAll& e, TimePoint now, std::vector<Action>& out);
    // A signal some types forward (forward_signals), or one that does not
    // stop procrun (SIGUSR1, SIGUSR2, SIGWINCH): handled, true. Otherwise false:
    // the signal stops everything (signal_policy.cpp).
    bool forward_signal(int signal, std::vector<Action>& out);

    // The process ended (exited, or could not be spawned): restart, stay, or stop all.
    void ended(std::size_t i, const ExitStatus& status, bool spawn_failed, TimePoint now,
               std::vector<Action>& out);
    void stop_one(std::size_t i, TimePoint now, std::vector<Action>& out);
    void start_one(std::size_t i, std::vector<Action>& out);
    void spawn_next(TimePoint now, std::vector<Action>& out);
    void fail_dependents(std::size_t dependency, const std::string& why, TimePoint now,
                         std::vector<Action>& out);
    [[nodiscard]] bool dependencies_met(std::size_t i) const;
    [[nodiscard]] bool dependencies_broken(std::size_t i, std::string* why) const;
    [[nodiscard]] bool depended_on_for_completion(std::size_t i) const;

    void stop(int exit_code, TimePoint now, std::vector<Action>& out);
    void kill_remaining(std::vector<Action>& out);
    void finish_if_done(std::vector<Action>& out);
    void rearm(std::vector<Action>& out);
    [[nodiscard]] bool alive(std::size_t i) const;
    [[nodiscard]] std::vector<std::size_t> alive() const;
    [[nodiscard]] std::chrono::milliseconds stop_timeout(std::size_t i) const;

    std::vector<Proc> procs_;
    std::chrono::milliseconds timeout_;
    Phase phase_ = Phase::idle;
    bool spawn_in_flight_ = false;
    std::optional<TimePoint> armed_;
    int exit_code_ = 0;
    std::optional<int> first_failure_;  // shell code of the first failed final exit
};

// ---- The runtime ----------------------------------------------------------

struct StartOptions {
    OutputStyle style;               // style.format: text or JSON lines (--output)
    std::vector<std::string> quiet;  // process types whose output is hidden
    int output_fd = 1;
    // --log-dir: DIR/procrun.log and DIR/NAME.log per instance (docs/logs.md).
    std::optional<std::filesystem::path> log_dir;
    std::uint64_t log_max_size = 10 * 1024 * 1024;  // rotate past this many bytes; 0: never
    int log_keep = 5;                               // rotated files kept per log file
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
