#include "procrun/plan.hpp"

#include <fmt/format.h>

#include "procrun/config.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace procrun {

const ProcessType* Plan::find_type(std::string_view name) const {
    for (const auto& t : types) {
        if (t.name == name)
            return &t;
    }
    return nullptr;
}

Environment Plan::environment_of(const Instance& instance) const {
    Environment env = os_env;
    env.merge(instance.app_env);
    return env;
}

std::size_t Plan::name_width() const {
    std::size_t width = 0;
    for (const auto& i : instances)
        width = std::max(width, i.name.size());
    return width;
}

namespace {

constexpr int kMaxPort = 65535;

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        if (!out.empty())
            out += ", ";
        out += n;
    }
    return out;
}

// A port number written as decimal digits, 1..65535.
std::optional<int> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5)
        return std::nullopt;
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + (c - '0');
    }
    if (value < 1 || value > kMaxPort)
        return std::nullopt;
    return value;
}

// Where a type's lifecycle settings were written: its key under `processes:`,
// else its Procfile line.
Location lifecycle_where(const PlanInput& input, const std::string& type, int line) {
    if (auto it = input.lifecycle_where.find(type); it != input.lifecycle_where.end())
        return it->second;
    return Location{input.procfile.file, line, 0};
}

std::string name_hint(const std::string& name, const std::vector<std::string>& names) {
    if (std::string best = nearest_name(name, names); !best.empty())
        return fmt::format("did you mean '{}'?", best);
    if (names.empty())
        return "the Procfile defines no process types";
    return fmt::format("process types in the Procfile: {}", join(names));
}

// The names of `lifecycles` must be process types; each dependency must name
// another process type.
void check_lifecycle_names(const PlanInput& input, const std::vector<std::string>& names,
                           std::vector<Diagnostic>& out) {
    // In the order they were written.
    std::vector<std::pair<int, const std::string*>> order;
    for (const auto& entry : input.lifecycles) {
        const auto it = input.lifecycle_where.find(entry.first);
        order.emplace_back(it == input.lifecycle_where.end() ? 0 : it->second.line, &entry.first);
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [line, name] : order) {
        const std::string& type = *name;
        const Lifecycle& lifecycle = input.lifecycles.at(type);
        const ProcfileEntry* entry = input.procfile.find(type);
        if (entry == nullptr) {
            out.push_back(make_error(lifecycle_where(input, type, 0), "plan/unknown-process",
                                     fmt::format("unknown process type '{}' under processes", type),
                                     {}, name_hint(type, names)));
        }
        for (const auto& dep : lifecycle.depends_on) {
            if (dep.type == type) {
                out.push_back(make_error(dep.where, "plan/self-dependency",
                                         fmt::format("'{}' depends on itself", type), {},
                                         "remove it from its own depends_on"));
            } else if (input.procfile.find(dep.type) == nullptr) {
                out.push_back(
                    make_error(dep.where, "plan/unknown-dependency",
                               fmt::format("'{}' depends on '{}', which is not a process type",
                                           type, dep.type),
                               {}, name_hint(dep.type, names)));
            }
        }
    }
}

// Reports each cycle of depends_on once, in Procfile order:
// "dependency cycle: web -> api -> web".
class CycleFinder {
  public:
    CycleFinder(const Plan& plan, std::vector<Diagnostic>& out) : plan_(plan), out_(out) {}

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
    std::vector<Diagnostic>& out_;
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
                out_.push_back(make_error(
                    dep.where, "plan/dependency-cycle", fmt::format("dependency cycle: {}", cycle),
                    {}, "nothing in a cycle could ever start; remove one of these depends_on"));
                continue;
            }
            visit(*next);
        }
        path_.pop_back();
        state_[t.name] = State::done;
    }
};

