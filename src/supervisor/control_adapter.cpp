#include "supervisor/control_adapter.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <utility>

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

// Commands that act on the processes: refused once procrun stops (status
// and logs only read).
bool refused_while_stopping(ControlCommand command) {
    return command != ControlCommand::status && command != ControlCommand::logs;
}

// A connection that cannot be kept open: for handle() without one.
class NoConnection final : public ControlConnection {
  public:
    std::shared_ptr<ControlStream> keep_open() override {
        throw ControlError("this request needs a connection that stays open");
    }
};

}  // namespace

std::string ControlAdapter::add_first_instances(const std::vector<std::string>& targets) {
    std::vector<const ProcessType*> missing;
    for (const auto& name : targets) {
        const ProcessType* type = plan_.find_type(name);
        if (type != nullptr && runtime_.instances().of_type(name).empty() &&
            std::find(missing.begin(), missing.end(), type) == missing.end())
            missing.push_back(type);
    }
    if (!missing.empty() && room_) {
        if (auto error = room_(runtime_.instances().size() + missing.size()))
            return *error;
    }
    for (const ProcessType* type : missing)
        runtime_.add_instance(*type, 1);
    return {};
}

// Every target is checked before anything changes; then each type's missing
// instances join the run and the policy starts and stops them (event::Scale).
ControlReply ControlAdapter::scale(const ControlRequest& request) {
    std::vector<std::pair<const ProcessType*, int>> wanted;
    for (const auto& text : request.targets) {
        std::string error;
        const std::optional<ScaleTarget> target = parse_scale_target(text, &error);
        if (!target)
            return ControlReply::failure(error);
        const ProcessType* type = plan_.find_type(target->type);
        if (type == nullptr) {
            std::string names;
            for (const auto& t : plan_.types)
                names += (names.empty() ? "" : ", ") + t.name;
            return ControlReply::failure("unknown process type '" + target->type +
                                         "' (the Procfile defines: " + names + ")");
        }
        const long last_port = static_cast<long>(plan_.base_port) +
                               static_cast<long>(kPortStepPerType) * type->position +
                               target->count - 1;
        if (target->count > 0 && last_port > 65535) {
            return ControlReply::failure(type->name + "." + std::to_string(target->count) +
                                         " would get port " + std::to_string(last_port) +
                                         ", beyond 65535");
        }
        wanted.emplace_back(type, target->count);
    }
    // Instances are numbered 1..N for each type with no gap: the missing ones
    // are those above the highest number. Counted first, so that a request
    // the descriptors cannot take changes nothing.
    std::map<std::string, int> highest;
    std::size_t added = 0;
    for (const auto& [type, count] : wanted) {
        auto [at, fresh] = highest.try_emplace(type->name, 0);
        if (fresh)
            at->second = static_cast<int>(runtime_.instances().of_type(type->name).size());
        if (count > at->second) {
            added += static_cast<std::size_t>(count - at->second);
            at->second = count;
        }
    }
    if (added > 0 && room_) {
        if (auto error = room_(runtime_.instances().size() + added))
            return ControlReply::failure(*error);
    }
    std::vector<std::size_t> affected;
    for (const auto& [type, count] : wanted) {
        const int have = static_cast<int>(runtime_.instances().of_type(type->name).size());
        for (int index = have + 1; index <= count; ++index)
            runtime_.add_instance(*type, index);
        const std::vector<std::size_t> ids = runtime_.instances().of_type(type->name);
        affected.insert(affected.end(), ids.begin(), ids.end());
        runtime_.feed(event::Scale{type->name, count});
    }
    ControlReply reply;
    const TimePoint now = runtime_.now();
    for (std::size_t i : affected)
        reply.instances.push_back(status(i, now));
    return reply;
}

InstanceStatus ControlAdapter::status(std::size_t i, TimePoint now) const {
    InstanceStatus st = runtime_.policy().status(i, now);
    if (const int stop = launcher_.stopped_by(i); stop != 0 && st.pid > 0)
        st.state = stopped_state(stop);
    return st;
}

ControlReply ControlAdapter::handle(const ControlRequest& request) {
    NoConnection none;
    return serve(request, none);
}

ControlReply ControlAdapter::serve(const ControlRequest& request, ControlConnection& connection) {
    static const std::array<std::pair<ControlCommand, Serve>, 9> kServe{{
        {ControlCommand::status, &ControlAdapter::serve_status},
        {ControlCommand::restart, &ControlAdapter::serve_policy_op},
        {ControlCommand::stop, &ControlAdapter::serve_policy_op},
        {ControlCommand::start, &ControlAdapter::serve_policy_op},
        {ControlCommand::kill, &ControlAdapter::serve_kill},
        {ControlCommand::signal, &ControlAdapter::serve_signal},
        {ControlCommand::connect, &ControlAdapter::serve_connect},
        {ControlCommand::logs, &ControlAdapter::serve_logs},
        {ControlCommand::scale, &ControlAdapter::serve_scale},
    }};
    const Policy& policy = runtime_.policy();
    if (refused_while_stopping(request.command) && (policy.stopping() || policy.finished()))
        return ControlReply::failure("procrun is stopping");
    for (const auto& [command, serve_it] : kServe) {
        if (command == request.command)
            return (this->*serve_it)(request, connection);
    }
    return ControlReply::failure("this procrun does not know \"" +
                                 std::string(to_string(request.command)) + "\"");
}

ControlReply ControlAdapter::serve_status(const ControlRequest&, ControlConnection&) {
    ControlReply reply;
    const TimePoint now = runtime_.now();
    for (std::size_t i : runtime_.instances().ordered())
        reply.instances.push_back(status(i, now));
    return reply;
}

ControlReply ControlAdapter::serve_kill(const ControlRequest&, ControlConnection&) {
    runtime_.feed(event::StopAll{"stopping everything (procrun kill)"});
    return {};
}

ControlReply ControlAdapter::serve_connect(const ControlRequest& request,
                                           ControlConnection& connection) {
    if (connect_ == nullptr)
        return ControlReply::failure("this procrun cannot connect a terminal to its processes");
    return connect_->serve(request, connection);
}

ControlReply ControlAdapter::serve_signal(const ControlRequest& request, ControlConnection&) {
    const ResolvedTargets targets = runtime_.instances().resolve(request.targets);
    if (!targets.ok())
        return ControlReply::failure(targets.error);
    const TimePoint now = runtime_.now();
    return signal_instances(
        request.signal, targets.instances,
        [this, &request](std::size_t i) { return launcher_.signal_instance(i, request.signal); },
        [this, now](std::size_t i) { return status(i, now); });
}

ControlReply ControlAdapter::serve_scale(const ControlRequest& request, ControlConnection&) {
    return scale(request);
}

ControlReply ControlAdapter::serve_policy_op(const ControlRequest& request, ControlConnection&) {
    if (request.command == ControlCommand::start) {
        if (std::string error = add_first_instances(request.targets); !error.empty())
            return ControlReply::failure(error);
    }
    const ResolvedTargets targets = runtime_.instances().resolve(request.targets);
    if (!targets.ok())
        return ControlReply::failure(targets.error);
    runtime_.feed(event::Control{op_of(request.command), targets.instances});
    ControlReply reply;
    const TimePoint now = runtime_.now();
    for (std::size_t i : targets.instances)
        reply.instances.push_back(status(i, now));
    return reply;
}

ControlReply ControlAdapter::serve_logs(const ControlRequest& request,
                                        ControlConnection& connection) {
    return logs_.serve(request, connection);
}

}  // namespace procrun
