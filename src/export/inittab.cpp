// inittab: APP.inittab holds one respawn line per instance, to paste into
// /etc/inittab. Each line's process field is a /bin/sh -c script that changes
// to the root, exports the variables and execs the command, appending its
// output to LOG/TYPE-N.log; with --user it runs through su.

#include <fmt/format.h>

#include <cctype>

#include "export/format.hpp"
#include "export/quote.hpp"

namespace procrun::exporter {

namespace {

const char* const kInittab = R"(# ----- {{app}} -----
{{#processes}}
{{id}}:2345:respawn:{{process}}
{{/processes}}
# ----- end {{app}} -----
)";

constexpr std::size_t kSysvinitProcessMax = 127;

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
         tmpl::Schema{{"app", "user", "directory", "timeout", "log", "run", "target_dir"},
                      {{"processes", tmpl::Schema{{"id", "type", "name", "index", "port", "process",
                                                   "script", "command", "log_file"},
                                                  {}}}}}},
    };
    return defs;
}

void render_inittab(Job& job) {
    auto inittab = job.load(inittab_templates()[0]);
    if (!inittab)
        return;
    const Plan& plan = job.plan();
    const ExportOptions& opt = job.options();

    tmpl::Context ctx;
    ctx.values["app"] = opt.app;
    ctx.values["user"] = opt.user ? quote::sh(*opt.user) : "";
    ctx.values["directory"] = quote::sh(plan.root.string());
    ctx.values["timeout"] = std::to_string(opt.timeout.count());
    ctx.values["log"] = quote::sh(opt.log_dir.string());
    ctx.values["run"] = quote::sh(opt.run_dir.string());
    ctx.values["target_dir"] = quote::sh(opt.target_dir.string());

    if (plan.instances.size() > 99) {
        job.error("export/too-many",
                  fmt::format("inittab ids have room for 99 instances, the plan has {}",
                              plan.instances.size()),
                  "lower the formation, or export to another format");
        return;
    }
    int n = 0;
    for (const auto& inst : plan.instances) {
        ++n;
        std::string script = "cd " + quote::sh(plan.root.string());
        for (const auto& [k, v] : job.checked_env(inst)) {
            if (v.find_first_of("\n\r") != std::string::npos) {
                job.error("export/unrepresentable",
                          fmt::format("inittab cannot hold the value of {}: it contains a line "
                                      "break and inittab entries are single lines",
                                      k),
                          "export to another format");
            }
            script += fmt::format(" && export {}={}", k, quote::sh(v));
        }
        if (inst.command.find_first_of("\n\r") != std::string::npos) {
            job.command_error(inst, fmt::format("inittab cannot hold the command of {}: it "
                                                "contains a line break",
                                                inst.name));
        }
        const std::string log_file = quote::sh(job.log_file(inst));
        script +=
            fmt::format(" && exec /bin/sh -c {} >> {} 2>&1", quote::sh(inst.command), log_file);
        std::string process = "/bin/sh -c " + quote::sh(script);
        if (opt.user) {
            process =
                fmt::format("/bin/su -s /bin/sh -c {} {}", quote::sh(script), quote::sh(*opt.user));
        }
        if (process.size() > kSysvinitProcessMax) {
            job.warning("export/inittab-length",
                        fmt::format("the inittab line of {} is {} characters long; sysvinit "
                                    "reads at most {} of a process field",
                                    inst.name, process.size(), kSysvinitProcessMax),
                        "move variables into the program, or export to another format");
        }
        tmpl::Context p;
        p.values["id"] = make_id(opt.app, n);
        p.values["type"] = inst.type;
        p.values["name"] = inst.name;
        p.values["index"] = std::to_string(inst.index);
        p.values["port"] = std::to_string(inst.port);
        p.values["process"] = process;
        p.values["script"] = quote::sh(script);
        p.values["command"] = quote::sh(inst.command);
        p.values["log_file"] = log_file;
        ctx.lists["processes"].push_back(std::move(p));
    }
    job.add(opt.app + ".inittab", tmpl::render(*inittab, ctx), kPrivate);
}

}  // namespace procrun::exporter
