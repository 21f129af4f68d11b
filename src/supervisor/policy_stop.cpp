// The policy's stopping half: procrun's signals, stopping everything, SIGKILL
// at the deadline, processes that left their groups, finishing, the one
// deadline, and the status of each instance.

#include <signal.h>

#include <algorithm>
#include <cerrno>

#include "procrun/policy.hpp"
#include "procrun/signal_name.hpp"
#include "supervisor/policy_text.hpp"

namespace procrun {

using policy_text::join;
using policy_text::processes;

void Policy::on(const event::SignalReceived& e, TimePoint now, std::vector<Action>& out) {
    const int sig = e.signal;
    if (forward_signal(sig, out))
        return;
    if (phase_ == Phase::stopping || phase_ == Phase::escapees) {
        // A second SIGINT, SIGTERM or SIGQUIT: the user does not want to wait.
        if (sig != SIGINT && sig != SIGTERM && sig != SIGQUIT)
            return;
        out.emplace_back(action::Announce{"received " + signal_name(sig) + " again"});
        if (phase_ == Phase::escapees)
            kill_escapees(out);
        else
            kill_remaining(out);
        return;
    }
    if (phase_ == Phase::killing)
        return;
    out.emplace_back(action::Announce{"received " + signal_name(sig)});
    stop(128 + sig, now, out);
}

void Policy::on(const event::DeadlineReached& /*e*/, TimePoint now, std::vector<Action>& out) {
    if (phase_ == Phase::escapees) {
        if (escapees_kill_at_ && *escapees_kill_at_ <= now)
            kill_escapees(out);
        return;
    }
    std::vector<std::size_t> kill;
    for (std::size_t i = 0; i < states_.size(); ++i) {
        InstanceState& s = states_[i];
        if (s.kill_at && *s.kill_at <= now) {
            s.kill_at.reset();
            if (alive(i))
                kill.push_back(i);
        }
    }
    if (!kill.empty()) {
        out.emplace_back(action::Announce{"sending SIGKILL to " + processes(kill.size()) +
                                          " that did not stop"});
        out.emplace_back(action::SignalGroups{SIGKILL, kill});
    }
    if (phase_ == Phase::stopping) {
        // Those that waited for the processes just killed go next.
        release_stops(now, out);
        const bool waiting = std::any_of(states_.begin(), states_.end(),
                                         [](const InstanceState& s) { return s.kill_at; });
        if (!waiting)
            phase_ = Phase::killing;
        return;
    }
    bool woke = false;
    for (std::size_t i = 0; i < states_.size(); ++i) {
        if (states_[i].state == State::backoff && states_[i].restart_at <= now) {
            make_pending(i);
            woke = true;
        }
    }
    if (woke)
        spawn_next(out);
    end_change_windows(now, out);
}

void Policy::on(const event::OutputFailed& e, TimePoint now, std::vector<Action>& out) {
    stop(e.error == EPIPE ? kExitOutputClosed : kExitSupervisorFailed, now, out);
}

void Policy::on(const event::Escaped& e, TimePoint now, std::vector<Action>& out) {
    if (e.complete) {
        // The answer to FindEscapees: exactly these are left.
        if (phase_ != Phase::escapees || escapees_kill_at_)
            return;
        escapees_ = e.processes;
        if (escapees_.empty()) {
            finish(exit_code_, out);
            return;
        }
        std::vector<int> pids;
        for (const auto& p : escapees_) {
            out.emplace_back(action::Announce{"pid " + std::to_string(p.pid) + " (" + p.command +
                                              ") left its process group; sent SIGTERM"});
            pids.push_back(p.pid);
        }
        out.emplace_back(action::SignalProcesses{SIGTERM, pids});
        out.emplace_back(action::SignalProcesses{SIGCONT, pids});
        escapees_kill_at_ = now + timeout_;
        return;
    }
    for (const auto& p : e.processes) {
        const bool known = std::any_of(escapees_.begin(), escapees_.end(),
                                       [&](const EscapedProcess& k) { return k.pid == p.pid; });
        if (known)
            continue;
        escapees_.push_back(p);
        out.emplace_back(action::Announce{"pid " + std::to_string(p.pid) + " (" + p.command +
                                          ") left its process group"});
        if (phase_ == Phase::escapees && escapees_kill_at_) {
            out.emplace_back(action::SignalProcesses{SIGTERM, {p.pid}});
            out.emplace_back(action::SignalProcesses{SIGCONT, {p.pid}});
        }
    }
}

void Policy::on(const event::EscapeeGone& e, TimePoint /*now*/, std::vector<Action>& out) {
    const auto it = std::find_if(escapees_.begin(), escapees_.end(),
                                 [&](const EscapedProcess& p) { return p.pid == e.pid; });
    if (it == escapees_.end())
        return;
    escapees_.erase(it);
    if (phase_ == Phase::escapees && escapees_kill_at_ && escapees_.empty())
        finish(exit_code_, out);
}

void Policy::stop(int exit_code, TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::running)
        return;
    phase_ = Phase::stopping;
    alive_from_ = 0;
    exit_code_ = exit_code;
    for (std::size_t i = 0; i < states_.size(); ++i) {
        InstanceState& s = states_[i];
        if (s.state == State::spawning) {
            // Not spawned yet: it never will be.
            out.emplace_back(action::CancelSpawn{i});
            spawn_in_flight_ = false;
            s.state = State::done;
        }
        if (s.state == State::pending || s.state == State::backoff || s.state == State::stopped)
            s.state = State::done;
        s.then = Then::nothing;
    }
    const auto targets = alive();
    if (!targets.empty())
        stop_targets(targets, now, out);
    finish_if_done(out);
}

