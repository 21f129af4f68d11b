#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
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
// files and config are, the formation, port and timeout. They are accepted
// before the command too (`procrun -f Procfile.dev start`, as honcho does);
// an option given after the command wins over the same one given before it.
struct ProjectArgs {
    std::string procfile;
    std::string root;
    std::vector<std::string> env_files;
    std::string formation;
    int port = 0;
    std::string timeout;  // a duration, checked by parse_duration
    bool strict = false;

    CLI::Option* procfile_opt = nullptr;
    CLI::Option* root_opt = nullptr;
    CLI::Option* env_opt = nullptr;
    CLI::Option* formation_opt = nullptr;
    CLI::Option* port_opt = nullptr;
    CLI::Option* timeout_opt = nullptr;
    CLI::Option* strict_opt = nullptr;

    // The project options given before the command: each one not given after
    // it is taken from there. Set by add_project_options and add_root_options.
    const ProjectArgs* before = nullptr;
};

// The project options of the top-level app (given before the command).
ProjectArgs& project_args_before_command();

// Adds the project options to the top-level app, in their own --help group.
void add_project_options_before_command(CLI::App& app);

// After parsing: an option given before the command that the chosen command
// does not take (`procrun -e .env status`) is a usage error. Returns its message.
std::optional<std::string> unused_option_before_command(const CLI::App& app);

// Adds -f/--procfile, -d/--root, -e/--env, -c/-m/--formation/--concurrency,
// -p/--port, -t/--timeout, --strict to `cmd`. Each option takes one value per
// occurrence (a list comma-separated, or the option repeated), so that nothing
// after it is taken for it.
void add_project_options(CLI::App& cmd, ProjectArgs& args);

// The settings the user gave on the command line (options not given stay
// empty): the options after the command, else those before it.
Settings to_settings(const ProjectArgs& args);

// Prints diagnostics to stderr the compiler way (colour decided for stderr).
// Writes `text` to `stream` and flushes it.
void write_text(std::FILE* stream, const std::string& text);

void print_diagnostics(const std::vector<Diagnostic>& diagnostics, std::optional<bool> colour_flag,
                       const Environment& os_env);

// Loads the project for a command; prints diagnostics. Returns nullopt on error.
// What execve would refuse in `project` (a command, a variable, a process name
// or a whole environment over the kernel's limits here), as located errors:
// `check` reports them and `start` refuses to begin with them.
std::vector<Diagnostic> exec_limit_errors(const Project& project);

std::optional<Project> load_or_report(const ProjectArgs& args,
                                      const std::vector<std::string>& selected,
                                      const Environment& os_env, bool require_procfile = true);

// The command chosen on the command line: set by the subcommand's parse
// callback, run by main() once parsing succeeded.
struct Command {
    std::function<int()> run;
};

// Each command lives in its own cmd_*.cpp and registers itself at start-up:
//   const bool kCheckRegistered = register_command(10, add_check_command);
// `order` sorts the commands in --help.
using AddCommand = void (*)(CLI::App& app, Command& command);
bool register_command(int order, AddCommand add);
void add_registered_commands(CLI::App& app, Command& command);

}  // namespace procrun::cli
