// inittab: APP.inittab holds one respawn line per instance, to paste into
// /etc/inittab; each line runs the instance's script APP-TYPE-N.sh (mode 0700),
// which appends its output to LOG/TYPE-N.log, changes to the root, exports the
// variables and execs the command through /bin/sh -c (through su with --user).
// Keeping the variables in the script keeps the inittab lines short: sysvinit
// reads at most 127 characters of a process field.

#include <fmt/format.h>

#include <cctype>

#include "export/carry.hpp"
#include "export/format.hpp"
#include "export/quote.hpp"

namespace procrun::exporter {

namespace {

constexpr std::size_t kSysvinitProcessMax = 127;

const char* const kInittab = R"(# ----- {{app}} -----
{{#processes}}
{{id}}:2345:respawn:{{process}}
{{/processes}}
# ----- end {{app}} -----
)";

const char* const kScript = R"(#!/bin/sh
# {{app}} {{name}}
mkdir -p {{log}} || exit 111
exec >> {{log_file}} 2>&1
cd {{directory}} || exit 111
{{#env}}
export {{key}}={{value}}
{{/env}}
{{#user}}
exec /bin/su -s /bin/sh -c {{su_command}} {{user}}
{{/user}}
{{^user}}
exec /bin/sh -c {{command}}
{{/user}}
)";

const std::vector<std::string> kInittabCommon = {"app", "user", "directory", "timeout",
                                                 "log", "run",  "target_dir"};

// Two letters of the app and a two-digit counter: inittab ids are at most four
// characters.
std::string make_id(std::string_view app, int n) {
    std::string prefix;
    for (char c : app) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0 && prefix.size() < 2) {
            prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
    }
    while (prefix.size() < 2)
        prefix += 'P';
    return fmt::format("{}{:02d}", prefix, n);
}

}  // namespace

const std::vector<TemplateDef>& inittab_templates() {
    static const std::vector<TemplateDef> defs = {
        {"inittab", kInittab,
         tmpl::Schema{
             tmpl::with_common({}, kInittabCommon),
             {{"processes",
               tmpl::Schema{{"id", "type", "name", "index", "port", "process", "script"}, {}}}}}},
        {"process.sh", kScript,
         tmpl::Schema{tmpl::with_common({"type", "name", "index", "port", "command", "su_command",
                                         "log_file", "script"},
                                        kInittabCommon),
                      {{"env", tmpl::Schema{{"key", "value"}, {}}}}}},
    };
    return defs;
}

void render_inittab(Job& job) {
    const auto& defs = inittab_templates();
    auto inittab = job.load(defs[0]);
    auto script = job.load(defs[1]);
    if (!inittab || !script)
        return;
    const Plan& plan = job.plan();
    const ExportOptions& opt = job.options();

    tmpl::Context common;
    common.values["app"] = opt.app;
    common.values["user"] = opt.user ? shell_quote(*opt.user) : "";
    common.values["directory"] = shell_quote(plan.root.string());
    common.values["timeout"] = std::to_string(opt.timeout.count());
    common.values["log"] = shell_quote(opt.log_dir.string());
    common.values["run"] = shell_quote(opt.run_dir.string());
    common.values["target_dir"] = shell_quote(opt.target_dir.string());

    if (plan.instances.size() > 99) {
        job.error("export/too-many",
                  fmt::format("inittab ids have room for 99 instances, the plan has {}",
                              plan.instances.size()),
                  "lower the formation, or export to another format");
        return;
    }
    // init respawns every exit and stops a process by its own rules.
    warn_not_carried(job, {"restart", "can_die"});
    warn_restart_always(job);
    tmpl::Context tab = common;
    int n = 0;
    for (const auto& inst : plan.instances) {
        ++n;
        const std::string slug = job.slug(inst);
        const std::string script_path = (opt.target_dir / (slug + ".sh")).string();
        tmpl::Context ctx = common;
        ctx.values["type"] = inst.type;
        ctx.values["name"] = inst.name;
        ctx.values["index"] = std::to_string(inst.index);
        ctx.values["port"] = std::to_string(inst.port);
        ctx.values["command"] = shell_quote(inst.command);
        ctx.values["directory"] = shell_quote(inst.working_dir.string());
        ctx.values["su_command"] = shell_quote("exec /bin/sh -c " + shell_quote(inst.command));
        ctx.values["log_file"] = shell_quote(job.log_file(inst));
        ctx.values["script"] = shell_quote(script_path);
        for (const auto& [k, v] : job.checked_env(inst)) {
            ctx.lists["env"].push_back(tmpl::Context{{{"key", k}, {"value", shell_quote(v)}}, {}});
        }
        job.add(slug + ".sh", tmpl::render(*script, ctx), 0700);

        const std::string process = "/bin/sh " + shell_quote(script_path);
        if (process.size() > kSysvinitProcessMax) {
            job.warning("export/inittab-length",
                        fmt::format("the inittab line of {} is {} characters long; sysvinit "
                                    "reads at most {} of a process field",
                                    inst.name, process.size(), kSysvinitProcessMax),
                        "export into a directory with a shorter path");
        }
        tmpl::Context p;
        p.values["id"] = make_id(opt.app, n);
        p.values["type"] = inst.type;
        p.values["name"] = inst.name;
        p.values["index"] = std::to_string(inst.index);
        p.values["port"] = std::to_string(inst.port);
        p.values["process"] = process;
        p.values["script"] = shell_quote(script_path);
        tab.lists["processes"].push_back(std::move(p));
    }
    job.add(opt.app + ".inittab", tmpl::render(*inittab, tab));
}

}  // namespace procrun::exporter
