#include "supervisor/runtime.hpp"

#include <signal.h>

#include <algorithm>
#include <cstring>

#include "procrun/signal_name.hpp"

namespace procrun {

Runtime::Runtime(const Plan& plan, Launcher& launcher, Sink& sink,
                 const std::vector<std::string>& unstarted)
    : plan_(plan),
      launcher_(launcher),
      sink_(sink),
      instances_(plan),
      policy_(plan.instances, std::chrono::duration_cast<std::chrono::milliseconds>(plan.timeout)),
      outputs_(plan.instances.size()) {
    launcher_.connect(*this);
    for (std::size_t id = 0; id < plan.instances.size(); ++id) {
        const std::string& type = plan.instances[id].type;
        if (std::find(unstarted.begin(), unstarted.end(), type) != unstarted.end())
            policy_.leave_unstarted(id);
    }
    for (const auto& type : plan.types) {
        if (type.selected)
            continue;
        for (int index = 1; index <= type.count; ++index)
            add_instance(type, index);
    }
}

std::size_t Runtime::add_instance(const ProcessType& type, int index) {
    const std::size_t id = instances_.add(type, index);
    const Instance& inst = instances_[id];
    policy_.add_instance(inst);
    outputs_.emplace_back();
    launcher_.add_instance(id, inst);
    sink_.add_source(id, inst);
    return id;
}

void Runtime::start() {
    apply_all(policy_.start(launcher_.now()));
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
        for (const auto& action : policy_.handle(next, launcher_.now()))
            apply(action);
    }
    dispatching_ = false;
    check_startup();
}

void Runtime::check_startup() {
    if (!startup_)
        return;
    const Policy::Startup now = policy_.startup();
    if (now == Policy::Startup::starting)
        return;
    // Told once; what it does may feed events (they find no watch any more).
    const StartupWatch watch = std::move(*startup_);
    startup_.reset();
    watch.decided(now == Policy::Startup::up);
}

void Runtime::apply(const Action& action) {
    std::visit(
        [this](const auto& a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, action::Spawn>) {
                outputs_[a.process].splitter.set_strip_cr(instances_[a.process].lifecycle->pty);
                outputs_[a.process].probe_reads_lines = false;
                partials_.forget(a.process);
                launcher_.spawn(a.process);
            } else if constexpr (std::is_same_v<T, action::CancelSpawn>) {
                launcher_.cancel_spawn(a.process);
            } else if constexpr (std::is_same_v<T, action::SignalGroups>) {
                signal_groups(a);
            } else if constexpr (std::is_same_v<T, action::ForwardSignal>) {
                for (std::size_t id : a.processes)
                    launcher_.forward_signal(id, a.signal);
            } else if constexpr (std::is_same_v<T, action::SignalProcesses>) {
                for (int pid : a.pids)
                    launcher_.signal_process(pid, a.signal);
            } else if constexpr (std::is_same_v<T, action::FindEscapees>) {
                launcher_.find_escapees();
            } else if constexpr (std::is_same_v<T, action::Announce>) {
                announce(a.text);
            } else if constexpr (std::is_same_v<T, action::ArmDeadline>) {
                launcher_.arm_deadline(a.at);
            } else if constexpr (std::is_same_v<T, action::CancelDeadline>) {
                launcher_.cancel_deadline();
            } else if constexpr (std::is_same_v<T, action::StartProbe>) {
                outputs_[a.process].probe_reads_lines = launcher_.start_probe(a.process);
            } else if constexpr (std::is_same_v<T, action::CancelProbe>) {
                outputs_[a.process].probe_reads_lines = false;
                launcher_.cancel_probe(a.process);
            } else if constexpr (std::is_same_v<T, action::Finish>) {
                exit_code_ = a.exit_code;
            } else if constexpr (std::is_same_v<T, action::RunStopCommand>) {
                launcher_.run_stop_command(a.process);
            } else if constexpr (std::is_same_v<T, action::StartLiveness>) {
                launcher_.start_liveness(a.process);
            } else if constexpr (std::is_same_v<T, action::CancelLiveness>) {
                launcher_.cancel_liveness(a.process);
            }
        },
        action);
}

