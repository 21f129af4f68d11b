#pragma once

// The real Launcher of `procrun start`: each instance as `/bin/sh -c` with its
// output on a pipe or pseudo-terminal read in the loop, its exit from the
// Reaper, its group's end from pidfds, its readiness probe, procrun's
// signals, the one timer, and the processes that leave their groups, found
// whenever the Reaper has reaped (orphans are reparented to procrun) and
// recorded with the guardian at once.

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <unordered_set>
#include <vector>

#include "procrun/plan.hpp"
#include "procrun/posix/fd.hpp"
#include "procrun/posix/guardian.hpp"
#include "procrun/posix/limits.hpp"
#include "procrun/posix/process_group.hpp"
#include "procrun/posix/pty.hpp"
#include "procrun/posix/reaper.hpp"
#include "supervisor/launcher.hpp"
#include "supervisor/liveness.hpp"
#include "supervisor/probe.hpp"
#include "supervisor/stop_command.hpp"

namespace procrun {

namespace posix {
struct SpawnOptions;
}

class ProcessLauncher : public Launcher {
  public:
    ProcessLauncher(boost::asio::io_context& io, const Plan& plan, posix::Guardian& guardian,
                    posix::FdLimit limit);

    // Starts listening for procrun's signals (posix::supervisor_signals), for
    // reaped orphans and for children stopped or continued.
    void listen();
    // Job control: sees each signal procrun receives first and returns
    // whether it took it (SIGTSTP, SIGCONT); the others go to the runtime.
    void on_job_signal(std::function<bool(int)> hook) { job_signal_ = std::move(hook); }
    // Instance `id`'s process was stopped by `signal`, or continued (0).
    void on_child_stopped(std::function<void(std::size_t id, int signal)> hook) {
        child_stopped_ = std::move(hook);
    }
    // Every instance's process group that may still have processes.
    [[nodiscard]] std::vector<pid_t> live_groups() const;
    // At the end: what is left in the pipes (a process outside its group may
    // still hold one) is read, unterminated last lines included.
    void drain_all();

    void add_instance(std::size_t id, const Instance& instance) override;
    void spawn(std::size_t id) override;
    void cancel_spawn(std::size_t id) override;
    int signal_group(std::size_t id, int signal) override;
    void forward_signal(std::size_t id, int signal) override;
    void signal_process(int pid, int signal) override;
    std::vector<int> signal_instance(std::size_t id, int signal) override;
    [[nodiscard]] int stopped_by(std::size_t id) const override;
    void find_escapees() override;
    bool start_probe(std::size_t id) override;
    void cancel_probe(std::size_t id) override;
    void probe_line(std::size_t id, std::string_view line) override;
    // process_launcher_health.cpp: stop commands and liveness probes.
    void run_stop_command(std::size_t id) override;
    void start_liveness(std::size_t id) override;
    void cancel_liveness(std::size_t id) override;
    void resume_output() override;
    bool write_input(std::size_t id, std::string_view bytes) override;
    void resize(std::size_t id, unsigned short rows, unsigned short cols) override;
    void end_input(std::size_t id) override;
    [[nodiscard]] bool waiting_for_input(std::size_t id) override;
    void arm_prompt_timer(TimePoint at) override;
    [[nodiscard]] OutputActivity output_activity(std::size_t id) override;
    [[nodiscard]] TimePoint now() const override { return SteadyClock::now(); }
    void arm_deadline(TimePoint at) override;
    void cancel_deadline() override;
    void kill_all() override;

  private:
    // One instance's process, as the launcher holds it.
    struct InstanceProcess {
        InstanceProcess(boost::asio::io_context& io, const Instance& inst)
            : instance(&inst), pipe(io), input(io), group(io) {}
        const Instance* instance;
        pid_t pid = -1;
        unsigned generation = 0;  // one per spawn: callbacks of an earlier run are ignored
        bool spawn_queued = false;
        boost::asio::posix::stream_descriptor pipe;
        bool pty = false;         // `pipe` is the master of a pseudo-terminal
        bool open = false;        // the pipe has not reached EOF
        bool read_armed = false;  // a wait for readability is pending
        bool paused = false;      // not read because the output is full
        // The write end of its stdin pipe (on a pty, stdin is the terminal:
        // `pipe` is written instead), held until its process is reaped.
        boost::asio::posix::stream_descriptor input;
        std::string input_queue;    // written to stdin when it can take it
        bool input_armed = false;   // a wait for writability is pending
        bool input_ending = false;  // end_input(): the end comes after the queue
        posix::GroupWatch group;
        std::unique_ptr<Probe> probe;  // when the type has a readiness probe
    };
    enum class Read { data, would_block, eof };
    // Read at most this much from a pipe when its process has exited, if the
    // pipe does not say how big it is: all the process wrote is within one
    // pipe's capacity.
    static constexpr int kDefaultPipeCapacity = 1024 * 1024;

    void spawn_now(std::size_t id);
    void open_output(InstanceProcess& p, posix::SpawnOptions& options, posix::Fd& child_end);
    void open_input(InstanceProcess& p, posix::SpawnOptions& options, posix::Fd& child_end);
    void flush_input(std::size_t id);
    void close_input(InstanceProcess& p);
    void watch(std::size_t id);
    void on_reaped(std::size_t id, unsigned generation, int wait_status);
    void drain(InstanceProcess& p, std::size_t id, std::size_t limit);
    void arm_read(std::size_t id);
    Read read_once(InstanceProcess& p, std::size_t id, std::size_t* got = nullptr);
    void close_pipe(InstanceProcess& p, std::size_t id);
    void wait_signal();
    void resize_ptys();
    void look_for_orphans();
    void orphan_reaped(pid_t pid);

    boost::asio::io_context& io_;
    const Plan& plan_;
    posix::Guardian& guardian_;
    posix::FdLimit limit_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer deadline_;
    boost::asio::steady_timer prompt_timer_;
    posix::Reaper reaper_;
    std::vector<std::unique_ptr<InstanceProcess>> procs_;
    std::array<char, 64 * 1024> read_buf_{};  // one read(2) takes at most this much
    posix::WindowSize window_{};
    int pipe_size_ = 0;
    bool any_pty_ = false;
    std::vector<pid_t> groups_;                 // every process group started
    std::unordered_set<pid_t> group_set_;       // the same, to look up
    std::unordered_set<pid_t> known_children_;  // orphans already recorded
    std::function<bool(int)> job_signal_;
    std::function<void(std::size_t, int)> child_stopped_;
    // Per instance, made when first needed (the instances may grow).
    std::map<std::size_t, std::unique_ptr<StopCommand>> stop_commands_;
    std::map<std::size_t, std::unique_ptr<LivenessProbe>> liveness_;
};

}  // namespace procrun
