// procrun export FORMAT DIR: renders the plan for an init system or a cluster
// and writes the files into DIR (see docs/export.md).

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <system_error>

#include "cli/common.hpp"
#include "procrun/export.hpp"
#include "procrun/templates.hpp"

namespace procrun::cli {

namespace {

namespace fs = std::filesystem;

struct ExportArgs {
    ProjectArgs project;
    std::string format;
    std::string dir;
    std::string app;
    std::string user;
    std::string log;
    std::string run;
    std::string image;
    std::string template_dir;
    bool secret = false;
    CLI::Option* app_opt = nullptr;
    CLI::Option* user_opt = nullptr;
    CLI::Option* log_opt = nullptr;
    CLI::Option* run_opt = nullptr;
    CLI::Option* image_opt = nullptr;
    CLI::Option* template_dir_opt = nullptr;
};

std::optional<Sourced<std::string>> given(const CLI::Option* opt, const std::string& value) {
    if (opt == nullptr || opt->count() == 0)
        return std::nullopt;
    return Sourced<std::string>{value, Location{"command line", 0, 0}};
}

std::string value_or(const std::optional<Sourced<std::string>>& s, std::string fallback) {
    return s ? s->value : std::move(fallback);
}

fs::path absolute_path(const std::string& p) {
    std::error_code ec;
    fs::path abs = fs::absolute(p, ec);
    return ec ? fs::path(p) : abs.lexically_normal();
}

std::string format_list(bool one_file_only = false) {
    std::string out;
    for (const auto& f : export_formats()) {
        if (!one_file_only || renders_one_file(f))
            out += (out.empty() ? "" : ", ") + f;
    }
    return out;
}

int run_export(const ExportArgs& args) {
    const Environment os_env = Environment::from_process();
    const auto& known = export_formats();
    if (std::find(known.begin(), known.end(), args.format) == known.end()) {
        write_text(stderr, fmt::format("procrun export: unknown format '{}'\nknown formats: {}\n",
                                       args.format, format_list()));
        return kExitUsage;
    }
    const bool to_stdout = args.dir == "-";
    if (to_stdout && !renders_one_file(args.format)) {
        write_text(stderr,
                   fmt::format("procrun export: DIR '-' means standard output, which takes a "
                               "format that renders one file ({}); {} writes several files\n"
                               "hint: name a directory (./- for one called '-')\n",
                               format_list(true), args.format));
        return kExitUsage;
    }

    LoadOptions load;
    load.cli = to_settings(args.project);
    load.cli.app = given(args.app_opt, args.app);
    load.cli.user = given(args.user_opt, args.user);
    load.cli.log = given(args.log_opt, args.log);
    load.cli.run = given(args.run_opt, args.run);
    load.cli.image = given(args.image_opt, args.image);
    load.cli.template_dir = given(args.template_dir_opt, args.template_dir);
    Parsed<Project> loaded = load_project(load, os_env);
    std::vector<Diagnostic> diagnostics = std::move(loaded.diagnostics);
    if (has_errors(diagnostics)) {
        print_diagnostics(diagnostics, std::nullopt, os_env);
        return kExitInvalid;
    }
    const Project& project = loaded.value;
    const Settings& s = project.settings;

    ExportOptions options;
    options.app = value_or(s.app, project.root.filename().string());
    if (s.user)
        options.user = s.user->value;
    options.log_dir = absolute_path(value_or(s.log, "/var/log/" + options.app));
    options.run_dir = absolute_path(value_or(s.run, "/var/run/" + options.app));
    options.target_dir = absolute_path(to_stdout ? "." : args.dir);
    if (s.image)
        options.image = s.image->value;
    options.secret_all = args.secret;
    // Init systems take whole seconds: a fraction is rounded up (0.5s gives 1).
    options.timeout = std::chrono::ceil<std::chrono::seconds>(project.plan.timeout);
    if (s.template_dir) {
        Parsed<std::map<std::string, TemplateSource>> templates =
            load_templates(args.format, s.template_dir->value);
        diagnostics.insert(diagnostics.end(), templates.diagnostics.begin(),
                           templates.diagnostics.end());
        if (!templates.ok()) {
            print_diagnostics(diagnostics, std::nullopt, os_env);
            return kExitInvalid;
        }
        options.templates = std::move(templates.value);
    }

    Parsed<std::vector<ExportedFile>> rendered = render_export(args.format, project.plan, options);
    diagnostics.insert(diagnostics.end(), rendered.diagnostics.begin(), rendered.diagnostics.end());
    if (!diagnostics.empty())
        print_diagnostics(diagnostics, std::nullopt, os_env);
    if (!rendered.ok())
        return kExitInvalid;
    if (to_stdout) {
        for (const auto& file : rendered.value)
            write_text(stdout, file.content);
        return kExitOk;
    }

    try {
        const WriteResult result =
            write_export(options.target_dir, options.app, rendered.value,
                         [](const std::string& what, const fs::path& path) {
                             write_text(stdout, fmt::format("{} {}\n", what, path.string()));
                         });
        for (const auto& warning : result.warnings)
            write_text(stderr, fmt::format("procrun export: warning: {}\n", warning));
    } catch (const std::exception& e) {
        write_text(stderr, fmt::format("procrun export: error: {}\n", e.what()));
        return kExitInvalid;
    }
    return kExitOk;
}

void add_export_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<ExportArgs>();
    CLI::App* cmd = app.add_subcommand(
        "export",
        "Render the plan for systemd, supervisord, runit, launchd, upstart, inittab, "
        "docker compose or Kubernetes");
    cmd->add_option("format", args->format, "Output format: " + format_list())
        ->required()
        ->type_name("FORMAT");
    cmd->add_option("dir", args->dir,
                    "Directory to write the files into (created if missing); '-': standard "
                    "output, for a format that renders one file (compose)")
        ->required()
        ->type_name("DIR");
    add_project_options(*cmd, args->project);
    args->app_opt = cmd->add_option("-a,--app", args->app,
                                    "Name prefixing every unit, program and object (default: "
                                    "the root directory's name)");
    args->user_opt = cmd->add_option("-u,--user", args->user,
                                     "Account the processes run as (default: "
                                     "the init system's default)");
    args->log_opt =
        cmd->add_option("-l,--log", args->log, "Directory for log files (default /var/log/APP)")
            ->type_name("DIR");
    args->run_opt = cmd->add_option("-r,--run", args->run,
                                    "Directory for pid and state files, available to templates "
                                    "as {{run}} (default /var/run/APP)")
                        ->type_name("DIR");
    args->image_opt = cmd->add_option("--image", args->image,
                                      "Container image (kubernetes: required; compose: instead "
                                      "of building the root)");
    cmd->add_flag("--secret", args->secret,
                  "kubernetes: put every variable into the Secret, not only those whose names "
                  "look like credentials");
    args->template_dir_opt =
        cmd->add_option("--template-dir", args->template_dir,
                        "Directory of templates overriding the built-in ones (DIR/FORMAT/NAME "
                        "or DIR/NAME; see docs/export.md)")
            ->type_name("DIR");
    cmd->footer(
        "Files are written atomically; a manifest DIR/.procrun-export-APP records them, and\n"
        "the next export of the same app removes the ones it no longer produces (only those).\n"
        "Paths inside DIR are never followed through a symbolic link, and the manifest is\n"
        "trusted only when it belongs to the user exporting.\n"
        "\n"
        "Exit codes: 0 written, 1 invalid project or a value the format cannot hold, 2 usage\n"
        "error (unknown option or format).\n"
        "\n"
        "Examples:\n"
        "  procrun export systemd /etc/systemd/system -a blog -u blog -t 10\n"
        "  procrun export supervisord /etc/supervisor/conf.d -c web=2,worker=1\n"
        "  procrun export runit /etc/sv -l /var/log/blog\n"
        "  procrun export kubernetes k8s/ --image ghcr.io/me/blog:1.4 --secret\n"
        "  procrun export compose . --image blog:dev\n"
        "  procrun export compose - --image blog:dev > compose.yaml");
    cmd->callback([args, &command] { command.run = [args] { return run_export(*args); }; });
}

const bool kExportRegistered = register_command(40, add_export_command);

}  // namespace

}  // namespace procrun::cli
