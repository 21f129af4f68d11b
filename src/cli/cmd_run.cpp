// procrun run NAME|COMMAND [ARGS...]: one command in the foreground with the
// app's environment.

#include <unistd.h>

#include <memory>

#include "cli/common.hpp"
#include "procrun/shell.hpp"
#include "procrun/supervisor.hpp"

namespace procrun::cli {

namespace {

struct RunArgs {
    ProjectArgs project;
    std::vector<std::string> words;
};

int run_command(const RunArgs& args) {
    const Environment os_env = Environment::from_process();
    LoadOptions load;
    load.cli = to_settings(args.project);
    load.require_procfile = false;
    load.run_word = args.words.front();
    const Parsed<Project> project = load_project(load, os_env);
    if (!project.diagnostics.empty())
        print_diagnostics(project.diagnostics, std::nullopt, os_env);
    if (!project.ok())
        return kExitInvalid;
    const Plan& plan = project.value.plan;

    ForegroundOptions options;
    const std::string& first = args.words.front();
    if (const ProcessType* type = plan.find_type(first)) {
        // A Procfile entry: its command with the extra arguments, the
        // environment of its instance 1 (the type's env, PORT, PS), in its
        // working_dir (the root unless set).
        const Instance instance = make_instance(plan, *type, 1);
        options.command = instance.command;
        const std::vector<std::string> extra(args.words.begin() + 1, args.words.end());
        if (!extra.empty())
            options.command += " " + shell_join(extra);
        options.env = plan.environment_of(instance);
        options.cwd = instance.working_dir;
    } else {
        // A command: one word is a shell command line; several words are
        // exactly that program and its arguments.
        options.command = args.words.size() == 1 ? first : "exec " + shell_join(args.words);
        options.env = os_env;
        options.env.merge(plan.file_env);
    }
    return run_foreground(options);
}

void add_run_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<RunArgs>();
    CLI::App* cmd = app.add_subcommand(
        "run", "Run a Procfile entry or any command in the foreground with the app's environment");
    add_project_options(*cmd, args->project);
    cmd->add_option("command", args->words,
                    "A process type from the Procfile (its command, plus ARGS), or a command: one "
                    "word is run by /bin/sh, several words are run as they are")
        ->type_name("NAME|COMMAND [ARGS...]")
        ->required();
    // Everything after NAME or COMMAND belongs to it, options included.
    cmd->positionals_at_end();
    cmd->footer(
        "The command gets procrun's stdin, stdout, stderr and terminal; SIGINT, SIGTERM, SIGHUP,\n"
        "SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH are forwarded to it. A Procfile entry gets the\n"
        "environment of its first instance (env files, the type's env and env_file, PORT, PS)\n"
        "and runs in its working_dir (the root unless .procrun.yaml sets one);\n"
        "another command gets the env files over the inherited environment and runs in the\n"
        "current directory. No Procfile is needed for that.\n"
        "Exit status: the command's (128+N if killed by signal N); 127 not found, 126 not\n"
        "executable; 1 when the files are invalid; 2 for usage.");
    cmd->callback([args, &command] { command.run = [args] { return run_command(*args); }; });
}

const bool kRunRegistered = register_command(30, add_run_command);

}  // namespace

}  // namespace procrun::cli
