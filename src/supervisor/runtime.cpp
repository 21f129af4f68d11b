// The event loop of `procrun start`: one thread, one io_context owning every
// child's pipe, exit, process group, the stop deadline, procrun's signals and
// its standard output. It turns what happens into Supervisor events and
// carries out the actions the policy returns.

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <optional>

#include "output/logs.hpp"
#include "output/writer.hpp"
#include "posix/fd.hpp"
#include "posix/guardian.hpp"
#include "posix/limits.hpp"
#include "posix/process_group.hpp"
#include "posix/pty.hpp"
#include "posix/reaper.hpp"
#include "posix/signals.hpp"
#include "posix/spawn.hpp"
#include "procrun/control.hpp"
#include "procrun/supervisor.hpp"
#include "supervisor/job_control.hpp"
#include "supervisor/probe.hpp"

namespace procrun {

namespace {

namespace asio = boost::asio;

// One read(2) from a child's pipe takes at most this much.
constexpr std::size_t kReadSize = 64 * 1024;
// Formatted output waiting to be written: past kHighWater no child's pipe is
// read until the writer has brought it back under kLowWater (back-pressure).
constexpr std::size_t kHighWater = 1024 * 1024;
constexpr std::size_t kLowWater = 256 * 1024;
// Past this much, write at once instead of at the end of the loop's turn.
constexpr std::size_t kFlushAt = 256 * 1024;
// Read at most this much from a pipe when its process has exited, if the pipe
// does not say how big it is: all the process wrote is within one pipe's capacity.
constexpr int kDefaultPipeCapacity = 1024 * 1024;
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

class Runtime : public ControlHandler {
  public:
    Runtime(const Plan& plan, const StartOptions& options, posix::Guardian& guardian,
            posix::FdLimit limit);
    int run();
    // A request from `procrun status|restart|stop|start|kill`.
    ControlReply handle(const ControlRequest& request) override;
    // Last resort when the loop itself failed: SIGKILL to every group started.
    void kill_all();

  private:
    struct Proc {
        Proc(asio::io_context& io, const Instance& inst) : instance(&inst), pipe(io), group(io) {}
        const Instance* instance;
        std::size_t source = 0;
        bool quiet = false;
        pid_t pid = -1;
        unsigned generation = 0;  // one per spawn: callbacks of an earlier run are ignored
        asio::posix::stream_descriptor pipe;
        bool pty = false;         // `pipe` is the master of a pseudo-terminal
        bool open = false;        // the pipe has not reached EOF
        bool read_armed = false;  // a wait for readability is pending
        bool paused = false;      // not read because the output is full
        LineSplitter splitter;
        posix::GroupWatch group;
        std::unique_ptr<Probe> probe;  // when the type has a readiness probe
    };
    enum class Read { data, would_block, eof };

    void feed(Event event);
    void apply_all(std::vector<Action> actions);
    void apply(const Action& action);
    void spawn(std::size_t id);
    void start_probe(std::size_t id);
    void line(Proc& p, std::string_view text, bool continued);
    [[nodiscard]] InstanceStatus status_of(std::size_t id, TimePoint now) const;
    void on_reaped(std::size_t id, unsigned generation, ExitStatus status);
    void drain(Proc& p, std::size_t limit);

    void arm_read(Proc& p);
    void on_readable(Proc& p);
    Read read_once(Proc& p, std::size_t* got = nullptr);
    void close_pipe(Proc& p);

    void wait_signal();
    void resize_ptys();
    // Before finishing: processes that left their group (setsid, daemons) are
    // stopped too, and named.
    void finish_after_escapees(int exit_code);
    void escapees_gone_or_killed(bool deadline);
    void flush();
    void stamp();
    void resume_if_drained();
    void announce(const std::string& text);