// Conflicting or redundant settings of one type, and conditions its
// dependencies can never meet.
void check_lifecycle_settings(const PlanInput& input, const Plan& plan,
                              std::vector<Diagnostic>& out) {
    for (const auto& t : plan.types) {
        const Lifecycle& l = t.lifecycle;
        const Location where = lifecycle_where(input, t.name, t.line);
        if (l.can_die && l.exit_with) {
            out.push_back(make_error(
                where, "plan/can-die-and-exit-with",
                fmt::format("'{}' sets both can_die and exit_with", t.name), {},
                "can_die: its exit never stops the others; exit_with: its exit stops everything. "
                "Keep one"));
        } else if (l.exit_with && l.restart != RestartPolicy::no) {
            out.push_back(make_warning(
                where, "plan/restart-ignored",
                fmt::format("restart: {} has no effect on '{}': with exit_with, its first exit "
                            "stops everything",
                            to_string(l.restart), t.name)));
        } else if (l.can_die && l.restart == RestartPolicy::always && l.max_restarts < 0) {
            out.push_back(make_warning(
                where, "plan/can-die-redundant",
                fmt::format("can_die has no effect on '{}': with restart: always and no "
                            "max_restarts it is restarted after every exit",
                            t.name)));
        }
        if (l.restart == RestartPolicy::no && l.max_restarts >= 0) {
            out.push_back(make_warning(
                where, "plan/max-restarts-ignored",
                fmt::format("max_restarts has no effect on '{}' with restart: no", t.name), {},
                "set restart: on-failure or always, or remove max_restarts"));
        }
        for (const auto& dep : l.depends_on) {
            const ProcessType* target = plan.find_type(dep.type);
            if (target == nullptr || target == &t)
                continue;
            const Lifecycle& tl = target->lifecycle;
            if (dep.condition == DependencyCondition::completed_successfully) {
                if (tl.restart == RestartPolicy::always) {
                    out.push_back(make_warning(
                        dep.where, "plan/never-completes",
                        fmt::format("'{}' waits for '{}' to complete, but '{}' has restart: "
                                    "always and never completes",
                                    t.name, dep.type, dep.type),
                        {},
                        fmt::format("wait for it to be started or ready, or give '{}' restart: "
                                    "no or on-failure",
                                    dep.type)));
                } else if (tl.exit_with) {
                    // Without exit_with, the successful exit of a type others wait
                    // to complete stops nothing (docs/config.md).
                    out.push_back(make_warning(
                        dep.where, "plan/completion-stops-all",
                        fmt::format("'{}' waits for '{}' to complete, but '{}' has exit_with: "
                                    "its exit stops everything",
                                    t.name, dep.type, dep.type),
                        {}, fmt::format("remove exit_with from '{}'", dep.type)));
                }
            } else if (dep.condition == DependencyCondition::ready &&
                       tl.readiness.kind == ProbeKind::none) {
                out.push_back(make_warning(
                    dep.where, "plan/ready-without-probe",
                    fmt::format("'{}' waits for '{}' to be ready, but '{}' has no readiness "
                                "probe: it counts as ready once started",
                                t.name, dep.type, dep.type),
                    {},
                    fmt::format("give '{}' a readiness probe (tcp, http, log or exec)", dep.type)));
            }
        }
    }
}

// With types named on the command line, their dependencies run too (and
// theirs): a note for each type started that way. Returns every type to run.
std::set<std::string> with_dependencies(const PlanInput& input,
                                        const std::vector<std::string>& selected,
                                        std::vector<Diagnostic>& out) {
    std::set<std::string> wanted(selected.begin(), selected.end());
    std::vector<std::string> queue = selected;
    while (!queue.empty()) {
        const std::string type = queue.back();
        queue.pop_back();
        const auto it = input.lifecycles.find(type);
        if (it == input.lifecycles.end())
            continue;
        for (const auto& dep : it->second.depends_on) {
            if (input.procfile.find(dep.type) == nullptr || !wanted.insert(dep.type).second)
                continue;
            queue.push_back(dep.type);
            Diagnostic note =
                make_warning(Location{"command line", 0, 0}, "plan/dependency-selected",
                             fmt::format("starting '{}' too: '{}' depends on it", dep.type, type));
            note.severity = Severity::note;
            out.push_back(std::move(note));
        }
    }
    return wanted;
}

// A type that runs cannot wait for one that runs no instance.
void check_dependencies_run(const Plan& plan, std::vector<Diagnostic>& out) {
    for (const auto& t : plan.types) {
        if (!t.selected || t.count == 0)
            continue;
        for (const auto& dep : t.lifecycle.depends_on) {
            const ProcessType* target = plan.find_type(dep.type);
            if (target == nullptr || target == &t || target->count > 0)
                continue;
            out.push_back(make_error(
                dep.where, "plan/dependency-not-running",
                fmt::format("'{}' depends on '{}', but the formation runs no '{}'", t.name,
                            dep.type, dep.type),
                {},
                fmt::format("give it a count (e.g. --formation {}=1), or remove it from the "
                            "depends_on of '{}'",
                            dep.type, t.name)));
        }
    }
}

}  // namespace

Instance make_instance(const Plan& plan, const ProcessType& type, int index) {
    Instance inst;
    inst.type = type.name;
    inst.index = index;
    inst.name = fmt::format("{}.{}", type.name, index);
    inst.command = type.command;
    inst.port = plan.base_port + kPortStepPerType * type.position + index - 1;
    inst.colour = type.position;
    inst.lifecycle = type.lifecycle;
    inst.app_env = plan.file_env;
    inst.app_env.set("PORT", std::to_string(inst.port));
    inst.app_env.set("PS", inst.name);
    return inst;
}

