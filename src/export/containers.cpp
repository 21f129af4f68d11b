#include "export/containers.hpp"

#include <fmt/format.h>

#include "export/quote.hpp"
#include "procrun/shell.hpp"

namespace procrun::exporter {

std::vector<TypeSpec> type_specs(Job& job) {
    const Plan& plan = job.plan();
    std::vector<TypeSpec> out;
    for (const auto& type : plan.types) {
        if (!type.selected)
            continue;
        TypeSpec spec;
        spec.type = &type;
        const Instance* first = nullptr;
        for (const auto& inst : plan.instances) {
            if (inst.type != type.name)
                continue;
            ++spec.replicas;
            if (first == nullptr)
                first = &inst;
        }
        const Instance scaled_to_zero = make_instance(plan, type, 1);
        if (first == nullptr)
            first = &scaled_to_zero;
        spec.port = first->port;
        spec.command = first->command;
        if (!quote::is_utf8(spec.command)) {
            job.command_error(*first, fmt::format("the command of {} is not valid UTF-8, which "
                                                  "YAML cannot hold",
                                                  type.name));
        }
        for (auto& [k, v] : job.checked_env(*first)) {
            if (k == "PORT" || k == "PS")
                continue;
            if (!quote::is_utf8(v)) {
                job.error(
                    "export/unrepresentable",
                    fmt::format("the value of {} is not valid UTF-8, which YAML cannot hold", k));
                continue;
            }
            spec.env.emplace_back(k, v);
            if (type.env.contains(k))
                spec.own.emplace_back(k, v);
        }
        if (type.lifecycle.working_dir)
            spec.directory = type.working_dir.lexically_relative(plan.root).string();
        out.push_back(std::move(spec));
    }
    return out;
}

std::string probe_command(const Readiness& probe, int port) {
    const int p = probe.port != 0 ? probe.port : port;
    switch (probe.kind) {
        case ProbeKind::exec:
            return probe.command;
        case ProbeKind::tcp:
            return fmt::format("nc -z {} {}", shell_quote(probe.host), p);
        case ProbeKind::http: {
            const std::string url =
                shell_quote(fmt::format("http://{}:{}{}", probe.host, p, probe.path));
            return fmt::format("curl -fsS -o /dev/null {} || wget -q -O /dev/null {}", url, url);
        }
        case ProbeKind::log:
        case ProbeKind::none:
            break;
    }
    return {};
}

std::string escape_dollars(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '$')
            out += '$';
        out += c;
    }
    return out;
}

}  // namespace procrun::exporter