void Runtime::signal_groups(const action::SignalGroups& a) {
    for (std::size_t id : a.processes) {
        const int error = launcher_.signal_group(id, a.signal);
        if (error != 0) {
            announce("cannot send " + signal_name(a.signal) + " to " + instances_[id].name + ": " +
                     std::strerror(error));
        }
    }
}

void Runtime::announce(const std::string& text) {
    if (startup_ && startup_->announced)
        startup_->announced(text);
    sink_.stamp();
    sink_.system(text);
}

void Runtime::flush() {
    sink_.flush();
    output_progressed();
}

void Runtime::output_progressed() {
    if (!paused_ || (sink_.pending() > kLowWater && !sink_.failed()))
        return;
    paused_ = false;
    launcher_.resume_output();
}

void Runtime::output_failed(int error) {
    sink_.report("cannot write to standard output: " + std::string(std::strerror(error)) +
                 "; stopping all processes");
    feed(event::OutputFailed{error});
}

bool Runtime::accepting_output() {
    if (sink_.pending() < kHighWater || sink_.failed())
        return true;
    // The launcher stops reading: output_progressed() resumes it.
    paused_ = true;
    return false;
}

// ---- what the launcher reports ---------------------------------------------

void Runtime::started(std::size_t id, int pid) {
    feed(event::Started{id, pid});
    if (started_hook_)
        started_hook_(id);
}

void Runtime::spawn_failed(std::size_t id, const std::string& reason) {
    feed(event::SpawnFailed{id, reason});
}

void Runtime::output(std::size_t id, std::string_view bytes) {
    sink_.stamp();
    LineSplitter& splitter = outputs_[id].splitter;
    bool lines = false;  // a line ended: a partial line now began in these bytes
    splitter.feed(bytes, [this, id, &lines](std::string_view text, bool continued) {
        lines = true;
        line(id, text, continued);
    });
    if (splitter.has_partial()) {
        if (auto at = partials_.fed(id, true, lines, launcher_.now()))
            launcher_.arm_prompt_timer(*at);
    } else {
        partials_.fed(id, false, false, TimePoint{});
    }
    if (sink_.pending() >= kFlushAt)
        sink_.flush();
}

void Runtime::output_end(std::size_t id) {
    partials_.forget(id);
    sink_.stamp();
    outputs_[id].splitter.finish(
        [this, id](std::string_view text, bool continued) { line(id, text, continued); });
}

void Runtime::line(std::size_t id, std::string_view text, bool continued) {
    sink_.line(id, text, continued);
    if (outputs_[id].probe_reads_lines)
        launcher_.probe_line(id, text);
}

void Runtime::exited(std::size_t id, const ExitStatus& status, bool group_empty) {
    feed(event::Exited{id, status, group_empty});
}

void Runtime::group_empty(std::size_t id) {
    feed(event::GroupEmpty{id});
}

void Runtime::probe_result(std::size_t id, bool ready, const std::string& detail) {
    outputs_[id].probe_reads_lines = false;
    if (ready)
        feed(event::Ready{id});
    else
        feed(event::NeverReady{id, detail});
}

void Runtime::escaped(std::vector<EscapedProcess> processes, bool complete) {
    feed(event::Escaped{std::move(processes), complete});
}

void Runtime::escapee_gone(int pid) {
    feed(event::EscapeeGone{pid});
}

void Runtime::signal(int sig) {
    if (finished()) {
        // Only the last output is still being written: stop waiting for it.
        if (sig == SIGINT || sig == SIGTERM)
            abandoned_ = true;
        return;
    }
    feed(event::SignalReceived{sig});
}

void Runtime::deadline() {
    feed(event::DeadlineReached{});
}

void Runtime::stop_command_output(std::size_t id, std::string_view bytes) {
    sink_.stamp();
    outputs_[id].stop_command.feed(bytes, [this, id](std::string_view text, bool continued) {
        sink_.line(id, text, continued);
    });
}

void Runtime::stop_command_ended(std::size_t id, const std::string& failure) {
    sink_.stamp();
    outputs_[id].stop_command.finish(
        [this, id](std::string_view text, bool continued) { sink_.line(id, text, continued); });
    if (!failure.empty())
        feed(event::StopCommandFailed{id, failure});
}

void Runtime::liveness_result(std::size_t id, int failures, const std::string& detail) {
    feed(event::Liveness{id, failures, detail});
}

}  // namespace procrun