    const Plan& plan_;
    posix::Guardian& guardian_;
    posix::FdLimit limit_;
    asio::io_context io_;
    asio::signal_set signals_;
    asio::steady_timer deadline_;
    posix::Reaper reaper_;
    Supervisor policy_;
    OutputBuffer buffer_;
    OutputWriter writer_;
    std::unique_ptr<LogFiles> logs_;  // --log-dir
    posix::Fd dev_null_;
    std::vector<std::unique_ptr<Proc>> procs_;
    std::array<char, kReadSize> read_buf_{};
    std::deque<Event> events_;
    bool dispatching_ = false;
    bool any_paused_ = false;
    bool abandon_output_ = false;
    std::optional<int> finished_;
    std::unique_ptr<ControlServer> control_;
    posix::WindowSize window_{};
    int pipe_size_ = 0;
    std::vector<pid_t> groups_;  // every process group started
    std::vector<pid_t> escapees_;
    asio::steady_timer escapee_deadline_{io_};
    std::optional<int> exit_after_escapees_;
    bool any_pty_ = false;
    JobControl job_{{[this] { return live_groups(); },
                     [this](const std::string& text) { announce(text); }, [this] { flush(); }}};
    std::vector<pid_t> live_groups() const;
};

std::vector<Member> members_of(const Plan& plan) {
    std::vector<Member> members;
    for (const auto& inst : plan.instances)
        members.push_back(Member{inst.name, inst.type, inst.lifecycle});
    return members;
}

std::chrono::milliseconds timeout_of(const Plan& plan) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(plan.timeout);
}

Runtime::Runtime(const Plan& plan, const StartOptions& options, posix::Guardian& guardian,
                 posix::FdLimit limit)
    : plan_(plan),
      guardian_(guardian),
      limit_(limit),
      signals_(io_),
      deadline_(io_),
      reaper_(io_),
      policy_(members_of(plan), timeout_of(plan)),
      buffer_(options.style, plan.name_width()),
      writer_(io_, options.output_fd),
      dev_null_(posix::open_dev_null()) {
    if (options.log_dir) {
        LogOptions log_options;
        log_options.dir = *options.log_dir;
        log_options.format = options.style.format;
        log_options.max_size = options.log_max_size;
        log_options.keep = options.log_keep;
        logs_ = std::make_unique<LogFiles>(std::move(log_options), plan.name_width());
    }
    for (const auto& inst : plan.instances) {
        auto p = std::make_unique<Proc>(io_, inst);
        p->source = buffer_.add_source(inst.name, inst.colour);
        if (logs_)
            logs_->add_source(inst.name);  // the same id as p->source
        p->quiet =
            std::find(options.quiet.begin(), options.quiet.end(), inst.type) != options.quiet.end();
        if (inst.lifecycle.readiness.kind != ProbeKind::none) {
            p->probe =
                std::make_unique<Probe>(io_, inst.lifecycle.readiness, inst.port,
                                        plan.environment_of(inst).to_strings(), plan.root, reaper_);
        }
        procs_.push_back(std::move(p));
    }
    for (int sig : posix::supervisor_signals())
        signals_.add(sig);
    reaper_.on_stopped([this](pid_t pid, int sig) {
        for (const auto& p : procs_) {
            if (p->pid == pid)
                job_.on_child_stopped(p->instance->name, sig);
        }
    });
    for (const auto& inst : plan.instances)
        any_pty_ = any_pty_ || inst.lifecycle.pty;
    pipe_size_ = pipe_size_for(plan.instances.size());
    if (any_pty_) {
        // The children's terminals follow procrun's own.
        window_ = posix::terminal_window_size();
    }
    writer_.on_error([this](int err) {
        write_stderr("procrun: cannot write to standard output: " +
                     std::string(std::strerror(err)) + "; stopping all processes\n");
        feed(event::OutputFailed{err});
    });
    writer_.on_progress([this] { resume_if_drained(); });
}

int Runtime::run() {
    wait_signal();
    try {
        control_ = std::make_unique<ControlServer>(io_, plan_.root, *this);
    } catch (const AlreadyRunning& e) {
        write_stderr(std::string("procrun: ") + e.what() + "\n");
        return kExitSupervisorFailed;
    } catch (const std::exception& e) {
        // Everything else works without it: say so and go on.
        write_stderr(std::string("procrun: warning: no control socket (procrun status, restart, "
                                 "stop will not reach this run): ") +
                     e.what() + "\n");
    }
    apply_all(policy_.start(SteadyClock::now()));
    flush();
    while (!finished_) {
        // Block until something happens, handle everything else that is ready
        // too, then write what this turn produced in as few writes as possible.
        if (io_.run_one() == 0)
            break;
        io_.poll();
        flush();
    }
    // Whatever is left in the pipes (a process outside its group may still
    // hold one) is printed, unterminated last lines included.
    for (auto& p : procs_) {
        drain(*p, kDefaultPipeCapacity);
        if (p->open)
            close_pipe(*p);
        p->group.cancel();
    }
    deadline_.cancel();
    if (logs_)
        logs_->flush();
    if (any_pty_ && writer_.is_terminal())
        buffer_.append_raw(terminal_restore_sequence());
    while (!buffer_.empty() && writer_.error() == 0 && !abandon_output_) {
        writer_.flush(buffer_);
        if (!buffer_.empty() && writer_.waiting())
            io_.run_one();
    }
    return finished_.value_or(kExitSupervisorFailed);
}

void Runtime::feed(Event event) {
    events_.push_back(std::move(event));
    if (!dispatching_)
        apply_all({});
}

// Carries out `actions`, then every event they (and their consequences) raised,
// in order. Events raised while dispatching are queued, never handled re-entrantly.
void Runtime::apply_all(std::vector<Action> actions) {
    dispatching_ = true;
    for (const auto& action : actions)
        apply(action);
    while (!events_.empty()) {
        Event next = std::move(events_.front());
        events_.pop_front();
        for (const auto& action : policy_.handle(next, SteadyClock::now()))
            apply(action);
    }
    dispatching_ = false;
}

void Runtime::apply(const Action& action) {
    std::visit(
        [this](const auto& a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, action::Spawn>) {
                spawn(a.process);
            } else if constexpr (std::is_same_v<T, action::SignalGroups>) {
                for (std::size_t id : a.processes) {
                    const Proc& p = *procs_[id];
                    if (p.pid > 0 && !posix::signal_group(p.pid, a.signal)) {
                        announce("cannot send " + posix::signal_name(a.signal) + " to " +
                                 p.instance->name + ": " + std::strerror(errno));
                    }
                }
            } else if constexpr (std::is_same_v<T, action::ForwardSignal>) {
                for (std::size_t id : a.processes) {
                    if (procs_[id]->pid > 0)
                        posix::forward_to_group(procs_[id]->pid, a.signal);
                }
            } else if constexpr (std::is_same_v<T, action::Announce>) {
                announce(a.text);
            } else if constexpr (std::is_same_v<T, action::ArmDeadline>) {
                deadline_.expires_at(a.at);
                deadline_.async_wait([this](const boost::system::error_code& ec) {
                    if (!ec)
                        feed(event::DeadlineReached{});
                });
            } else if constexpr (std::is_same_v<T, action::CancelDeadline>) {
                deadline_.cancel();
            } else if constexpr (std::is_same_v<T, action::StartProbe>) {
                start_probe(a.process);
            } else if constexpr (std::is_same_v<T, action::CancelProbe>) {
                if (procs_[a.process]->probe)
                    procs_[a.process]->probe->cancel();
            } else if constexpr (std::is_same_v<T, action::Finish>) {
                finish_after_escapees(a.exit_code);
            }
        },
        action);
}

