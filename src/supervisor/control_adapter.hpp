#pragma once

// Requests from `procrun status|restart|stop|start|kill` in another terminal,
// translated for the runtime: a status reply from the policy, or a policy
// event and the targets' status.

#include "procrun/control.hpp"
#include "supervisor/runtime.hpp"

namespace procrun {

class ControlAdapter : public ControlHandler {
  public:
    ControlAdapter(const Plan& plan, Runtime& runtime) : plan_(plan), runtime_(runtime) {}
    ControlReply handle(const ControlRequest& request) override;

  private:
    const Plan& plan_;
    Runtime& runtime_;
};

}  // namespace procrun
