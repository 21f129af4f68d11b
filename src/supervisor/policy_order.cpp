// The policy's ordered stop: when everything stops, the processes of a type
// are stopped once every process of the types that depend on it (depends_on)
// has ended, or got SIGKILL at its stop_timeout; and how one process is asked
// to stop: its stop_command while its main process runs, else its stop_signal.

#include <signal.h>

#include <algorithm>

#include "procrun/policy.hpp"
#include "procrun/signal_name.hpp"
#include "supervisor/policy_text.hpp"

namespace procrun {

using policy_text::join;

namespace {

bool depends_on_type(const Lifecycle& lc, const std::string& type) {
    return std::any_of(lc.depends_on.begin(), lc.depends_on.end(),
                       [&](const Dependency& d) { return d.type == type; });
}

}  // namespace

bool Policy::uses_stop_command(std::size_t i) const {
    return !lifecycle(i).stop_command.empty() && states_[i].state == State::running;
}

// A process of a type that depends on i's type is still to be waited for: its
// stop has not been sent, or it has and its SIGKILL is not due yet.
bool Policy::dependents_stopping(std::size_t i) const {
    const std::string& type = states_[i].instance->type;
    for (std::size_t j = 0; j < states_.size(); ++j) {
        if (j == i || !alive(j) || !depends_on_type(lifecycle(j), type))
            continue;
        const InstanceState& d = states_[j];
        if (!d.stop_sent || d.kill_at)
            return true;
    }
    return false;
}

void Policy::stop_targets(const std::vector<std::size_t>& targets, TimePoint now,
                          std::vector<Action>& out) {
    for (auto& s : states_)
        s.stop_sent = false;
    std::vector<std::size_t> first;
    bool held = false;
    const auto awaited = awaited_types();
    for (std::size_t i : targets) {
        if (awaited.count(states_[i].instance->type) != 0 && dependents_stopping(i))
            held = true;
        else
            first.push_back(i);
    }
    const bool commands = std::any_of(targets.begin(), targets.end(),
                                      [&](std::size_t i) { return uses_stop_command(i); });
    stops_held_ = held;
    if (!held && !commands) {
        // Foreman's stop: every group at once.
        announce_stop(targets, out);
        send_stops(targets, now, false, out);
        return;
    }
    if (held)
        out.emplace_back(action::Announce{"stopping all processes, dependents first"});
    else
        out.emplace_back(action::Announce{"stopping all processes"});
    send_stops(first, now, true, out);
}

void Policy::send_stops(const std::vector<std::size_t>& batch, TimePoint now, bool say,
                        std::vector<Action>& out) {
    if (batch.empty())
        return;
    std::vector<int> signals;
    for (std::size_t i : batch) {
        const int sig = lifecycle(i).stop_signal;
        if (!uses_stop_command(i) &&
            std::find(signals.begin(), signals.end(), sig) == signals.end())
            signals.push_back(sig);
    }
    std::vector<std::string> said;
    std::vector<Action> sends;
    for (int sig : signals) {
        std::vector<std::size_t> group;
        std::vector<std::string> names;
        for (std::size_t i : batch) {
            if (!uses_stop_command(i) && lifecycle(i).stop_signal == sig) {
                group.push_back(i);
                names.push_back(name(i));
            }
        }
        said.push_back(signal_name(sig) + " to " + join(names, ", "));
        sends.emplace_back(action::SignalGroups{sig, group});
    }
    for (std::size_t i : batch) {
        if (!uses_stop_command(i))
            continue;
        said.push_back("the stop command of " + name(i));
        sends.emplace_back(action::RunStopCommand{i});
    }
    if (say)
        out.emplace_back(action::Announce{"sending " + join(said, "; ")});
    out.insert(out.end(), sends.begin(), sends.end());
    out.emplace_back(action::SignalGroups{SIGCONT, batch});
    for (std::size_t i : batch) {
        InstanceState& s = states_[i];
        s.stop_sent = true;
        const TimePoint at = now + stop_timeout(i);
        if (!s.kill_at || at < *s.kill_at)
            arm_kill(i, at);
    }
}

void Policy::release_stops(TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::stopping || !stops_held_)
        return;
    std::vector<std::size_t> batch;
    const auto awaited = awaited_types();
    stops_held_ = false;
    for (std::size_t i = 0; i < states_.size(); ++i) {
        if (!alive(i) || states_[i].stop_sent)
            continue;
        if (awaited.count(states_[i].instance->type) != 0 && dependents_stopping(i))
            stops_held_ = true;
        else
            batch.push_back(i);
    }
    send_stops(batch, now, true, out);
}

void Policy::on(const event::StopCommandFailed& e, TimePoint /*now*/, std::vector<Action>& out) {
    if (e.process >= states_.size() || !alive(e.process))
        return;
    const int sig = lifecycle(e.process).stop_signal;
    out.emplace_back(action::Announce{"the stop command of " + name(e.process) + " " + e.detail +
                                      "; sending " + signal_name(sig)});
    out.emplace_back(action::SignalGroups{sig, {e.process}});
    out.emplace_back(action::SignalGroups{SIGCONT, {e.process}});
}

}  // namespace procrun
