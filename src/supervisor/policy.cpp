#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>

#include "posix/signals.hpp"
#include "procrun/supervisor.hpp"

namespace procrun {

ExitStatus ExitStatus::from_wait_status(int status) {
    if (WIFSIGNALED(status))
        return ExitStatus{0, WTERMSIG(status), WCOREDUMP(status) != 0};
    if (WIFEXITED(status))
        return exited(WEXITSTATUS(status));
    return exited(0);
}

std::string describe(const ExitStatus& status) {
    if (status.signal == 0)
        return "exited with code " + std::to_string(status.code);
    std::string s = "terminated by " + posix::signal_name(status.signal);
    if (status.core_dumped)
        s += " (core dumped)";
    return s;
}

namespace {

std::string processes(std::size_t n) {
    return std::to_string(n) + (n == 1 ? " process" : " processes");
}

std::vector<Member> members_of(const std::vector<std::string>& names) {
    std::vector<Member> members;
    for (const auto& name : names) {
        const auto dot = name.rfind('.');
        members.push_back(Member{name, dot == std::string::npos ? name : name.substr(0, dot), {}});
    }
    return members;
}

std::string seconds_text(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0)
        return std::to_string(d.count() / 1000) + "s";
    return std::to_string(d.count()) + "ms";
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty())
            out += sep;
        out += p;
    }
    return out;
}

std::string waiting_for(const Dependency& d) {
    switch (d.condition) {
        case DependencyCondition::started:
            return d.type + " to start";
        case DependencyCondition::ready:
            return d.type + " to be ready";
        case DependencyCondition::completed_successfully:
            return d.type + " to complete successfully";
    }
    return d.type;
}

}  // namespace

Supervisor::Supervisor(std::vector<Member> members, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
    for (auto& m : members) {
        Proc p;
        p.member = std::move(m);
        procs_.push_back(std::move(p));
    }
}

Supervisor::Supervisor(const std::vector<std::string>& names, std::chrono::milliseconds timeout)
    : Supervisor(members_of(names), timeout) {}

std::vector<Action> Supervisor::start(TimePoint now) {
    std::vector<Action> out;
    if (phase_ != Phase::idle)
        return out;
    phase_ = Phase::running;
    // One at a time: the next spawn follows the previous one's result, so a
    // failure stops the remaining ones from starting.
    spawn_next(now, out);
    finish_if_done(out);
    rearm(out);
    return out;
}

std::vector<Action> Supervisor::handle(const Event& event, TimePoint now) {
    std::vector<Action> out;
    if (phase_ == Phase::finished)
        return out;
    std::visit([&](const auto& e) { on(e, now, out); }, event);
    rearm(out);
    return out;
}

MemberStatus Supervisor::status(std::size_t i) const {
    MemberStatus st;
    if (i >= procs_.size())
        return st;
    const Proc& p = procs_[i];
    const bool probed = p.member.lifecycle.readiness.kind != ProbeKind::none;
    st.restarts = p.restarts;
    st.last_exit = p.last_exit;
    st.last_failure = p.last_failure;
    const bool halting = p.stop_requested || stopping();
    switch (p.state) {
        case State::pending:
            st.state = p.announced_waiting ? "waiting" : "starting";
            break;
        case State::spawning:
            st.state = "starting";
            break;
        case State::running:
            st.state = halting ? "stopping" : "running";
            st.started_at = p.started_at;
            break;
        case State::exited:
            st.state = halting ? "stopping" : "exited";
            break;
        case State::backoff:
            st.state = "backoff";
            st.restart_at = p.restart_at;
            break;
        case State::stopped:
            st.state = "stopped";
            break;
        case State::done: {
            const bool failed =
                !p.last_failure.empty() ||
                (p.last_exit && p.last_exit->shell_code() != 0 && !p.stop_requested);
            st.state = failed ? "failed" : "exited";
            break;
        }
    }
    if (probed) {
        if (p.probe_failed)
            st.readiness = "failed";
        else if (p.ready)
            st.readiness = "ready";
        else if (p.state == State::running)
            st.readiness = "pending";
    }
    return st;
}

