#include "cli/common.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>

#include "procrun/terminal.hpp"

namespace procrun::cli {

namespace {

template <class T>
std::optional<Sourced<T>> from_cli(const CLI::Option* opt, const T& value) {
    if (opt == nullptr || opt->count() == 0)
        return std::nullopt;
    return Sourced<T>{value, Location{"command line", 0, 0}};
}

}  // namespace

void add_project_options(CLI::App& cmd, ProjectArgs& args) {
    args.procfile_opt =
        cmd.add_option("-f,--procfile", args.procfile, "Procfile to read (default: ROOT/Procfile)");
    args.root_opt = cmd.add_option(
        "-d,--root", args.root,
        "Directory the processes run in (default: the Procfile's directory, else the current one)");
    args.env_opt = cmd.add_option("-e,--env", args.env_files,
                                  "Env file(s), comma-separated or repeated; later ones override "
                                  "earlier ones (default: ROOT/.env if it exists)")
                       ->delimiter(',')
                       ->type_name("FILE[,FILE...]");
    args.formation_opt =
        cmd.add_option("-c,-m,--formation,--concurrency", args.formation,
                       "How many of each process type to run, e.g. all=1,web=2,worker=0")
            ->type_name("SPEC");
    args.port_opt = cmd.add_option("-p,--port", args.port,
                                   "Base port (default: PORT from the env files, then the "
                                   "environment, then 5000)")
                        ->check(CLI::Range(1, 65535));
    args.timeout_opt = cmd.add_option("-t,--timeout", args.timeout,
                                      "Seconds to wait after SIGTERM before SIGKILL (default 5)")
                           ->check(CLI::Range(0, 86400));
    args.strict_opt =
        cmd.add_flag("--strict", args.strict,
                     "Require process names valid on Cloud Native Buildpacks and Kubernetes "
                     "(lowercase a-z, 0-9, '-', at most 63 characters)");
}

Settings to_settings(const ProjectArgs& args) {
    Settings s;
    s.procfile = from_cli(args.procfile_opt, args.procfile);
    s.root = from_cli(args.root_opt, args.root);
    s.env_files = from_cli(args.env_opt, args.env_files);
    s.formation = from_cli(args.formation_opt, args.formation);
    s.port = from_cli(args.port_opt, args.port);
    s.timeout = from_cli(args.timeout_opt, args.timeout);
    s.strict = from_cli(args.strict_opt, args.strict);
    return s;
}

void print_diagnostics(const std::vector<Diagnostic>& diagnostics, std::optional<bool> colour_flag,
                       const Environment& os_env) {
    const bool colour = should_colour(2, colour_flag, os_env);
    std::string out;
    for (const auto& d : diagnostics)
        out += format_human(d, colour);
    std::fwrite(out.data(), 1, out.size(), stderr);
    std::fflush(stderr);
}

std::optional<Project> load_or_report(const ProjectArgs& args,
                                      const std::vector<std::string>& selected,
                                      const Environment& os_env, bool require_procfile) {
    LoadOptions options;
    options.cli = to_settings(args);
    options.selected = selected;
    options.require_procfile = require_procfile;
    Parsed<Project> loaded = load_project(options, os_env);
    if (!loaded.diagnostics.empty())
        print_diagnostics(loaded.diagnostics, std::nullopt, os_env);
    if (!loaded.ok())
        return std::nullopt;
    return std::move(loaded.value);
}

namespace {

std::vector<std::pair<int, AddCommand>>& command_registry() {
    static std::vector<std::pair<int, AddCommand>> registry;
    return registry;
}

}  // namespace

bool register_command(int order, AddCommand add) {
    command_registry().emplace_back(order, add);
    return true;
}

void add_registered_commands(CLI::App& app, Command& command) {
    auto registry = command_registry();
    std::stable_sort(registry.begin(), registry.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& entry : registry)
        entry.second(app, command);
}

}  // namespace procrun::cli
