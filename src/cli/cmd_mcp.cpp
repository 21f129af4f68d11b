// procrun mcp: a Model Context Protocol server on stdin/stdout for the procrun
// running in this root (docs/mcp.md).

#include <iostream>
#include <memory>

#include "cli/control_cli.hpp"
#include "procrun/mcp.hpp"
#include "procrun/version.hpp"

namespace procrun::cli {

namespace {

// Each call finds the root again (the project may move under the agent) and
// sends one request to the procrun running there.
class RootControl : public mcp::Control {
  public:
    explicit RootControl(const ProjectArgs& args) : args_(args) {}

    ControlReply request(const ControlRequest& request) override {
        const std::optional<std::filesystem::path> root = resolve_root(args_, /*report=*/false);
        if (!root)
            throw ControlError(
                "no project root found (give -d ROOT or -f PROCFILE to procrun mcp)");
        return control_request(*root, request);
    }

    Logs logs(const ControlRequest& request) override {
        ControlClientStream stream(control_paths(root(), Environment::from_process()), request);
        Logs out{stream.reply(), {}};
        if (!out.reply.ok)
            return out;
        while (std::optional<std::string> line = stream.next_line())
            out.lines.push_back(std::move(*line));
        if (stream.end().reason != "done" && !stream.end().message.empty())
            throw ControlError(stream.end().message);
        return out;
    }

  private:
    [[nodiscard]] std::filesystem::path root() const {
        const std::optional<std::filesystem::path> found = resolve_root(args_, /*report=*/false);
        if (!found)
            throw ControlError(
                "no project root found (give -d ROOT or -f PROCFILE to procrun mcp)");
        return *found;
    }

    const ProjectArgs& args_;
};

int mcp_command(const ProjectArgs& args) {
    RootControl control(args);
    mcp::Server server(control, kVersion);
    std::ios::sync_with_stdio(false);
    mcp::serve(server, std::cin, std::cout);
    return kExitOk;
}

void add_mcp_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<ProjectArgs>();
    CLI::App* cmd = app.add_subcommand(
        "mcp", "Serve the Model Context Protocol on stdin/stdout for the procrun in this root");
    add_root_options(*cmd, *args);
    cmd->footer(
        "For coding agents: JSON-RPC 2.0, one message per line (MCP's stdio transport).\n"
        "Tools: status, logs, restart, stop, start, scale, signal, kill, each one request\n"
        "to the procrun running in the root (`procrun start -D` starts one in the background).\n"
        "Register it with an agent as the command `procrun mcp` run in the project's\n"
        "directory (or with -d ROOT); see docs/mcp.md.\n"
        "Exit status: 0 at the end of its input.");
    cmd->callback([args, &command] { command.run = [args] { return mcp_command(*args); }; });
}

const bool kMcpRegistered = register_command(58, add_mcp_command);

}  // namespace

}  // namespace procrun::cli
