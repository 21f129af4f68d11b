// supervisord: one APP.conf with a [program:APP-TYPE-N] per instance and a
// [group:APP] holding them all. Variables go into environment= when
// supervisord's parser can carry them exactly; the others into APP-TYPE-N.env
// (mode 0600, POSIX sh), which the command sources before running.

#include <fmt/format.h>

#include "export/carry.hpp"
#include "export/format.hpp"
#include "export/quote.hpp"
#include "procrun/signal_name.hpp"

namespace procrun::exporter {

namespace {

const char* const kSupervisordAppConf = R"({{#programs}}
[program:{{program}}]
command={{command}}
directory={{directory}}
{{#user}}
user={{user}}
{{/user}}
autostart={{autostart}}
autorestart={{autorestart}}
stopsignal={{stopsignal}}
stopasgroup=true
killasgroup=true
stopwaitsecs={{stopwaitsecs}}
stdout_logfile={{stdout_logfile}}
stderr_logfile={{stderr_logfile}}
{{#environment}}
environment={{environment}}
{{/environment}}

{{/programs}}
[group:{{app}}]
programs={{program_list}}
)";

}  // namespace

const std::vector<TemplateDef>& supervisord_templates() {
    static const std::vector<TemplateDef> defs = {
        {"app.conf", kSupervisordAppConf,
         tmpl::Schema{
             {"app", "program_list", "user", "directory", "timeout", "log", "run", "target_dir"},
             {{"programs",
               tmpl::Schema{{"program", "type", "name", "index", "port", "command", "environment",
                             "env_file", "stdout_logfile", "stderr_logfile", "directory",
                             "autorestart", "stopsignal", "stopwaitsecs", "autostart"},
                            {}}}}}},
    };
    return defs;
}

void render_supervisord(Job& job) {
    auto conf = job.load(supervisord_templates()[0]);
    if (!conf)
        return;
    const Plan& plan = job.plan();
    const ExportOptions& opt = job.options();
    std::string why;

    auto value = [&](std::string_view what, const std::string& v) -> std::string {
        auto q = quote::supervisor_value(v, &why);
        if (!q) {
            job.error("export/unrepresentable",
                      fmt::format("supervisord cannot hold the {} '{}': {}", what, v, why));
            return {};
        }
        return *q;
    };

    tmpl::Context ctx;
    ctx.values["app"] = opt.app;
    ctx.values["user"] = value("user", job.user());
    ctx.values["directory"] = value("working directory", plan.root.string());
    ctx.values["timeout"] = std::to_string(opt.timeout.count());
    ctx.values["log"] = value("log directory", opt.log_dir.string());
    ctx.values["run"] = value("run directory", opt.run_dir.string());
    ctx.values["target_dir"] = value("export directory", opt.target_dir.string());

    warn_not_carried(job, {"restart", "can_die", "stop_signal", "stop_timeout", "autostart"});
    std::string program_list;
    for (const auto& inst : plan.instances) {
        const std::string slug = job.slug(inst);
        program_list += (program_list.empty() ? "" : ",") + slug;

        std::string environment;
        std::string sourced;  // variables environment= cannot carry, as sh
        for (const auto& [k, v] : job.checked_env(inst)) {
            if (auto q = quote::supervisor_env_value(v, nullptr)) {
                environment += fmt::format("{}{}={}", environment.empty() ? "" : ",", k, *q);
            } else {
                sourced += fmt::format("{}={}\n", k, shell_quote(v));
            }
        }
        std::string script = inst.command;
        std::string env_file;
        if (!sourced.empty()) {
            env_file = (opt.target_dir / (slug + ".env")).string();
            script = fmt::format("set -a; . {}; set +a; {}", shell_quote(env_file), inst.command);
            job.add(slug + ".env",
                    "# Variables supervisord's environment= cannot carry exactly.\n" + sourced,
                    kPrivate);
        }
        auto command = quote::supervisor_word(script, &why);
        if (!command) {
            job.command_error(
                inst, fmt::format("supervisord cannot run the command of {}: {}", inst.name, why));
            continue;
        }

        const Lifecycle& lc = inst.lifecycle;
        tmpl::Context p;
        p.values["directory"] = value("working directory", inst.working_dir.string());
        // autorestart=unexpected restarts after an exit code not in exitcodes (0).
        const ExportRestart restart = export_restart(lc);
        p.values["autorestart"] = restart == ExportRestart::on_failure ? "unexpected"
                                  : restart == ExportRestart::never    ? "false"
                                                                       : "true";
        p.values["stopsignal"] = signal_name(lc.stop_signal).substr(3);
        // autostart: false, started by `supervisorctl start APP:PROGRAM`.
        p.values["autostart"] = lc.autostart ? "true" : "false";
        p.values["stopwaitsecs"] =
            std::to_string(lc.stop_timeout ? whole_seconds(*lc.stop_timeout)
                                           : static_cast<long>(opt.timeout.count()));
        p.values["program"] = slug;
        p.values["type"] = inst.type;
        p.values["name"] = inst.name;
        p.values["index"] = std::to_string(inst.index);
        p.values["port"] = std::to_string(inst.port);
        p.values["command"] = "/bin/sh -c " + *command;
        p.values["environment"] = environment;
        p.values["env_file"] = env_file.empty() ? "" : value("environment file path", env_file);
        p.values["stdout_logfile"] = value("log file", job.log_file(inst));
        p.values["stderr_logfile"] =
            value("log file",
                  (opt.log_dir / fmt::format("{}-{}.error.log", inst.type, inst.index)).string());
        ctx.lists["programs"].push_back(std::move(p));
    }
    ctx.values["program_list"] = program_list;
    job.add(opt.app + ".conf", tmpl::render(*conf, ctx), kPrivate);
}

}  // namespace procrun::exporter
