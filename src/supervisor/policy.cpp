// The policy's lifecycle half: starting in order, dependencies, exits,
// restarts and control requests. Stopping, escaped processes, the deadline and
// the status are in policy_stop.cpp.

#include "procrun/policy.hpp"

#include <signal.h>

#include "supervisor/policy_text.hpp"

namespace procrun {

using policy_text::join;

namespace {

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

Policy::Policy(const std::vector<Instance>& instances, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
    states_.reserve(instances.size());
    for (const auto& inst : instances) {
        InstanceState s;
        s.instance = &inst;
        states_.push_back(std::move(s));
    }
}

std::vector<Action> Policy::start(TimePoint now) {
    std::vector<Action> out;
    if (phase_ != Phase::idle)
        return out;
    phase_ = Phase::running;
    // One at a time: the next spawn follows the previous one's result, so a
    // failure stops the remaining ones from starting.
    spawn_next(out);
    if (!resolve_waiting(now, out))
        finish_if_done(out);
    rearm(out);
    return out;
}

std::vector<Action> Policy::handle(const Event& event, TimePoint now) {
    std::vector<Action> out;
    if (phase_ == Phase::finished)
        return out;
    std::visit([&](const auto& e) { on(e, now, out); }, event);
    restart_waiting_dependents(now, out);
    release_stops(now, out);
    rearm(out);
    return out;
}

void Policy::on(const event::Started& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= states_.size() || states_[e.process].state != State::spawning)
        return;
    InstanceState& s = states_[e.process];
    spawn_in_flight_ = false;
    s.state = State::running;
    s.pid = e.pid;
    s.group_gone = false;
    s.started_once = true;
    s.started_at = now;
    s.announced_waiting = false;
    s.not_live = false;
    out.emplace_back(
        action::Announce{name(e.process) + " started with pid " + std::to_string(e.pid)});
    if (stopping()) {
        // Started while stopping (not by this policy's order): stop it too.
        stop_one(e.process, now, out);
        return;
    }
    if (lifecycle(e.process).readiness.kind != ProbeKind::none) {
        out.emplace_back(action::StartProbe{e.process});
    } else {
        s.ready = true;
        s.ready_once = true;
        start_liveness(e.process, out);
    }
    spawn_next(out);
}

void Policy::on(const event::SpawnFailed& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= states_.size() || states_[e.process].state != State::spawning)
        return;
    InstanceState& s = states_[e.process];
    spawn_in_flight_ = false;
    s.state = State::done;
    s.pid = 0;
    s.last_failure = "could not start: " + e.reason;
    out.emplace_back(action::Announce{name(e.process) + " could not start: " + e.reason});
    if (stopping()) {
        finish_if_done(out);
        return;
    }
    ended(e.process, ExitStatus::exited(kExitSupervisorFailed), true, now, out);
    spawn_next(out);
    finish_if_done(out);
}

void Policy::on(const event::Exited& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= states_.size() || states_[e.process].state != State::running)
        return;
    InstanceState& s = states_[e.process];
    s.state = State::exited;
    s.exited_at = now;
    s.last_exit = e.status;
    s.last_failure.clear();
    if (lifecycle(e.process).readiness.kind != ProbeKind::none && !s.ready && !s.probe_failed)
        out.emplace_back(action::CancelProbe{e.process});
    if (lifecycle(e.process).liveness.kind != ProbeKind::none)
        out.emplace_back(action::CancelLiveness{e.process});
    s.ready = false;
    out.emplace_back(action::Announce{name(e.process) + " " + describe(e.status)});
    // With nothing of it left, whatever follows (a stop, a restart) has
    // nothing of it to signal.
    s.group_gone = e.group_empty;
    if (!stopping() && !s.stop_requested) {
        if (e.status.signal == 0 && e.status.code == 0)
            s.completed_ok = true;
        ended(e.process, e.status, false, now, out);
    }
    if (e.group_empty)
        on(event::GroupEmpty{e.process}, now, out);
}