void Policy::announce_stop(const std::vector<std::size_t>& targets,
                           std::vector<Action>& out) const {
    std::vector<int> signals;
    for (std::size_t i : targets) {
        const int sig = lifecycle(i).stop_signal;
        if (std::find(signals.begin(), signals.end(), sig) == signals.end())
            signals.push_back(sig);
    }
    if (signals.size() == 1) {
        out.emplace_back(
            action::Announce{"sending " + signal_name(signals[0]) + " to all processes"});
        return;
    }
    std::vector<std::string> parts;
    for (int sig : signals) {
        std::vector<std::string> names;
        for (std::size_t i : targets) {
            if (lifecycle(i).stop_signal == sig)
                names.push_back(name(i));
        }
        parts.push_back(signal_name(sig) + " to " + join(names, ", "));
    }
    out.emplace_back(action::Announce{"stopping all processes: " + join(parts, "; ")});
}

void Policy::kill_remaining(std::vector<Action>& out) {
    phase_ = Phase::killing;
    for (auto& s : states_)
        s.kill_at.reset();
    const auto targets = alive();
    if (targets.empty())
        return;
    out.emplace_back(
        action::Announce{"sending SIGKILL to " + processes(targets.size()) + " that did not stop"});
    out.emplace_back(action::SignalGroups{SIGKILL, targets});
}

void Policy::kill_escapees(std::vector<Action>& out) {
    if (!escapees_.empty()) {
        out.emplace_back(action::Announce{"sending SIGKILL to " + processes(escapees_.size()) +
                                          " that left a process group and did not stop"});
        std::vector<int> pids;
        for (const auto& p : escapees_)
            pids.push_back(p.pid);
        out.emplace_back(action::SignalProcesses{SIGKILL, pids});
    }
    finish(exit_code_, out);
}

