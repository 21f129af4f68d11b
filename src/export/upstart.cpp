// upstart: APP.conf starts with the runlevels, APP-TYPE.conf with APP, and one
// APP-TYPE-N.conf job per instance whose script block sets the variables and
// execs the command through /bin/sh -c, appending its output to LOG/TYPE-N.log.

#include <fmt/format.h>

#include "export/carry.hpp"
#include "export/format.hpp"
#include "export/quote.hpp"
#include "procrun/signal_name.hpp"

namespace procrun::exporter {

namespace {

const char* const kUpstartAppConf = R"(# {{app}}: every process type
start on runlevel [2345]
stop on runlevel [!2345]
)";

const char* const kTypeConf = R"(# {{app}}: {{type}} processes
start on starting {{app}}
stop on stopping {{app}}
)";

const char* const kJobConf = R"(# {{app}}: {{name}}
start on starting {{app}}-{{type}}
stop on stopping {{app}}-{{type}}
{{#respawn}}
respawn
{{/respawn}}
{{#normal_exit}}
normal exit {{normal_exit}}
{{/normal_exit}}
kill signal {{kill_signal}}
kill timeout {{timeout}}
{{#user}}
setuid {{user}}
{{/user}}

script
cd {{directory}}
{{#env}}
export {{key}}={{value}}
{{/env}}
exec /bin/sh -c {{command}} >> {{log_file}} 2>&1
end script
)";

const std::vector<std::string> kUpstartCommon = {"app", "user", "timeout",   "directory",
                                                 "log", "run",  "target_dir"};

// Upstart ends a script block at the first line reading "end script".
bool ends_script(std::string_view text) {
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            line.remove_prefix(1);
        }
        if (line.substr(0, 3) == "end" && line.size() > 3 && (line[3] == ' ' || line[3] == '\t')) {
            line.remove_prefix(3);
            while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
                line.remove_prefix(1);
            }
            if (line.substr(0, 6) == "script")
                return true;
        }
        pos = end + 1;
    }
    return false;
}

}  // namespace

const std::vector<TemplateDef>& upstart_templates() {
    static const std::vector<TemplateDef> defs = {
        {"app.conf", kUpstartAppConf, tmpl::Schema{tmpl::with_common({}, kUpstartCommon), {}}},
        {"type.conf", kTypeConf, tmpl::Schema{tmpl::with_common({"type"}, kUpstartCommon), {}}},
        {"process.conf", kJobConf,
         tmpl::Schema{tmpl::with_common({"type", "name", "index", "port", "command", "log_file",
                                         "respawn", "normal_exit", "kill_signal"},
                                        kUpstartCommon),
                      {{"env", tmpl::Schema{{"key", "value"}, {}}}}}},
    };
    return defs;
}

void render_upstart(Job& job) {
    const auto& defs = upstart_templates();
    auto app_conf = job.load(defs[0]);
    auto type_conf = job.load(defs[1]);
    auto job_conf = job.load(defs[2]);
    if (!app_conf || !type_conf || !job_conf)
        return;
    const Plan& plan = job.plan();
    const ExportOptions& opt = job.options();

    tmpl::Context common;
    common.values["app"] = opt.app;
    common.values["user"] = opt.user ? shell_quote(*opt.user) : "";
    common.values["timeout"] = std::to_string(opt.timeout.count());
    common.values["directory"] = shell_quote(plan.root.string());
    common.values["log"] = shell_quote(opt.log_dir.string());
    common.values["run"] = shell_quote(opt.run_dir.string());
    common.values["target_dir"] = shell_quote(opt.target_dir.string());

    warn_not_carried(job, {"restart", "can_die", "stop_signal", "stop_timeout"});
    for (const auto& type : plan.types) {
        bool any = false;
        for (const auto& inst : plan.instances) {
            if (inst.type != type.name)
                continue;
            any = true;
            tmpl::Context ctx = common;
            ctx.values["type"] = inst.type;
            ctx.values["name"] = inst.name;
            ctx.values["index"] = std::to_string(inst.index);
            ctx.values["port"] = std::to_string(inst.port);
            ctx.values["command"] = shell_quote(inst.command);
            ctx.values["log_file"] = shell_quote(job.log_file(inst));
            ctx.values["directory"] = shell_quote(inst.working_dir.string());
            const Lifecycle& lc = inst.lifecycle;
            const ExportRestart restart = export_restart(lc);
            ctx.values["respawn"] = restart == ExportRestart::never ? "" : "respawn";
            // respawn restarts any exit but those listed as normal.
            ctx.values["normal_exit"] = restart == ExportRestart::on_failure ? "0" : "";
            ctx.values["kill_signal"] = signal_name(lc.stop_signal).substr(3);
            if (lc.stop_timeout)
                ctx.values["timeout"] = std::to_string(whole_seconds(*lc.stop_timeout));
            if (ends_script(inst.command)) {
                job.command_error(inst, fmt::format("the command of {} has a line reading "
                                                    "'end script', which ends upstart's script "
                                                    "block",
                                                    inst.name));
            }
            for (const auto& [k, v] : job.checked_env(inst)) {
                if (ends_script(v)) {
                    job.error("export/unrepresentable",
                              fmt::format("the value of {} has a line reading 'end script', "
                                          "which ends upstart's script block",
                                          k));
                }
                ctx.lists["env"].push_back(
                    tmpl::Context{{{"key", k}, {"value", shell_quote(v)}}, {}});
            }
            job.add(job.slug(inst) + ".conf", tmpl::render(*job_conf, ctx), kPrivate);
        }
        if (!any)
            continue;
        tmpl::Context ctx = common;
        ctx.values["type"] = type.name;
        job.add(fmt::format("{}-{}.conf", opt.app, type.name), tmpl::render(*type_conf, ctx));
    }
    job.add(opt.app + ".conf", tmpl::render(*app_conf, common));
}

}  // namespace procrun::exporter
