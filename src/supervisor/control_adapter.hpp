#pragma once

// Requests from `procrun status|restart|stop|start|signal|kill` in another
// terminal, translated for the runtime: a status reply from the policy (with
// a process stopped by a signal shown as such, from the launcher), a policy
// event and the targets' status, or for `signal` the launcher's signal to
// each target.

#include "procrun/control.hpp"
#include "supervisor/runtime.hpp"

namespace procrun {

class ControlAdapter : public ControlHandler {
  public:
    // `plan`, `runtime` and `launcher` (the runtime's) must outlive it.
    ControlAdapter(const Plan& plan, Runtime& runtime, Launcher& launcher)
        : plan_(plan), runtime_(runtime), launcher_(launcher) {}
    ControlReply handle(const ControlRequest& request) override;

  private:
    [[nodiscard]] InstanceStatus status(std::size_t i, TimePoint now) const;

    const Plan& plan_;
    Runtime& runtime_;
    Launcher& launcher_;
};

}  // namespace procrun
