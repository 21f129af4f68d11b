#pragma once

// What the commands that talk to a running `procrun start` share: the -f/-d
// options that find its root, sending one request and reporting the outcome.

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "procrun/control.hpp"

namespace procrun::cli {

// Adds -f/--procfile and -d/--root, which find the root as `procrun start` does
// (--procfile only, when the command has its own -f).
void add_root_options(CLI::App& cmd, ProjectArgs& args, bool short_procfile = true);

// The project root the options name (through the config file too); reports
// why not and returns nullopt when there is none. Errors in the Procfile or
// env files do not matter here: the running procrun has its own copy.
std::optional<std::filesystem::path> resolve_root(const ProjectArgs& args, bool report);

// Sends `request` to the procrun running in the root and hands a successful
// reply to `print`; reports a refusal or a failure on stderr. Returns the exit code.
int send_control(const ProjectArgs& args, const ControlRequest& request,
                 const std::function<void(const ControlReply&)>& print);

// A `logs` request's lines as `procrun logs` and `attach` print them: the
// JSON objects as they come, or formatted as the main output is (coloured
// prefixes when `colour`).
struct LogPrinting {
    bool json = false;
    bool colour = false;
    // attach: say on stderr what it is attached to, and that Ctrl-C leaves.
    bool attach = false;
};

// Sends a `logs` request to the procrun running in the root and prints its
// lines until its stream ends or Ctrl-C (SIGINT, SIGTERM, SIGHUP). Returns the
// exit code: 0 when the lines ended, at Ctrl-C, or when that procrun exits
// (said on stderr); 1 when none runs, for an unknown name, or when the
// stream was cut off or lost.
int print_log_stream(const ProjectArgs& args, const ControlRequest& request,
                     const LogPrinting& printing);

// Prints one line per instance of the reply: "web.2  stopping (pid 4242)".
void print_instance_lines(const ControlReply& reply);

// `procrun start` when a procrun already runs in the root: with names, asks it
// to start them and returns the exit code; without, reports the running one
// and returns 1. nullopt when none runs there (or the root is not found).
std::optional<int> start_in_running(const ProjectArgs& args, const std::vector<std::string>& names);

}  // namespace procrun::cli