void Runtime::announce(const std::string& text) {
    stamp();
    buffer_.append_system(text);
    if (logs_)
        logs_->append_system(text);
}

void Runtime::spawn(std::size_t id) {
    Proc& p = *procs_[id];
    // A restart: what the previous run left in its pipe is printed first.
    if (p.open) {
        drain(p, kDefaultPipeCapacity);
        if (p.open)
            close_pipe(p);
    }
    p.group.cancel();
    ++p.generation;
    p.read_armed = false;
    p.paused = false;
    p.pid = -1;
    const unsigned generation = p.generation;
    p.pty = p.instance->lifecycle.pty;
    p.splitter.set_strip_cr(p.pty);
    try {
        // Everything that can fail but the fork itself comes first, so that a
        // failure never leaves a started process unwatched.
        posix::SpawnOptions options;
        options.command = p.instance->command;
        options.env = plan_.environment_of(*p.instance).to_strings();
        options.cwd = plan_.root;
        options.stdin_fd = dev_null_.get();
        // If procrun dies without stopping it (SIGKILL, a crash), the app gets
        // its stop signal from the kernel; the guardian handles the rest of the group.
        options.parent_death_signal = p.instance->lifecycle.stop_signal;
        options.nofile_soft = limit_.original_soft;
        posix::Fd child_end;
        if (p.pty) {
            posix::PtyChannel pty = posix::open_pty(window_);
            p.pipe.assign(pty.master.release());
            child_end = std::move(pty.slave);
            options.pty_slave = child_end.get();
        } else {
            posix::Pipe pipe = posix::make_pipe(true);
            // A bigger pipe lets a fast writer go on while procrun formats: fewer
            // context switches. Best effort: the system's limit may be lower.
            if (pipe_size_ > static_cast<int>(kPipeSizeMin))
                ::fcntl(pipe.write.get(), F_SETPIPE_SZ, pipe_size_);
            p.pipe.assign(pipe.read.release());
            child_end = std::move(pipe.write);
            options.output_fd = child_end.get();
        }
        posix::Spawned spawned = posix::spawn_shell(io_.get_executor(), options);
        // Only the child holds its end now: its exit ends the output (EOF, or
        // EIO on a terminal).
        child_end.reset();
        p.open = true;
        p.pid = spawned.pid;
        // The reaper is the only waiter; it must know the pid before the loop runs again.
        reaper_.watch(p.pid, [this, id, generation](int status) {
            on_reaped(id, generation, ExitStatus::from_wait_status(status));
        });
        groups_.push_back(p.pid);
        guardian_.track_group(
            p.pid, p.instance->lifecycle.stop_signal,
            p.instance->lifecycle.stop_timeout.value_or(
                std::chrono::duration_cast<std::chrono::milliseconds>(plan_.timeout)));
    } catch (const std::exception& e) {
        boost::system::error_code ignored;
        p.pipe.close(ignored);
        feed(event::SpawnFailed{id, e.what()});
        return;
    }
    feed(event::Started{id, p.pid});
    arm_read(p);
}

