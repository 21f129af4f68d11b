// procrun stop NAME...: stop processes of the procrun running in this root.

#include <memory>

#include "cli/control_cli.hpp"

namespace procrun::cli {

namespace {

struct StopArgs {
    ProjectArgs project;
    std::vector<std::string> names;
};

void add_stop_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<StopArgs>();
    CLI::App* cmd = app.add_subcommand(
        "stop", "Stop processes of the procrun running in this root; the others keep running");
    add_root_options(*cmd, args->project);
    cmd->add_option("names", args->names,
                    "Process types (every instance) or instances, e.g. worker or web.2")
        ->type_name("NAME...")
        ->required();
    cmd->footer(
        "Each instance gets its stop signal, then SIGKILL after its timeout, and stays stopped\n"
        "until `procrun start NAME`. `procrun kill` stops everything and procrun itself.\n"
        "Exit status: 0; 1 for an unknown name or when no procrun is running in the root.");
    cmd->callback([args, &command] {
        command.run = [args] {
            ControlRequest request;
            request.command = ControlCommand::stop;
            request.targets = args->names;
            return send_control(args->project, request, print_instance_lines);
        };
    });
}

const bool kStopRegistered = register_command(52, add_stop_command);

}  // namespace

}  // namespace procrun::cli
