#include "procrun/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "plan/plan_checks.hpp"

namespace procrun {

using plan_detail::Findings;
using plan_detail::Lifecycles;
using plan_detail::name_hint;

const ProcessType* Plan::find_type(std::string_view name) const {
    for (const auto& t : types) {
        if (t.name == name)
            return &t;
    }
    return nullptr;
}

namespace {

// PORT and PS of `instance` over `env`.
void set_instance_variables(Environment& env, const Instance& instance) {
    env.set("PORT", std::to_string(instance.port));
    env.set("PS", instance.name);
}

}  // namespace

Environment Instance::app_env() const {
    Environment env = type_env ? *type_env : Environment();
    set_instance_variables(env, *this);
    return env;
}

Environment Plan::environment_of(const Instance& instance) const {
    Environment env = os_env;
    if (instance.type_env)
        env.merge(*instance.type_env);
    set_instance_variables(env, instance);
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
const Location kCommandLine{"command line", 0, 0};

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

class PlanMaker {
  public:
    PlanMaker(const PlanInput& input, Parsed<Plan>& out)
        : in_(input),
          out_(out),
          plan_(out.value),
          findings_(input.texts, out.diagnostics),
          defined_(input.procfile.names()) {
        const auto& known = input.broken_procfile_names.value_or(defined_);
        known_.insert(known.begin(), known.end());
    }

    void run();

  private:
    const PlanInput& in_;
    Parsed<Plan>& out_;
    Plan& plan_;
    Findings findings_;
    std::vector<std::string> defined_;       // the process types of the Procfile
    std::unordered_set<std::string> known_;  // what a name given elsewhere is checked against
    Lifecycles lifecycles_;                  // processes: with the shorthands over it

    [[nodiscard]] bool known(const std::string& name) const { return known_.count(name) != 0; }
    // Reports `name` unless it is a process type; returns whether it is.
    bool check_name(const std::string& name, const Location& where, std::string code,
                    std::string message, std::string source_line = {});
    [[nodiscard]] bool ports_needed() const {
        return !in_.run_word || in_.procfile.find(*in_.run_word) != nullptr;
    }

    void check_formation_names();
    std::vector<std::string> check_selected();
    void check_quiet();
    void apply_shorthands();
    Lifecycle* shorthand(const std::string& name, std::string_view option, const Location& where);
    bool decide_base_port();
    void make_types(const std::vector<std::string>& selected);
    void type_settings(ProcessType& type) const;
    bool check_port_range();
    void make_instances();
    void warn_port_overlap();
};

bool PlanMaker::check_name(const std::string& name, const Location& where, std::string code,
                           std::string message, std::string source_line) {
    if (known(name))
        return true;
    findings_.add(Severity::error, where, std::move(code), std::move(message),
                  name_hint(name, defined_), std::move(source_line));
    return false;
}

void PlanMaker::check_formation_names() {
    // In the order the names were written.
    std::vector<std::pair<const std::string*, const FormationSource*>> unknown;
    for (const auto& [name, count] : in_.formation.counts) {
        if (known(name))
            continue;
        const auto it = in_.formation.sources.find(name);
        unknown.emplace_back(&name, it == in_.formation.sources.end() ? nullptr : &it->second);
    }
    auto position = [](const FormationSource* s) {
        return s == nullptr ? std::pair(0, 0) : std::pair(s->where.line, s->where.column);
    };
    std::stable_sort(unknown.begin(), unknown.end(), [&](const auto& a, const auto& b) {
        return position(a.second) < position(b.second);
    });
    for (const auto& [name, source] : unknown) {
        const Location where = source != nullptr ? source->where : Location{"--formation", 0, 0};
        check_name(*name, where, "formation/unknown-process",
                   fmt::format("unknown process type '{}' in the formation", *name),
                   source != nullptr ? source->source_line : std::string());
    }
}

std::vector<std::string> PlanMaker::check_selected() {
    std::vector<std::string> selected;
    for (const auto& name : in_.selected) {
        if (std::find(selected.begin(), selected.end(), name) != selected.end())
            continue;
        if (check_name(name, kCommandLine, "plan/unknown-process",
                       fmt::format("unknown process type '{}'", name)))
            selected.push_back(name);
    }
    return selected;
}

void PlanMaker::check_quiet() {
    // Without a Procfile (`run CMD`) there is nothing to be quiet about.
    if (!in_.quiet || known_.empty())
        return;
    for (const auto& name : in_.quiet->value) {
        check_name(name, in_.quiet->where, "config/unknown-process",
                   fmt::format("unknown process type '{}' in quiet", name));
    }
}

// A shorthand's NAME must be a process type; returns the type's settings.
Lifecycle* PlanMaker::shorthand(const std::string& name, std::string_view option,
                                const Location& where) {
    if (!check_name(name, where, "plan/unknown-process",
                    fmt::format("unknown process type '{}' in {}", name, option)))
        return nullptr;
    lifecycles_.where.emplace(name, where);
    return &lifecycles_.of[name];
}

// `processes:`, then the command line's shorthands on top.
void PlanMaker::apply_shorthands() {
    lifecycles_.of = in_.lifecycles;
    lifecycles_.where = in_.lifecycle_where;
    if (in_.restart) {
        for (const auto& r : in_.restart->value) {
            const std::vector<std::string> types =
                r.type.empty() ? defined_ : std::vector<std::string>{r.type};
            for (const auto& name : types) {
                if (Lifecycle* l = shorthand(name, "--restart", in_.restart->where))
                    l->restart = r.policy;
            }
        }
    }
    auto flag = [this](const auto& setting, std::string_view option, bool Lifecycle::*member) {
        if (!setting)
            return;
        for (const auto& name : setting->value) {
            if (Lifecycle* l = shorthand(name, option, setting->where))
                l->*member = true;
        }
    };
    flag(in_.can_die, "--can-die", &Lifecycle::can_die);
    flag(in_.exit_with, "--exit-with", &Lifecycle::exit_with);
    if (in_.pty) {
        for (const auto& name : defined_)
            shorthand(name, "--pty", kCommandLine)->pty = true;
    }
}

// The base port: --port (or `port:`), else PORT from the env files, then the
// inherited environment, else 5000.
bool PlanMaker::decide_base_port() {
    if (in_.base_port) {
        plan_.base_port = *in_.base_port;
        if (plan_.base_port >= 1 && plan_.base_port <= kMaxPort)
            return true;
        findings_.error(
            in_.base_port_where, "plan/invalid-port",
            fmt::format("base port {} is not between 1 and {}", plan_.base_port, kMaxPort));
        return false;
    }
    if (const std::string* port = in_.file_env.find("PORT")) {
        if (const auto p = parse_port(*port)) {
            plan_.base_port = *p;
            return true;
        }
        const Location where =
            in_.file_port_where.file.empty() ? Location{"env files", 0, 0} : in_.file_port_where;
        findings_.error(where, "env/invalid-port",
                        fmt::format("PORT is not a port number (1-{}): '{}'", kMaxPort, *port),
                        "PORT is the base port; set it to a number, or give the base port with "
                        "--port");
        return false;
    }
    if (const std::string* port = in_.os_env.find("PORT")) {
        if (const auto p = parse_port(*port)) {
            plan_.base_port = *p;
            return true;
        }
        findings_.error(Location{"environment", 0, 0}, "env/invalid-port",
                        fmt::format("PORT in the environment is not a port number (1-{}): '{}'",
                                    kMaxPort, *port),
                        "unset PORT, set it to a number, or give the base port with --port");
        return false;
    }
    return true;
}

void PlanMaker::make_types(const std::vector<std::string>& selected) {
    const std::set<std::string> wanted =
        plan_detail::with_dependencies(lifecycles_, in_.procfile, selected, findings_);
    int position = 0;
    plan_.types.reserve(in_.procfile.entries.size());
    for (const auto& entry : in_.procfile.entries) {
        ProcessType type;
        type.name = entry.name;
        type.command = entry.command;
        type.position = position++;
        type.line = entry.line;
        type.selected = in_.selected.empty() || wanted.count(entry.name) != 0;
        type.count = in_.formation.count_for(type.name);
        if (auto it = lifecycles_.of.find(entry.name); it != lifecycles_.of.end())
            type.lifecycle = it->second;
        type_settings(type);
        const bool named =
            std::find(selected.begin(), selected.end(), entry.name) != selected.end();
        if (named && type.count == 0) {
            findings_.warning(
                kCommandLine, "plan/selected-zero",
                fmt::format("process type '{}' is selected but its formation count is 0",
                            type.name),
                fmt::format("give it a count, e.g. --formation {}=1", type.name));
        }
        plan_.types.push_back(std::move(type));
    }
}

// The type's own variables and directory: its env files, then `env:`; the
// root, or the folder of the root that working_dir names.
void PlanMaker::type_settings(ProcessType& type) const {
    if (auto it = in_.type_file_env.find(type.name); it != in_.type_file_env.end())
        type.env = it->second;
    for (const auto& v : type.lifecycle.env)
        type.env.set(v.name, v.value);
    type.working_dir = in_.root;
    if (type.lifecycle.working_dir) {
        type.working_dir = (in_.root / type.lifecycle.working_dir->path).lexically_normal();
        if (!type.working_dir.has_filename() && type.working_dir != type.working_dir.root_path())
            type.working_dir = type.working_dir.parent_path();  // "/x/api/" -> "/x/api"
    }
}

bool PlanMaker::check_port_range() {
    const std::size_t mark = findings_.size();
    for (const auto& type : plan_.types) {
        if (!type.selected || type.count == 0)
            continue;
        const long last =
            static_cast<long>(plan_.base_port) + kPortStepPerType * type.position + type.count - 1;
        if (last <= kMaxPort)
            continue;
        findings_.error(
            Location{in_.procfile.file, type.line, 0}, "plan/port-out-of-range",
            fmt::format("{}.{} would get port {}, beyond {}", type.name, type.count, last,
                        kMaxPort),
            fmt::format("PORT is base + 100 x position + instance - 1 with base {}; use a lower "
                        "--port or fewer instances",
                        plan_.base_port));
    }
    return !findings_.has_errors_since(mark);
}

void PlanMaker::make_instances() {
    std::size_t total = 0;
    for (const auto& type : plan_.types)
        total += type.selected ? static_cast<std::size_t>(std::max(type.count, 0)) : 0;
    plan_.instances.reserve(total);
    for (const auto& type : plan_.types) {
        if (!type.selected)
            continue;
        // One copy of its settings and environment for all its instances.
        for (int i = 1; i <= type.count; ++i) {
            plan_.instances.push_back(i == 1
                                          ? make_instance(plan_, type, i)
                                          : make_instance(plan_, type, i, plan_.instances.back()));
        }
    }
}

// More than 100 instances of a type run into the next type's ports (as in
// foreman); two processes told to bind the same port is worth a warning.
void PlanMaker::warn_port_overlap() {
    std::map<int, const Instance*> by_port;
    std::set<std::string> warned;
    for (const auto& inst : plan_.instances) {
        auto [it, inserted] = by_port.emplace(inst.port, &inst);
        if (inserted || !warned.insert(it->second->type).second)
            continue;
        const ProcessType* first = plan_.find_type(it->second->type);
        findings_.warning(
            Location{in_.procfile.file, first != nullptr ? first->line : 0, 0}, "plan/port-overlap",
            fmt::format("{} and {} both get PORT={}", it->second->name, inst.name, inst.port),
            fmt::format("each process type has a block of {} ports; run at most {} instances of "
                        "'{}'",
                        kPortStepPerType, kPortStepPerType, it->second->type));
    }
}

void PlanMaker::run() {
    plan_.root = in_.root;
    plan_.procfile = in_.procfile.file;
    plan_.file_env = in_.file_env;
    plan_.os_env = in_.os_env;
    plan_.timeout = in_.timeout;

    check_quiet();
    check_formation_names();
    const std::vector<std::string> selected = check_selected();
    const bool port_ok = !ports_needed() || decide_base_port();
    if (in_.names_only)
        return;
    apply_shorthands();
    plan_detail::check_lifecycle_names(lifecycles_, in_.procfile, defined_, findings_);
    make_types(selected);
    plan_detail::check_cycles(plan_, findings_);
    plan_detail::check_lifecycle_settings(lifecycles_, in_.procfile, plan_, findings_);
    plan_detail::check_dependencies_run(plan_, findings_);
    if (!port_ok || !out_.ok() || !ports_needed() || !check_port_range())
        return;
    make_instances();
    warn_port_overlap();
}

}  // namespace

namespace {

Instance build_instance(const Plan& plan, const ProcessType& type, int index,
                        SharedLifecycle lifecycle, std::shared_ptr<const Environment> type_env) {
    Instance inst;
    inst.type = type.name;
    inst.index = index;
    inst.name = fmt::format("{}.{}", type.name, index);
    inst.command = type.command;
    inst.port = plan.base_port + kPortStepPerType * type.position + index - 1;
    inst.colour = type.position;
    inst.lifecycle = std::move(lifecycle);
    inst.working_dir = type.working_dir.empty() ? plan.root : type.working_dir;
    inst.type_env = std::move(type_env);
    return inst;
}

}  // namespace

Instance make_instance(const Plan& plan, const ProcessType& type, int index) {
    auto type_env = std::make_shared<Environment>(plan.file_env);
    type_env->merge(type.env);
    return build_instance(plan, type, index, type.lifecycle, std::move(type_env));
}

Instance make_instance(const Plan& plan, const ProcessType& type, int index,
                       const Instance& sibling) {
    return build_instance(plan, type, index, sibling.lifecycle, sibling.type_env);
}

Parsed<Plan> make_plan(const PlanInput& input) {
    Parsed<Plan> out;
    PlanMaker(input, out).run();
    return out;
}

}  // namespace procrun