void Policy::ended(std::size_t i, const ExitStatus& status, bool spawn_failed, TimePoint now,
                   std::vector<Action>& out) {
    InstanceState& s = states_[i];
    const Lifecycle& lc = lifecycle(i);
    // A process stopped because it was not live failed, however it exited.
    const bool failure = spawn_failed || status.signal != 0 || status.code != 0 || s.not_live;
    if (lc.exit_with) {
        // Its exit stops everything, whatever else is set.
        stop(spawn_failed ? kExitSupervisorFailed : status.shell_code(), now, out);
        return;
    }
    if (!spawn_failed && now - s.started_at >= lc.backoff.reset_after)
        s.consecutive = 0;
    const bool wants =
        lc.restart == RestartPolicy::always || (lc.restart == RestartPolicy::on_failure && failure);
    const bool exhausted = wants && lc.max_restarts >= 0 && s.consecutive >= lc.max_restarts;
    if (wants && !exhausted) {
        restart_later(i, spawn_failed, now, out);
        return;
    }
    if (exhausted) {
        out.emplace_back(action::Announce{
            name(i) + " was restarted " + std::to_string(s.consecutive) + " times in a row" +
            (lc.on_exhausted == OnExhausted::give_up ? "; giving up" : "; stopping everything")});
    }
    const bool stays = lc.can_die || (exhausted && lc.on_exhausted == OnExhausted::give_up) ||
                       (!failure && depended_on_for_completion(i));
    if (!stays) {
        stop(spawn_failed ? kExitSupervisorFailed : status.shell_code(), now, out);
        return;
    }
    s.then = Then::nothing;
    if (failure && !first_failure_)
        first_failure_ = spawn_failed ? kExitSupervisorFailed : status.shell_code();
    // Whoever waits for it may now never start.
    if (!resolve_waiting(now, out))
        spawn_next(out);
}

void Policy::restart_later(std::size_t i, bool spawn_failed, TimePoint now,
                           std::vector<Action>& out) {
    InstanceState& s = states_[i];
    const Lifecycle& lc = lifecycle(i);
    ++s.consecutive;
    ++s.restarts;
    const auto delay = lc.backoff.delay(s.consecutive);
    std::string text = name(i) + " restarts in " + policy_text::seconds(delay) + " (restart " +
                       std::to_string(s.consecutive);
    if (lc.max_restarts >= 0)
        text += " of " + std::to_string(lc.max_restarts);
    out.emplace_back(action::Announce{text + ")"});
    s.restart_at = (spawn_failed ? now : s.exited_at) + delay;
    if (spawn_failed) {
        enter_backoff(i);
    } else {
        // The rest of its group goes first: the new one starts clean.
        s.then = Then::restart;
        stop_one(i, now, out);
    }
}

void Policy::on(const event::GroupEmpty& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= states_.size() || states_[e.process].state != State::exited)
        return;
    InstanceState& s = states_[e.process];
    s.kill_at.reset();
    const Then then = stopping() ? Then::nothing : s.then;
    s.then = Then::nothing;
    switch (then) {
        case Then::restart:
            if (s.restart_at <= now) {
                make_pending(e.process);
                spawn_next(out);
            } else {
                enter_backoff(e.process);
            }
            break;
        case Then::respawn:
            make_pending(e.process);
            s.stop_requested = false;
            spawn_next(out);
            break;
        case Then::stay_stopped:
            s.state = State::stopped;
            break;
        case Then::nothing:
            s.state = State::done;
            break;
    }
    if (!resolve_waiting(now, out))
        finish_if_done(out);
}

void Policy::on(const event::Ready& e, TimePoint /*now*/, std::vector<Action>& out) {
    if (e.process >= states_.size())
        return;
    InstanceState& s = states_[e.process];
    if (s.state != State::running || s.ready)
        return;
    s.ready = true;
    s.ready_once = true;
    s.probe_failed = false;
    out.emplace_back(action::Announce{name(e.process) + " is ready"});
    if (!stopping()) {
        start_liveness(e.process, out);
        spawn_next(out);
    }
}

void Policy::on(const event::NeverReady& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= states_.size())
        return;
    InstanceState& s = states_[e.process];
    if (s.state != State::running || s.ready)
        return;
    s.probe_failed = true;
    out.emplace_back(action::Announce{name(e.process) + " did not become ready: " + e.detail});
    resolve_waiting(now, out);
}

void Policy::on(const event::Control& e, TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::running)
        return;
    for (std::size_t i : e.processes) {
        if (i < states_.size())
            control_one(e.op, i, now, out);
    }
    spawn_next(out);
    finish_if_done(out);
}

void Policy::control_one(event::ControlOp op, std::size_t i, TimePoint now,
                         std::vector<Action>& out) {
    InstanceState& s = states_[i];
    switch (op) {
        case event::ControlOp::stop:
            if (s.state == State::running || s.state == State::exited) {
                if (s.stop_requested && s.then == Then::stay_stopped)
                    break;
                out.emplace_back(action::Announce{"stopping " + name(i) + " (requested)"});
                s.stop_requested = true;
                s.then = Then::stay_stopped;
                stop_one(i, now, out);
            } else if (s.state == State::pending || s.state == State::backoff) {
                out.emplace_back(action::Announce{name(i) + " stopped (requested)"});
                s.state = State::stopped;
            }
            break;
        case event::ControlOp::restart:
            if (s.state == State::running || s.state == State::exited) {
                out.emplace_back(action::Announce{"restarting " + name(i) + " (requested)"});
                s.stop_requested = true;
                s.then = Then::respawn;
                ++s.restarts;
                stop_one(i, now, out);
                break;
            }
            [[fallthrough]];
        case event::ControlOp::start:
            if (s.state == State::stopped || s.state == State::done || s.state == State::backoff) {
                out.emplace_back(action::Announce{"starting " + name(i) + " (requested)"});
                make_pending(i);
                s.unstarted = false;
                s.stop_requested = false;
                s.consecutive = 0;
                s.probe_failed = false;
            }
            break;
    }
}

