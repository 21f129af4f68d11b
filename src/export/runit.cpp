// runit: a service directory APP-TYPE-N/ per instance: `run` starts the command
// with chpst reading the variables from env/ (one file per variable), and
// `log/run` runs svlogd into LOG/TYPE-N/.

#include <fmt/format.h>

#include "export/carry.hpp"
#include "export/format.hpp"
#include "export/quote.hpp"

namespace procrun::exporter {

namespace {

const char* const kRun = R"(#!/bin/sh
# {{app}} {{name}}
exec 2>&1
envdir="$(pwd -P)/env"
cd {{directory}} || exit 111
exec chpst -e "$envdir"{{#user}} -u {{user}}{{/user}} /bin/sh -c {{command}}
)";

const char* const kLogRun = R"(#!/bin/sh
mkdir -p {{log_dir}} || exit 111
{{#user}}
chown {{user}} {{log_dir}} || exit 111
exec chpst -u {{user}} svlogd -tt {{log_dir}}
{{/user}}
{{^user}}
exec svlogd -tt {{log_dir}}
{{/user}}
)";

const std::vector<std::string> kNames = {"app",  "type",       "name",   "index",   "port",
                                         "user", "command",    "log",    "log_dir", "directory",
                                         "run",  "target_dir", "service"};

}  // namespace

const std::vector<TemplateDef>& runit_templates() {
    static const std::vector<TemplateDef> defs = {
        {"run", kRun, tmpl::Schema{kNames, {}}},
        {"log-run", kLogRun, tmpl::Schema{kNames, {}}},
    };
    return defs;
}

void render_runit(Job& job) {
    const auto& defs = runit_templates();
    auto run = job.load(defs[0]);
    auto log_run = job.load(defs[1]);
    if (!run || !log_run)
        return;
    const Plan& plan = job.plan();
    const ExportOptions& opt = job.options();

    // runsv restarts every exit and stops with SIGTERM (then SIGKILL is up to sv).
    warn_not_carried(job, {"restart", "can_die", "autostart"});
    warn_restart_always(job);
    for (const auto& inst : plan.instances) {
        const std::string slug = job.slug(inst);
        tmpl::Context ctx;
        ctx.values["app"] = opt.app;
        ctx.values["type"] = inst.type;
        ctx.values["name"] = inst.name;
        ctx.values["index"] = std::to_string(inst.index);
        ctx.values["port"] = std::to_string(inst.port);
        ctx.values["user"] = opt.user ? shell_quote(*opt.user) : "";
        ctx.values["command"] = shell_quote(inst.command);
        ctx.values["log"] = shell_quote(opt.log_dir.string());
        ctx.values["log_dir"] =
            shell_quote((opt.log_dir / fmt::format("{}-{}", inst.type, inst.index)).string());
        ctx.values["directory"] = shell_quote(inst.working_dir.string());
        ctx.values["run"] = shell_quote(opt.run_dir.string());
        ctx.values["target_dir"] = shell_quote(opt.target_dir.string());
        ctx.values["service"] = shell_quote((opt.target_dir / slug).string());

        job.add(slug + "/run", tmpl::render(*run, ctx), 0755);
        job.add(slug + "/log/run", tmpl::render(*log_run, ctx), 0755);
        // autostart: false: runsv leaves a service with a `down` file stopped
        // until `sv up`.
        if (!inst.lifecycle->autostart)
            job.add(slug + "/down", "", 0644);
        for (const auto& [k, v] : job.checked_env(inst)) {
            std::string why;
            auto content = quote::runit_env_file(v, &why);
            if (!content) {
                job.error(
                    "export/unrepresentable",
                    fmt::format("runit cannot hold the value of {} for {}: {}", k, inst.name, why),
                    "remove the trailing whitespace, or export to another format");
                continue;
            }
            job.add(fmt::format("{}/env/{}", slug, k), *content, kPrivate);
        }
    }
}

}  // namespace procrun::exporter
