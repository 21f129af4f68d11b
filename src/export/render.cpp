#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "export/format.hpp"
#include "export/quote.hpp"
#include "procrun/export.hpp"

namespace procrun {

namespace exporter {

Job::Job(std::string_view format, const Plan& plan, const ExportOptions& options)
    : format_(format), plan_(plan), options_(options) {}

void Job::error(std::string code, std::string message, std::string hint) {
    for (const auto& d : diagnostics_) {
        if (d.message == message)
            return;  // the same problem in every instance
    }
    diagnostics_.push_back(make_error(Location{"export " + format_, 0, 0}, std::move(code),
                                      std::move(message), {}, std::move(hint)));
}

void Job::warning(std::string code, std::string message, std::string hint) {
    diagnostics_.push_back(make_warning(Location{"export " + format_, 0, 0}, std::move(code),
                                        std::move(message), {}, std::move(hint)));
}

void Job::command_error(const Instance& inst, std::string message, std::string hint) {
    const ProcessType* type = plan_.find_type(inst.type);
    const int line = type != nullptr ? type->line : 0;
    diagnostics_.push_back(make_error(Location{plan_.procfile, line, 0}, "export/command",
                                      std::move(message), {}, std::move(hint)));
}

std::optional<tmpl::Template> Job::load(const TemplateDef& def) {
    std::string_view text = def.text;
    std::string file = fmt::format("<built-in {} {}>", format_, def.name);
    if (auto it = options_.templates.find(def.name); it != options_.templates.end()) {
        text = it->second.text;
        file = it->second.file;
    }
    Parsed<tmpl::Template> parsed = tmpl::parse(text, file, def.schema);
    const bool ok = parsed.ok();
    for (auto& d : parsed.diagnostics)
        diagnostics_.push_back(std::move(d));
    if (!ok)
        return std::nullopt;
    return std::move(parsed.value);
}

void Job::add(std::string path, std::string content, unsigned mode) {
    files_.push_back(ExportedFile{std::move(path), std::move(content), mode});
}

std::string Job::slug(const Instance& inst) const {
    return fmt::format("{}-{}-{}", options_.app, inst.type, inst.index);
}

std::vector<std::pair<std::string, std::string>> Job::checked_env(const Instance& inst) {
    std::vector<std::pair<std::string, std::string>> out;
    const Environment app_env = inst.app_env();
    for (const auto& [key, value] : app_env.entries()) {
        if (!quote::is_env_name(key)) {
            error("export/env-name",
                  fmt::format("'{}' is not a portable environment variable name", key),
                  "names are letters, digits and '_', not starting with a digit");
            continue;
        }
        out.emplace_back(key, value);
    }
    return out;
}

std::string Job::log_file(const Instance& inst) const {
    return (options_.log_dir / fmt::format("{}-{}.log", inst.type, inst.index)).string();
}

Parsed<std::vector<ExportedFile>> Job::finish() {
    Parsed<std::vector<ExportedFile>> out;
    out.diagnostics = std::move(diagnostics_);
    if (!has_errors(out.diagnostics))
        out.value = std::move(files_);
    return out;
}

const std::vector<TemplateDef>& no_templates() {
    static const std::vector<TemplateDef> none;
    return none;
}

const std::vector<FormatDef>& formats() {
    static const std::vector<FormatDef> all = {
        {"systemd", "APP.target, APP-TYPE.target and a service per instance", &systemd_templates,
         &render_systemd},
        {"supervisord", "one APP.conf with a program per instance and a group",
         &supervisord_templates, &render_supervisord},
        {"runit", "a service directory per instance with run, env/ and log/run", &runit_templates,
         &render_runit},
        {"launchd", "a property list per instance", &launchd_templates, &render_launchd},
        {"upstart", "APP.conf, APP-TYPE.conf and a job per instance", &upstart_templates,
         &render_upstart},
        {"inittab", "inittab lines for every instance", &inittab_templates, &render_inittab},
        {"compose", "compose.yaml with a service per process type", &no_templates, &render_compose},
        {"kubernetes", "a Deployment per process type, ConfigMap, Secret and a Service for web",
         &no_templates, &render_kubernetes},
    };
    return all;
}

namespace {

const FormatDef* find_format(std::string_view name) {
    for (const auto& f : formats()) {
        if (f.name == name)
            return &f;
    }
    return nullptr;
}

bool valid_app_name(std::string_view app) {
    if (app.empty() || app.front() == '.' || app.front() == '-')
        return false;
    return std::all_of(app.begin(), app.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    });
}

// POSIX portable user names (a trailing '$' for machine accounts).
bool valid_user_name(std::string_view user) {
    if (user.empty() || user.front() == '-')
        return false;
    for (std::size_t i = 0; i < user.size(); ++i) {
        const char c = user[i];
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
                        c == '-' || (c == '$' && i + 1 == user.size());
        if (!ok)
            return false;
    }
    return true;
}

}  // namespace

}  // namespace exporter