void Runtime::drain(Proc& p, std::size_t limit) {
    std::size_t total = 0;
    std::size_t got = 0;
    while (p.open && total < limit && read_once(p, &got) == Read::data)
        total += got;
}

void Runtime::on_reaped(std::size_t id, unsigned generation, ExitStatus status) {
    Proc& p = *procs_[id];
    if (generation != p.generation)
        return;
    // Everything the process wrote is in its pipe now, within one pipe's
    // capacity: print it before its exit line, whatever the back-pressure.
    // Output after that comes from other processes still holding the pipe.
    if (p.open) {
        int capacity = ::fcntl(p.pipe.native_handle(), F_GETPIPE_SZ);
        if (capacity <= 0)
            capacity = kDefaultPipeCapacity;
        drain(p, static_cast<std::size_t>(capacity));
    }
    feed(event::Exited{id, status});
    const pid_t pgid = p.pid;
    p.group.start(pgid, [this, id, generation, pgid] {
        guardian_.untrack(pgid);
        if (procs_[id]->generation == generation)
            feed(event::GroupEmpty{id});
    });
}

void Runtime::arm_read(Proc& p) {
    if (!p.open || p.read_armed)
        return;
    if (buffer_.size() >= kHighWater && writer_.error() == 0) {
        p.paused = true;
        any_paused_ = true;
        return;
    }
    p.read_armed = true;
    p.pipe.async_wait(asio::posix::descriptor_base::wait_read,
                      [this, &p, generation = p.generation](const boost::system::error_code& ec) {
                          if (generation != p.generation)
                              return;  // a wait on the pipe of an earlier run
                          p.read_armed = false;
                          if (ec)
                              return;
                          on_readable(p);
                      });
}

void Runtime::on_readable(Proc& p) {
    if (!p.open)
        return;
    if (buffer_.size() < kHighWater || writer_.error() != 0)
        read_once(p);
    arm_read(p);
}

