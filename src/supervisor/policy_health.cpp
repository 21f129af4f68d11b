// The policy's liveness half: a running process's liveness probe starts once
// it is ready, and `failure_threshold` failed attempts in a row stop it; its
// exit then counts as a failure, so its restart policy applies (and with
// restart `no`, foreman's rule: it stops everything unless can_die).

#include "procrun/policy.hpp"

namespace procrun {

void Policy::start_liveness(std::size_t i, std::vector<Action>& out) {
    if (lifecycle(i).liveness.kind == ProbeKind::none || stopping())
        return;
    states_[i].liveness_failures = -1;
    out.emplace_back(action::StartLiveness{i});
}

void Policy::on(const event::Liveness& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= states_.size())
        return;
    InstanceState& s = states_[e.process];
    if (s.state != State::running || s.stop_requested || s.not_live || stopping())
        return;
    const Liveness& lv = lifecycle(e.process).liveness;
    const bool was_failing = s.liveness_failures > 0;
    s.liveness_failures = e.failures;
    if (e.failures == 0) {
        if (was_failing)
            out.emplace_back(action::Announce{name(e.process) + " is live again"});
        return;
    }
    if (e.failures < lv.failure_threshold) {
        if (e.failures == 1)
            out.emplace_back(
                action::Announce{name(e.process) + " failed its liveness probe: " + e.detail});
        return;
    }
    s.not_live = true;
    const bool restarts = lifecycle(e.process).restart != RestartPolicy::no;
    out.emplace_back(action::Announce{
        name(e.process) + " is not live (" + e.detail + ", " + std::to_string(e.failures) +
        " times in a row): " + (restarts ? "restarting" : "stopping it")});
    out.emplace_back(action::CancelLiveness{e.process});
    stop_one(e.process, now, out);
}

std::string Policy::liveness_status(std::size_t i) const {
    const InstanceState& s = states_[i];
    if (lifecycle(i).liveness.kind == ProbeKind::none || s.state != State::running || !s.ready)
        return {};
    if (s.not_live)
        return "not live";
    if (s.liveness_failures > 0)
        return "unhealthy";
    return s.liveness_failures == 0 ? "live" : "";
}

}  // namespace procrun