Parsed<Plan> make_plan(const PlanInput& input) {
    Parsed<Plan> out;
    Plan& plan = out.value;
    plan.root = input.root;
    plan.procfile = input.procfile.file;
    plan.file_env = input.file_env;
    plan.os_env = input.os_env;
    plan.timeout = input.timeout;

    const std::vector<std::string> names = input.procfile.names();
    const std::string valid = names.empty()
                                  ? std::string("the Procfile defines no process types")
                                  : fmt::format("process types in the Procfile: {}", join(names));

    // The base port: --port, else PORT from the env files, then the OS environment.
    bool port_ok = true;
    if (input.base_port) {
        plan.base_port = *input.base_port;
        if (plan.base_port < 1 || plan.base_port > kMaxPort) {
            out.diagnostics.push_back(make_error(
                Location{"--port", 0, 0}, "plan/invalid-port",
                fmt::format("base port {} is not between 1 and {}", plan.base_port, kMaxPort)));
            port_ok = false;
        }
    } else {
        const std::string* from_files = input.file_env.find("PORT");
        const std::string* from_os = input.os_env.find("PORT");
        const std::string* port = from_files != nullptr ? from_files : from_os;
        if (port != nullptr) {
            if (auto p = parse_port(*port)) {
                plan.base_port = *p;
            } else {
                out.diagnostics.push_back(make_error(
                    Location{from_files != nullptr ? "env files" : "environment", 0, 0},
                    "plan/invalid-port",
                    fmt::format("PORT is not a port number (1-{}): '{}'", kMaxPort, *port), {},
                    "set PORT to a number, unset it, or give the base port with --port"));
                port_ok = false;
            }
        }
    }

    for (const auto& d : check_formation_names(input.formation, names)) {
        out.diagnostics.push_back(d);
    }

    std::vector<std::string> selected;
    for (const auto& name : input.selected) {
        if (std::find(selected.begin(), selected.end(), name) != selected.end())
            continue;
        if (input.procfile.find(name) == nullptr) {
            out.diagnostics.push_back(
                make_error(Location{"command line", 0, 0}, "plan/unknown-process",
                           fmt::format("unknown process type '{}'", name), {}, valid));
            continue;
        }
        selected.push_back(name);
    }

    check_lifecycle_names(input, names, out.diagnostics);
    const std::set<std::string> wanted = with_dependencies(input, selected, out.diagnostics);

    int position = 0;
    plan.types.reserve(input.procfile.entries.size());
    for (const auto& entry : input.procfile.entries) {
        ProcessType type;
        type.name = entry.name;
        type.command = entry.command;
        type.position = position++;
        type.line = entry.line;
        type.selected = input.selected.empty() || wanted.count(entry.name) != 0;
        type.count = input.formation.count_for(type.name);
        if (auto it = input.lifecycles.find(entry.name); it != input.lifecycles.end())
            type.lifecycle = it->second;
        const bool named =
            std::find(selected.begin(), selected.end(), entry.name) != selected.end();
        if (named && type.count == 0) {
            out.diagnostics.push_back(make_warning(
                Location{"command line", 0, 0}, "plan/selected-zero",
                fmt::format("process type '{}' is selected but its formation count is 0",
                            type.name),
                {}, fmt::format("give it a count, e.g. --formation {}=1", type.name)));
        }
        plan.types.push_back(std::move(type));
    }
    CycleFinder(plan, out.diagnostics).run();
    check_lifecycle_settings(input, plan, out.diagnostics);
    check_dependencies_run(plan, out.diagnostics);

    if (!port_ok || !out.ok())
        return out;

    for (const auto& type : plan.types) {
        if (!type.selected || type.count == 0)
            continue;
        const long last =
            static_cast<long>(plan.base_port) + kPortStepPerType * type.position + type.count - 1;
        if (last > kMaxPort) {
            out.diagnostics.push_back(make_error(
                Location{input.procfile.file, type.line, 0}, "plan/port-out-of-range",
                fmt::format("{}.{} would get port {}, beyond {}", type.name, type.count, last,
                            kMaxPort),
                {},
                fmt::format("PORT is base + 100 x position + instance - 1 with base {}; use a "
                            "lower --port or fewer instances",
                            plan.base_port)));
        }
    }
    if (!out.ok())
        return out;

    for (const auto& type : plan.types) {
        if (!type.selected)
            continue;
        for (int i = 1; i <= type.count; ++i)
            plan.instances.push_back(make_instance(plan, type, i));
    }

    // More than 100 instances of a type run into the next type's ports (as in
    // foreman); two processes told to bind the same port is worth a warning.
    std::map<int, const Instance*> by_port;
    std::set<std::string> warned;
    for (const auto& inst : plan.instances) {
        auto [it, inserted] = by_port.emplace(inst.port, &inst);
        if (inserted || !warned.insert(it->second->type).second)
            continue;
        const ProcessType* first = plan.find_type(it->second->type);
        out.diagnostics.push_back(make_warning(
            Location{input.procfile.file, first != nullptr ? first->line : 0, 0},
            "plan/port-overlap",
            fmt::format("{} and {} both get PORT={}", it->second->name, inst.name, inst.port), {},
            fmt::format("each process type has a block of {} ports; run at most {} instances of "
                        "'{}'",
                        kPortStepPerType, kPortStepPerType, it->second->type)));
    }
    return out;
}

}  // namespace procrun