void Supervisor::on(const event::Started& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= procs_.size() || procs_[e.process].state != State::spawning)
        return;
    Proc& p = procs_[e.process];
    spawn_in_flight_ = false;
    p.state = State::running;
    p.started_once = true;
    p.started_at = now;
    p.announced_waiting = false;
    out.emplace_back(
        action::Announce{p.member.name + " started with pid " + std::to_string(e.pid)});
    if (stopping()) {
        // Started while stopping (not by this policy's order): stop it too.
        stop_one(e.process, now, out);
        return;
    }
    if (p.member.lifecycle.readiness.kind != ProbeKind::none) {
        out.emplace_back(action::StartProbe{e.process});
    } else {
        p.ready = true;
        p.ready_once = true;
    }
    spawn_next(now, out);
}

void Supervisor::on(const event::SpawnFailed& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= procs_.size() || procs_[e.process].state != State::spawning)
        return;
    Proc& p = procs_[e.process];
    spawn_in_flight_ = false;
    p.state = State::done;
    p.last_failure = "could not start: " + e.reason;
    out.emplace_back(action::Announce{p.member.name + " could not start: " + e.reason});
    if (stopping()) {
        finish_if_done(out);
        return;
    }
    ended(e.process, ExitStatus::exited(kExitSupervisorFailed), true, now, out);
    spawn_next(now, out);
    finish_if_done(out);
}

void Supervisor::on(const event::Exited& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= procs_.size() || procs_[e.process].state != State::running)
        return;
    Proc& p = procs_[e.process];
    p.state = State::exited;
    p.exited_at = now;
    p.last_exit = e.status;
    p.last_failure.clear();
    if (p.member.lifecycle.readiness.kind != ProbeKind::none && !p.ready && !p.probe_failed)
        out.emplace_back(action::CancelProbe{e.process});
    p.ready = false;
    out.emplace_back(action::Announce{p.member.name + " " + describe(e.status)});
    if (stopping() || p.stop_requested)
        return;  // asked to stop; `then` says what follows
    if (e.status.signal == 0 && e.status.code == 0)
        p.completed_ok = true;
    ended(e.process, e.status, false, now, out);
}

void Supervisor::ended(std::size_t i, const ExitStatus& status, bool spawn_failed, TimePoint now,
                       std::vector<Action>& out) {
    Proc& p = procs_[i];
    const Lifecycle& lc = p.member.lifecycle;
    const bool failure = spawn_failed || status.signal != 0 || status.code != 0;
    if (lc.exit_with) {
        // Its exit stops everything, whatever else is set.
        stop(spawn_failed ? kExitSupervisorFailed : status.shell_code(), now, out);
        return;
    }
    if (!spawn_failed && now - p.started_at >= lc.backoff.reset_after)
        p.consecutive = 0;
    const bool wants =
        lc.restart == RestartPolicy::always || (lc.restart == RestartPolicy::on_failure && failure);
    const bool exhausted = wants && lc.max_restarts >= 0 && p.consecutive >= lc.max_restarts;
    if (wants && !exhausted) {
        ++p.consecutive;
        ++p.restarts;
        const auto delay = lc.backoff.delay(p.consecutive);
        std::string text = p.member.name + " restarts in " + seconds_text(delay) + " (restart " +
                           std::to_string(p.consecutive);
        if (lc.max_restarts >= 0)
            text += " of " + std::to_string(lc.max_restarts);
        out.emplace_back(action::Announce{text + ")"});
        p.restart_at = (spawn_failed ? now : p.exited_at) + delay;
        if (spawn_failed) {
            p.state = State::backoff;
        } else {
            // The rest of its group goes first: the new one starts clean.
            p.then = Then::restart;
            stop_one(i, now, out);
        }
        return;
    }
    if (exhausted) {
        out.emplace_back(action::Announce{
            p.member.name + " was restarted " + std::to_string(p.consecutive) + " times in a row" +
            (lc.on_exhausted == OnExhausted::give_up ? "; giving up" : "; stopping everything")});
    }
    const bool stays = lc.can_die || (exhausted && lc.on_exhausted == OnExhausted::give_up) ||
                       (!failure && depended_on_for_completion(i));
    if (!stays) {
        stop(spawn_failed ? kExitSupervisorFailed : status.shell_code(), now, out);
        return;
    }
    p.then = Then::nothing;
    if (failure && !first_failure_)
        first_failure_ = spawn_failed ? kExitSupervisorFailed : status.shell_code();
    // Whoever waits for it may now never start.
    for (std::size_t j = 0; j < procs_.size(); ++j) {
        std::string why;
        if (procs_[j].state == State::pending && dependencies_broken(j, &why)) {
            fail_dependents(j, why, now, out);
            return;
        }
    }
    spawn_next(now, out);
}

