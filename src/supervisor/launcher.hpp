#pragma once

// The seams between the runtime of `procrun start` (runtime.hpp), which turns
// what happens into policy events and carries out the policy's actions, and
// the system: the Launcher starts and signals processes, reads their output
// and keeps the one timer; the Sink prints. ProcessLauncher and StartSink are
// the real ones; the unit tests replay the runtime against fakes of both,
// without processes, pipes or a clock.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/policy.hpp"

namespace procrun {

// What a launcher reports, always from the loop (never from within a call the
// runtime made to it, except find_escapees and the output of drain_all).
class LauncherEvents {
  public:
    virtual ~LauncherEvents() = default;
    virtual void started(std::size_t id, int pid) = 0;
    virtual void spawn_failed(std::size_t id, const std::string& reason) = 0;
    // Bytes from its stdout/stderr, in order; output_end() once it is closed.
    virtual void output(std::size_t id, std::string_view bytes) = 0;
    virtual void output_end(std::size_t id) = 0;
    // Its main process was reaped, after all it wrote was given to output().
    virtual void exited(std::size_t id, const ExitStatus& status, bool group_empty) = 0;
    virtual void group_empty(std::size_t id) = 0;
    virtual void probe_result(std::size_t id, bool ready, const std::string& detail) = 0;
    virtual void escaped(std::vector<EscapedProcess> processes, bool complete) = 0;
    virtual void escapee_gone(int pid) = 0;
    virtual void signal(int signal) = 0;  // procrun received it
    virtual void deadline() = 0;          // the time given to arm_deadline() has come
    virtual void prompt_timer() = 0;      // the time given to arm_prompt_timer() has come
    // Whether output is wanted now; when not, reading stops until resume_output().
    virtual bool accepting_output() = 0;
    // Bytes its stop_command wrote (stdout and stderr), in order.
    virtual void stop_command_output(std::size_t id, std::string_view bytes) = 0;
    // Its stop_command ended, after all its output: `failure` empty when it
    // exited 0, else how it failed ("exited with code 1", "could not be started: ...").
    virtual void stop_command_ended(std::size_t id, const std::string& failure) = 0;
    // An attempt of its liveness probe failed (`failures` in a row), or passed
    // after failures or for the first time (0).
    virtual void liveness_result(std::size_t id, int failures, const std::string& detail) = 0;
};

// Whether an instance may still be writing its current line: bytes of it
// are unread in its pipe, or a process of its group is running (not blocked).
enum class OutputActivity { idle, unread, running };

// What write_input() holds per instance before it refuses more.
inline constexpr std::size_t kInputQueueLimit = 64 * 1024;

class Launcher {
  public:
    virtual ~Launcher() = default;
    void connect(LauncherEvents& events) { events_ = &events; }

    // Instance `id` (the next id: ids are appended, never reused) joins the
    // run; it is not started until spawn(). `instance` outlives the launcher.
    virtual void add_instance(std::size_t /*id*/, const Instance& /*instance*/) {}

    // Starts instance `id` of the plan, now or after the loop has handled what
    // else is ready; reports started() or spawn_failed(), before anything else about it.
    virtual void spawn(std::size_t id) = 0;
    // Drops a spawn() not carried out yet.
    virtual void cancel_spawn(std::size_t id) = 0;
    // `signal` to the process group of its latest run: 0, or an errno.
    virtual int signal_group(std::size_t id, int signal) = 0;
    virtual void forward_signal(std::size_t id, int signal) = 0;
    virtual void signal_process(int pid, int signal) = 0;
    // `procrun signal`: `signal` to the app of its latest run, as
    // forward_signal does; the pids that got it (none without a process).
    virtual std::vector<int> signal_instance(std::size_t id, int signal) = 0;
    // The signal that stopped its process (SIGTTIN, SIGTSTP...), 0 while it is not stopped.
    [[nodiscard]] virtual int stopped_by(std::size_t id) const = 0;
    // Reports escaped(every process that left its group now, true).
    virtual void find_escapees() = 0;
    // Starts its readiness probe (reported by probe_result()); returns whether
    // the probe reads output lines (given to probe_line()).
    virtual bool start_probe(std::size_t id) = 0;
    virtual void cancel_probe(std::size_t id) = 0;
    virtual void probe_line(std::size_t id, std::string_view line) = 0;
    // Runs its stop_command (/bin/sh -c, the instance's environment and
    // directory) in a process group of its own; its output goes to
    // stop_command_output(), its end to stop_command_ended(). Nothing of it
    // outlives its instance's stop_timeout, nor procrun.
    virtual void run_stop_command(std::size_t id) = 0;
    // Starts (again) or stops its liveness probe (reported by liveness_result()).
    virtual void start_liveness(std::size_t id) = 0;
    virtual void cancel_liveness(std::size_t id) = 0;
    // Reading stopped because accepting_output() was false: read again.
    virtual void resume_output() = 0;
    // Bytes for the stdin of its latest run (its pipe, or its pseudo-terminal
    // as if typed), written in order without ever blocking: what the process
    // does not read yet waits in a queue of at most kInputQueueLimit bytes per
    // instance. Returns false, and drops `bytes` whole, when the queue is full
    // or the instance has no stdin open (not started, exited, or it closed it).
    virtual bool write_input(std::size_t id, std::string_view bytes) = 0;
    // The window size of its pseudo-terminal (the kernel signals SIGWINCH to
    // its foreground group); nothing for an instance on a pipe.
    virtual void resize(std::size_t id, unsigned short rows, unsigned short cols) = 0;
    // The end of its input, once what is queued is written: a stdin pipe is
    // closed (the process reads end-of-file; its next run gets a new one); a
    // pseudo-terminal gets its end-of-file character (VEOF), as Ctrl-D typed
    // at a terminal, and stays open.
    virtual void end_input(std::size_t id) = 0;
    // Whether a process of its latest run is blocked reading its stdin now
    // (asked by the kernel: not for the hot path).
    [[nodiscard]] virtual bool waiting_for_input(std::size_t id) = 0;
    [[nodiscard]] virtual TimePoint now() const = 0;
    virtual void arm_deadline(TimePoint at) = 0;
    virtual void cancel_deadline() = 0;
    // Asked by the kernel, off the hot path: for a partial line held a while.
    [[nodiscard]] virtual OutputActivity output_activity(std::size_t id) = 0;
    // The second timer, for partial lines (supervisor/prompts.hpp): re-arming
    // replaces the time given before.
    virtual void arm_prompt_timer(TimePoint at) = 0;
    // Last resort when the loop itself failed: SIGKILL to every group started.
    virtual void kill_all() = 0;

  protected:
    LauncherEvents* events_ = nullptr;
};

// Everything `start` prints: the instances' lines, procrun's own lines, and
// its messages on stderr. Source ids are the plan's instance indices.
class Sink {
  public:
    virtual ~Sink() = default;
    // Instance `id` (the next source id) joins the run: its lines may follow.
    virtual void add_source(std::size_t /*id*/, const Instance& /*instance*/) {}
    virtual void stamp() = 0;  // the time of the lines that follow
    virtual void line(std::size_t source, std::string_view text, bool continued) = 0;
    virtual void system(std::string_view text) = 0;  // a line under `system`
    virtual void report(std::string_view text) = 0;  // "procrun: TEXT" on stderr
    virtual void flush() = 0;                        // write what is pending, without blocking
    // Bytes formatted and not yet written.
    [[nodiscard]] virtual std::size_t pending() const = 0;
    // A write failed: nothing more will be written.
    [[nodiscard]] virtual bool failed() const = 0;
};

}  // namespace procrun
