// The policy's bookkeeping that keeps its work per event independent of the
// number of instances: where the next instance to spawn is looked for, which
// instances may still be alive while stopping, which types can hold a stop
// back, and the earliest deadline.

#include <algorithm>

#include "procrun/policy.hpp"

namespace procrun {

void Policy::make_pending(std::size_t i) {
    states_[i].state = State::pending;
    spawn_from_ = std::min(spawn_from_, i);
}

void Policy::enter_backoff(std::size_t i) {
    states_[i].state = State::backoff;
    dues_.emplace(states_[i].restart_at, i);
}

void Policy::arm_kill(std::size_t i, TimePoint at) {
    states_[i].kill_at = at;
    dues_.emplace(at, i);
}

bool Policy::any_alive() {
    while (alive_from_ < states_.size() && !alive(alive_from_))
        ++alive_from_;
    if (alive_from_ < states_.size())
        return true;
    // None after the mark: the whole set is looked at once to be sure.
    const auto all = alive();
    if (all.empty())
        return false;
    alive_from_ = all.front();
    return true;
}

std::set<std::string> Policy::awaited_types() const {
    std::set<std::string> out;
    for (std::size_t j = 0; j < states_.size(); ++j) {
        const auto& deps = lifecycle(j).depends_on;
        if (deps.empty() || !alive(j))
            continue;
        for (const auto& d : deps)
            out.insert(d.type);
    }
    return out;
}

// The earliest SIGKILL deadline or restart time that still holds; those that
// no longer do (the instance exited, was restarted or stopped since) are
// dropped on the way, each once.
std::optional<TimePoint> Policy::earliest_due() {
    while (!dues_.empty()) {
        const auto [at, i] = dues_.top();
        const InstanceState& s = states_[i];
        if (s.kill_at == at || (s.state == State::backoff && s.restart_at == at))
            return at;
        dues_.pop();
    }
    return std::nullopt;
}

}  // namespace procrun
