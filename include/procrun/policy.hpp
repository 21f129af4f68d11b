#pragma once

// The policy of `procrun start`: a pure state machine, events in, actions out.
// Instances are numbered by their position in the plan. The policy never
// touches the system: the runtime (or a test) turns what happens into events
// and carries out the actions it returns.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "procrun/control.hpp"
#include "procrun/exit_status.hpp"
#include "procrun/plan.hpp"

namespace procrun {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// A live process that descends from procrun but is in no instance's process
// group (it left with setsid or setpgid: a daemon), so stopping the groups
// does not reach it.
struct EscapedProcess {
    int pid = 0;
    int pgid = 0;
    std::string command;  // its command line, for the user
    friend bool operator==(const EscapedProcess&, const EscapedProcess&) = default;
};

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
    bool group_empty = false;  // no process of its group was left at that moment
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
struct Scale {  // `procrun scale TYPE=COUNT`: instances 1..count run, the others stop
    std::string type;
    int count = 0;
};
struct StopAll {  // `procrun kill`: stop everything, exit code 0
    std::string reason;
};
struct Escaped {  // processes that left their group were found
    std::vector<EscapedProcess> processes;
    bool complete = false;  // every such process now: the answer to FindEscapees
};
struct EscapeeGone {  // an escaped process exited
    int pid;
};
// What happened to one path, over one read of the watcher or one debounce
// window. A file written and then gone (an editor's or `sed -i`'s temporary
// file, renamed over the real one) is not named as the cause of a restart.
struct PathChange {
    std::string path;      // relative to the root; "" when unknown (events were lost)
    bool written = true;   // created, written or moved in
    bool removed = false;  // its last event moved it away or deleted it
};
struct FilesChanged {  // files a watched type watches changed (`watch:`)
    std::string type;
    std::vector<PathChange> paths;  // first first, each path once
};
struct StopCommandFailed {  // its stop_command exited non-zero, or could not start
    std::size_t process;
    std::string detail;  // "exited with code 1", "could not be started: ..."
};
struct Liveness {  // an attempt of its liveness probe: failed, or passed after failures
    std::size_t process;
    int failures = 0;    // failed attempts in a row; 0: it passed
    std::string detail;  // the last failure, "connect to 127.0.0.1:5000: Connection refused"
};
}  // namespace event

using Event = std::variant<event::Started, event::SpawnFailed, event::Exited, event::GroupEmpty,
                           event::SignalReceived, event::DeadlineReached, event::OutputFailed,
                           event::Ready, event::NeverReady, event::Control, event::StopAll,
                           event::Escaped, event::EscapeeGone, event::FilesChanged,
                           event::StopCommandFailed, event::Liveness, event::Scale>;

