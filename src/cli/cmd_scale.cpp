// procrun scale NAME=N,...: change how many instances of each type run, in
// the procrun running in this root.

#include <memory>

#include "cli/control_cli.hpp"

namespace procrun::cli {

namespace {

struct ScaleArgs {
    ProjectArgs project;
    std::vector<std::string> counts;
};

void add_scale_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<ScaleArgs>();
    CLI::App* cmd = app.add_subcommand(
        "scale", "Change how many instances of process types run in the procrun of this root");
    add_root_options(*cmd, args->project);
    cmd->add_option("counts", args->counts,
                    "NAME=N pairs, comma- or space-separated, e.g. web=3,worker=0")
        ->type_name("NAME=N...")
        ->required();
    cmd->footer(
        "Scaling up starts the instances that are missing (web.3 gets PORT base + 100 x the\n"
        "type's position in the Procfile + 2, as at start); scaling down stops the\n"
        "highest-numbered instances with their stop signal, then SIGKILL after their timeout.\n"
        "A type that was not started (not named, or autostart: false) can be scaled up too.\n"
        "Exit status: 0; 1 for an unknown type, a bad count, or when no procrun is running in\n"
        "the root.");
    cmd->callback([args, &command] {
        command.run = [args] {
            ControlRequest request;
            request.command = ControlCommand::scale;
            for (const auto& arg : args->counts) {
                std::size_t at = 0;
                while (at <= arg.size()) {
                    const std::size_t comma = std::min(arg.find(',', at), arg.size());
                    if (comma > at)
                        request.targets.push_back(arg.substr(at, comma - at));
                    at = comma + 1;
                }
            }
            return send_control(args->project, request, print_instance_lines);
        };
    });
}

const bool kScaleRegistered = register_command(55, add_scale_command);

}  // namespace

}  // namespace procrun::cli
