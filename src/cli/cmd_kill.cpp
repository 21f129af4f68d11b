// procrun kill: stop the procrun running in this root, like Ctrl-C.

#include <fmt/core.h>

#include <memory>

#include "cli/control_cli.hpp"

namespace procrun::cli {

namespace {

void add_kill_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<ProjectArgs>();
    CLI::App* cmd = app.add_subcommand(
        "kill", "Stop every process of the procrun running in this root, and procrun with them");
    add_root_options(*cmd, *args);
    cmd->footer(
        "Like Ctrl-C in its terminal: every process group gets its stop signal (SIGTERM unless\n"
        "set), then SIGKILL after its timeout, and that procrun exits.\n"
        "Exit status: 0 once the request is taken; 1 when no procrun is running in the root.");
    cmd->callback([args, &command] {
        command.run = [args] {
            ControlRequest request;
            request.command = ControlCommand::kill;
            return send_control(*args, request, [](const ControlReply& reply) {
                fmt::print("procrun{} is stopping\n",
                           reply.pid > 0 ? fmt::format(" (pid {})", reply.pid) : std::string());
            });
        };
    });
}

const bool kKillRegistered = register_command(53, add_kill_command);

}  // namespace

}  // namespace procrun::cli