void Supervisor::on(const event::GroupEmpty& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= procs_.size() || procs_[e.process].state != State::exited)
        return;
    Proc& p = procs_[e.process];
    p.kill_at.reset();
    const Then then = stopping() ? Then::nothing : p.then;
    p.then = Then::nothing;
    switch (then) {
        case Then::restart:
            p.state = State::backoff;
            if (p.restart_at <= now) {
                p.state = State::pending;
                spawn_next(now, out);
            }
            break;
        case Then::respawn:
            p.state = State::pending;
            p.stop_requested = false;
            spawn_next(now, out);
            break;
        case Then::stay_stopped:
            p.state = State::stopped;
            break;
        case Then::nothing:
            p.state = State::done;
            break;
    }
    finish_if_done(out);
}

void Supervisor::on(const event::SignalReceived& e, TimePoint now, std::vector<Action>& out) {
    const int sig = e.signal;
    if (forward_signal(sig, out))
        return;
    if (phase_ == Phase::stopping) {
        // A second SIGINT, SIGTERM or SIGQUIT: the user does not want to wait.
        if (sig != SIGINT && sig != SIGTERM && sig != SIGQUIT)
            return;
        out.emplace_back(action::Announce{"received " + posix::signal_name(sig) + " again"});
        kill_remaining(out);
        return;
    }
    if (phase_ == Phase::killing)
        return;
    out.emplace_back(action::Announce{"received " + posix::signal_name(sig)});
    stop(128 + sig, now, out);
}

void Supervisor::on(const event::DeadlineReached& /*e*/, TimePoint now, std::vector<Action>& out) {
    std::vector<std::size_t> kill;
    for (std::size_t i = 0; i < procs_.size(); ++i) {
        Proc& p = procs_[i];
        if (p.kill_at && *p.kill_at <= now) {
            p.kill_at.reset();
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
        bool waiting = false;
        for (const auto& p : procs_)
            waiting = waiting || p.kill_at.has_value();
        if (!waiting)
            phase_ = Phase::killing;
        return;
    }
    bool woke = false;
    for (auto& p : procs_) {
        if (p.state == State::backoff && p.restart_at <= now) {
            p.state = State::pending;
            woke = true;
        }
    }
    if (woke)
        spawn_next(now, out);
}

void Supervisor::on(const event::OutputFailed& e, TimePoint now, std::vector<Action>& out) {
    stop(e.error == EPIPE ? kExitOutputClosed : kExitSupervisorFailed, now, out);
}

void Supervisor::on(const event::Ready& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= procs_.size())
        return;
    Proc& p = procs_[e.process];
    if (p.state != State::running || p.ready)
        return;
    p.ready = true;
    p.ready_once = true;
    p.probe_failed = false;
    out.emplace_back(action::Announce{p.member.name + " is ready"});
    if (!stopping())
        spawn_next(now, out);
}

void Supervisor::on(const event::NeverReady& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= procs_.size())
        return;
    Proc& p = procs_[e.process];
    if (p.state != State::running || p.ready)
        return;
    p.probe_failed = true;
    out.emplace_back(action::Announce{p.member.name + " did not become ready: " + e.detail});
    if (stopping())
        return;
    for (std::size_t j = 0; j < procs_.size(); ++j) {
        std::string why;
        if (procs_[j].state == State::pending && dependencies_broken(j, &why)) {
            fail_dependents(j, why, now, out);
            return;
        }
    }
}