Runtime::Read Runtime::read_once(Proc& p, std::size_t* got) {
    ssize_t n;
    do {
        n = ::read(p.pipe.native_handle(), read_buf_.data(), read_buf_.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return Read::would_block;
    if (n <= 0) {
        close_pipe(p);
        return Read::eof;
    }
    if (got != nullptr)
        *got = static_cast<std::size_t>(n);
    stamp();
    p.splitter.feed(
        std::string_view(read_buf_.data(), static_cast<std::size_t>(n)),
        [this, &p](std::string_view text, bool continued) { line(p, text, continued); });
    if (buffer_.size() >= kFlushAt)
        writer_.flush(buffer_);
    return Read::data;
}

void Runtime::line(Proc& p, std::string_view text, bool continued) {
    if (!p.quiet)
        buffer_.append(p.source, text, continued);
    if (logs_)
        logs_->append(p.source, text, continued);  // -q hides a type from the terminal only
    if (p.probe && p.probe->wants_lines())
        p.probe->feed_line(text);
}

void Runtime::start_probe(std::size_t id) {
    Proc& p = *procs_[id];
    if (!p.probe)
        return;
    p.probe->start([this, id, generation = p.generation](ProbeResult result) {
        if (procs_[id]->generation != generation)
            return;
        if (result.ready)
            feed(event::Ready{id});
        else
            feed(event::NeverReady{id, result.detail});
    });
}

InstanceStatus Runtime::status_of(std::size_t id, TimePoint now) const {
    const Proc& p = *procs_[id];
    const MemberStatus m = policy_.status(id);
    InstanceStatus st;
    st.name = p.instance->name;
    st.type = p.instance->type;
    st.state = m.state;
    if (m.state == "running" || m.state == "stopping" || m.state == "exited")
        st.pid = p.pid > 0 ? p.pid : 0;
    if (m.started_at) {
        st.uptime_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(now - *m.started_at).count();
    }
    st.restarts = m.restarts;
    if (!m.last_failure.empty())
        st.last_exit = m.last_failure;
    else if (m.last_exit)
        st.last_exit = describe(*m.last_exit);
    st.readiness = m.readiness;
    if (const int stop = reaper_.stop_signal(p.pid); stop != 0 && st.pid > 0)
        st.state = stopped_state(stop);
    return st;
}

ControlReply Runtime::handle(const ControlRequest& request) {
    const TimePoint now = SteadyClock::now();
    ControlReply reply;
    if (request.command == ControlCommand::status) {
        for (std::size_t i = 0; i < procs_.size(); ++i)
            reply.instances.push_back(status_of(i, now));
        return reply;
    }
    if (policy_.stopping() || policy_.finished())
        return ControlReply::failure("procrun is stopping");
    if (request.command == ControlCommand::kill) {
        feed(event::StopAll{"stopping everything (procrun kill)"});
        return reply;
    }
    const ResolvedTargets targets = resolve_targets(request.targets, plan_.instances);
    if (!targets.ok())
        return ControlReply::failure(targets.error);
    if (request.command == ControlCommand::signal) {
        return signal_instances(
            request.signal, targets.instances, [this](std::size_t i) { return procs_[i]->pid; },
            [this, now](std::size_t i) { return status_of(i, now); });
    }
    event::ControlOp op = event::ControlOp::start;
    if (request.command == ControlCommand::stop)
        op = event::ControlOp::stop;
    else if (request.command == ControlCommand::restart)
        op = event::ControlOp::restart;
    feed(event::Control{op, targets.instances});
    for (std::size_t i : targets.instances)
        reply.instances.push_back(status_of(i, SteadyClock::now()));
    return reply;
}

void Runtime::close_pipe(Proc& p) {
    stamp();
    p.splitter.finish(
        [this, &p](std::string_view text, bool continued) { line(p, text, continued); });
    p.open = false;
    p.paused = false;
    boost::system::error_code ignored;
    p.pipe.close(ignored);
}

void Runtime::wait_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
        if (ec)
            return;
        if (job_.on_signal(sig)) {
            // SIGTSTP, SIGCONT: job control
        } else if (sig == SIGWINCH) {
            if (any_pty_)
                resize_ptys();
            if (!finished_)
                feed(event::SignalReceived{sig});
        } else if (finished_) {
            // Only the last output is still being written: stop waiting for it.
            if (sig == SIGINT || sig == SIGTERM)
                abandon_output_ = true;
        } else {
            feed(event::SignalReceived{sig});
        }
        wait_signal();
    });
}

