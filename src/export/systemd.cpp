// systemd: APP.target wants one APP-TYPE.target per process type, which wants
// one APP-TYPE-N.service per instance. Each service reads its variables from
// APP-TYPE-N.env (mode 0600) and runs its command through /bin/sh -c.

#include <fmt/format.h>

#include "export/carry.hpp"
#include "export/format.hpp"
#include "export/quote.hpp"
#include "procrun/signal_name.hpp"

namespace procrun::exporter {

namespace {

const char* const kAppTarget = R"([Unit]
Description={{app}}: every process type
{{#types}}
Wants={{unit}}
{{/types}}

[Install]
WantedBy=multi-user.target
)";

const char* const kTypeTarget = R"([Unit]
Description={{app}}: {{type}} processes
PartOf={{app_unit}}
{{#instances}}
Wants={{unit}}
{{/instances}}
)";

const char* const kService = R"([Unit]
Description={{app}}: {{name}}
PartOf={{type_unit}}
After=network.target
{{#dependencies}}
After={{unit}}
{{kind}}={{unit}}
{{/dependencies}}

[Service]
Type=simple
{{#user}}
User={{user}}
{{/user}}
WorkingDirectory={{working_directory}}
EnvironmentFile={{environment_file}}
ExecStart={{exec_start}}
{{#exec_stop}}
ExecStop={{exec_stop}}
{{/exec_stop}}
KillMode=mixed
KillSignal={{kill_signal}}
TimeoutStopSec={{timeout}}
Restart={{restart}}
StandardOutput=journal
StandardError=journal
SyslogIdentifier={{unit_name}}
)";

const std::vector<std::string> kSystemdCommon = {"app",     "app_unit", "user", "working_directory",
                                                 "timeout", "log",      "run",  "target_dir"};

const char* restart_value(ExportRestart r) {
    switch (r) {
        case ExportRestart::always:
            return "always";
        case ExportRestart::never:
            return "no";
        case ExportRestart::usual:
        case ExportRestart::on_failure:
            break;
    }
    return "on-failure";
}

// A service's restart, stop and ordering settings, and where it runs.
void lifecycle_values(Job& job, const Instance& inst, tmpl::Context& svc) {
    const Lifecycle& lc = inst.lifecycle;
    const Plan& plan = job.plan();
    std::string why;
    if (auto dir = quote::systemd_value(inst.working_dir.string(), &why)) {
        svc.values["working_directory"] = *dir;
    } else {
        job.error("export/unrepresentable",
                  fmt::format("systemd cannot hold the working directory '{}': {}",
                              inst.working_dir.string(), why));
    }
    svc.values["restart"] = restart_value(export_restart(lc));
    // The stop command runs first; what is still running then gets KillSignal.
    svc.values["exec_stop"] =
        lc.stop_command.empty() ? "" : "/bin/sh -c " + quote::systemd_exec_word(lc.stop_command);
    svc.values["kill_signal"] = signal_name(lc.stop_signal);
    if (lc.stop_timeout) {
        svc.values["timeout"] =
            lc.stop_timeout->count() == 0 ? "1ms" : fmt::format("{}ms", lc.stop_timeout->count());
    }
    // Ordering is on the dependency's services: a target is reached as soon as
    // it starts, without waiting for what it wants.
    for (const auto& dep : lc.depends_on) {
        if (dep.condition != DependencyCondition::started && inst.index == 1) {
            job.warning(
                "export/condition-weakened",
                fmt::format("systemd starts '{}' after '{}' has started, not once it is {}: "
                            "the services are Type=simple",
                            inst.type, dep.type, to_string(dep.condition)),
                "docs/export.md lists what each format carries");
        }
        const char* kind = dep.condition == DependencyCondition::started ? "Wants" : "Requires";
        for (const auto& other : plan.instances) {
            if (other.type == dep.type) {
                svc.lists["dependencies"].push_back(
                    tmpl::Context{{{"unit", job.slug(other) + ".service"}, {"kind", kind}}, {}});
            }
        }
    }
}

}  // namespace

const std::vector<TemplateDef>& systemd_templates() {
    static const std::vector<TemplateDef> defs = {
        {"app.target", kAppTarget,
         tmpl::Schema{tmpl::with_common({}, kSystemdCommon),
                      {{"types", tmpl::Schema{{"type", "unit"}, {}}}}}},
        {"type.target", kTypeTarget,
         tmpl::Schema{tmpl::with_common({"type", "unit"}, kSystemdCommon),
                      {{"instances", tmpl::Schema{{"name", "unit", "port"}, {}}}}}},
        {"service", kService,
         tmpl::Schema{tmpl::with_common({"type", "type_unit", "name", "index", "port", "unit",
                                         "unit_name", "environment_file", "exec_start", "command",
                                         "log_file", "restart", "kill_signal", "exec_stop"},
                                        kSystemdCommon),
                      {{"dependencies", tmpl::Schema{{"unit", "kind"}, {}}}}}},
    };
    return defs;
}

void render_systemd(Job& job) {
    const auto& defs = systemd_templates();
    auto app_target = job.load(defs[0]);
    auto type_target = job.load(defs[1]);
    auto service = job.load(defs[2]);
    if (!app_target || !type_target || !service)
        return;

    const Plan& plan = job.plan();
    const ExportOptions& opt = job.options();
    std::string why;

    auto value = [&](std::string_view what, const std::string& v) -> std::string {
        auto q = quote::systemd_value(v, &why);
        if (!q) {
            job.error("export/unrepresentable",
                      fmt::format("systemd cannot hold the {} '{}': {}", what, v, why));
            return {};
        }
        return *q;
    };

    tmpl::Context common;
    common.values["app"] = value("app name", opt.app);
    common.values["app_unit"] = opt.app + ".target";
    common.values["user"] = value("user", job.user());
    common.values["working_directory"] = value("working directory", plan.root.string());
    // TimeoutStopSec=0 would wait forever; --timeout 0 means no grace at all.
    common.values["timeout"] =
        opt.timeout.count() == 0 ? "1ms" : std::to_string(opt.timeout.count());
    common.values["log"] = value("log directory", opt.log_dir.string());
    common.values["run"] = value("run directory", opt.run_dir.string());
    common.values["target_dir"] = value("export directory", opt.target_dir.string());

    warn_not_carried(job, {"restart", "can_die", "stop_signal", "stop_timeout", "depends_on",
                           "stop_command", "autostart"});
    tmpl::Context app_ctx = common;
    for (const auto& type : plan.types) {
        bool has_instances = false;
        tmpl::Context type_ctx = common;
        type_ctx.values["type"] = type.name;
        type_ctx.values["unit"] = fmt::format("{}-{}.target", opt.app, type.name);
        for (const auto& inst : plan.instances) {
            if (inst.type != type.name)
                continue;
            has_instances = true;
            const std::string slug = job.slug(inst);
            tmpl::Context i;
            i.values["name"] = inst.name;
            i.values["unit"] = slug + ".service";
            i.values["port"] = std::to_string(inst.port);
            type_ctx.lists["instances"].push_back(i);

            const std::string env_file = slug + ".env";
            tmpl::Context svc = common;
            svc.values["type"] = type.name;
            svc.values["type_unit"] = type_ctx.values["unit"];
            svc.values["name"] = inst.name;
            svc.values["index"] = std::to_string(inst.index);
            svc.values["port"] = std::to_string(inst.port);
            svc.values["unit"] = slug + ".service";
            svc.values["unit_name"] = slug;
            svc.values["environment_file"] =
                value("environment file path", (opt.target_dir / env_file).string());
            svc.values["command"] = quote::systemd_exec_word(inst.command);
            svc.values["exec_start"] = "/bin/sh -c " + svc.values["command"];
            svc.values["log_file"] = value("log file", job.log_file(inst));
            lifecycle_values(job, inst, svc);
            job.add(slug + ".service", tmpl::render(*service, svc));

            std::string env;
            for (const auto& [k, v] : job.checked_env(inst))
                env += quote::systemd_env_line(k, v);
            job.add(env_file, env, kPrivate);
        }
        if (!has_instances)
            continue;
        job.add(type_ctx.values["unit"], tmpl::render(*type_target, type_ctx));
        // autostart: false: installed, not wanted by the app's target
        // (`systemctl start APP-TYPE.target` starts it).
        if (!type.lifecycle.autostart)
            continue;
        app_ctx.lists["types"].push_back(
            tmpl::Context{{{"type", type.name}, {"unit", type_ctx.values["unit"]}}, {}});
    }
    job.add(opt.app + ".target", tmpl::render(*app_target, app_ctx));
}

}  // namespace procrun::exporter
