// procrun status: the instances of the procrun running in this root.

#include <fmt/core.h>

#include <memory>

#include "cli/control_cli.hpp"

namespace procrun::cli {

namespace {

struct StatusArgs {
    ProjectArgs project;
    bool json = false;
};

int status_command(const StatusArgs& args) {
    ControlRequest request;
    request.command = ControlCommand::status;
    return send_control(args.project, request, [&args](const ControlReply& reply) {
        if (args.json)
            fmt::print("{}", encode_reply(reply));
        else
            fmt::print("{}", render_status_table(reply.instances));
    });
}

void add_status_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<StatusArgs>();
    CLI::App* cmd =
        app.add_subcommand("status", "Show the processes of the procrun running in this root");
    add_root_options(*cmd, args->project);
    cmd->add_flag("--json", args->json,
                  "Print the supervisor's reply as one JSON object (see docs/control.md)");
    cmd->footer(
        "Columns: INSTANCE, PID, STATE (waiting, starting, running, ready, stopping, stopped,\n"
        "exited, backoff, failed), UPTIME, RESTARTS, LAST EXIT, READINESS (pending, ready,\n"
        "failed; - without a probe).\n"
        "Exit status: 0; 1 when no procrun is running in the root.");
    cmd->callback([args, &command] { command.run = [args] { return status_command(*args); }; });
}

const bool kStatusRegistered = register_command(50, add_status_command);

}  // namespace

}  // namespace procrun::cli