void Supervisor::on(const event::Control& e, TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::running)
        return;
    for (std::size_t i : e.processes) {
        if (i >= procs_.size())
            continue;
        Proc& p = procs_[i];
        const std::string& name = p.member.name;
        switch (e.op) {
            case event::ControlOp::stop:
                if (p.state == State::running || p.state == State::exited) {
                    if (p.stop_requested && p.then == Then::stay_stopped)
                        break;
                    out.emplace_back(action::Announce{"stopping " + name + " (requested)"});
                    p.stop_requested = true;
                    p.then = Then::stay_stopped;
                    stop_one(i, now, out);
                } else if (p.state == State::pending || p.state == State::backoff) {
                    out.emplace_back(action::Announce{name + " stopped (requested)"});
                    p.state = State::stopped;
                }
                break;
            case event::ControlOp::restart:
                if (p.state == State::running || p.state == State::exited) {
                    out.emplace_back(action::Announce{"restarting " + name + " (requested)"});
                    p.stop_requested = true;
                    p.then = Then::respawn;
                    ++p.restarts;
                    stop_one(i, now, out);
                    break;
                }
                [[fallthrough]];
            case event::ControlOp::start:
                if (p.state == State::stopped || p.state == State::done ||
                    p.state == State::backoff) {
                    out.emplace_back(action::Announce{"starting " + name + " (requested)"});
                    p.state = State::pending;
                    p.stop_requested = false;
                    p.consecutive = 0;
                    p.probe_failed = false;
                }
                break;
        }
    }
    spawn_next(now, out);
    finish_if_done(out);
}

void Supervisor::on(const event::StopAll& e, TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::running)
        return;
    out.emplace_back(action::Announce{e.reason});
    stop(0, now, out);
}

void Supervisor::stop_one(std::size_t i, TimePoint now, std::vector<Action>& out) {
    Proc& p = procs_[i];
    out.emplace_back(action::SignalGroups{p.member.lifecycle.stop_signal, {i}});
    out.emplace_back(action::SignalGroups{SIGCONT, {i}});
    const TimePoint at = now + stop_timeout(i);
    if (!p.kill_at || at < *p.kill_at)
        p.kill_at = at;
}

void Supervisor::spawn_next(TimePoint /*now*/, std::vector<Action>& out) {
    if (phase_ != Phase::running || spawn_in_flight_)
        return;
    for (std::size_t i = 0; i < procs_.size(); ++i) {
        Proc& p = procs_[i];
        if (p.state != State::pending)
            continue;
        if (dependencies_met(i)) {
            p.state = State::spawning;
            spawn_in_flight_ = true;
            out.emplace_back(action::Spawn{i});
            return;
        }
        if (!p.announced_waiting) {
            p.announced_waiting = true;
            std::vector<std::string> what;
            for (const auto& d : p.member.lifecycle.depends_on)
                what.push_back(waiting_for(d));
            out.emplace_back(
                action::Announce{p.member.name + " is waiting for " + join(what, " and ")});
        }
    }
}

bool Supervisor::dependencies_met(std::size_t i) const {
    for (const auto& d : procs_[i].member.lifecycle.depends_on) {
        for (const auto& q : procs_) {
            if (q.member.type != d.type)
                continue;
            switch (d.condition) {
                case DependencyCondition::started:
                    if (!q.started_once)
                        return false;
                    break;
                case DependencyCondition::ready:
                    if (!q.ready_once)
                        return false;
                    break;
                case DependencyCondition::completed_successfully:
                    if (!q.completed_ok)
                        return false;
                    break;
            }
        }
    }
    return true;
}

bool Supervisor::dependencies_broken(std::size_t i, std::string* why) const {
    for (const auto& d : procs_[i].member.lifecycle.depends_on) {
        for (const auto& q : procs_) {
            if (q.member.type != d.type)
                continue;
            const bool over = q.state == State::done || q.state == State::stopped;
            switch (d.condition) {
                case DependencyCondition::started:
                    if (!q.started_once && over) {
                        *why = q.member.name + " " + q.last_failure;
                        return true;
                    }
                    break;
                case DependencyCondition::ready:
                    if (!q.ready_once && q.probe_failed) {
                        *why = q.member.name + " never became ready";
                        return true;
                    }
                    if (!q.ready_once && over) {
                        *why = q.member.name + " ended before it was ready";
                        return true;
                    }
                    break;
                case DependencyCondition::completed_successfully:
                    if (!q.completed_ok && over && q.last_exit) {
                        *why = q.member.name + " " + describe(*q.last_exit);
                        return true;
                    }
                    if (!q.completed_ok && over && !q.last_failure.empty()) {
                        *why = q.member.name + " " + q.last_failure;
                        return true;
                    }
                    break;
            }
        }
    }
    return false;
}

bool Supervisor::depended_on_for_completion(std::size_t i) const {
    for (const auto& q : procs_) {
        for (const auto& d : q.member.lifecycle.depends_on) {
            if (d.type == procs_[i].member.type &&
                d.condition == DependencyCondition::completed_successfully)
                return true;
        }
    }
    return false;
}

