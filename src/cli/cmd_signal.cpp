// procrun signal SIGNAL NAME...: send a signal to processes of the procrun
// running in this root.

#include <fmt/core.h>

#include <memory>

#include "cli/control_cli.hpp"
#include "procrun/posix/signals.hpp"
#include "procrun/signal_name.hpp"

namespace procrun::cli {

namespace {

struct SignalArgs {
    ProjectArgs project;
    std::string signal;
    std::vector<std::string> names;
};

void print_signalled(const std::string& signal, const ControlReply& reply) {
    std::size_t width = 0;
    for (const auto& s : reply.instances)
        width = std::max(width, s.name.size());
    for (const auto& s : reply.instances) {
        std::string pids;
        for (int pid : s.signalled)
            pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
        if (pids.empty()) {
            fmt::print("{:<{}}  not running: nothing sent\n", s.name, width);
        } else {
            fmt::print("{:<{}}  {} sent to pid{} {}\n", s.name, width, signal,
                       s.signalled.size() == 1 ? "" : "s", pids);
        }
    }
}

void add_signal_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<SignalArgs>();
    CLI::App* cmd = app.add_subcommand(
        "signal", "Send a signal to processes of the procrun running in this root");
    add_root_options(*cmd, args->project);
    cmd->add_option("signal", args->signal, "A signal name or number: USR1, SIGHUP, 12...")
        ->type_name("SIGNAL")
        ->required();
    cmd->add_option("names", args->names,
                    "Process types (every instance) or instances, e.g. web or web.2")
        ->type_name("NAME...")
        ->required();
    cmd->footer(
        "Each instance's processes get the signal; a `/bin/sh -c` wrapper that would die of it\n"
        "is passed over. Prints which pids got it.\n"
        "Exit status: 0; 1 for an unknown signal or name, when none of the named processes\n"
        "runs, or when no procrun is running in the root.");
    cmd->callback([args, &command] {
        command.run = [args]() -> int {
            const std::optional<int> sig = parse_signal(args->signal);
            if (!sig) {
                fmt::print(stderr,
                           "procrun: signal: unknown signal '{}'\n"
                           "hint: a name such as USR1, SIGHUP, TERM or a number from 1 to 64 "
                           "(`kill -l` lists them)\n",
                           args->signal);
                return kExitInvalid;
            }
            ControlRequest request;
            request.command = ControlCommand::signal;
            request.signal = *sig;
            request.targets = args->names;
            const std::string name = signal_name(*sig);
            return send_control(args->project, request, [name](const ControlReply& reply) {
                print_signalled(name, reply);
            });
        };
    });
}

const bool kSignalRegistered = register_command(54, add_signal_command);

}  // namespace

}  // namespace procrun::cli
