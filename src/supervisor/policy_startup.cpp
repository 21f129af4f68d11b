// When `procrun start` has started: what `procrun start -D` waits for.

#include "procrun/policy.hpp"

namespace procrun {

Policy::Startup Policy::startup() const {
    if (phase_ == Phase::idle)
        return Startup::starting;
    if (phase_ != Phase::running)
        return Startup::failed;
    bool up = true;
    for (const InstanceState& s : states_) {
        if (s.probe_failed && !s.ready_once)
            return Startup::failed;
        if (s.state == State::done && !s.ready_once && !s.completed_ok)
            return Startup::failed;  // it ended (or never started) without being up, for good
        const bool settled = s.ready_once || s.completed_ok || s.state == State::stopped;
        up = up && settled;
    }
    return up ? Startup::up : Startup::starting;
}

}  // namespace procrun
