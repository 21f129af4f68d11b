// launchd: an XML property list APP-TYPE-N.plist per instance, its command run
// as /bin/sh -c COMMAND.

#include <fmt/format.h>

#include <algorithm>

#include "export/carry.hpp"
#include "export/format.hpp"
#include "export/quote.hpp"

namespace procrun::exporter {

namespace {

const char* const kPlist = R"(<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>{{label}}</string>
	<key>ProgramArguments</key>
	<array>
		<string>/bin/sh</string>
		<string>-c</string>
		<string>{{command}}</string>
	</array>
	<key>EnvironmentVariables</key>
	<dict>
{{#env}}
		<key>{{key}}</key>
		<string>{{value}}</string>
{{/env}}
	</dict>
	<key>WorkingDirectory</key>
	<string>{{directory}}</string>
{{#user}}
	<key>UserName</key>
	<string>{{user}}</string>
{{/user}}
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	{{keep_alive}}
	<key>ExitTimeOut</key>
	<integer>{{timeout}}</integer>
	<key>StandardOutPath</key>
	<string>{{stdout_path}}</string>
	<key>StandardErrorPath</key>
	<string>{{stderr_path}}</string>
</dict>
</plist>
)";

}  // namespace

const std::vector<TemplateDef>& launchd_templates() {
    static const std::vector<TemplateDef> defs = {
        {"plist", kPlist,
         tmpl::Schema{
             {"app", "label", "type", "name", "index", "port", "command", "directory", "user",
              "timeout", "keep_alive", "stdout_path", "stderr_path", "log", "run", "target_dir"},
             {{"env", tmpl::Schema{{"key", "value"}, {}}}}}},
    };
    return defs;
}

void render_launchd(Job& job) {
    auto plist = job.load(launchd_templates()[0]);
    if (!plist)
        return;
    const Plan& plan = job.plan();
    const ExportOptions& opt = job.options();
    std::string why;

    auto xml = [&](std::string_view what, const std::string& v) -> std::string {
        auto q = quote::xml_text(v, &why);
        if (!q) {
            job.error("export/unrepresentable",
                      fmt::format("a property list cannot hold the {}: {}", what, why));
            return {};
        }
        return *q;
    };

    warn_not_carried(job, {"restart", "can_die", "stop_timeout"});
    for (const auto& inst : plan.instances) {
        const std::string slug = job.slug(inst);
        tmpl::Context ctx;
        ctx.values["app"] = opt.app;
        ctx.values["label"] = slug;
        ctx.values["type"] = inst.type;
        ctx.values["name"] = inst.name;
        ctx.values["index"] = std::to_string(inst.index);
        ctx.values["port"] = std::to_string(inst.port);
        if (auto q = quote::xml_text(inst.command, &why)) {
            ctx.values["command"] = *q;
        } else {
            job.command_error(inst, fmt::format("a property list cannot hold the command of {}: {}",
                                                inst.name, why));
        }
        ctx.values["directory"] = xml("working directory", inst.working_dir.string());
        // KeepAlive: true restarts every exit; SuccessfulExit false only a failed one.
        const ExportRestart restart = export_restart(inst.lifecycle);
        ctx.values["keep_alive"] =
            restart == ExportRestart::on_failure
                ? "<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>"
                : (restart == ExportRestart::never ? "<false/>" : "<true/>");
        ctx.values["user"] = xml("user", job.user());
        // launchd reads an ExitTimeOut of 0 as "wait forever"; 1 s is the least.
        ctx.values["timeout"] = std::to_string(std::max<long long>(
            inst.lifecycle->stop_timeout ? whole_seconds(*inst.lifecycle->stop_timeout)
                                         : static_cast<long>(opt.timeout.count()),
            1));
        ctx.values["stdout_path"] = xml("log file", job.log_file(inst));
        ctx.values["stderr_path"] =
            xml("log file",
                (opt.log_dir / fmt::format("{}-{}.error.log", inst.type, inst.index)).string());
        ctx.values["log"] = xml("log directory", opt.log_dir.string());
        ctx.values["run"] = xml("run directory", opt.run_dir.string());
        ctx.values["target_dir"] = xml("export directory", opt.target_dir.string());
        for (const auto& [k, v] : job.checked_env(inst)) {
            ctx.lists["env"].push_back(
                tmpl::Context{{{"key", k}, {"value", xml(fmt::format("value of {}", k), v)}}, {}});
        }
        job.add(slug + ".plist", tmpl::render(*plist, ctx), kPrivate);
    }
}

}  // namespace procrun::exporter
