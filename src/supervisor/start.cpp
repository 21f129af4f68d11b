// `procrun start`: one thread, one io_context owning every child's pipe, exit,
// process group, the one deadline, procrun's signals, the control socket and
// its standard output. The launcher turns what happens into events for the
// runtime, which hands them to the policy and carries out its actions.

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "procrun/control.hpp"
#include "procrun/posix/fd.hpp"
#include "procrun/posix/guardian.hpp"
#include "procrun/posix/limits.hpp"
#include "procrun/posix/signals.hpp"
#include "procrun/supervisor.hpp"
#include "supervisor/connect_hub.hpp"
#include "supervisor/control_adapter.hpp"
#include "supervisor/focus.hpp"
#include "supervisor/job_control.hpp"
#include "supervisor/log_service.hpp"
#include "supervisor/output_memory.hpp"
#include "supervisor/process_launcher.hpp"
#include "supervisor/runtime.hpp"
#include "supervisor/sink.hpp"
#include "supervisor/watcher.hpp"

namespace procrun {

namespace {

// While handlers are ready, what they produced is written at least this often.
constexpr std::chrono::milliseconds kFlushEvery{20};

// The selected types with `autostart: false` that are not named and that no
// type to be started depends on (directly or not): they wait for a request.
std::vector<std::string> unstarted_types(const Plan& plan, const std::vector<std::string>& named) {
    std::set<std::string> starting;
    for (const auto& type : plan.types) {
        const bool is_named = std::find(named.begin(), named.end(), type.name) != named.end();
        if (type.selected && (type.lifecycle.autostart || is_named))
            starting.insert(type.name);
    }
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& type : plan.types) {
            if (starting.count(type.name) == 0)
                continue;
            for (const auto& dependency : type.lifecycle.depends_on)
                grew = starting.insert(dependency.type).second || grew;
        }
    }
    std::vector<std::string> out;
    for (const auto& type : plan.types) {
        if (type.selected && starting.count(type.name) == 0)
            out.push_back(type.name);
    }
    return out;
}

// Everything one `start` holds, in the order it is made and unmade.
struct Start {
    // `fds_before`: the descriptors open before it, for the budget of instances added later.
    Start(const Plan& the_plan, const StartOptions& the_options, posix::Guardian& guardian,
          posix::FdLimit limit, std::size_t fds_before)
        : plan(the_plan),
          options(the_options),
          memory(OutputMemoryLimits{the_options.log_memory, the_options.log_memory_bytes}),
          sink(io, the_plan, the_options),
          launcher(io, the_plan, guardian, limit),
          runtime(the_plan, launcher, sink, unstarted_types(the_plan, options.named)),
          logs(runtime.instances(), memory),
          connect_hub(runtime, launcher),
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
        control_adapter.connect_with(connect_hub);
        control_adapter.check_room_with([log_files = options.log_dir.has_value(), fds_before,
                                         soft = limit.soft](std::size_t n) {
            return posix::check_fd_budget(n, log_files, fds_before, soft);
        });
        launcher.on_job_signal([this](int sig) {
            const bool took = job.on_signal(sig);
            if (sig == SIGCONT && focus)
                focus->resume();
            return took;
        });
        focus_on(options.interactive);
        launcher.on_child_stopped([this](std::size_t id, int sig) {
            job.on_child_stopped(runtime.instances()[id].name, sig);
        });
    }

    int run();
    std::optional<int> watch();
    void loop();
    void focus_on(const std::optional<std::string>& name);

    const Plan& plan;
    const StartOptions& options;
    boost::asio::io_context io;
    OutputMemory memory;  // procrun logs, attach
    StartSink sink;
    ProcessLauncher launcher;
    Runtime runtime;
    LogService logs;         // reads the memory for `procrun logs`
    ConnectHub connect_hub;  // `procrun connect`: between the launcher and the runtime
    ControlAdapter control_adapter;
    JobControl job;  // Ctrl-Z, `fg`, children stopped by the terminal
    std::unique_ptr<ControlServer> control;
    std::unique_ptr<Watcher> watcher;   // `watch:`: files that restart processes
    std::unique_ptr<FocusInput> focus;  // --interactive
};

