// compose: compose.yaml with a service per process type, written with
// yaml-cpp's emitter. Every '$' is doubled so compose interpolates nothing.

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <csignal>

#include "export/carry.hpp"
#include "export/containers.hpp"
#include "export/format.hpp"
#include "export/quote.hpp"
#include "procrun/signal_name.hpp"

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

// "20s", or "1500ms" when not whole seconds.
std::string compose_duration(Millis d) {
    if (d.count() % 1000 == 0)
        return fmt::format("{}s", d.count() / 1000);
    return fmt::format("{}ms", d.count());
}

const Lifecycle* lifecycle_of(const Plan& plan, const std::string& type) {
    const ProcessType* t = plan.find_type(type);
    return t != nullptr ? &t->lifecycle : nullptr;
}

// A readiness probe compose can run: any kind but log.
bool runnable(const Readiness& probe) {
    return probe.kind != ProbeKind::none && probe.kind != ProbeKind::log;
}

// healthcheck: the readiness probe as a shell command the container runs; a
// type with a liveness probe and none compose can run for readiness gets its
// liveness probe (with its period and failure threshold). A service has one
// healthcheck: a liveness probe beside a readiness probe is left out.
void healthcheck(Job& job, YAML::Emitter& out, const TypeSpec& spec) {
    const Lifecycle& lc = spec.type->lifecycle;
    if (lc.readiness.kind == ProbeKind::log) {
        job.warning("export/not-carried",
                    fmt::format("process type '{}' has a log readiness probe, which compose "
                                "cannot express (a healthcheck runs a command): it is left out",
                                spec.type->name),
                    "use an http, tcp or exec probe");
    }
    const bool live = lc.liveness.kind != ProbeKind::none;
    if (live && runnable(lc.readiness)) {
        job.warning("export/not-carried",
                    fmt::format("process type '{}' sets 'liveness' beside 'readiness', and a "
                                "compose service has one healthcheck (its readiness probe): "
                                "the liveness probe is left out",
                                spec.type->name),
                    "docs/export.md lists what each format carries");
    }
    Readiness probe = lc.readiness;
    if (!runnable(probe)) {
        if (!live)
            return;
        probe = lc.liveness.attempt();
        probe.interval = lc.liveness.period;
        probe.initial_delay = lc.liveness.initial_delay;
        probe.retries = lc.liveness.failure_threshold;
    }
    const std::string command = probe_command(probe, spec.port);
    if (command.empty())
        return;
    out << YAML::Key << "healthcheck" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "test" << YAML::Value << YAML::BeginSeq << YAML::DoubleQuoted << "CMD-SHELL"
        << YAML::DoubleQuoted << escape_dollars(command) << YAML::EndSeq;
    out << YAML::Key << "interval" << YAML::Value << compose_duration(probe.interval);
    out << YAML::Key << "timeout" << YAML::Value << compose_duration(probe.timeout);
    out << YAML::Key << "retries" << YAML::Value << probe.retries;
    out << YAML::Key << "start_period" << YAML::Value << compose_duration(probe.initial_delay);
    out << YAML::EndMap;
}

// depends_on with conditions: ready is service_healthy when the dependency has
// a healthcheck (its readiness probe), else service_started, as under start.
void depends_on(const Plan& plan, YAML::Emitter& out, const TypeSpec& spec) {
    const auto& deps = spec.type->lifecycle.depends_on;
    if (deps.empty())
        return;
    out << YAML::Key << "depends_on" << YAML::Value << YAML::BeginMap;
    for (const auto& dep : deps) {
        const Lifecycle* other = lifecycle_of(plan, dep.type);
        const bool probed = other != nullptr && runnable(other->readiness);
        std::string condition = "service_started";
        if (dep.condition == DependencyCondition::ready && probed)
            condition = "service_healthy";
        else if (dep.condition == DependencyCondition::completed_successfully)
            condition = "service_completed_successfully";
        out << YAML::Key << dep.type << YAML::Value << YAML::BeginMap << YAML::Key << "condition"
            << YAML::Value << condition << YAML::EndMap;
    }
    out << YAML::EndMap;
}

const char* restart_value(ExportRestart r) {
    switch (r) {
        case ExportRestart::always:
            return "always";
        case ExportRestart::never:
            return "no";
        case ExportRestart::usual:
        case ExportRestart::on_failure:
            break;
    }
    return "on-failure";
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
    warn_not_carried(job, {"restart", "can_die", "stop_signal", "stop_timeout", "depends_on",
                           "readiness", "liveness", "autostart"});

    YAML::Emitter out;
    out << YAML::BeginMap;
    // No top-level `name:`: docker-compose 1.x (Debian 12's) rejects it. The
    // project is named with `-p APP` (docs/export.md).
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
            << escape_dollars(spec.type->working_dir.string());
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
        const Lifecycle& lc = spec.type->lifecycle;
        // autostart: false: only `docker-compose up SERVICE` or `--profile manual` starts it.
        if (!lc.autostart) {
            out << YAML::Key << "profiles" << YAML::Value << YAML::Flow << YAML::BeginSeq
                << "manual" << YAML::EndSeq;
        }
        healthcheck(job, out, spec);
        depends_on(plan, out, spec);
        if (lc.stop_signal != SIGTERM)
            out << YAML::Key << "stop_signal" << YAML::Value << signal_name(lc.stop_signal);
        out << YAML::Key << "stop_grace_period" << YAML::Value
            << (lc.stop_timeout ? compose_duration(*lc.stop_timeout)
                                : fmt::format("{}s", opt.timeout.count()));
        // "no" quoted: a plain no is a boolean to YAML 1.1 readers.
        const std::string restart = restart_value(export_restart(lc));
        out << YAML::Key << "restart" << YAML::Value;
        if (restart == "no")
            out << YAML::DoubleQuoted;
        out << restart;
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
