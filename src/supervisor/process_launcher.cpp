#include "supervisor/process_launcher.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include "procrun/posix/children.hpp"
#include "procrun/posix/signals.hpp"
#include "procrun/posix/spawn.hpp"

namespace procrun {

namespace asio = boost::asio;

namespace {

// Each child's pipe is enlarged from the kernel's 64 KiB towards 1 MiB, within
// a budget of 16 MiB for all of them: pipe buffers count against the user's
// pipe-user-pages-soft (64 MiB by default), past which new pipes of every
// program of that user shrink to 8 KiB.
constexpr std::size_t kPipeSizeMax = 1024 * 1024;
constexpr std::size_t kPipeSizeMin = 64 * 1024;
constexpr std::size_t kPipeBudget = 16 * 1024 * 1024;

int pipe_size_for(std::size_t instances) {
    const std::size_t share = kPipeBudget / std::max<std::size_t>(instances, 1);
    return static_cast<int>(std::clamp(share, kPipeSizeMin, kPipeSizeMax));
}

std::chrono::milliseconds timeout_of(const Plan& plan) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(plan.timeout);
}

}  // namespace

ProcessLauncher::ProcessLauncher(asio::io_context& io, const Plan& plan, posix::Guardian& guardian,
                                 posix::FdLimit limit)
    : io_(io),
      plan_(plan),
      guardian_(guardian),
      limit_(limit),
      signals_(io),
      deadline_(io),
      prompt_timer_(io),
      reaper_(io),
      pipe_size_(pipe_size_for(plan.instances.size())) {
    guardian_.defer_untracks(io_);
    procs_.reserve(plan.instances.size());
    for (std::size_t id = 0; id < plan.instances.size(); ++id)
        add_instance(id, plan.instances[id]);
}

// Ids are appended: `id` is procs_.size().
void ProcessLauncher::add_instance(std::size_t /*id*/, const Instance& inst) {
    auto p = std::make_unique<InstanceProcess>(io_, inst);
    if (inst.lifecycle->readiness.kind != ProbeKind::none) {
        p->probe = std::make_unique<Probe>(io_, inst.lifecycle->readiness, inst.port,
                                           plan_.environment_of(inst).to_strings(),
                                           inst.working_dir, reaper_);
    }
    any_pty_ = any_pty_ || inst.lifecycle->pty;
    procs_.push_back(std::move(p));
}

void ProcessLauncher::listen() {
    // A signal that cannot be caught here (valgrind keeps SIGRT32 for itself)
    // is left at its default: the rest are still handled.
    for (int sig : posix::supervisor_signals()) {
        boost::system::error_code ignored;
        signals_.add(sig, ignored);
    }
    // The children's terminals follow procrun's own.
    if (any_pty_)
        window_ = posix::terminal_window_size();
    wait_signal();
    reaper_.on_orphan([this](pid_t pid, int) { orphan_reaped(pid); });
    reaper_.after_reap([this] { look_for_orphans(); });
    reaper_.on_stopped([this](pid_t pid, int sig) {
        for (std::size_t id = 0; id < procs_.size(); ++id) {
            if (procs_[id]->pid == pid && child_stopped_)
                child_stopped_(id, sig);
        }
    });
}

// ---- spawning ----------------------------------------------------------------

// Each spawn is a handler of its own, so the loop handles whatever else is
// ready (output, signals, control requests) between two spawns: a start of
// thousands never holds the loop for more than one fork.
void ProcessLauncher::spawn(std::size_t id) {
    InstanceProcess& p = *procs_[id];
    p.spawn_queued = true;
    asio::post(io_, [this, id] {
        if (!procs_[id]->spawn_queued)
            return;  // cancelled
        procs_[id]->spawn_queued = false;
        spawn_now(id);
    });
}

void ProcessLauncher::cancel_spawn(std::size_t id) {
    procs_[id]->spawn_queued = false;
}