void Policy::on(const event::StopAll& e, TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::running)
        return;
    out.emplace_back(action::Announce{e.reason});
    stop(0, now, out);
}

void Policy::stop_one(std::size_t i, TimePoint now, std::vector<Action>& out) {
    InstanceState& s = states_[i];
    if (s.state == State::exited && s.group_gone)
        return;
    send_stops({i}, now, false, out);
}

void Policy::spawn_next(std::vector<Action>& out) {
    if (phase_ != Phase::running || spawn_in_flight_)
        return;
    while (spawn_from_ < states_.size() && states_[spawn_from_].state != State::pending)
        ++spawn_from_;
    if (spawn_from_ == states_.size()) {
        // Nothing pending after the mark: one look at those before it.
        for (std::size_t i = 0; i < spawn_from_; ++i) {
            if (states_[i].state == State::pending) {
                spawn_from_ = i;
                break;
            }
        }
    }
    for (std::size_t i = spawn_from_; i < states_.size(); ++i) {
        InstanceState& s = states_[i];
        if (s.state != State::pending)
            continue;
        if (dependencies_met(i)) {
            s.state = State::spawning;
            spawn_in_flight_ = true;
            out.emplace_back(action::Spawn{i});
            return;
        }
        if (!s.announced_waiting) {
            s.announced_waiting = true;
            std::vector<std::string> what;
            for (const auto& d : lifecycle(i).depends_on)
                what.push_back(waiting_for(d));
            out.emplace_back(action::Announce{name(i) + " is waiting for " + join(what, " and ")});
        }
    }
}

// ---- dependencies -----------------------------------------------------------

bool Policy::resolve_waiting(TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::running)
        return false;
    bool any = false;
    for (std::size_t j = 0; j < states_.size(); ++j) {
        std::string why;
        if (states_[j].state != State::pending || !dependencies_broken(j, &why))
            continue;
        states_[j].last_failure = "dependency failed: " + why;
        out.emplace_back(action::Announce{name(j) + " cannot start: " + why});
        any = true;
    }
    if (any)
        stop(kExitSupervisorFailed, now, out);
    return any;
}

// Its main process is over and nothing will run it again by itself: not
// restarting, not stopped by request (`procrun start` may run that again).
bool Policy::ended_for_good(const InstanceState& s) const {
    if (s.state == State::done)
        return true;
    return s.state == State::exited && s.then == Then::nothing && !s.stop_requested;
}

bool Policy::dependencies_met(std::size_t i) const {
    for (const auto& d : lifecycle(i).depends_on) {
        for (const auto& q : states_) {
            if (q.instance->type != d.type)
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

namespace {

// How a dependency ended, for "web.1 cannot start: db.1 <how>".
std::string how_it_ended(const std::string& failure, const std::optional<ExitStatus>& exit) {
    if (!failure.empty())
        return failure;
    if (exit)
        return describe(*exit);
    return "ended";
}

}  // namespace

bool Policy::dependencies_broken(std::size_t i, std::string* why) const {
    for (const auto& d : lifecycle(i).depends_on) {
        for (const auto& q : states_) {
            if (q.instance->type != d.type)
                continue;
            const bool over = ended_for_good(q);
            const std::string& who = q.instance->name;
            switch (d.condition) {
                case DependencyCondition::started:
                    if (!q.started_once && over) {
                        *why = who + " " + how_it_ended(q.last_failure, q.last_exit);
                        return true;
                    }
                    break;
                case DependencyCondition::ready:
                    if (!q.ready_once && q.probe_failed) {
                        *why = who + " never became ready";
                        return true;
                    }
                    if (!q.ready_once && over) {
                        *why = who + " " + how_it_ended(q.last_failure, q.last_exit) +
                               " before it was ready";
                        return true;
                    }
                    break;
                case DependencyCondition::completed_successfully:
                    if (!q.completed_ok && over) {
                        *why = who + " " + how_it_ended(q.last_failure, q.last_exit);
                        return true;
                    }
                    break;
            }
        }
    }
    return false;
}

bool Policy::depended_on_for_completion(std::size_t i) const {
    for (const auto& q : states_) {
        for (const auto& d : q.instance->lifecycle->depends_on) {
            if (d.type == states_[i].instance->type &&
                d.condition == DependencyCondition::completed_successfully)
                return true;
        }
    }
    return false;
}

}  // namespace procrun