namespace action {
struct Spawn {  // answered by Started or SpawnFailed, before any other event about it
    std::size_t process;
};
struct CancelSpawn {  // a Spawn not carried out yet is dropped (nothing is reported)
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
struct SignalProcesses {  // send `signal` to each pid (escaped processes)
    int signal;
    std::vector<int> pids;
};
struct FindEscapees {};  // answered by Escaped{..., complete = true}
struct Announce {        // a line under `system`
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
struct RunStopCommand {  // run the process's stop_command (answered by StopCommandFailed if it
                         // fails)
    std::size_t process;
};
struct StartLiveness {  // start probing whether the process is live (answered by Liveness)
    std::size_t process;
};
struct CancelLiveness {
    std::size_t process;
};
}  // namespace action

using Action = std::variant<action::Spawn, action::CancelSpawn, action::SignalGroups,
                            action::ForwardSignal, action::SignalProcesses, action::FindEscapees,
                            action::Announce, action::ArmDeadline, action::CancelDeadline,
                            action::StartProbe, action::CancelProbe, action::Finish,
                            action::RunStopCommand, action::StartLiveness, action::CancelLiveness>;

// What `procrun start` decides (docs/running.md, docs/config.md):
//   - start every instance in plan order, one after the other; an instance
//     whose depends_on conditions are not met yet waits, and starts when they
//     are; when a condition can no longer be met (the dependency ended for good
//     without meeting it), the instances waiting for it cannot start and
//     everything stops with exit code 1;
//   - an exit that is not followed by a restart stops everything (foreman's
//     rule), unless the process can_die, gave up after max_restarts with
//     on_exhausted give-up, or was a dependency that completed successfully;
//     restart policies restart it after an exponential backoff, the old
//     group stopped first;
//   - stopping everything (that exit, SIGINT, SIGTERM, SIGQUIT, SIGHUP... `procrun
//     kill`, a failed write to the output, a process that could not start, a
//     dependency that can no longer be met): each process's stop_signal (then
//     SIGCONT) to every group, and SIGKILL to the groups still alive
//     stop_timeout later; a second SIGINT or SIGTERM sends SIGKILL at once;
//     then processes that left their groups get SIGTERM, and SIGKILL after
//     the timeout; with depends_on, dependents stop first: a process is
//     signalled once every process of the types that depend on it has ended
//     (or got SIGKILL); a type with a stop_command has it run (RunStopCommand)
//     instead of its stop_signal while its main process runs (stopping
//     everything, `procrun stop|restart`, restarts), and gets its stop_signal
//     when the command fails;
//   - a liveness probe starts once the process is ready (started, without
//     readiness); failure_threshold failed attempts in a row stop it, and its
//     exit is then a failure (restart policies apply, else it stops everything
//     unless can_die);
//   - a signal is forwarded to the types that list it in forward_signals;
//     SIGUSR1, SIGUSR2 and SIGWINCH go nowhere otherwise (the first two are
//     announced); any other signal that would end procrun stops everything;
//   - control requests stop, start and restart single instances; `scale`
//     starts a type's instances up to its count and stops the ones above it,
//     highest number first (each with its stop signal, as `stop` does);
//   - instances can be added while it runs (add_instance: a type that was not
//     started, or one scaled up), never removed: ids are appended, never reused;
//     an instance left unstarted (not selected, `autostart: false`) waits,
//     stopped, for a request, and does not keep procrun running by itself;
//   - files changed (`watch:`): the first change of a type opens its debounce
//     window; when the window ends, every instance of the type restarts once
//     (stop signal, then start), whatever else changed meanwhile; with
//     restart_dependents, the types that depend on it, then theirs, restart
//     each after what it waits for meets its condition again;
//   - it finishes when every process has exited and its group is empty, after
//     a stop, or when nothing runs or can run any more; the exit code is the
//     deciding exit's (128 + signal when killed), 128 + the signal that
//     stopped procrun, 0 for `procrun kill`, 141 for a closed output, 1 for a
//     process that could not be started, a dependency that can no longer be
//     met, or an output that failed otherwise.
// There is one deadline at a time (ArmDeadline): the earliest of the stop
// timeouts, the restarts' backoffs, the debounce windows and the escaped
// processes' timeout.
class Policy {
  public:
    // `instances` (the plan's) must outlive the policy.
    Policy(const std::vector<Instance>& instances, std::chrono::milliseconds timeout);

    std::vector<Action> start(TimePoint now);
    // Before start(): instance `i` is not started until a request starts it.
    void leave_unstarted(std::size_t i);
    // Appends an instance (which must outlive the policy), unstarted; returns its id.
    std::size_t add_instance(const Instance& instance);
    std::vector<Action> handle(const Event& event, TimePoint now);

    [[nodiscard]] bool finished() const { return phase_ == Phase::finished; }
    [[nodiscard]] bool stopping() const {
        return phase_ == Phase::stopping || phase_ == Phase::killing || phase_ == Phase::escapees;
    }
    [[nodiscard]] std::size_t size() const { return states_.size(); }
    // What `procrun status` shows of instance `i`; uptime measured at `now`.
    [[nodiscard]] InstanceStatus status(std::size_t i, TimePoint now = {}) const;
    // How the start-up stands (`procrun start -D` waits until it is decided):
    // up once every instance has started and passed its readiness probe (or
    // completed successfully, or was stopped by request); failed when
    // everything stops before that, or an instance could not start or its
    // readiness probe gave up.
    enum class Startup { starting, up, failed };
    [[nodiscard]] Startup startup() const;

