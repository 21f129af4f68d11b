#pragma once

// What every exporter shares: the job it renders into (diagnostics, files,
// templates) and the registry of formats.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "export/template.hpp"
#include "procrun/diagnostic.hpp"
#include "procrun/export.hpp"
#include "procrun/plan.hpp"

namespace procrun::exporter {

// The mode of every file that holds variable values (which may be
// credentials): readable by its owner (root, for an init system) only.
inline constexpr unsigned kPrivate = 0600;

// A built-in template: its name (the file name --template-dir overrides it
// with), its text and what it may refer to.
struct TemplateDef {
    std::string name;
    std::string text;
    tmpl::Schema schema;
};

class Job {
  public:
    Job(std::string_view format, const Plan& plan, const ExportOptions& options);

    [[nodiscard]] const Plan& plan() const { return plan_; }
    [[nodiscard]] const ExportOptions& options() const { return options_; }
    [[nodiscard]] const std::string& format() const { return format_; }

    // An error not tied to a file line ("export FORMAT: error: ...").
    void error(std::string code, std::string message, std::string hint = {});
    void warning(std::string code, std::string message, std::string hint = {});
    // An error about an instance's command, located at its Procfile line.
    void command_error(const Instance& inst, std::string message, std::string hint = {});
    [[nodiscard]] bool failed() const { return has_errors(diagnostics_); }

    // Parses the user's override of `def` if there is one, else the built-in
    // text. Nullopt (with diagnostics) when the override is invalid.
    std::optional<tmpl::Template> load(const TemplateDef& def);

    void add(std::string path, std::string content, unsigned mode = 0644);

    // "APP-TYPE-N": the name of an instance's unit, program, service dir or job.
    [[nodiscard]] std::string slug(const Instance& inst) const;
    // The instance's variables in order, after checking every name is a
    // portable environment variable name (errors otherwise).
    std::vector<std::pair<std::string, std::string>> checked_env(const Instance& inst);
    // The log file of an instance under --log: LOG/TYPE-N.log.
    [[nodiscard]] std::string log_file(const Instance& inst) const;
    // The user's account, or an empty string.
    [[nodiscard]] std::string user() const { return options_.user.value_or(""); }

    Parsed<std::vector<ExportedFile>> finish();

  private:
    std::string format_;
    const Plan& plan_;
    const ExportOptions& options_;
    std::vector<Diagnostic> diagnostics_;
    std::vector<ExportedFile> files_;
};

// Every format: its templates (none for the YAML ones) and its renderer.
struct FormatDef {
    std::string name;
    std::string summary;
    const std::vector<TemplateDef>& (*templates)();
    void (*render)(Job& job);
};

const std::vector<FormatDef>& formats();

const std::vector<TemplateDef>& systemd_templates();
void render_systemd(Job& job);
const std::vector<TemplateDef>& supervisord_templates();
void render_supervisord(Job& job);
const std::vector<TemplateDef>& runit_templates();
void render_runit(Job& job);
const std::vector<TemplateDef>& launchd_templates();
void render_launchd(Job& job);
const std::vector<TemplateDef>& upstart_templates();
void render_upstart(Job& job);
const std::vector<TemplateDef>& inittab_templates();
void render_inittab(Job& job);
const std::vector<TemplateDef>& no_templates();
void render_compose(Job& job);
void render_kubernetes(Job& job);

}  // namespace procrun::exporter