// procrun's stdin goes to instance `name`, from when it has first started.
void Start::focus_on(const std::optional<std::string>& name) {
    for (std::size_t id = 0; name && id < plan.instances.size(); ++id) {
        if (plan.instances[id].name != *name)
            continue;
        focus = std::make_unique<FocusInput>(io, launcher, id, *name, [this](const std::string& t) {
            sink.stamp();
            sink.system(t);
        });
        runtime.set_focus(id);
        runtime.on_started([this, id, begun = false](std::size_t started) mutable {
            if (started == id && !begun) {
                begun = true;
                focus->start();
            }
        });
    }
}

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
    if (const auto code = watch())
        return *code;
    runtime.start();
    runtime.flush();
    loop();
    launcher.drain_all();
    sink.finish(io, [this] { return runtime.abandoned(); });
    return runtime.exit_code().value_or(kExitSupervisorFailed);
}

// Watches the files of the watched types before anything starts, so that a
// limit reached is an error before any process runs (docs/running.md).
std::optional<int> Start::watch() {
    std::vector<WatchTarget> targets = watch_targets(plan, options.watch);
    if (targets.empty())
        return std::nullopt;
    std::vector<std::string> types;
    for (const auto& t : targets)
        types.push_back(t.type);
    std::vector<PathPattern> exclude;
    if (auto log_dir = watch_exclusion(plan.root, options.log_dir))
        exclude.push_back(std::move(*log_dir));
    watcher = std::make_unique<Watcher>(
        io, plan.root, std::move(targets), options.gitignore, std::move(exclude),
        [this](event::FilesChanged changes) { runtime.feed(std::move(changes)); },
        [this](const std::string& text) { sink.report(text); });
    try {
        watcher->start();
    } catch (const WatchSetupError& e) {
        sink.report(e.what());
        return kExitSupervisorFailed;
    }
    std::string names;
    for (const auto& t : types)
        names += (names.empty() ? "" : ", ") + t;
    sink.stamp();
    sink.system("watching " + std::to_string(watcher->folders()) +
                (watcher->folders() == 1 ? " folder" : " folders") + " for changes (" + names +
                ")");
    return std::nullopt;
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

// `procrun start -D`: the waiting command learns how the start-up goes; a
// start that failed stops everything (the waiting command exits non-zero).
void watch_startup(Start& start, StartupObserver& observer) {
    start.runtime.watch_startup(
        {[&observer](const std::string& text) { observer.announced(text); },
         [&start, &observer](bool up) {
             observer.decided(up);
             if (!up)
                 start.runtime.feed(event::StopAll{"the start failed: stopping everything"});
         }});
}

}  // namespace

int run_start(const Plan& plan, const StartOptions& options) {
    posix::ensure_standard_fds();
    posix::set_supervisor_dispositions();
    const posix::FdLimit limit = posix::raise_fd_limit();
    const std::size_t fds_before = posix::open_fd_count();
    if (auto error = posix::check_fd_budget(plan.instances.size(), options.log_dir.has_value(),
                                            fds_before, limit.soft)) {
        write_stderr("procrun: " + *error + "\n");
        return kExitSupervisorFailed;
    }
    // Orphaned descendants come back to procrun (reaped, and recorded with the
    // guardian), and a guardian stops every group if procrun dies.
    posix::become_subreaper();
    posix::Guardian guardian = posix::Guardian::start();
    int code = kExitSupervisorFailed;
    {
        Start start(plan, options, guardian, limit, fds_before);
        if (options.startup != nullptr)
            watch_startup(start, *options.startup);
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
        // Every group has stopped: the guardian may go while the loop's
        // descriptors close.
        guardian.release();
    }
    guardian.finish();
    return code;
}

}  // namespace procrun
