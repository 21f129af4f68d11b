#include <fmt/core.h>

#include <cstdio>
#include <optional>
#include <string>

#include "cli/common.hpp"
#include "procrun/version.hpp"

namespace {

std::string version_string() {
    std::string v = fmt::format("procrun {}", procrun::kVersion);
    if (procrun::kGitCommit[0] != '\0')
        v += fmt::format(" ({})", procrun::kGitCommit);
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace procrun::cli;
    CLI::App app{
        "procrun runs the processes of a Procfile: start them all with interleaved,\n"
        "prefixed output, run one with the app's environment, check the files in CI,\n"
        "or export the same plan to systemd, supervisord, runit, Kubernetes and more.",
        "procrun"};
    app.set_version_flag("-v,--version", version_string());
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  procrun start                 start every process type in ./Procfile\n"
        "  procrun start web -c web=2    two web instances only\n"
        "  procrun check --format=json   validate Procfile, .env and config for CI\n"
        "  procrun run web               one web process in the foreground\n"
        "  procrun -e .env.ci check      project options go before the command too\n"
        "  procrun export systemd out/   render systemd units\n"
        "\n"
        "Run 'procrun COMMAND --help' for a command's options. Exit codes: 0 success, 1 invalid\n"
        "input or failed command, 2 usage error; start and run return their processes' codes.");

    Command command;
    add_project_options_before_command(app);
    add_registered_commands(app, command);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? kExitOk : kExitUsage;
    }
    if (const std::optional<std::string> unused = unused_option_before_command(app)) {
        fmt::print(stderr, "{}\nRun with --help for more information.\n", *unused);
        return kExitUsage;
    }
    if (!command.run)
        return kExitUsage;
    return command.run();
}
