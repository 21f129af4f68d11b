// procrun restart [NAME...]: restart processes of the procrun running in this root.

#include <memory>

#include "cli/control_cli.hpp"

namespace procrun::cli {

namespace {

struct RestartArgs {
    ProjectArgs project;
    std::vector<std::string> names;
};

void add_restart_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<RestartArgs>();
    CLI::App* cmd = app.add_subcommand(
        "restart", "Restart processes of the procrun running in this root (default: every one)");
    add_root_options(*cmd, args->project);
    cmd->add_option("names", args->names,
                    "Process types (every instance) or instances, e.g. web or web.2")
        ->type_name("NAME...");
    cmd->footer(
        "Each instance gets its stop signal, SIGKILL after its timeout, and is started again.\n"
        "Exit status: 0; 1 for an unknown name or when no procrun is running in the root.");
    cmd->callback([args, &command] {
        command.run = [args] {
            ControlRequest request;
            request.command = ControlCommand::restart;
            request.targets = args->names;
            return send_control(args->project, request, print_instance_lines);
        };
    });
}

const bool kRestartRegistered = register_command(51, add_restart_command);

}  // namespace

}  // namespace procrun::cli
