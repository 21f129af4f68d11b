// The instance set of a run grows: instances left unstarted, instances added
// while it runs, and `procrun scale` requests.

#include "procrun/policy.hpp"

namespace procrun {

void Policy::leave_unstarted(std::size_t i) {
    if (phase_ != Phase::idle || i >= states_.size())
        return;
    states_[i].state = State::stopped;
    states_[i].unstarted = true;
}

std::size_t Policy::add_instance(const Instance& instance) {
    InstanceState s;
    s.instance = &instance;
    s.state = State::stopped;
    s.unstarted = true;
    states_.push_back(std::move(s));
    return states_.size() - 1;
}

void Policy::on(const event::Scale& e, TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::running)
        return;
    // Down first, highest number first, so that the lines read top-down.
    for (std::size_t i = states_.size(); i-- > 0;) {
        const Instance& inst = *states_[i].instance;
        if (inst.type == e.type && inst.index > e.count)
            control_one(event::ControlOp::stop, i, now, out);
    }
    for (std::size_t i = 0; i < states_.size(); ++i) {
        const Instance& inst = *states_[i].instance;
        if (inst.type == e.type && inst.index <= e.count)
            control_one(event::ControlOp::start, i, now, out);
    }
    spawn_next(out);
    finish_if_done(out);
}

}  // namespace procrun
