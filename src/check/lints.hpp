#pragma once

// The lints of `procrun check` over one Procfile; each lint is a member of
// Linter (strict names and PORT in lints.cpp, requirements.txt in
// lint_requirements.cpp, gunicorn in gunicorn.cpp).

#include <string>
#include <string_view>
#include <vector>

#include "check/command.hpp"
#include "procrun/check.hpp"

namespace procrun::lint {

class Linter {
  public:
    Linter(const Procfile& procfile, std::string_view text, const RootFiles& files,
           const LintOptions& options)
        : procfile_(procfile), text_(text), files_(files), options_(options) {}

    // Every finding, in Procfile order, then the other files'.
    std::vector<Diagnostic> run();

  private:
    const Procfile& procfile_;
    std::string_view text_;
    const RootFiles& files_;
    const LintOptions& options_;
    std::vector<Diagnostic> out_;

    Location at(const ProcfileEntry& e, int column) const;
    std::string source(const ProcfileEntry& e) const;
    void warn(Location where, std::string_view code, std::string message, std::string src,
              std::string hint);

    void strict_name(const ProcfileEntry& e);
    void web(const ProcfileEntry& e, const std::vector<Invocation>& invs);
    // check/hard-coded-port; false when there is none.
    bool hard_coded_ports(const ProcfileEntry& e, const std::vector<Invocation>& invs);
    void web_port(const ProcfileEntry& e, const std::vector<Invocation>& invs);
    void requirements(const ProcfileEntry& e, const std::vector<Invocation>& invs);
    void gunicorn(const ProcfileEntry& e, const Invocation& inv);
    // Parts of the gunicorn lint; each returns false when it reported a finding.
    bool gunicorn_module_name(const ProcfileEntry& e, const std::string& module,
                              const std::string& app, bool has_colon, int column);
    bool gunicorn_app(const ProcfileEntry& e, const std::string& module, const std::string& app,
                      const std::string& rel, const std::optional<std::string>& found_file,
                      int column);
};

}  // namespace procrun::lint