void Policy::finish_if_done(std::vector<Action>& out) {
    if (phase_ == Phase::finished || phase_ == Phase::escapees)
        return;
    if (stopping()) {
        if (!any_alive())
            finish(exit_code_, out);
        return;
    }
    if (phase_ != Phase::running)
        return;
    // Nothing runs and nothing can: every process ended for good. One never
    // asked for does not count, unless none was ever started: then procrun
    // waits for a request.
    bool any_done = states_.empty();
    for (const auto& s : states_) {
        if (s.state != State::done && !(s.state == State::stopped && s.unstarted))
            return;
        any_done = any_done || s.state == State::done;
    }
    if (!any_done)
        return;
    finish(first_failure_.value_or(0), out);
}

// Every group is gone: the processes that left theirs go last (FindEscapees),
// then procrun finishes.
void Policy::finish(int exit_code, std::vector<Action>& out) {
    exit_code_ = exit_code;
    if (!swept_) {
        swept_ = true;
        phase_ = Phase::escapees;
        for (auto& s : states_)
            s.kill_at.reset();
        out.emplace_back(action::FindEscapees{});
        return;
    }
    phase_ = Phase::finished;
    escapees_kill_at_.reset();
    out.emplace_back(action::Finish{exit_code});
}

void Policy::rearm(std::vector<Action>& out) {
    std::optional<TimePoint> earliest;
    if (phase_ == Phase::escapees) {
        earliest = escapees_kill_at_;
    } else if (phase_ != Phase::finished) {
        earliest = earliest_due();
        if (const auto due = change_window_due(); due && (!earliest || *due < *earliest))
            earliest = due;
    }
    if (earliest == armed_)
        return;
    armed_ = earliest;
    if (earliest)
        out.emplace_back(action::ArmDeadline{*earliest});
    else
        out.emplace_back(action::CancelDeadline{});
}

bool Policy::alive(std::size_t i) const {
    const InstanceState& s = states_[i];
    return s.state == State::running || s.state == State::spawning ||
           (s.state == State::exited && !s.group_gone);
}

std::vector<std::size_t> Policy::alive() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < states_.size(); ++i) {
        if (alive(i))
            out.push_back(i);
    }
    return out;
}

std::chrono::milliseconds Policy::stop_timeout(std::size_t i) const {
    return lifecycle(i).stop_timeout.value_or(timeout_);
}

InstanceStatus Policy::status(std::size_t i, TimePoint now) const {
    InstanceStatus st;
    if (i >= states_.size())
        return st;
    const InstanceState& s = states_[i];
    st.name = s.instance->name;
    st.type = s.instance->type;
    st.restarts = s.restarts;
    const bool halting = s.stop_requested || stopping();
    switch (s.state) {
        case State::pending:
            st.state = s.announced_waiting ? "waiting" : "starting";
            break;
        case State::spawning:
            st.state = "starting";
            break;
        case State::running:
            st.state = halting ? "stopping" : "running";
            break;
        case State::exited:
            st.state = halting ? "stopping" : "exited";
            break;
        case State::backoff:
            st.state = "backoff";
            break;
        case State::stopped:
            st.state = "stopped";
            break;
        case State::done: {
            const bool failed =
                !s.last_failure.empty() ||
                (s.last_exit && s.last_exit->shell_code() != 0 && !s.stop_requested);
            st.state = failed ? "failed" : "exited";
            break;
        }
    }
    if (st.state == "running" || st.state == "stopping" || st.state == "exited")
        st.pid = s.pid;
    if (s.state == State::running) {
        st.uptime_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(now - s.started_at).count();
    }
    if (!s.last_failure.empty())
        st.last_exit = s.last_failure;
    else if (s.last_exit)
        st.last_exit = describe(*s.last_exit);
    if (lifecycle(i).readiness.kind != ProbeKind::none) {
        if (s.probe_failed)
            st.readiness = "failed";
        else if (s.ready)
            st.readiness = "ready";
        else if (s.state == State::running)
            st.readiness = "pending";
    }
    if (const std::string health = liveness_status(i); !health.empty())
        st.readiness += (st.readiness.empty() ? "" : ", ") + health;
    return st;
}

}  // namespace procrun
