#include "export/containers.hpp"

#include <fmt/format.h>

#include "export/quote.hpp"

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
        }
        out.push_back(std::move(spec));
    }
    return out;
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
