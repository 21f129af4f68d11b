#pragma once

// Requests from `procrun status|restart|stop|start|signal|kill` in another
// terminal, translated for the runtime: a status reply from the policy (with
// a process stopped by a signal shown as such, from the launcher), a policy
// event and the targets' status, or for `signal` the launcher's signal to
// each target. One entry per command in a table (control_adapter.cpp); a
// command that streams gets the connection to keep open.

#include <functional>
#include <optional>
#include <string>

#include "procrun/control.hpp"
#include "supervisor/connect_hub.hpp"
#include "supervisor/log_service.hpp"
#include "supervisor/runtime.hpp"

namespace procrun {

class ControlAdapter : public ControlHandler {
  public:
    // `plan`, `runtime`, `launcher` (the runtime's) and `logs` must outlive it.
    ControlAdapter(const Plan& plan, Runtime& runtime, Launcher& launcher, LogService& logs)
        : plan_(plan), runtime_(runtime), launcher_(launcher), logs_(logs) {}
    ControlReply handle(const ControlRequest& request) override;
    ControlReply serve(const ControlRequest& request, ControlConnection& connection) override;
    // `connect` requests go to `hub` (which must outlive it).
    void connect_with(ConnectHub& hub) { connect_ = &hub; }
    // Whether `instances` in all fit (the descriptor budget): the error if not.
    // Asked before `scale` or `start TYPE` adds any instance.
    using RoomCheck = std::function<std::optional<std::string>(std::size_t instances)>;
    void check_room_with(RoomCheck room) { room_ = std::move(room); }

    // What a command does: its reply, given the request and its connection.
    using Serve = ControlReply (ControlAdapter::*)(const ControlRequest&, ControlConnection&);

  private:
    [[nodiscard]] InstanceStatus status(std::size_t i, TimePoint now) const;
    ControlReply scale(const ControlRequest& request);
    // `procrun start TYPE` of a type with no instance yet (a formation count of 0) adds one;
    // the error when the descriptors cannot take it (nothing added then).
    std::string add_first_instances(const std::vector<std::string>& targets);

    ControlReply serve_status(const ControlRequest& request, ControlConnection& connection);
    ControlReply serve_kill(const ControlRequest& request, ControlConnection& connection);
    ControlReply serve_signal(const ControlRequest& request, ControlConnection& connection);
    ControlReply serve_connect(const ControlRequest& request, ControlConnection& connection);
    ControlReply serve_policy_op(const ControlRequest& request, ControlConnection& connection);
    ControlReply serve_logs(const ControlRequest& request, ControlConnection& connection);
    ControlReply serve_scale(const ControlRequest& request, ControlConnection& connection);

    const Plan& plan_;
    Runtime& runtime_;
    Launcher& launcher_;
    ConnectHub* connect_ = nullptr;
    LogService& logs_;
    RoomCheck room_;
};

}  // namespace procrun