void Runtime::finish_after_escapees(int exit_code) {
    escapees_.clear();
    for (const auto& e : posix::escaped_processes(groups_, {guardian_.pid()})) {
        announce("pid " + std::to_string(e.pid) + " (" + e.command +
                 ") left its process group; sent SIGTERM");
        ::kill(e.pid, SIGTERM);
        ::kill(e.pid, SIGCONT);
        guardian_.track_process(
            e.pid, SIGTERM, std::chrono::duration_cast<std::chrono::milliseconds>(plan_.timeout));
        escapees_.push_back(e.pid);
    }
    if (escapees_.empty()) {
        finished_ = exit_code;
        return;
    }
    // They are procrun's children now (it is a subreaper): each exit is
    // reaped as an orphan; SIGKILL for those left at the timeout.
    exit_after_escapees_ = exit_code;
    reaper_.on_orphan([this](pid_t, int) { escapees_gone_or_killed(false); });
    escapee_deadline_.expires_after(plan_.timeout);
    escapee_deadline_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec)
            escapees_gone_or_killed(true);
    });
}

void Runtime::escapees_gone_or_killed(bool deadline) {
    if (!exit_after_escapees_)
        return;
    // A reaped orphan is no longer listed; one still listed runs on.
    std::vector<pid_t> running;
    for (const auto& e : posix::escaped_processes(groups_, {guardian_.pid()})) {
        if (std::find(escapees_.begin(), escapees_.end(), e.pid) != escapees_.end())
            running.push_back(e.pid);
    }
    if (!running.empty() && !deadline)
        return;
    if (!running.empty()) {
        announce("sending SIGKILL to " + std::to_string(running.size()) +
                 (running.size() == 1 ? " process that" : " processes that") +
                 " left a process group and did not stop");
        for (pid_t pid : running)
            ::kill(pid, SIGKILL);
    }
    escapee_deadline_.cancel();
    reaper_.on_orphan(nullptr);
    finished_ = *exit_after_escapees_;
    exit_after_escapees_.reset();
}

void Runtime::resize_ptys() {
    window_ = posix::terminal_window_size();
    for (auto& p : procs_) {
        // The kernel sends SIGWINCH to the child's group when the size changes.
        if (p->pty && p->open)
            posix::set_window_size(p->pipe.native_handle(), window_);
    }
}

void Runtime::stamp() {
    const auto now = std::chrono::system_clock::now();
    buffer_.set_time(now);
    if (logs_)
        logs_->set_time(now);
}

void Runtime::flush() {
    if (logs_)
        logs_->flush();
    writer_.flush(buffer_);
    resume_if_drained();
}

void Runtime::resume_if_drained() {
    if (!any_paused_ || (buffer_.size() > kLowWater && writer_.error() == 0))
        return;
    any_paused_ = false;
    for (auto& p : procs_) {
        if (!p->paused)
            continue;
        p->paused = false;
        arm_read(*p);
    }
}

std::vector<pid_t> Runtime::live_groups() const {
    std::vector<pid_t> out;
    for (const auto& p : procs_) {
        if (p->pid > 0 && (reaper_.watching(p->pid) || p->group.active()))
            out.push_back(p->pid);
    }
    return out;
}

void Runtime::kill_all() {
    for (const auto& p : procs_) {
        if (p->pid > 0)
            posix::signal_group(p->pid, SIGKILL);
    }
}

}  // namespace

int run_start(const Plan& plan, const StartOptions& options) {
    posix::ensure_standard_fds();
    posix::set_supervisor_dispositions();
    const posix::FdLimit limit = posix::raise_fd_limit();
    if (auto error = posix::check_fd_budget(plan.instances.size(), options.log_dir.has_value(),
                                            posix::open_fd_count(), limit.soft)) {
        write_stderr("procrun: " + *error + "\n");
        return kExitSupervisorFailed;
    }
    // Orphaned descendants come back to procrun (reaped, and found at stop if
    // they left their group), and a guardian stops every group if procrun dies.
    posix::become_subreaper();
    posix::Guardian guardian = posix::Guardian::start();
    if (!guardian.healthy()) {
        write_stderr(std::string("procrun: warning: no guardian process (") +
                     std::strerror(guardian.error()) +
                     "): if procrun is killed with SIGKILL its processes keep running\n");
    }
    int code = kExitSupervisorFailed;
    {
        Runtime runtime(plan, options, guardian, limit);
        try {
            code = runtime.run();
        } catch (const std::exception& e) {
            // Nothing the loop does should throw; if it does, leave nothing running.
            runtime.kill_all();
            write_stderr(std::string("procrun: internal error: ") + e.what() +
                         "; killed all processes\n");
        }
    }
    guardian.finish();
    return code;
}

}  // namespace procrun
