// `procrun start`: one thread, one io_context owning every child's pipe, exit,
// process group, the one deadline, procrun's signals, the control socket and
// its standard output. The launcher turns what happens into events for the
// runtime, which hands them to the policy and carries out its actions.

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstring>
#include <memory>

#include "procrun/control.hpp"
#include "procrun/posix/fd.hpp"
#include "procrun/posix/guardian.hpp"
#include "procrun/posix/limits.hpp"
#include "procrun/posix/signals.hpp"
#include "procrun/supervisor.hpp"
#include "supervisor/control_adapter.hpp"
#include "supervisor/job_control.hpp"
#include "supervisor/log_service.hpp"
#include "supervisor/output_memory.hpp"
#include "supervisor/process_launcher.hpp"
#include "supervisor/runtime.hpp"
#include "supervisor/sink.hpp"

namespace procrun {

namespace {

// While handlers are ready, what they produced is written at least this often.
constexpr std::chrono::milliseconds kFlushEvery{20};

// Everything one `start` holds, in the order it is made and unmade.
struct Start {
    Start(const Plan& the_plan, const StartOptions& options, posix::Guardian& guardian,
          posix::FdLimit limit)
        : plan(the_plan),
          memory(OutputMemoryLimits{options.log_memory, options.log_memory_bytes}),
          logs(the_plan, memory),
          sink(io, the_plan, options),
          launcher(io, the_plan, guardian, limit),
          runtime(the_plan, launcher, sink),
          control_adapter(the_plan, runtime, launcher, logs),
          job({[this] { return launcher.live_groups(); },
               [this](const std::string& text) {
                   sink.stamp();
                   sink.system(text);
               },
               [this] { runtime.flush(); }}) {
        sink.remember(memory);
        sink.on_error([this](int err) { runtime.output_failed(err); });
        sink.on_progress([this] { runtime.output_progressed(); });
        launcher.on_job_signal([this](int sig) { return job.on_signal(sig); });
        launcher.on_child_stopped([this](std::size_t id, int sig) {
            job.on_child_stopped(plan.instances[id].name, sig);
        });
    }

    int run();
    void loop();

    const Plan& plan;
    boost::asio::io_context io;
    OutputMemory memory;  // procrun logs, attach
    LogService logs;
    StartSink sink;
    ProcessLauncher launcher;
    Runtime runtime;
    ControlAdapter control_adapter;
    JobControl job;  // Ctrl-Z, `fg`, children stopped by the terminal
    std::unique_ptr<ControlServer> control;
};

int Start::run() {
    launcher.listen();
    try {
        control = std::make_unique<ControlServer>(io, plan.root, control_adapter);
        if (!control->unavailable().empty())
            sink.report(
                "warning: control is unavailable (procrun status, restart, stop will not "
                "reach this run): " +
                control->unavailable());
    } catch (const AlreadyRunning& e) {
        sink.report(e.what());
        return kExitSupervisorFailed;
    } catch (const std::exception& e) {
        // Everything else works without it: say so and go on.
        sink.report(std::string("warning: no control socket (procrun status, restart, stop will "
                                "not reach this run): ") +
                    e.what());
    }
    runtime.start();
    runtime.flush();
    loop();
    launcher.drain_all();
    sink.finish(io, [this] { return runtime.abandoned(); });
    return runtime.exit_code().value_or(kExitSupervisorFailed);
}

// Blocks until something happens, handles everything else that is ready too,
// then writes what this produced in as few writes as possible (at least every
// kFlushEvery while handlers keep coming, as during a start of thousands).
void Start::loop() {
    while (!runtime.finished()) {
        if (io.run_one() == 0)
            break;
        const auto until = SteadyClock::now() + kFlushEvery;
        while (!runtime.finished() && io.poll_one() != 0 && SteadyClock::now() < until) {
        }
        runtime.flush();
    }
}

}  // namespace

int run_start(const Plan& plan, const StartOptions& options) {
    posix::ensure_standard_fds();
    posix::set_supervisor_dispositions();
    const posix::FdLimit limit = posix::raise_fd_limit();
    if (auto error = posix::check_fd_budget(plan.instances.size(), options.log_dir.has_value(),
                                            posix::open_fd_count(), limit.soft)) {
        write_stderr("procrun: " + *error + "\n");
        return kExitSupervisorFailed;
    }
    // Orphaned descendants come back to procrun (reaped, and recorded with the
    // guardian), and a guardian stops every group if procrun dies.
    posix::become_subreaper();
    posix::Guardian guardian = posix::Guardian::start();
    int code = kExitSupervisorFailed;
    {
        Start start(plan, options, guardian, limit);
        if (!guardian.healthy()) {
            start.sink.report(std::string("warning: no guardian process (") +
                              std::strerror(guardian.error()) +
                              "): if procrun is killed with SIGKILL its processes keep running");
        }
        try {
            code = start.run();
        } catch (const std::exception& e) {
            // Nothing the loop does should throw; if it does, leave nothing running.
            start.launcher.kill_all();
            start.sink.report(std::string("internal error: ") + e.what() +
                              "; killed all processes");
        }
    }
    guardian.finish();
    return code;
}

}  // namespace procrun
