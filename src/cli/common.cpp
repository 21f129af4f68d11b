#include "cli/common.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>

#include "procrun/check.hpp"
#include "procrun/posix/limits.hpp"
#include "procrun/terminal.hpp"

namespace procrun::cli {

namespace {

template <class T>
std::optional<Sourced<T>> from_cli(const CLI::Option* opt, const T& value) {
    if (opt == nullptr || opt->count() == 0)
        return std::nullopt;
    return Sourced<T>{value, Location{"command line", 0, 0}};
}

template <class T>
void take_if_unset(std::optional<T>& after, const std::optional<T>& before) {
    if (!after)
        after = before;
}

Settings given_settings(const ProjectArgs& args) {
    Settings s;
    s.procfile = from_cli(args.procfile_opt, args.procfile);
    s.root = from_cli(args.root_opt, args.root);
    s.env_files = from_cli(args.env_opt, args.env_files);
    s.formation = from_cli(args.formation_opt, args.formation);
    s.port = from_cli(args.port_opt, args.port);
    s.timeout = from_cli(args.timeout_opt, parse_duration(args.timeout).value_or(Millis{0}));
    s.strict = from_cli(args.strict_opt, args.strict);
    return s;
}

// The --help group of the project options given before the command.
constexpr const char* kBeforeCommandGroup =
    "Project options (before or after the command; the one after it wins)";

}  // namespace

void add_project_options(CLI::App& cmd, ProjectArgs& args) {
    args.before = &project_args_before_command();
    args.procfile_opt =
        cmd.add_option("-f,--procfile", args.procfile, "Procfile to read (default: ROOT/Procfile)");
    args.root_opt = cmd.add_option(
        "-d,--root", args.root,
        "Directory the processes run in (default: the Procfile's directory, else the current one)");
    args.env_opt = cmd.add_option("-e,--env", args.env_files,
                                  "Env file(s), comma-separated or repeated; later ones override "
                                  "earlier ones (default: ROOT/.env if it exists)")
                       ->delimiter(',')
                       ->allow_extra_args(false)
                       ->type_name("FILE[,FILE...]");
    args.formation_opt =
        cmd.add_option("-c,-m,--formation,--concurrency", args.formation,
                       "How many of each process type to run, e.g. all=1,web=2,worker=0")
            ->type_name("SPEC");
    args.port_opt = cmd.add_option("-p,--port", args.port,
                                   "Base port (default: PORT from the env files, then the "
                                   "environment, then 5000)")
                        ->check(CLI::Range(1, 65535));
    args.timeout_opt =
        cmd.add_option("-t,--timeout", args.timeout,
                       "Time to wait after SIGTERM before SIGKILL: seconds (10, 0.5) or a "
                       "duration (500ms, 2s, 1m), at most 24h (default 5)")
            ->type_name("DURATION")
            ->check(CLI::Validator(
                [](const std::string& text) {
                    if (parse_duration(text))
                        return std::string();
                    return fmt::format("'{}' is not {}", text, kDurationSyntax);
                },
                ""));
    args.strict_opt =
        cmd.add_flag("--strict", args.strict,
                     "Require process names valid on Cloud Native Buildpacks and Kubernetes "
                     "(lowercase a-z, 0-9, '-', at most 63 characters)");
}

Settings to_settings(const ProjectArgs& args) {
    Settings s = given_settings(args);
    if (args.before == nullptr)
        return s;
    const Settings before = given_settings(*args.before);
    take_if_unset(s.procfile, before.procfile);
    take_if_unset(s.root, before.root);
    take_if_unset(s.env_files, before.env_files);
    take_if_unset(s.formation, before.formation);
    take_if_unset(s.port, before.port);
    take_if_unset(s.timeout, before.timeout);
    take_if_unset(s.strict, before.strict);
    return s;
}

ProjectArgs& project_args_before_command() {
    static ProjectArgs args;
    return args;
}

void add_project_options_before_command(CLI::App& app) {
    ProjectArgs& args = project_args_before_command();
    add_project_options(app, args);
    args.before = nullptr;
    for (CLI::Option* opt : {args.procfile_opt, args.root_opt, args.env_opt, args.formation_opt,
                             args.port_opt, args.timeout_opt, args.strict_opt})
        opt->group(kBeforeCommandGroup);
}

std::optional<std::string> unused_option_before_command(const CLI::App& app) {
    const auto chosen = app.get_subcommands();
    if (chosen.empty())
        return std::nullopt;
    const CLI::App& command = *chosen.front();
    for (const CLI::Option* opt : app.get_options()) {
        if (opt->get_group() != kBeforeCommandGroup || opt->count() == 0)
            continue;
        if (command.get_option_no_throw(opt->get_name()) != nullptr)
            continue;
        std::string names = opt->get_name(false, true);
        std::replace(names.begin(), names.end(), ',', '/');
        return fmt::format("procrun {} does not take {} (given before the command)",
                           command.get_name(), names);
    }
    return std::nullopt;
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

std::vector<Diagnostic> exec_limit_errors(const Project& project) {
    const posix::ArgLimits system = posix::exec_arg_limits();
    ExecLimits limits;
    if (system.max_string > 0)
        limits.max_string = system.max_string;
    if (system.max_total > 0)
        limits.max_total = system.max_total;
    return check_exec_limits(project, limits);
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

void write_text(std::FILE* stream, const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stream);
    std::fflush(stream);
}

}  // namespace procrun::cli