  private:
    enum class Phase { idle, running, stopping, killing, escapees, finished };
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
    // The policy's state of one instance.
    struct InstanceState {
        const Instance* instance = nullptr;
        State state = State::pending;
        Then then = Then::nothing;  // when its group is empty
        int pid = 0;
        bool stop_requested = false;
        bool started_once = false;
        bool ready = false;
        bool ready_once = false;
        bool probe_failed = false;
        bool completed_ok = false;
        bool announced_waiting = false;
        bool group_gone = false;     // exited, and its group was already empty
        bool stop_sent = false;      // stopping everything: its stop was sent
        bool not_live = false;       // stopped by its liveness probe: its exit is a failure
        int liveness_failures = -1;  // failed attempts in a row; -1: no result yet
        bool unstarted = false;      // stopped, never asked for: does not keep procrun running
        int restarts = 0;            // shown in status
        int consecutive = 0;         // restarts since it last ran stably
        std::optional<ExitStatus> last_exit;
        std::string last_failure;
        TimePoint started_at{};
        TimePoint exited_at{};
        std::optional<TimePoint> kill_at;  // SIGKILL to its group if still alive then (arm_kill)
        TimePoint restart_at{};            // in backoff: when it starts again (enter_backoff)
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
    void on(const event::Escaped& e, TimePoint now, std::vector<Action>& out);
    void on(const event::EscapeeGone& e, TimePoint now, std::vector<Action>& out);
    void on(const event::StopCommandFailed& e, TimePoint now, std::vector<Action>& out);
    void on(const event::Liveness& e, TimePoint now, std::vector<Action>& out);
    // Once ready: its liveness probe, if it has one (policy_health.cpp).
    void start_liveness(std::size_t i, std::vector<Action>& out);
    // For status: "live", "unhealthy" (failed attempts, fewer than the
    // threshold), "not live" (being restarted), or "" (no result yet, no probe).
    [[nodiscard]] std::string liveness_status(std::size_t i) const;
    void on(const event::Scale& e, TimePoint now, std::vector<Action>& out);
    // A signal some types forward (forward_signals), or one that does not
    // stop procrun (SIGUSR1, SIGUSR2, SIGWINCH): handled, true. Otherwise false:
    // the signal stops everything (signal_policy.cpp).
    bool forward_signal(int signal, std::vector<Action>& out);

    // The process ended (exited, or could not be spawned): restart, stay, or stop all.
    void ended(std::size_t i, const ExitStatus& status, bool spawn_failed, TimePoint now,
               std::vector<Action>& out);
    void restart_later(std::size_t i, bool spawn_failed, TimePoint now, std::vector<Action>& out);
    void control_one(event::ControlOp op, std::size_t i, TimePoint now, std::vector<Action>& out);
    void stop_one(std::size_t i, TimePoint now, std::vector<Action>& out);
    void spawn_next(std::vector<Action>& out);
    // Instances waiting for a condition that can no longer be met cannot start:
    // they are reported and everything stops. Returns whether that happened.
    bool resolve_waiting(TimePoint now, std::vector<Action>& out);
    [[nodiscard]] bool dependencies_met(std::size_t i) const;
    [[nodiscard]] bool dependencies_broken(std::size_t i, std::string* why) const;
    [[nodiscard]] bool depended_on_for_completion(std::size_t i) const;
    [[nodiscard]] bool ended_for_good(const InstanceState& s) const;