void Supervisor::fail_dependents(std::size_t dependent, const std::string& why, TimePoint now,
                                 std::vector<Action>& out) {
    procs_[dependent].last_failure = "dependency failed: " + why;
    out.emplace_back(action::Announce{procs_[dependent].member.name + " cannot start: " + why});
    stop(kExitSupervisorFailed, now, out);
}

void Supervisor::stop(int exit_code, TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::running)
        return;
    phase_ = Phase::stopping;
    exit_code_ = exit_code;
    for (auto& p : procs_) {
        if (p.state == State::pending || p.state == State::backoff || p.state == State::stopped)
            p.state = State::done;
        p.then = Then::nothing;
    }
    const auto targets = alive();
    if (!targets.empty()) {
        std::vector<int> signals;
        for (std::size_t i : targets) {
            const int sig = procs_[i].member.lifecycle.stop_signal;
            if (std::find(signals.begin(), signals.end(), sig) == signals.end())
                signals.push_back(sig);
        }
        if (signals.size() == 1) {
            out.emplace_back(action::Announce{"sending " + posix::signal_name(signals[0]) +
                                              " to all processes"});
        } else {
            std::vector<std::string> parts;
            for (int sig : signals) {
                std::vector<std::string> names;
                for (std::size_t i : targets) {
                    if (procs_[i].member.lifecycle.stop_signal == sig)
                        names.push_back(procs_[i].member.name);
                }
                parts.push_back(posix::signal_name(sig) + " to " + join(names, ", "));
            }
            out.emplace_back(action::Announce{"stopping all processes: " + join(parts, "; ")});
        }
        for (int sig : signals) {
            std::vector<std::size_t> group;
            for (std::size_t i : targets) {
                if (procs_[i].member.lifecycle.stop_signal == sig)
                    group.push_back(i);
            }
            out.emplace_back(action::SignalGroups{sig, group});
        }
        out.emplace_back(action::SignalGroups{SIGCONT, targets});
        for (std::size_t i : targets) {
            const TimePoint at = now + stop_timeout(i);
            if (!procs_[i].kill_at || at < *procs_[i].kill_at)
                procs_[i].kill_at = at;
        }
    }
    finish_if_done(out);
}

void Supervisor::kill_remaining(std::vector<Action>& out) {
    phase_ = Phase::killing;
    for (auto& p : procs_)
        p.kill_at.reset();
    const auto targets = alive();
    if (targets.empty())
        return;
    out.emplace_back(
        action::Announce{"sending SIGKILL to " + processes(targets.size()) + " that did not stop"});
    out.emplace_back(action::SignalGroups{SIGKILL, targets});
}

void Supervisor::finish_if_done(std::vector<Action>& out) {
    if (phase_ == Phase::finished)
        return;
    if (stopping()) {
        if (!alive().empty())
            return;
        phase_ = Phase::finished;
        out.emplace_back(action::Finish{exit_code_});
        return;
    }
    if (phase_ != Phase::running)
        return;
    // Nothing runs and nothing can: every process ended for good.
    for (const auto& p : procs_) {
        if (p.state != State::done)
            return;
    }
    phase_ = Phase::finished;
    out.emplace_back(action::Finish{first_failure_.value_or(0)});
}

void Supervisor::rearm(std::vector<Action>& out) {
    std::optional<TimePoint> earliest;
    if (phase_ != Phase::finished) {
        for (const auto& p : procs_) {
            if (p.kill_at && (!earliest || *p.kill_at < *earliest))
                earliest = p.kill_at;
            if (p.state == State::backoff && (!earliest || p.restart_at < *earliest))
                earliest = p.restart_at;
        }
    }
    if (earliest == armed_)
        return;
    armed_ = earliest;
    if (earliest)
        out.emplace_back(action::ArmDeadline{*earliest});
    else
        out.emplace_back(action::CancelDeadline{});
}

bool Supervisor::alive(std::size_t i) const {
    const State s = procs_[i].state;
    return s == State::running || s == State::exited || s == State::spawning;
}

std::vector<std::size_t> Supervisor::alive() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < procs_.size(); ++i) {
        if (alive(i))
            out.push_back(i);
    }
    return out;
}

std::chrono::milliseconds Supervisor::stop_timeout(std::size_t i) const {
    return procs_[i].member.lifecycle.stop_timeout.value_or(timeout_);
}

}  // namespace procrun
