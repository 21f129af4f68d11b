#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "procrun/config.hpp"
#include "procrun/diagnostic.hpp"
#include "procrun/environment.hpp"
#include "procrun/project.hpp"

namespace procrun::cli {

// Exit codes shared by every command (documented in docs/procrun.1.scd).
enum ExitCode : int {
    kExitOk = 0,
    kExitInvalid = 1,  // the project's files are invalid / the command failed
    kExitUsage = 2,    // the command line is wrong
};

// Options every project-reading command takes: where the Procfile, root, env
// files and config are, the formation, port and timeout.
struct ProjectArgs {
    std::string procfile;
    std::string root;
    std::vector<std::string> env_files;
    std::string formation;
    int port = 0;
    int timeout = 0;
    bool strict = false;

    CLI::Option* procfile_opt = nullptr;
    CLI::Option* root_opt = nullptr;
    CLI::Option* env_opt = nullptr;
    CLI::Option* formation_opt = nullptr;
    CLI::Option* port_opt = nullptr;
    CLI::Option* timeout_opt = nullptr;
    CLI::Option* strict_opt = nullptr;
};

// Adds -f/--procfile, -d/--root, -e/--env, -c/-m/--formation/--concurrency,
// -p/--port, -t/--timeout, --strict to `cmd`.
void add_project_options(CLI::App& cmd, ProjectArgs& args);

// The settings the user gave on the command line (options not given stay empty).
Settings to_settings(const ProjectArgs& args);

// Prints diagnostics to stderr the compiler way (colour decided for stderr).
void print_diagnostics(const std::vector<Diagnostic>& diagnostics, std::optional<bool> colour_flag,
                       const Environment& os_env);

// Loads the project for a command; prints diagnostics. Returns nullopt on error.
std::optional<Project> load_or_report(const ProjectArgs& args,
                                      const std::vector<std::string>& selected,
                                      const Environment& os_env, bool require_procfile = true);

// The command chosen on the command line: set by the subcommand's parse
// callback, run by main() once parsing succeeded.
struct Command {
    std::function<int()> run;
};

// Each command lives in its own cmd_*.cpp and registers itself at start-up:
//   const bool registered = register_command(10, add_check_command);
// `order` sorts the commands in --help.
using AddCommand = void (*)(CLI::App& app, Command& command);
bool register_command(int order, AddCommand add);
void add_registered_commands(CLI::App& app, Command& command);

}  // namespace procrun::cli
