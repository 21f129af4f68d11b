// procrun check: validates the Procfile, env files, formation and config file,
// runs the lints, and reports every finding as text, JSON or GitHub workflow
// commands.

#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/common.hpp"
#include "procrun/check.hpp"
#include "procrun/directory_files.hpp"
#include "procrun/terminal.hpp"

namespace procrun::cli {

namespace {

namespace fs = std::filesystem;

struct CheckArgs {
    ProjectArgs project;
    std::string format = "human";
    bool werror = false;
    bool colour = false;
    CLI::Option* colour_opt = nullptr;
};

// The root as the user would write it, relative to the current directory.
std::string display_root(const fs::path& root) {
    std::error_code ec;
    const fs::path cwd = fs::current_path(ec);
    if (ec || root.empty())
        return {};
    const fs::path rel = root.lexically_relative(cwd);
    if (rel.empty() || *rel.begin() == "..")
        return root.string();
    const std::string shown = rel.generic_string();
    return shown == "." ? std::string() : shown;
}

int run_check(const CheckArgs& args) {
    const Environment os_env = Environment::from_process();
    LoadOptions load;
    load.cli = to_settings(args.project);
    Parsed<Project> loaded = load_project(load, os_env);
    const Project& project = loaded.value;
    std::vector<Diagnostic> diagnostics = std::move(loaded.diagnostics);
    std::vector<Diagnostic> limits = exec_limit_errors(project);
    diagnostics.insert(diagnostics.end(), std::make_move_iterator(limits.begin()),
                       std::make_move_iterator(limits.end()));

    LintOptions lint;
    lint.strict = project.settings.strict && project.settings.strict->value;
    lint.display_root = display_root(project.root);
    if (!project.procfile.entries.empty()) {
        const DirectoryFiles files(project.root);
        std::vector<Diagnostic> lints =
            lint_procfile(project.procfile, project.procfile_text, files, lint);
        std::vector<Diagnostic> watch = check_watch(project.plan, files);
        lints.insert(lints.end(), std::make_move_iterator(watch.begin()),
                     std::make_move_iterator(watch.end()));
        diagnostics.insert(diagnostics.end(), std::make_move_iterator(lints.begin()),
                           std::make_move_iterator(lints.end()));
    }
    if (args.werror)
        promote_warnings(diagnostics);

    const CheckSummary summary = summarize(project, diagnostics);
    const std::size_t errors = count(diagnostics, Severity::error);
    const std::size_t warnings = count(diagnostics, Severity::warning);

    if (args.format == "json") {
        write_text(stdout, format_check_json(summary, diagnostics));
    } else if (args.format == "github") {
        std::string out;
        for (const auto& d : diagnostics)
            out += format_github(d);
        out += summary.valid ? format_success(summary, warnings) : format_failure(errors, warnings);
        write_text(stdout, out);
    } else {
        std::optional<bool> flag;
        if (args.colour_opt != nullptr && args.colour_opt->count() > 0) {
            flag = args.colour;
        } else if (project.settings.color) {
            flag = project.settings.color->value;
        }
        const bool colour = should_colour(2, flag, os_env);
        std::string err;
        for (const auto& d : diagnostics)
            err += format_human(d, colour);
        if (summary.valid) {
            write_text(stderr, err);
            write_text(stdout, format_success(summary, warnings));
        } else {
            write_text(stderr, err + format_failure(errors, warnings));
        }
    }
    return summary.valid ? kExitOk : kExitInvalid;
}

void add_check_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<CheckArgs>();
    CLI::App* cmd = app.add_subcommand(
        "check",
        "Validate the Procfile, env files, formation and config file, and lint the Procfile");
    add_project_options(*cmd, args->project);
    cmd->add_option("--format", args->format,
                    "Output: human (compiler-style, on stderr), json (one document on stdout) "
                    "or github (workflow commands that annotate a pull request)")
        ->check(CLI::IsMember({"human", "json", "github"}))
        ->type_name("FORMAT")
        ->default_str("human");
    cmd->add_flag("--werror", args->werror, "Treat lint warnings as errors (exit 1 on any)");
    args->colour_opt = cmd->add_flag("--color,!--no-color", args->colour,
                                     "Colour the human output (default: when stderr is a "
                                     "terminal and NO_COLOR is unset)");
    cmd->footer(
        "Lints (warnings; errors with --werror; see docs/check.md):\n"
        "  check/web-port               web neither uses $PORT nor runs a server that reads it\n"
        "  check/hard-coded-port        a port number in the web command (--port 8000, :8000)\n"
        "  check/strict-name            a process name --strict would reject\n"
        "  check/gunicorn-module        gunicorn MODULE:APP whose MODULE is not under the root\n"
        "  check/gunicorn-app           ...whose APP the module never defines\n"
        "  check/requirements-missing   requirements.txt does not list the web server\n"
        "  check/requirements-unpinned  ...or lists it without pinning a version\n"
        "\n"
        "Exit codes:\n"
        "  0  valid (warnings allowed unless --werror)\n"
        "  1  invalid: an error in a file, or any warning with --werror\n"
        "  2  usage error (unknown option, bad --format)\n"
        "\n"
        "Examples:\n"
        "  procrun check                          ./Procfile, .env and .procrun.yaml\n"
        "  procrun check --strict --werror        fail on names and lints too\n"
        "  procrun check --format=github          annotate a pull request in GitHub Actions\n"
        "  procrun check --format=json | jq .summary.valid\n"
        "  procrun check -f deploy/Procfile -e .env,.env.prod -c web=2,worker=1\n");
    cmd->callback([args, &command] { command.run = [args] { return run_check(*args); }; });
}

const bool kCheckRegistered = register_command(10, add_check_command);

}  // namespace

}  // namespace procrun::cli
