// procrun start [NAME...]: every process of the plan, interleaved output.

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "cli/common.hpp"
#include "cli/control_cli.hpp"
#include "cli/daemon_start.hpp"
#include "procrun/supervisor.hpp"
#include "procrun/terminal.hpp"

namespace procrun::cli {

namespace {

struct StartArgs {
    ProjectArgs project;
    std::vector<std::string> names;
    std::vector<std::string> quiet;
    std::vector<std::string> can_die;
    std::vector<std::string> exit_with;
    std::vector<std::string> restart;  // [NAME=]POLICY, checked by the option
    bool pty = false;
    bool watch = false;
    bool no_watch = false;
    std::string interactive;  // --interactive NAME
    bool daemon = false;      // -D: in the background, once everything is up
    CLI::Option* can_die_opt = nullptr;
    CLI::Option* exit_with_opt = nullptr;
    CLI::Option* restart_opt = nullptr;
    CLI::Option* pty_opt = nullptr;
    bool color = false;
    bool no_color = false;
    bool no_timestamp = false;
    bool no_prefix = false;
    CLI::Option* color_opt = nullptr;
    CLI::Option* no_color_opt = nullptr;
    CLI::Option* no_timestamp_opt = nullptr;
    CLI::Option* no_prefix_opt = nullptr;
    CLI::Option* quiet_opt = nullptr;
    std::string output = "text";
    std::string log_dir;
    std::uint64_t log_max_size = StartOptions{}.log_max_size;
    int log_keep = StartOptions{}.log_keep;
    int log_memory = 0;
    std::uint64_t log_memory_bytes = 0;
    CLI::Option* log_memory_opt = nullptr;
    CLI::Option* log_memory_bytes_opt = nullptr;
};

// Whether any selected type is watched (`watch:`, or --watch).
bool watches_anything(const Plan& plan, bool flag) {
    return flag || std::any_of(plan.types.begin(), plan.types.end(), [](const ProcessType& t) {
               return t.selected && t.lifecycle.watch && t.lifecycle.watch->enabled;
           });
}

template <class T>
Sourced<T> from_command_line(T value) {
    return Sourced<T>{std::move(value), Location{"command line", 0, 0}};
}

Settings start_settings(const StartArgs& args) {
    Settings s = to_settings(args.project);
    if (args.color_opt->count() > 0)
        s.color = from_command_line(true);
    if (args.no_color_opt->count() > 0)
        s.color = from_command_line(false);
    if (args.no_timestamp_opt->count() > 0)
        s.timestamp = from_command_line(false);
    if (args.no_prefix_opt->count() > 0)
        s.prefix = from_command_line(false);
    if (args.quiet_opt->count() > 0)
        s.quiet = from_command_line(args.quiet);
    if (args.can_die_opt->count() > 0)
        s.can_die = from_command_line(args.can_die);
    if (args.exit_with_opt->count() > 0)
        s.exit_with = from_command_line(args.exit_with);
    if (args.restart_opt->count() > 0) {
        std::vector<RestartOverride> restart;
        for (const auto& r : args.restart) {
            if (auto parsed = parse_restart_override(r))
                restart.push_back(std::move(*parsed));
        }
        s.restart = from_command_line(std::move(restart));
    }
    if (args.pty_opt->count() > 0)
        s.pty = from_command_line(true);
    if (args.log_memory_opt->count() > 0)
        s.log_memory = from_command_line(args.log_memory);
    if (args.log_memory_bytes_opt->count() > 0)
        s.log_memory_bytes = from_command_line(args.log_memory_bytes);
    return s;
}

// The instance whose stdin is procrun's: --interactive NAME (an instance, or
// a type's first instance), else the first instance of the type with
// `interactive: true`. nullopt with `error` set when NAME names nothing started.
std::optional<std::string> focus_instance(const Plan& plan, const std::string& given,
                                          std::string& error) {
    if (given.empty()) {
        for (const Instance& inst : plan.instances) {
            if (inst.lifecycle->interactive && inst.index == 1)
                return inst.name;
        }
        return std::nullopt;
    }
    for (const Instance& inst : plan.instances) {
        if (inst.name == given || (inst.type == given && inst.index == 1))
            return inst.name;
    }
    const std::string type = given.substr(0, given.rfind('.'));
    if (plan.find_type(given) != nullptr || plan.find_type(type) != nullptr) {
        error = fmt::format(
            "--interactive {}: {} is not started by this command (not selected, "
            "or not that many instances in the formation)",
            given, given);
        return std::nullopt;
    }
    std::vector<std::string> names;
    for (const ProcessType& t : plan.types)
        names.push_back(t.name);
    error = fmt::format("--interactive {}: no process type or instance named {}", given, given);
    if (std::string best = nearest_name(type, names); !best.empty())
        error += fmt::format("\n  hint: did you mean '{}'?", best);
    return std::nullopt;
}

// -D: forks before any thread or io_context exists; the waiting command
// returns the start-up's outcome, the background procrun runs the start.
int start_in_background(const Plan& plan, StartOptions options) {
    DaemonStart daemon(plan.root);
    if (daemon.waited())
        return daemon.report_and_exit_code();
    options.startup = &daemon;
    const int code = run_start(plan, options);
    daemon.finished(code);
    return code;
}

int start_command(const StartArgs& args) {
    // When procrun already runs in this root, it starts the named processes itself.
    if (const std::optional<int> code = start_in_running(args.project, args.names))
        return *code;
    const Environment os_env = Environment::from_process();
    LoadOptions load;
    load.cli = start_settings(args);
    load.selected = args.names;
    Parsed<Project> loaded = load_project(load, os_env);
    std::optional<bool> colour_flag;
    if (load.cli.color)
        colour_flag = load.cli.color->value;
    if (loaded.ok()) {
        std::vector<Diagnostic> limits = exec_limit_errors(loaded.value);
        loaded.diagnostics.insert(loaded.diagnostics.end(), std::make_move_iterator(limits.begin()),
                                  std::make_move_iterator(limits.end()));
    }
    if (!loaded.diagnostics.empty())
        print_diagnostics(loaded.diagnostics, colour_flag, os_env);
    if (!loaded.ok())
        return kExitInvalid;
    const Project& project = loaded.value;
    const Settings& settings = project.settings;

    StartOptions options;
    if (settings.color)
        colour_flag = settings.color->value;
    // In the background standard output is /dev/null: colour only when asked.
    options.style.colour =
        args.daemon ? colour_flag.value_or(false) : should_colour(1, colour_flag, os_env);
    options.style.timestamp = !settings.timestamp || settings.timestamp->value;
    options.style.prefix = !settings.prefix || settings.prefix->value;
    // The loader has checked that every --quiet name is a process type.
    if (settings.quiet)
        options.quiet = settings.quiet->value;
    if (args.output == "json") {
        options.style.format = OutputFormat::json;
        options.style.colour = false;
    }
    if (!args.log_dir.empty())
        options.log_dir = std::filesystem::path(args.log_dir);
    options.log_max_size = args.log_max_size;
    options.log_keep = args.log_keep;
    if (args.watch || args.no_watch)
        options.watch = args.watch;
    if (!args.no_watch && watches_anything(project.plan, args.watch)) {
        Parsed<std::vector<PathPattern>> ignore = load_gitignore(project.root);
        if (!ignore.diagnostics.empty())
            print_diagnostics(ignore.diagnostics, colour_flag, os_env);
        options.gitignore = std::move(ignore.value);
    }
    std::string focus_error;
    // In the background procrun's stdin is /dev/null: nothing to focus on.
    if (!args.daemon)
        options.interactive = focus_instance(project.plan, args.interactive, focus_error);
    if (!focus_error.empty()) {
        fmt::print(stderr, "procrun: {}\n", focus_error);
        return kExitInvalid;
    }
    if (settings.log_memory)
        options.log_memory = static_cast<std::size_t>(settings.log_memory->value);
    if (settings.log_memory_bytes)
        options.log_memory_bytes = static_cast<std::size_t>(settings.log_memory_bytes->value);
    options.named = args.names;
    if (project.plan.instances.empty()) {
        fmt::print(
            stderr,
            "procrun: nothing to start: the formation runs 0 instances of every process type\n");
        return kExitInvalid;
    }
    if (args.daemon)
        return start_in_background(project.plan, options);
    return run_start(project.plan, options);
}

void add_start_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<StartArgs>();
    CLI::App* cmd = app.add_subcommand(
        "start", "Start the processes (all, or the named types) with interleaved, prefixed output");
    add_project_options(*cmd, args->project);
    cmd->add_option("names", args->names,
                    "Process types to start (default: every one but those with autostart: false)")
        ->type_name("NAME...");
    args->color_opt =
        cmd->add_flag("--color", args->color, "Colour the output even when it is not a terminal");
    args->no_color_opt = cmd->add_flag("--no-color", args->no_color, "Never colour the output");
    args->color_opt->excludes(args->no_color_opt);
    args->no_timestamp_opt = cmd->add_flag("--no-timestamp", args->no_timestamp,
                                           "Do not print the time before each line");
    args->no_prefix_opt = cmd->add_flag("--no-prefix", args->no_prefix,
                                        "Print lines exactly as written, without time and name");
    args->can_die_opt =
        cmd->add_option("--can-die", args->can_die,
                        "This process type may exit without stopping the others (repeatable, "
                        "or comma-separated)")
            ->delimiter(',')
            ->allow_extra_args(false)
            ->type_name("NAME");
    args->exit_with_opt =
        cmd->add_option("--exit-with", args->exit_with,
                        "When this process type exits, stop everything (repeatable, or "
                        "comma-separated)")
            ->delimiter(',')
            ->allow_extra_args(false)
            ->type_name("NAME");
    const CLI::Validator restart_policy(
        [](std::string& value) -> std::string {
            if (parse_restart_override(value))
                return {};
            return "expected POLICY or NAME=POLICY with POLICY one of no, on-failure, always: " +
                   value;
        },
        "", "restart policy");
    args->restart_opt = cmd->add_option("--restart", args->restart,
                                        "Restart policy (no, on-failure, always) of every process "
                                        "type, or of NAME (repeatable, or comma-separated)")
                            ->delimiter(',')
                            ->allow_extra_args(false)
                            ->check(restart_policy)
                            ->type_name("[NAME=]POLICY");
    CLI::Option* daemon_opt =
        cmd->add_flag("-D,--daemon", args->daemon,
                      "Run in the background: return once every process has started (and passed "
                      "its readiness probe), with the start's outcome as exit status");
    args->pty_opt = cmd->add_flag("--pty", args->pty,
                                  "Run every process on a pseudo-terminal (as if interactive)");
    CLI::Option* watch_opt = cmd->add_flag("--watch", args->watch,
                                           "Restart on change: the types with watch: in "
                                           ".procrun.yaml, or every type when none has it");
    CLI::Option* no_watch_opt = cmd->add_flag(
        "--no-watch", args->no_watch, "Do not watch files for this run (watch: is ignored)");
    watch_opt->excludes(no_watch_opt);
    cmd->add_option("--interactive", args->interactive,
                    "Send what is typed in this terminal (or piped to procrun's stdin) to this "
                    "process, line by line: an instance (web.2) or a type's first (web)")
        ->type_name("NAME")
        ->excludes(daemon_opt);
    args->quiet_opt =
        cmd->add_option("-q,--quiet", args->quiet,
                        "Hide the output of this process type (repeatable, or comma-separated)")
            ->delimiter(',')
            ->allow_extra_args(false)
            ->type_name("NAME");
    cmd->add_option("--output", args->output,
                    "Output format: text (the default), or json: one JSON object per line")
        ->check(CLI::IsMember({"text", "json"}))
        ->type_name("FORMAT");
    CLI::Option* log_dir_opt =
        cmd->add_option("--log-dir", args->log_dir,
                        "Also write every line to DIR/procrun.log and DIR/NAME.log per instance")
            ->type_name("DIR");
    cmd->add_option("--log-max-size", args->log_max_size,
                    "Rotate a log file before it would pass SIZE bytes (K, M, G suffixes; 0: "
                    "never; default 10M)")
        ->transform(CLI::AsSizeValue(false).description(""))
        ->type_name("SIZE")
        ->needs(log_dir_opt);
    cmd->add_option("--log-keep", args->log_keep,
                    "Rotated files kept per log file, NAME.log.1 the newest (default 5)")
        ->check(CLI::Range(0, 1000))
        ->type_name("N")
        ->needs(log_dir_opt);
    args->log_memory_opt =
        cmd->add_option("--log-memory", args->log_memory,
                        "Lines of output kept per instance for procrun logs and attach (default "
                        "1000; 0: none)")
            ->check(CLI::Range(0, 1000000))
            ->type_name("N");
    args->log_memory_bytes_opt =
        cmd->add_option("--log-memory-bytes", args->log_memory_bytes,
                        "At most SIZE bytes of output kept per instance (K, M suffixes; 4K to "
                        "1024M; default 1M)")
            ->transform(CLI::AsSizeValue(false).description(""))
            ->check(CLI::Range(std::uint64_t{4096}, std::uint64_t{1024} * 1024 * 1024))
            ->type_name("SIZE");
    cmd->footer(
        "Output: HH:MM:SS NAME | LINE, coloured per process type on a terminal (NO_COLOR,\n"
        "FORCE_COLOR, CLICOLOR_FORCE and TERM=dumb are honoured; --color/--no-color win).\n"
        "--output=json: {\"ts\",\"process\",\"stream\",\"line\"} per line, UTC with milliseconds.\n"
        "--log-dir: the same lines (uncoloured, always with time and name) appended to files,\n"
        "rotated by size; see docs/logs.md.\n"
        "Stopping: by default, when any process exits, and on SIGINT, SIGTERM or SIGHUP, every\n"
        "process group gets SIGTERM, and SIGKILL after --timeout seconds; a second Ctrl-C kills\n"
        "at once. can_die, exit_with and restart policies under processes: in .procrun.yaml\n"
        "(or --can-die, --exit-with, --restart) change what an exit does; see docs/config.md.\n"
        "SIGUSR1 and SIGUSR2 are forwarded to every process group.\n"
        "Restart on change: watch: under processes: (or --watch) restarts a type when a file\n"
        "it watches changes, once per debounce window; see docs/running.md.\n"
        "From another terminal in the same root: procrun status, restart, stop NAME, kill;\n"
        "procrun logs [NAME] [-f] and procrun attach read the output memory (--log-memory).\n"
        "-D: in the background (new session, stdin and stdout /dev/null, messages after the\n"
        "start in HASH.log beside the control socket); returns 0 once every process has\n"
        "started and passed its readiness probe. When the start fails it says why, waits\n"
        "until everything is stopped, and exits with the code start would have had, or 1.\n"
        "Exit status: the code of the process whose exit stopped everything (128+N if killed\n"
        "by signal N); when all could die and did, 0 or the first failure's code; 0 after\n"
        "procrun kill; 130, 143 or 129 when stopped by SIGINT, SIGTERM or SIGHUP; 141 when\n"
        "standard output is closed; 1 when a process cannot be started, a dependency ended\n"
        "without meeting a waiting process's condition, or the files are invalid; 2 for usage.");
    cmd->callback([args, &command] { command.run = [args] { return start_command(*args); }; });
}

const bool kStartRegistered = register_command(20, add_start_command);

}  // namespace

}  // namespace procrun::cli
