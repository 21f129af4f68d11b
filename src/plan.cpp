#include "procrun/plan.hpp"

#include <fmt/format.h>

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

}  // namespace

Instance make_instance(const Plan& plan, const ProcessType& type, int index) {
    Instance inst;
    inst.type = type.name;
    inst.index = index;
    inst.name = fmt::format("{}.{}", type.name, index);
    inst.command = type.command;
    inst.port = plan.base_port + kPortStepPerType * type.position + index - 1;
    inst.colour = type.position;
    inst.app_env = plan.file_env;
    inst.app_env.set("PORT", std::to_string(inst.port));
    inst.app_env.set("PS", inst.name);
    inst.env = plan.os_env;
    inst.env.merge(inst.app_env);
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

    int position = 0;
    for (const auto& entry : input.procfile.entries) {
        ProcessType type;
        type.name = entry.name;
        type.command = entry.command;
        type.position = position++;
        type.line = entry.line;
        type.selected = input.selected.empty() ||
                        std::find(selected.begin(), selected.end(), entry.name) != selected.end();
        type.count = input.formation.count_for(type.name);
        if (!input.selected.empty() && type.selected && type.count == 0) {
            out.diagnostics.push_back(make_warning(
                Location{"command line", 0, 0}, "plan/selected-zero",
                fmt::format("process type '{}' is selected but its formation count is 0",
                            type.name),
                {}, fmt::format("give it a count, e.g. --formation {}=1", type.name)));
        }
        plan.types.push_back(std::move(type));
    }

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
