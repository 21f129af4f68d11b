#include "cli/control_cli.hpp"

#include <fmt/core.h>

#include <cstdio>

namespace procrun::cli {

namespace fs = std::filesystem;

void add_root_options(CLI::App& cmd, ProjectArgs& args) {
    args.before = &project_args_before_command();
    args.procfile_opt =
        cmd.add_option("-f,--procfile", args.procfile,
                       "Procfile of the running procrun (its directory is the root)");
    args.root_opt = cmd.add_option(
        "-d,--root", args.root,
        "Root of the running procrun (default: the Procfile's directory, else the current one)");
}

std::optional<fs::path> resolve_root(const ProjectArgs& args, bool report) {
    const Environment os_env = Environment::from_process();
    LoadOptions load;
    load.cli = to_settings(args);
    load.require_procfile = false;
    Parsed<Project> loaded = load_project(load, os_env);
    if (loaded.value.root.empty()) {
        if (report)
            print_diagnostics(loaded.diagnostics, std::nullopt, os_env);
        return std::nullopt;
    }
    return loaded.value.root;
}

int send_control(const ProjectArgs& args, const ControlRequest& request,
                 const std::function<void(const ControlReply&)>& print) {
    const std::optional<fs::path> root = resolve_root(args, /*report=*/true);
    if (!root)
        return kExitInvalid;
    try {
        const ControlReply reply = control_request(*root, request);
        if (!reply.ok) {
            fmt::print(stderr, "procrun: {}: {}\n", to_string(request.command), reply.error);
            return kExitInvalid;
        }
        print(reply);
        std::fflush(stdout);
        return kExitOk;
    } catch (const ControlError& e) {
        fmt::print(stderr, "procrun: {}\n", e.what());
        return kExitInvalid;
    }
}

void print_instance_lines(const ControlReply& reply) {
    std::size_t width = 0;
    for (const auto& s : reply.instances)
        width = std::max(width, s.name.size());
    for (const auto& s : reply.instances) {
        fmt::print("{:<{}}  {}{}\n", s.name, width, s.state.empty() ? "-" : s.state,
                   s.pid > 0 ? fmt::format(" (pid {})", s.pid) : std::string());
    }
}

std::optional<int> start_in_running(const ProjectArgs& args,
                                    const std::vector<std::string>& names) {
    const std::optional<fs::path> root = resolve_root(args, /*report=*/false);
    if (!root)
        return std::nullopt;
    std::optional<RunningSupervisor> running;
    try {
        running = find_running(*root);
    } catch (const ControlError&) {
        // An unsafe control directory: starting reports it.
        return std::nullopt;
    }
    if (!running)
        return std::nullopt;
    if (names.empty()) {
        fmt::print(stderr,
                   "procrun: procrun is already running in {} ({}, socket {})\n"
                   "hint: `procrun status` shows its processes; `procrun start NAME...` starts "
                   "stopped ones, `procrun kill` stops it\n",
                   root->string(),
                   running->pid > 0 ? fmt::format("pid {}", running->pid) : "pid unknown",
                   running->socket.string());
        return kExitInvalid;
    }
    ControlRequest request;
    request.command = ControlCommand::start;
    request.targets = names;
    return send_control(args, request, print_instance_lines);
}

}  // namespace procrun::cli