const std::vector<std::string>& export_formats() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto& f : exporter::formats())
            out.push_back(f.name);
        return out;
    }();
    return names;
}

bool renders_one_file(std::string_view format) {
    return format == "compose";
}

std::vector<std::string> export_template_names(std::string_view format) {
    std::vector<std::string> out;
    if (const auto* f = exporter::find_format(format)) {
        for (const auto& t : f->templates())
            out.push_back(t.name);
    }
    return out;
}

std::optional<std::string> builtin_template(std::string_view format, std::string_view name) {
    if (const auto* f = exporter::find_format(format)) {
        for (const auto& t : f->templates()) {
            if (t.name == name)
                return t.text;
        }
    }
    return std::nullopt;
}

Parsed<std::vector<ExportedFile>> render_export(std::string_view format, const Plan& plan,
                                                const ExportOptions& options) {
    exporter::Job job(format, plan, options);
    const exporter::FormatDef* def = exporter::find_format(format);
    if (def == nullptr) {
        std::string known;
        for (const auto& f : export_formats())
            known += (known.empty() ? "" : ", ") + f;
        job.error("export/unknown-format", fmt::format("unknown export format '{}'", format),
                  "known formats: " + known);
        return job.finish();
    }
    if (!exporter::valid_app_name(options.app)) {
        job.error("export/app-name", fmt::format("'{}' is not a usable app name", options.app),
                  "use -a/--app with letters, digits, '.', '_' and '-' (not first)");
    }
    if (options.user && !exporter::valid_user_name(*options.user)) {
        job.error("export/user", fmt::format("'{}' is not a portable user name", *options.user),
                  "-u/--user takes an account name: letters, digits, '.', '_' and '-'");
    }
    for (const auto& t : plan.types) {
        if (t.selected && t.lifecycle.watch && t.lifecycle.watch->enabled)
            job.warning("export/watch",
                        fmt::format("'watch' of {} is not carried into the export: restart on "
                                    "change is for development, under procrun start",
                                    t.name));
    }
    if (!options.target_dir.is_absolute()) {
        job.error("export/target-dir",
                  fmt::format("the export directory '{}' must be an absolute path",
                              options.target_dir.string()));
    }
    if (def->templates().empty() && !options.templates.empty()) {
        job.error("export/no-templates",
                  fmt::format("the {} format is built with a YAML emitter and has no templates "
                              "to override",
                              format),
                  "drop --template-dir");
    }
    for (const auto& entry : options.templates) {
        const std::string& name = entry.first;
        const TemplateSource& source = entry.second;
        const auto& defs = def->templates();
        if (!defs.empty() &&
            std::none_of(defs.begin(), defs.end(), [&](const auto& t) { return t.name == name; })) {
            std::string known;
            for (const auto& t : defs)
                known += (known.empty() ? "" : ", ") + t.name;
            job.error("export/unknown-template",
                      fmt::format("'{}' is not a template of the {} format", source.file, format),
                      "its templates are: " + known);
        }
    }
    // Init systems get one service per instance; compose and Kubernetes keep
    // types scaled to 0 as replicas: 0.
    if (plan.instances.empty() && !def->templates().empty()) {
        job.error("export/no-instances",
                  fmt::format("the formation runs no instance, so there is nothing for {} to run",
                              format),
                  "scale a process type up, e.g. -c web=1");
    }
    if (job.failed())
        return job.finish();
    def->render(job);
    return job.finish();
}

bool looks_secret(std::string_view key) {
    static const std::vector<std::string_view> suffixes = {"KEY",      "TOKEN",  "SECRET",
                                                           "PASSWORD", "PASSWD", "CREDENTIALS"};
    static const std::vector<std::string_view> whole = {"PASS", "AUTH", "PRIVATE"};
    std::string upper(key);
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string_view rest = upper;
    while (true) {
        const std::size_t cut = rest.find('_');
        const std::string_view part = rest.substr(0, cut);
        for (auto s : suffixes) {
            if (part.size() >= s.size() && part.substr(part.size() - s.size()) == s)
                return true;
        }
        for (auto w : whole) {
            if (part == w)
                return true;
        }
        if (cut == std::string_view::npos)
            break;
        rest.remove_prefix(cut + 1);
    }
    return false;
}

std::string export_manifest_name(std::string_view app) {
    return fmt::format(".procrun-export-{}", app);
}

}  // namespace procrun