void ProcessLauncher::spawn_now(std::size_t id) {
    InstanceProcess& p = *procs_[id];
    // A restart: what the previous run left in its pipe is printed first.
    if (p.open) {
        drain(p, id, static_cast<std::size_t>(kDefaultPipeCapacity));
        if (p.open)
            close_pipe(p, id);
    }
    p.group.cancel();
    close_input(p);
    ++p.generation;
    p.read_armed = false;
    p.paused = false;
    p.pid = -1;
    p.pty = p.instance->lifecycle->pty;
    try {
        // Everything that can fail but the fork itself comes first, so that a
        // failure never leaves a started process unwatched.
        posix::SpawnOptions options;
        options.command = p.instance->command;
        options.env = plan_.environment_of(*p.instance).to_strings();
        options.cwd = p.instance->working_dir;
        // If procrun dies without stopping it (SIGKILL, a crash), the app gets
        // its stop signal from the kernel; the guardian handles the rest of the group.
        options.parent_death_signal = p.instance->lifecycle->stop_signal;
        options.nofile_soft = limit_.original_soft;
        posix::Fd child_end;
        posix::Fd child_input;
        open_output(p, options, child_end);
        open_input(p, options, child_input);
        p.pid = posix::spawn_detached(options);
        // Only the child holds its end now: its exit ends the output (EOF, or
        // EIO on a terminal).
        child_end.reset();
        child_input.reset();
        p.open = true;
        watch(id);
    } catch (const std::exception& e) {
        boost::system::error_code ignored;
        p.pipe.close(ignored);
        close_input(p);
        events_->spawn_failed(id, e.what());
        return;
    }
    events_->started(id, p.pid);
    arm_read(id);
}

void ProcessLauncher::open_output(InstanceProcess& p, posix::SpawnOptions& options,
                                  posix::Fd& child_end) {
    if (p.pty) {
        posix::PtyChannel pty = posix::open_pty(window_);
        p.pipe.assign(pty.master.release());
        child_end = std::move(pty.slave);
        options.pty_slave = child_end.get();
        return;
    }
    posix::Pipe pipe = posix::make_pipe(true);
    // A bigger pipe lets a fast writer go on while procrun formats: fewer
    // context switches.
    if (pipe_size_ > static_cast<int>(kPipeSizeMin))
        posix::set_pipe_size(pipe.write.get(), pipe_size_);
    p.pipe.assign(pipe.read.release());
    child_end = std::move(pipe.write);
    options.output_fd = child_end.get();
}

// The reaper is the only waiter; it must know the pid before the loop runs again.
void ProcessLauncher::watch(std::size_t id) {
    InstanceProcess& p = *procs_[id];
    const unsigned generation = p.generation;
    reaper_.watch(p.pid, [this, id, generation](int status) { on_reaped(id, generation, status); });
    groups_.push_back(p.pid);
    group_set_.insert(p.pid);
    guardian_.track_group(p.pid, p.instance->lifecycle->stop_signal,
                          p.instance->lifecycle->stop_timeout.value_or(timeout_of(plan_)));
}

void ProcessLauncher::on_reaped(std::size_t id, unsigned generation, int wait_status) {
    InstanceProcess& p = *procs_[id];
    if (generation != p.generation)
        return;
    // Everything the process wrote is in its pipe now, within one pipe's
    // capacity: print it before its exit line, whatever the back-pressure.
    // Output after that comes from other processes still holding the pipe.
    if (p.open) {
        const int capacity = posix::pipe_size(p.pipe.native_handle());
        drain(p, id, static_cast<std::size_t>(capacity > 0 ? capacity : kDefaultPipeCapacity));
    }
    // Its stdin ends with it: a process it left behind reads end-of-file.
    close_input(p);
    const pid_t pgid = p.pid;
    const bool empty = !posix::group_exists(pgid);
    if (empty)
        guardian_.untrack(pgid);
    events_->exited(id, ExitStatus::from_wait_status(wait_status), empty);
    if (empty)
        return;
    p.group.start(pgid, [this, id, generation, pgid] {
        guardian_.untrack(pgid);
        if (procs_[id]->generation == generation)
            events_->group_empty(id);
    });
}

// ---- signals and the timer -----------------------------------------------------

int ProcessLauncher::signal_group(std::size_t id, int signal) {
    const InstanceProcess& p = *procs_[id];
    if (p.pid > 0 && !posix::signal_group(p.pid, signal))
        return errno;
    return 0;
}

void ProcessLauncher::forward_signal(std::size_t id, int signal) {
    if (procs_[id]->pid > 0)
        posix::forward_to_group(procs_[id]->pid, signal);
}

void ProcessLauncher::signal_process(int pid, int signal) {
    posix::signal_process(pid, signal);
}

