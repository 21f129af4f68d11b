// procrun attach: the combined output of the procrun running in this root,
// from its last screenful, live, until Ctrl-C (which leaves it running) or
// until it exits.

#include <memory>

#include "cli/control_cli.hpp"
#include "procrun/posix/pty.hpp"
#include "procrun/terminal.hpp"

namespace procrun::cli {

namespace {

struct AttachArgs {
    ProjectArgs project;
    bool color = false;
    bool no_color = false;
    std::size_t lines = 0;
    CLI::Option* lines_opt = nullptr;
};

int attach_command(const AttachArgs& args) {
    ControlRequest request;
    request.command = ControlCommand::logs;
    request.follow = true;
    // A screenful: the terminal's rows, less one for the line being typed.
    const unsigned rows = posix::terminal_window_size().ws_row;
    request.lines = args.lines_opt->count() > 0 ? args.lines : (rows > 1 ? rows - 1 : rows);
    LogPrinting printing;
    printing.attach = true;
    std::optional<bool> colour_flag;
    if (args.color)
        colour_flag = true;
    if (args.no_color)
        colour_flag = false;
    printing.colour = should_colour(1, colour_flag, Environment::from_process());
    return print_log_stream(args.project, request, printing);
}

void add_attach_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<AttachArgs>();
    CLI::App* cmd = app.add_subcommand(
        "attach",
        "Follow the output of the procrun running in this root; Ctrl-C leaves it running");
    add_root_options(*cmd, args->project);
    args->lines_opt = cmd->add_option("-n,--lines", args->lines,
                                      "Lines of the past to show first (default: a screenful)")
                          ->check(CLI::NonNegativeNumber)
                          ->type_name("N");
    CLI::Option* color = cmd->add_flag(
        "--color", args->color, "Colour the prefixes even when the output is not a terminal");
    CLI::Option* no_color =
        cmd->add_flag("--no-color", args->no_color, "Never colour the prefixes");
    color->excludes(no_color);
    cmd->footer(
        "Prints what the main output shows, every instance and procrun's own lines, from the\n"
        "last screenful of the output memory (docs/logs.md), then live, across restarts.\n"
        "Works with a procrun started in the foreground in another terminal and with start -D.\n"
        "Ctrl-C (or SIGTERM, SIGHUP) detaches: the processes keep running.\n"
        "Exit status: 0 when detached, and when that procrun exits (said on stderr); 1 when no\n"
        "procrun is running in the root or the stream was cut off.");
    cmd->callback([args, &command] { command.run = [args] { return attach_command(*args); }; });
}

const bool kAttachRegistered = register_command(56, add_attach_command);

}  // namespace

}  // namespace procrun::cli
