// procrun logs [NAME...] [-n N] [-f] [--json]: the recent output of the
// procrun running in this root, from its output memory, then live with -f.

#include <memory>

#include "cli/control_cli.hpp"
#include "procrun/terminal.hpp"

namespace procrun::cli {

namespace {

struct LogsArgs {
    ProjectArgs project;
    std::vector<std::string> names;
    std::size_t lines = kDefaultLogLines;
    bool follow = false;
    bool json = false;
    bool color = false;
    bool no_color = false;
    CLI::Option* color_opt = nullptr;
};

int logs_command(const LogsArgs& args) {
    ControlRequest request;
    request.command = ControlCommand::logs;
    request.targets = args.names;
    request.lines = args.lines;
    request.follow = args.follow;
    LogPrinting printing;
    printing.json = args.json;
    std::optional<bool> colour_flag;
    if (args.color)
        colour_flag = true;
    if (args.no_color)
        colour_flag = false;
    printing.colour = should_colour(1, colour_flag, Environment::from_process());
    return print_log_stream(args.project, request, printing);
}

void add_logs_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<LogsArgs>();
    CLI::App* cmd = app.add_subcommand(
        "logs", "Show the recent output of the procrun running in this root (-f: then follow it)");
    add_root_options(*cmd, args->project, /*short_procfile=*/false);
    cmd->add_option("names", args->names,
                    "Process types or instances (web, web.2); default: everything, procrun's "
                    "own lines included")
        ->type_name("NAME...");
    cmd->add_option("-n,--lines", args->lines,
                    "How many of the last lines: of each NAME, or of everything (default 100)")
        ->check(CLI::NonNegativeNumber)
        ->type_name("N");
    cmd->add_flag("-f,--follow", args->follow,
                  "Then print new lines as they come, across restarts, until Ctrl-C or that "
                  "procrun exits");
    CLI::Option* json = cmd->add_flag(
        "--json", args->json,
        "One JSON object per line: {\"ts\",\"process\",\"stream\",\"line\"}, as start "
        "--output json writes");
    args->color_opt = cmd->add_flag("--color", args->color,
                                    "Colour the prefixes even when the output is not a terminal");
    CLI::Option* no_color =
        cmd->add_flag("--no-color", args->no_color, "Never colour the prefixes");
    args->color_opt->excludes(no_color)->excludes(json);
    cmd->footer(
        "Lines come from the running procrun's output memory: the last log_memory lines (1000 by\n"
        "default, at most log_memory_bytes, 1 MiB) of each instance and of procrun's own, kept\n"
        "across restarts; see docs/logs.md. Without NAME, the last N lines of everything in\n"
        "time order; with NAMEs, the last N of each, merged in time order.\n"
        "Exit status: 0 (also after Ctrl-C, and when that procrun exits while following); 1\n"
        "when no procrun is running in the root, for an unknown NAME, or when a follower that\n"
        "does not read is cut off.");
    cmd->callback([args, &command] { command.run = [args] { return logs_command(*args); }; });
}

const bool kLogsRegistered = register_command(55, add_logs_command);

}  // namespace

}  // namespace procrun::cli