std::vector<int> ProcessLauncher::signal_instance(std::size_t id, int signal) {
    std::vector<pid_t> sent_to;
    if (procs_[id]->pid > 0)
        posix::forward_to_group(procs_[id]->pid, signal, &sent_to);
    return {sent_to.begin(), sent_to.end()};
}

int ProcessLauncher::stopped_by(std::size_t id) const {
    const pid_t pid = procs_[id]->pid;
    return pid > 0 ? reaper_.stop_signal(pid) : 0;
}

std::vector<pid_t> ProcessLauncher::live_groups() const {
    std::vector<pid_t> out;
    for (const auto& p : procs_) {
        if (p->pid > 0 && (reaper_.watching(p->pid) || p->group.active()))
            out.push_back(p->pid);
    }
    return out;
}

void ProcessLauncher::wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
        if (ec)
            return;
        if (job_signal_ && job_signal_(sig)) {
            // SIGTSTP, SIGCONT: job control
        } else {
            // SIGWINCH also goes to the policy: a type may forward it.
            if (sig == SIGWINCH && any_pty_)
                resize_ptys();
            events_->signal(sig);
        }
        wait_signal();
    });
}

void ProcessLauncher::resize_ptys() {
    window_ = posix::terminal_window_size();
    for (auto& p : procs_) {
        // The kernel sends SIGWINCH to the child's group when the size changes.
        if (p->pty && p->open)
            posix::set_window_size(p->pipe.native_handle(), window_);
    }
}

void ProcessLauncher::arm_deadline(TimePoint at) {
    deadline_.expires_at(at);
    deadline_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec)
            events_->deadline();
    });
}

void ProcessLauncher::cancel_deadline() {
    deadline_.cancel();
}

void ProcessLauncher::kill_all() {
    for (const auto& p : procs_) {
        if (p->pid > 0)
            posix::signal_group(p->pid, SIGKILL);
    }
}

// ---- probes ----------------------------------------------------------------------

bool ProcessLauncher::start_probe(std::size_t id) {
    InstanceProcess& p = *procs_[id];
    if (!p.probe)
        return false;
    p.probe->start([this, id, generation = p.generation](ProbeResult result) {
        if (procs_[id]->generation == generation)
            events_->probe_result(id, result.ready, result.detail);
    });
    return p.probe->wants_lines();
}

void ProcessLauncher::cancel_probe(std::size_t id) {
    if (procs_[id]->probe)
        procs_[id]->probe->cancel();
}

void ProcessLauncher::probe_line(std::size_t id, std::string_view line) {
    Probe* probe = procs_[id]->probe.get();
    if (probe != nullptr && probe->wants_lines())
        probe->feed_line(line);
}

// ---- processes that left their group -------------------------------------------

// A process was reaped: its children, if it had any, are procrun's now. Each
// one not known yet is recorded with the guardian at once (so a SIGKILL of
// procrun does not leave it running); one outside every instance's group is
// reported. A zombie is not: it has exited.
void ProcessLauncher::look_for_orphans() {
    std::vector<EscapedProcess> found;
    for (pid_t pid : posix::own_children()) {
        if (pid == guardian_.pid() || reaper_.watching(pid) || known_children_.count(pid) != 0)
            continue;
        const auto live = posix::live_process(pid);
        if (!live)
            continue;
        known_children_.insert(pid);
        if (group_set_.count(live->pgid) != 0) {
            guardian_.track_process(pid, SIGTERM, timeout_of(plan_));
            continue;
        }
        guardian_.track_group(live->pgid, SIGTERM, timeout_of(plan_));
        found.push_back(EscapedProcess{pid, live->pgid, live->command});
    }
    if (!found.empty())
        events_->escaped(std::move(found), false);
}

void ProcessLauncher::orphan_reaped(pid_t pid) {
    if (known_children_.erase(pid) != 0)
        guardian_.untrack(pid);
    events_->escapee_gone(pid);
}

void ProcessLauncher::find_escapees() {
    std::vector<EscapedProcess> found;
    for (const auto& e : posix::escaped_processes(groups_, {guardian_.pid()})) {
        guardian_.track_process(e.pid, SIGTERM, timeout_of(plan_));
        found.push_back(EscapedProcess{e.pid, e.pgid, e.command});
    }
    events_->escaped(std::move(found), true);
}

}  // namespace procrun
