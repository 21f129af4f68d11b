#include "plan/plan_checks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "procrun/config.hpp"

namespace procrun::plan_detail {

namespace {

// Past this many names the list is cut: the hint stays one line.
constexpr std::size_t kMaxNamesListed = 20;

}  // namespace

std::string name_hint(std::string_view name, const std::vector<std::string>& defined) {
    if (defined.empty())
        return "the Procfile defines no process types";
    std::string list;
    if (defined.size() <= kMaxNamesListed) {
        list = fmt::format("{}", fmt::join(defined, ", "));
    } else {
        list = fmt::format("{}, ... ({} in all)",
                           fmt::join(defined.begin(), defined.begin() + kMaxNamesListed, ", "),
                           defined.size());
    }
    if (const std::string best = nearest_name(name, defined); !best.empty())
        return fmt::format("did you mean '{}'? the Procfile defines: {}", best, list);
    return fmt::format("the Procfile defines: {}", list);
}

void Findings::add(Severity severity, Location where, std::string code, std::string message,
                   std::string hint, std::string source_line) {
    if (source_line.empty() && where.line > 0) {
        if (const auto it = texts_.find(where.file); it != texts_.end())
            source_line = std::string(line_of(it->first, it->second, where.line));
    }
    Diagnostic d = make_error(std::move(where), std::move(code), std::move(message),
                              std::move(source_line), std::move(hint));
    d.severity = severity;
    out_.push_back(std::move(d));
}

std::string_view Findings::line_of(const std::string& file, std::string_view text, int line) {
    if (line <= 1)
        return line_at(text, line);  // the first line, without a byte order mark
    auto [it, inserted] = line_starts_.try_emplace(file);
    std::vector<std::size_t>& starts = it->second;
    if (inserted) {
        starts.push_back(0);
        for (std::size_t i = text.find('\n'); i != std::string_view::npos;
             i = text.find('\n', i + 1))
            starts.push_back(i + 1);
    }
    const auto index = static_cast<std::size_t>(line - 1);
    if (index >= starts.size() || starts[index] > text.size())
        return {};
    std::string_view rest = text.substr(starts[index]);
    rest = rest.substr(0, rest.find('\n'));
    if (!rest.empty() && rest.back() == '\r')
        rest.remove_suffix(1);
    return rest;
}

bool Findings::has_errors_since(std::size_t mark) const {
    return std::any_of(out_.begin() + static_cast<std::ptrdiff_t>(mark), out_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}

Location Lifecycles::where_of(const std::string& type, const Procfile& procfile, int line) const {
    if (auto it = where.find(type); it != where.end())
        return it->second;
    return Location{procfile.file, line, 0};
}

void check_lifecycle_names(const Lifecycles& lifecycles, const Procfile& procfile,
                           const std::vector<std::string>& defined, Findings& out) {
    // In the order they were written.
    std::vector<std::pair<int, const std::string*>> order;
    for (const auto& entry : lifecycles.of) {
        const auto it = lifecycles.where.find(entry.first);
        order.emplace_back(it == lifecycles.where.end() ? 0 : it->second.line, &entry.first);
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [line, name] : order) {
        const std::string& type = *name;
        if (procfile.find(type) == nullptr) {
            out.error(lifecycles.where_of(type, procfile, 0), "plan/unknown-process",
                      fmt::format("unknown process type '{}' under processes", type),
                      name_hint(type, defined));
        }
        for (const auto& dep : lifecycles.of.at(type).depends_on) {
            if (dep.type == type) {
                out.error(dep.where, "plan/self-dependency",
                          fmt::format("'{}' depends on itself", type),
                          "remove it from its own depends_on");
            } else if (procfile.find(dep.type) == nullptr) {
                out.error(dep.where, "plan/unknown-dependency",
                          fmt::format("'{}' depends on '{}', which is not a process type", type,
                                      dep.type),
                          name_hint(dep.type, defined));
            }
        }
    }
}

namespace {

class CycleFinder {
  public:
    CycleFinder(const Plan& plan, Findings& out) : plan_(plan), out_(out) {}

    void run() {
        // The common case, and a cheap one to tell: no dependencies at all.
        const bool any = std::any_of(plan_.types.begin(), plan_.types.end(),
                                     [](const auto& t) { return !t.lifecycle.depends_on.empty(); });
        if (!any)
            return;
        for (const auto& t : plan_.types)
            visit(t);
    }

  private:
    enum class State { unseen, on_path, done };
    const Plan& plan_;
    Findings& out_;
    std::map<std::string, State> state_;
    std::vector<std::string> path_;

    void visit(const ProcessType& t) {
        if (state_[t.name] != State::unseen)
            return;
        state_[t.name] = State::on_path;
        path_.push_back(t.name);
        for (const auto& dep : t.lifecycle.depends_on) {
            const ProcessType* next = plan_.find_type(dep.type);
            if (next == nullptr || next == &t)
                continue;  // reported as unknown or as depending on itself
            if (state_[next->name] == State::on_path) {
                const auto from = std::find(path_.begin(), path_.end(), next->name);
                std::string cycle;
                for (auto it = from; it != path_.end(); ++it)
                    cycle += *it + " -> ";
                cycle += next->name;
                out_.error(dep.where, "plan/dependency-cycle",
                           fmt::format("dependency cycle: {}", cycle),
                           "nothing in a cycle could ever start; remove one of these depends_on");
                continue;
            }
            visit(*next);
        }
        path_.pop_back();
        state_[t.name] = State::done;
    }
};

// can_die, exit_with, restart and max_restarts of one type against each other.
void check_own_settings(const ProcessType& t, const Location& where, Findings& out) {
    const Lifecycle& l = t.lifecycle;
    if (l.can_die && l.exit_with) {
        out.error(where, "plan/can-die-and-exit-with",
                  fmt::format("'{}' sets both can_die and exit_with", t.name),
                  "can_die: its exit never stops the others; exit_with: its exit stops "
                  "everything. Keep one");
    } else if (l.exit_with && l.restart != RestartPolicy::no) {
        out.warning(where, "plan/restart-ignored",
                    fmt::format("restart: {} has no effect on '{}': with exit_with, its first "
                                "exit stops everything",
                                to_string(l.restart), t.name));
    } else if (l.can_die && l.restart == RestartPolicy::always && l.max_restarts < 0) {
        out.warning(where, "plan/can-die-redundant",
                    fmt::format("can_die has no effect on '{}': with restart: always and no "
                                "max_restarts it is restarted after every exit",
                                t.name));
    }
    if (l.restart == RestartPolicy::no && l.max_restarts >= 0) {
        out.warning(where, "plan/max-restarts-ignored",
                    fmt::format("max_restarts has no effect on '{}' with restart: no", t.name),
                    "set restart: on-failure or always, or remove max_restarts");
    }
}

// The condition of each dependency of `t` against the settings of its target.
void check_conditions(const ProcessType& t, const Plan& plan, Findings& out) {
    for (const auto& dep : t.lifecycle.depends_on) {
        const ProcessType* target = plan.find_type(dep.type);
        if (target == nullptr || target == &t)
            continue;
        const Lifecycle& tl = target->lifecycle;
        if (dep.condition == DependencyCondition::completed_successfully) {
            if (tl.restart == RestartPolicy::always) {
                out.warning(dep.where, "plan/never-completes",
                            fmt::format("'{}' waits for '{}' to complete, but '{}' has restart: "
                                        "always and never completes",
                                        t.name, dep.type, dep.type),
                            fmt::format("wait for it to be started or ready, or give '{}' "
                                        "restart: no or on-failure",
                                        dep.type));
            } else if (tl.exit_with) {
                // Without exit_with, the successful exit of a type others wait
                // to complete stops nothing (docs/config.md).
                out.warning(dep.where, "plan/completion-stops-all",
                            fmt::format("'{}' waits for '{}' to complete, but '{}' has "
                                        "exit_with: its exit stops everything",
                                        t.name, dep.type, dep.type),
                            fmt::format("remove exit_with from '{}'", dep.type));
            }
        } else if (dep.condition == DependencyCondition::ready &&
                   tl.readiness.kind == ProbeKind::none) {
            out.warning(
                dep.where, "plan/ready-without-probe",
                fmt::format("'{}' waits for '{}' to be ready, but '{}' has no readiness "
                            "probe: it counts as ready once started",
                            t.name, dep.type, dep.type),
                fmt::format("give '{}' a readiness probe (tcp, http, log or exec)", dep.type));
        }
    }
}

}  // namespace

void check_cycles(const Plan& plan, Findings& out) {
    CycleFinder(plan, out).run();
}

void check_lifecycle_settings(const Lifecycles& lifecycles, const Procfile& procfile,
                              const Plan& plan, Findings& out) {
    for (const auto& t : plan.types) {
        check_own_settings(t, lifecycles.where_of(t.name, procfile, t.line), out);
        check_conditions(t, plan, out);
    }
}

std::set<std::string> with_dependencies(const Lifecycles& lifecycles, const Procfile& procfile,
                                        const std::vector<std::string>& selected, Findings& out) {
    std::set<std::string> wanted(selected.begin(), selected.end());
    std::vector<std::string> queue = selected;
    while (!queue.empty()) {
        const std::string type = queue.back();
        queue.pop_back();
        const auto it = lifecycles.of.find(type);
        if (it == lifecycles.of.end())
            continue;
        for (const auto& dep : it->second.depends_on) {
            if (procfile.find(dep.type) == nullptr || !wanted.insert(dep.type).second)
                continue;
            queue.push_back(dep.type);
            out.add(Severity::note, Location{"command line", 0, 0}, "plan/dependency-selected",
                    fmt::format("starting '{}' too: '{}' depends on it", dep.type, type));
        }
    }
    return wanted;
}

void check_dependencies_run(const Plan& plan, Findings& out) {
    for (const auto& t : plan.types) {
        if (!t.selected || t.count == 0)
            continue;
        for (const auto& dep : t.lifecycle.depends_on) {
            const ProcessType* target = plan.find_type(dep.type);
            if (target == nullptr || target == &t || target->count > 0)
                continue;
            out.error(dep.where, "plan/dependency-not-running",
                      fmt::format("'{}' depends on '{}', but the formation runs no '{}'", t.name,
                                  dep.type, dep.type),
                      fmt::format("give it a count (e.g. --formation {}=1), or remove it from the "
                                  "depends_on of '{}'",
                                  dep.type, t.name));
        }
    }
}

}  // namespace procrun::plan_detail