    void stop(int exit_code, TimePoint now, std::vector<Action>& out);
    // Stopping everything: the stop of `targets` (the live ones), dependents
    // first (policy_order.cpp).
    void stop_targets(const std::vector<std::size_t>& targets, TimePoint now,
                      std::vector<Action>& out);
    // Stop signals (or commands) of `batch`, SIGCONT, and each one's SIGKILL
    // deadline; `say`: a line says what was sent to whom.
    void send_stops(const std::vector<std::size_t>& batch, TimePoint now, bool say,
                    std::vector<Action>& out);
    // While stopping: those held back whose dependents are gone are stopped now.
    void release_stops(TimePoint now, std::vector<Action>& out);
    [[nodiscard]] bool dependents_stopping(std::size_t i) const;
    [[nodiscard]] bool uses_stop_command(std::size_t i) const;
    void announce_stop(const std::vector<std::size_t>& targets, std::vector<Action>& out) const;
    void kill_remaining(std::vector<Action>& out);
    void kill_escapees(std::vector<Action>& out);
    void finish_if_done(std::vector<Action>& out);
    void finish(int exit_code, std::vector<Action>& out);
    void rearm(std::vector<Action>& out);
    [[nodiscard]] bool alive(std::size_t i) const;
    [[nodiscard]] std::vector<std::size_t> alive() const;
    [[nodiscard]] std::chrono::milliseconds stop_timeout(std::size_t i) const;
    [[nodiscard]] const std::string& name(std::size_t i) const { return states_[i].instance->name; }
    [[nodiscard]] const Lifecycle& lifecycle(std::size_t i) const {
        return states_[i].instance->lifecycle;
    }

    std::vector<InstanceState> states_;
    std::chrono::milliseconds timeout_;
    Phase phase_ = Phase::idle;
    bool spawn_in_flight_ = false;
    std::optional<TimePoint> armed_;
    int exit_code_ = 0;
    std::optional<int> first_failure_;  // shell code of the first failed final exit
    // Escaped processes known to be alive; at the end, those still to stop.
    std::vector<EscapedProcess> escapees_;
    bool swept_ = false;  // FindEscapees was sent
    std::optional<TimePoint> escapees_kill_at_;

    // Bookkeeping that keeps the work per event independent of the number of
    // instances (policy_index.cpp). The instances may grow: none of it
    // assumes their number.
    void make_pending(std::size_t i);            // state pending; spawn_next will look at it
    void enter_backoff(std::size_t i);           // state backoff until its restart_at
    void arm_kill(std::size_t i, TimePoint at);  // kill_at = at
    // Stopping: whether any instance is alive (one that is not never becomes
    // alive again while stopping, so each is passed over once).
    [[nodiscard]] bool any_alive();
    // The types some live instance depends on: only those can be held back.
    [[nodiscard]] std::set<std::string> awaited_types() const;
    [[nodiscard]] std::optional<TimePoint> earliest_due();
    // No instance before it is pending (make_pending lowers it).
    std::size_t spawn_from_ = 0;
    // Stopping: no instance before it is alive.
    std::size_t alive_from_ = 0;
    // Stopping: some live instance's stop waits for its dependents.
    bool stops_held_ = false;
    // Every SIGKILL deadline and restart time set, earliest first; one that
    // no longer holds is dropped when it reaches the top.
    using Due = std::pair<TimePoint, std::size_t>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> dues_;

    // Restart on change (policy_watch.cpp).
    void on(const event::FilesChanged& e, TimePoint now, std::vector<Action>& out);
    // The debounce windows that ended: their types restart.
    void end_change_windows(TimePoint now, std::vector<Action>& out);
    [[nodiscard]] std::optional<TimePoint> change_window_due() const;
    // Dependents waiting for a restarted type to meet their condition again.
    void restart_waiting_dependents(TimePoint now, std::vector<Action>& out);
    void wait_for_restart(const std::string& type, const std::string& cause);
    bool restart_for_change(std::size_t i, const std::string& why, TimePoint now,
                            std::vector<Action>& out);
    [[nodiscard]] std::vector<std::size_t> instances_of(const std::string& type) const;
    struct ChangeWindow {
        TimePoint due{};
        std::vector<event::PathChange> paths;         // first first, up to a bound
        std::map<std::string, std::size_t> position;  // path -> its index in `paths`
        bool more = false;                            // paths past the bound
        [[nodiscard]] std::string cause() const;      // "app.py and 2 other files changed"
    };
    struct WaitingRestart {
        std::vector<std::string> after;  // restarted types it depends on
        std::string cause;               // "app/views.py changed"
    };
    std::map<std::string, ChangeWindow> change_windows_;      // by type
    std::map<std::string, WaitingRestart> waiting_restarts_;  // by dependent type
    // Instances restarted (or to be) that dependents wait for: whether each
    // has gone down since, so that "ready" is the new run's.
    std::map<std::size_t, bool> restarted_down_;
};

}  // namespace procrun
