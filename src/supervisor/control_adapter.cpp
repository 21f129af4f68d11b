#include "supervisor/control_adapter.hpp"

#include "supervisor/job_control.hpp"

namespace procrun {

namespace {

event::ControlOp op_of(ControlCommand command) {
    switch (command) {
        case ControlCommand::stop:
            return event::ControlOp::stop;
        case ControlCommand::restart:
            return event::ControlOp::restart;
        default:
            return event::ControlOp::start;
    }
}

}  // namespace

InstanceStatus ControlAdapter::status(std::size_t i, TimePoint now) const {
    InstanceStatus st = runtime_.policy().status(i, now);
    if (const int stop = launcher_.stopped_by(i); stop != 0 && st.pid > 0)
        st.state = stopped_state(stop);
    return st;
}

ControlReply ControlAdapter::handle(const ControlRequest& request) {
    const Policy& policy = runtime_.policy();
    ControlReply reply;
    if (request.command == ControlCommand::status) {
        const TimePoint now = runtime_.now();
        for (std::size_t i = 0; i < policy.size(); ++i)
            reply.instances.push_back(status(i, now));
        return reply;
    }
    if (policy.stopping() || policy.finished())
        return ControlReply::failure("procrun is stopping");
    if (request.command == ControlCommand::kill) {
        runtime_.feed(event::StopAll{"stopping everything (procrun kill)"});
        return reply;
    }
    const ResolvedTargets targets = resolve_targets(request.targets, plan_.instances);
    if (!targets.ok())
        return ControlReply::failure(targets.error);
    if (request.command == ControlCommand::signal) {
        const TimePoint now = runtime_.now();
        return signal_instances(
            request.signal, targets.instances,
            [this, &request](std::size_t i) {
                return launcher_.signal_instance(i, request.signal);
            },
            [this, now](std::size_t i) { return status(i, now); });
    }
    runtime_.feed(event::Control{op_of(request.command), targets.instances});
    const TimePoint now = runtime_.now();
    for (std::size_t i : targets.instances)
        reply.instances.push_back(status(i, now));
    return reply;
}

}  // namespace procrun
