// compose: compose.yaml with a service per process type, written with
// yaml-cpp's emitter. Every '$' is doubled so compose interpolates nothing.

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "export/containers.hpp"
#include "export/format.hpp"
#include "export/quote.hpp"

namespace procrun::exporter {

namespace {

// Compose project names: lowercase letters, digits, '-' and '_', starting with
// a letter or digit.
bool valid_project_name(std::string_view s) {
    if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

}  // namespace

void render_compose(Job& job) {
    const ExportOptions& opt = job.options();
    const Plan& plan = job.plan();
    std::vector<TypeSpec> specs = type_specs(job);
    if (!valid_project_name(opt.app)) {
        job.error("export/app-name", fmt::format("'{}' is not a compose project name", opt.app),
                  "use -a/--app with lowercase letters, digits, '-' and '_'");
    }
    if (!quote::is_utf8(plan.root.string())) {
        job.error("export/unrepresentable", "the root directory's path is not valid UTF-8");
    }
    if (job.failed())
        return;

    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << opt.app;
    out << YAML::Key << "services" << YAML::Value << YAML::BeginMap;
    for (const auto& spec : specs) {
        out << YAML::Key << spec.type->name << YAML::Value << YAML::BeginMap;
        if (opt.image) {
            out << YAML::Key << "image" << YAML::Value << YAML::DoubleQuoted
                << escape_dollars(*opt.image);
        } else {
            out << YAML::Key << "build" << YAML::Value << YAML::DoubleQuoted
                << escape_dollars(plan.root.string());
        }
        out << YAML::Key << "command" << YAML::Value << YAML::BeginSeq << YAML::DoubleQuoted
            << "/bin/sh" << YAML::DoubleQuoted << "-c" << YAML::DoubleQuoted
            << escape_dollars(spec.command) << YAML::EndSeq;
        out << YAML::Key << "working_dir" << YAML::Value << YAML::DoubleQuoted
            << escape_dollars(plan.root.string());
        if (opt.user) {
            out << YAML::Key << "user" << YAML::Value << YAML::DoubleQuoted
                << escape_dollars(*opt.user);
        }
        out << YAML::Key << "environment" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "PORT" << YAML::Value << YAML::DoubleQuoted
            << std::to_string(spec.port);
        for (const auto& [k, v] : spec.env) {
            out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << escape_dollars(v);
        }
        out << YAML::EndMap;
        if (spec.type->name == "web") {
            out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
            out << YAML::Key << "target" << YAML::Value << spec.port;
            // One replica can own the host port; more get ephemeral ones.
            if (spec.replicas == 1) {
                out << YAML::Key << "published" << YAML::Value << YAML::DoubleQuoted
                    << std::to_string(spec.port);
            }
            out << YAML::Key << "protocol" << YAML::Value << "tcp";
            out << YAML::EndMap << YAML::EndSeq;
        }
        out << YAML::Key << "stop_grace_period" << YAML::Value
            << fmt::format("{}s", opt.timeout.count());
        out << YAML::Key << "restart" << YAML::Value << "on-failure";
        out << YAML::Key << "deploy" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "replicas" << YAML::Value << spec.replicas;
        out << YAML::EndMap;
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
    out << YAML::EndMap;
    if (!out.good()) {
        job.error("export/yaml", fmt::format("the YAML emitter failed: {}", out.GetLastError()));
        return;
    }
    job.add("compose.yaml", std::string(out.c_str()) + "\n", kPrivate);
}

}  // namespace procrun::exporter
