#pragma once

// Private to make_plan: how it reports findings, and its checks of the
// process types' lifecycles (names under processes:, dependencies, conflicting
// settings).

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/plan.hpp"

namespace procrun::plan_detail {

// The one hint for a name that is not a process type:
//   "did you mean 'web'? the Procfile defines: web, worker"
//   "the Procfile defines: web, worker"
//   "the Procfile defines no process types"
std::string name_hint(std::string_view name, const std::vector<std::string>& defined);

// Collects make_plan's diagnostics, each with the text of the line it points
// at (from PlanInput::texts) unless the finding brings its own.
class Findings {
  public:
    Findings(const std::map<std::string, std::string_view, std::less<>>& texts,
             std::vector<Diagnostic>& out)
        : texts_(texts), out_(out) {}

    void add(Severity severity, Location where, std::string code, std::string message,
             std::string hint = {}, std::string source_line = {});
    void error(Location where, std::string code, std::string message, std::string hint = {}) {
        add(Severity::error, std::move(where), std::move(code), std::move(message),
            std::move(hint));
    }
    void warning(Location where, std::string code, std::string message, std::string hint = {}) {
        add(Severity::warning, std::move(where), std::move(code), std::move(message),
            std::move(hint));
    }
    [[nodiscard]] std::size_t size() const { return out_.size(); }
    [[nodiscard]] bool has_errors_since(std::size_t mark) const;

  private:
    // Line `line` of `text` (file `file`), from an index of line starts made
    // once per file: a Procfile of thousands of findings stays linear.
    std::string_view line_of(const std::string& file, std::string_view text, int line);

    const std::map<std::string, std::string_view, std::less<>>& texts_;
    std::vector<Diagnostic>& out_;
    std::map<std::string, std::vector<std::size_t>, std::less<>> line_starts_;
};

// The lifecycle of every type that has one, and where each was written.
struct Lifecycles {
    std::map<std::string, Lifecycle> of;
    std::map<std::string, Location> where;

    // Where a type's lifecycle settings were written: its key under
    // `processes:` (or the command line), else its Procfile line.
    [[nodiscard]] Location where_of(const std::string& type, const Procfile& procfile,
                                    int line) const;
};

// Names under processes: must be process types, and each dependency must name
// another process type.
void check_lifecycle_names(const Lifecycles& lifecycles, const Procfile& procfile,
                           const std::vector<std::string>& defined, Findings& out);

// Each cycle of depends_on, once, in Procfile order: "dependency cycle: web -> api -> web".
void check_cycles(const Plan& plan, Findings& out);

// Conflicting or redundant settings of one type, and conditions its
// dependencies can never meet.
void check_lifecycle_settings(const Lifecycles& lifecycles, const Procfile& procfile,
                              const Plan& plan, Findings& out);

// With types named on the command line, their dependencies run too (and
// theirs): a note for each type started that way. Returns every type to run.
std::set<std::string> with_dependencies(const Lifecycles& lifecycles, const Procfile& procfile,
                                        const std::vector<std::string>& selected, Findings& out);

// A type that runs cannot wait for one that runs no instance.
void check_dependencies_run(const Plan& plan, Findings& out);

}  // namespace procrun::plan_detail
