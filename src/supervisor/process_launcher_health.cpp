// The real launcher's stop commands and liveness probes, each made for an
// instance when first needed.

#include "supervisor/process_launcher.hpp"

namespace procrun {

namespace {

std::chrono::milliseconds stop_timeout_of(const Plan& plan, const Instance& inst) {
    return inst.lifecycle->stop_timeout.value_or(
        std::chrono::duration_cast<std::chrono::milliseconds>(plan.timeout));
}

}  // namespace

void ProcessLauncher::run_stop_command(std::size_t id) {
    const Instance& inst = *procs_[id]->instance;
    auto& command = stop_commands_[id];
    if (!command)
        command = std::make_unique<StopCommand>(io_, reaper_, guardian_);
    StopCommand::Hooks hooks;
    hooks.output = [this, id](std::string_view bytes) { events_->stop_command_output(id, bytes); };
    hooks.ended = [this, id](const std::string& failure) {
        events_->stop_command_ended(id, failure);
    };
    command->run(inst.lifecycle->stop_command, plan_.environment_of(inst).to_strings(),
                 inst.working_dir, stop_timeout_of(plan_, inst), std::move(hooks));
}

void ProcessLauncher::start_liveness(std::size_t id) {
    const Instance& inst = *procs_[id]->instance;
    if (inst.lifecycle->liveness.kind == ProbeKind::none)
        return;
    auto& probe = liveness_[id];
    if (!probe) {
        probe = std::make_unique<LivenessProbe>(io_, inst.lifecycle->liveness, inst.port,
                                                plan_.environment_of(inst).to_strings(),
                                                inst.working_dir, reaper_);
    }
    probe->start(
        [this, id, generation = procs_[id]->generation](int failures, const std::string& detail) {
            if (procs_[id]->generation == generation)
                events_->liveness_result(id, failures, detail);
        });
}

void ProcessLauncher::cancel_liveness(std::size_t id) {
    if (auto it = liveness_.find(id); it != liveness_.end())
        it->second->cancel();
}

}  // namespace procrun
