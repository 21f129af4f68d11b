#pragma once

// The runtime of `procrun start`: turns what the launcher reports into policy
// events, carries out the policy's actions through the launcher and the sink,
// and applies back-pressure. It decides nothing (the policy does), touches no
// system resource (the launcher does) and prints only through the sink.

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "procrun/output.hpp"
#include "procrun/plan.hpp"
#include "procrun/policy.hpp"
#include "supervisor/instance_table.hpp"
#include "supervisor/launcher.hpp"
#include "supervisor/prompts.hpp"

namespace procrun {

// Formatted output waiting to be written: past kHighWater no child's output is
// read until the sink has brought it back under kLowWater (back-pressure).
inline constexpr std::size_t kHighWater = 1024 * 1024;
inline constexpr std::size_t kLowWater = 256 * 1024;
// Past this much, write at once instead of at the end of the loop's turn.
inline constexpr std::size_t kFlushAt = 256 * 1024;

class Runtime : public LauncherEvents {
  public:
    // `plan`, `launcher` and `sink` must outlive it. The plan's instances are
    // started; then every type not selected joins with its formation's count
    // of instances, not started, as do the types named in `unstarted`.
    Runtime(const Plan& plan, Launcher& launcher, Sink& sink,
            const std::vector<std::string>& unstarted = {});

    void start();
    [[nodiscard]] bool finished() const { return exit_code_.has_value(); }
    [[nodiscard]] std::optional<int> exit_code() const { return exit_code_; }
    // SIGINT or SIGTERM came after the end: stop writing the last output.
    [[nodiscard]] bool abandoned() const { return abandoned_; }
    [[nodiscard]] const Policy& policy() const { return policy_; }
    [[nodiscard]] TimePoint now() const { return launcher_.now(); }
    // Every instance of the run, by id: the plan's, then those added.
    [[nodiscard]] const InstanceTable& instances() const { return instances_; }
    // The growth seam: instance `index` of `type` joins the run, not started,
    // in the policy, the launcher, the output and the sink at once; returns its id.
    std::size_t add_instance(const ProcessType& type, int index);

    // Whoever waits for the start-up to be decided (`procrun start -D`): told
    // each line announced until then, and once whether everything came up
    // (Policy::startup). Nothing is printed for it here.
    struct StartupWatch {
        std::function<void(const std::string&)> announced;
        std::function<void(bool up)> decided;
    };
    void watch_startup(StartupWatch watch) { startup_ = std::move(watch); }

    // An event from elsewhere (the control adapter); handled at once unless an
    // event is being handled, then right after it.
    void feed(Event event);
    // The end of a loop turn: write what it produced.
    void flush();
    // The sink's writes progressed, or failed.
    void output_progressed();
    void output_failed(int error);

    // LauncherEvents
    void started(std::size_t id, int pid) override;
    void spawn_failed(std::size_t id, const std::string& reason) override;
    void output(std::size_t id, std::string_view bytes) override;
    void output_end(std::size_t id) override;
    void exited(std::size_t id, const ExitStatus& status, bool group_empty) override;
    void group_empty(std::size_t id) override;
    void probe_result(std::size_t id, bool ready, const std::string& detail) override;
    void escaped(std::vector<EscapedProcess> processes, bool complete) override;
    void escapee_gone(int pid) override;
    void signal(int signal) override;
    void deadline() override;
    void prompt_timer() override;
    bool accepting_output() override;
    void stop_command_output(std::size_t id, std::string_view bytes) override;
    void stop_command_ended(std::size_t id, const std::string& failure) override;
    void liveness_result(std::size_t id, int failures, const std::string& detail) override;

    // The instance whose stdin is procrun's own (`start --interactive`): its
    // prompts need no "waiting for input" hint.
    void set_focus(std::size_t id) { focus_ = id; }
    // Called with each instance's id when it has started.
    void on_started(std::function<void(std::size_t)> hook) { started_hook_ = std::move(hook); }

  private:
    // What the runtime keeps of one instance: its output's line splitter.
    struct InstanceOutput {
        LineSplitter splitter;
        LineSplitter stop_command;  // its stop_command's output, shown under its name
        bool probe_reads_lines = false;
    };

    void apply_all(std::vector<Action> actions);
    void apply(const Action& action);
    void signal_groups(const action::SignalGroups& a);
    void announce(const std::string& text);
    void check_startup();
    void line(std::size_t id, std::string_view text, bool continued);
    void show_prompt(std::size_t id);

    const Plan& plan_;
    Launcher& launcher_;
    Sink& sink_;
    InstanceTable instances_;
    Policy policy_;
    std::vector<InstanceOutput> outputs_;
    PartialLines partials_;
    std::optional<std::size_t> focus_;
    std::function<void(std::size_t)> started_hook_;
    std::deque<Event> events_;
    bool dispatching_ = false;
    bool paused_ = false;  // reading stopped for back-pressure
    bool abandoned_ = false;
    std::optional<int> exit_code_;
    std::optional<StartupWatch> startup_;
};

}  // namespace procrun
