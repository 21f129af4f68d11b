// kubernetes: a Deployment per process type, a ConfigMap APP-env with the
// ordinary variables, a Secret APP-secret with the ones that look like
// credentials (or all, with --secret), and a Service for web. Written with
// yaml-cpp's emitter; '$' is doubled so no $(VAR) reference is expanded.

#include <fmt/format.h>
#include <yaml-cpp/binary.h>
#include <yaml-cpp/yaml.h>

#include <map>

#include "export/carry.hpp"
#include "export/containers.hpp"
#include "export/format.hpp"
#include "export/quote.hpp"
#include "procrun/procfile.hpp"
#include "procrun/shell.hpp"

namespace procrun::exporter {

namespace {

constexpr std::size_t kMaxName = 63;

void labels(YAML::Emitter& out, const std::string& app, const std::string& component,
            bool managed_by) {
    out << YAML::BeginMap;
    out << YAML::Key << "app.kubernetes.io/name" << YAML::Value << app;
    out << YAML::Key << "app.kubernetes.io/component" << YAML::Value << component;
    if (managed_by)
        out << YAML::Key << "app.kubernetes.io/managed-by" << YAML::Value << "procrun";
    out << YAML::EndMap;
}

void metadata(YAML::Emitter& out, const std::string& name, const std::string& app,
              const std::string& component) {
    out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << name;
    out << YAML::Key << "labels" << YAML::Value;
    labels(out, app, component, true);
    out << YAML::EndMap;
}

// A Secret with the type's own variables that look like credentials (all of
// them with --secret).
void own_secrets(Job& job, const TypeSpec& spec, const std::string& name) {
    const ExportOptions& opt = job.options();
    YAML::Emitter out;
    bool any = false;
    out << YAML::BeginMap;
    out << YAML::Key << "apiVersion" << YAML::Value << "v1";
    out << YAML::Key << "kind" << YAML::Value << "Secret";
    metadata(out, name, opt.app, spec.type->name);
    out << YAML::Key << "type" << YAML::Value << "Opaque";
    out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : spec.own) {
        if (!opt.secret_all && !looks_secret(k))
            continue;
        any = true;
        const auto* bytes = reinterpret_cast<const unsigned char*>(v.data());
        out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted
            << YAML::EncodeBase64(bytes, v.size());
    }
    out << YAML::EndMap << YAML::EndMap;
    if (any)
        job.add(name + ".yaml", std::string(out.c_str()) + "\n", kPrivate);
}

// The container's command: in the type's working_dir, a folder of the image's
// working directory (which holds the app's root, as the compose export's build
// context does).
std::string in_directory(const TypeSpec& spec, const std::string& command) {
    if (spec.directory.empty())
        return command;
    return fmt::format("cd {} && {}", shell_quote(spec.directory), command);
}

// readinessProbe / livenessProbe from a probe of the readiness kinds.
void probe(Job& job, YAML::Emitter& out, const TypeSpec& spec, const Readiness& p,
           std::string_view key, std::optional<int> failure_threshold) {
    const int port = p.port != 0 ? p.port : spec.port;
    if (p.kind == ProbeKind::none)
        return;
    if (p.kind == ProbeKind::log) {
        job.warning("export/not-carried",
                    fmt::format("process type '{}' has a log probe, which kubernetes cannot "
                                "express: {} is left out",
                                spec.type->name, key),
                    "use an http, tcp or exec probe");
        return;
    }
    out << YAML::Key << std::string(key) << YAML::Value << YAML::BeginMap;
    if (p.kind == ProbeKind::http) {
        // The kubelet probes the pod's address: the process listens on it, not
        // on the loopback only.
        out << YAML::Key << "httpGet" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "path" << YAML::Value << YAML::DoubleQuoted << p.path;
        out << YAML::Key << "port" << YAML::Value << port;
        out << YAML::EndMap;
    } else if (p.kind == ProbeKind::tcp) {
        out << YAML::Key << "tcpSocket" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "port" << YAML::Value << port;
        out << YAML::EndMap;
    } else {
        out << YAML::Key << "exec" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "command" << YAML::Value << YAML::BeginSeq << YAML::DoubleQuoted
            << "/bin/sh" << YAML::DoubleQuoted << "-c" << YAML::DoubleQuoted
            << in_directory(spec, p.command) << YAML::EndSeq;
        out << YAML::EndMap;
    }
    // Kubernetes counts whole seconds: a shorter duration is rounded up.
    out << YAML::Key << "initialDelaySeconds" << YAML::Value << whole_seconds(p.initial_delay);
    out << YAML::Key << "periodSeconds" << YAML::Value << whole_seconds(p.interval, 1);
    out << YAML::Key << "timeoutSeconds" << YAML::Value << whole_seconds(p.timeout, 1);
    if (failure_threshold)
        out << YAML::Key << "failureThreshold" << YAML::Value << *failure_threshold;
    out << YAML::EndMap;
}

}  // namespace

void render_kubernetes(Job& job) {
    const ExportOptions& opt = job.options();
    const Plan& plan = job.plan();
    if (!opt.image) {
        job.error("export/image", "the kubernetes format needs a container image",
                  "give one with --image, e.g. --image registry.example.com/app:1.0");
    }
    std::string why;
    if (!is_strict_process_name(opt.app, &why)) {
        job.error("export/app-name",
                  fmt::format("'{}' is not a valid Kubernetes name: {}", opt.app, why),
                  "choose one with -a/--app: lowercase a-z, 0-9 and '-', at most 63 characters");
    }
    std::vector<TypeSpec> specs = type_specs(job);
    for (const auto& spec : specs) {
        const std::string& name = spec.type->name;
        if (!is_strict_process_name(name, &why)) {
            job.command_error(
                make_instance(plan, *spec.type, 1),
                fmt::format("process type '{}' is not a valid Kubernetes name: {}", name, why),
                "rename it (procrun check --strict applies the same rule)");
        } else if (opt.app.size() + 1 + name.size() > kMaxName) {
            job.command_error(make_instance(plan, *spec.type, 1),
                              fmt::format("'{}-{}' is longer than the {} characters Kubernetes "
                                          "allows in a name",
                                          opt.app, name, kMaxName),
                              "choose a shorter -a/--app or process type");
        }
    }
    if (job.failed())
        return;

    // A Deployment's pods always restart (restartPolicy: Always is the only one
    // it allows); Kubernetes starts every Deployment at once.
    warn_not_carried(job, {"stop_timeout", "readiness", "restart", "can_die", "liveness",
                           "stop_command", "autostart"});
    warn_restart_always(job);
    const std::string config_name = opt.app + "-env";
    const std::string secret_name = opt.app + "-secret";
    // Every type shares the env files' variables; PORT is set per container.
    std::map<std::string, std::string> plain;
    std::map<std::string, std::string> secret;
    std::vector<std::string> order;
    // The env files' variables (checked by type_specs); each type's own ones
    // go into its container's env, which wins over envFrom.
    for (const auto& [k, v] : plan.file_env.entries()) {
        if (k == "PORT" || k == "PS" || !quote::is_env_name(k) || !quote::is_utf8(v))
            continue;
        if (plain.count(k) == 0 && secret.count(k) == 0)
            order.push_back(k);
        (opt.secret_all || looks_secret(k) ? secret : plain)[k] = v;
    }

    if (!plain.empty()) {
        YAML::Emitter out;
        out << YAML::BeginMap;
        out << YAML::Key << "apiVersion" << YAML::Value << "v1";
        out << YAML::Key << "kind" << YAML::Value << "ConfigMap";
        metadata(out, config_name, opt.app, "env");
        out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
        for (const auto& k : order) {
            if (auto it = plain.find(k); it != plain.end()) {
                out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << it->second;
            }
        }
        out << YAML::EndMap << YAML::EndMap;
        job.add(config_name + ".yaml", std::string(out.c_str()) + "\n");
    }
    if (!secret.empty()) {
        YAML::Emitter out;
        out << YAML::BeginMap;
        out << YAML::Key << "apiVersion" << YAML::Value << "v1";
        out << YAML::Key << "kind" << YAML::Value << "Secret";
        metadata(out, secret_name, opt.app, "env");
        out << YAML::Key << "type" << YAML::Value << "Opaque";
        out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
        for (const auto& k : order) {
            if (auto it = secret.find(k); it != secret.end()) {
                const auto* bytes = reinterpret_cast<const unsigned char*>(it->second.data());
                out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted
                    << YAML::EncodeBase64(bytes, it->second.size());
            }
        }
        out << YAML::EndMap << YAML::EndMap;
        job.add(secret_name + ".yaml", std::string(out.c_str()) + "\n", kPrivate);
    }

    for (const auto& spec : specs) {
        const std::string& type = spec.type->name;
        const std::string name = fmt::format("{}-{}", opt.app, type);
        YAML::Emitter out;
        out << YAML::BeginMap;
        out << YAML::Key << "apiVersion" << YAML::Value << "apps/v1";
        out << YAML::Key << "kind" << YAML::Value << "Deployment";
        metadata(out, name, opt.app, type);
        out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
        // autostart: false: no replica until `kubectl scale --replicas=N`.
        out << YAML::Key << "replicas" << YAML::Value
            << (spec.type->lifecycle.autostart ? spec.replicas : 0);
        out << YAML::Key << "selector" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "matchLabels" << YAML::Value;
        labels(out, opt.app, type, false);
        out << YAML::EndMap;
        out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "labels" << YAML::Value;
        labels(out, opt.app, type, true);
        out << YAML::EndMap;
        out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
        const Lifecycle& lc = spec.type->lifecycle;
        out << YAML::Key << "terminationGracePeriodSeconds" << YAML::Value
            << (lc.stop_timeout ? whole_seconds(*lc.stop_timeout)
                                : static_cast<long>(opt.timeout.count()));
        out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
        out << YAML::Key << "name" << YAML::Value << type;
        out << YAML::Key << "image" << YAML::Value << YAML::DoubleQuoted << *opt.image;
        out << YAML::Key << "command" << YAML::Value << YAML::BeginSeq << YAML::DoubleQuoted
            << "/bin/sh" << YAML::DoubleQuoted << "-c" << YAML::DoubleQuoted
            << escape_dollars(in_directory(spec, spec.command)) << YAML::EndSeq;
        out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
        out << YAML::Key << "name" << YAML::Value << "PORT";
        out << YAML::Key << "value" << YAML::Value << YAML::DoubleQuoted
            << std::to_string(spec.port);
        out << YAML::EndMap;
        const std::string own_secret = name + "-secret";
        for (const auto& [k, v] : spec.own) {
            out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << k;
            if (opt.secret_all || looks_secret(k)) {
                out << YAML::Key << "valueFrom" << YAML::Value << YAML::BeginMap << YAML::Key
                    << "secretKeyRef" << YAML::Value << YAML::BeginMap << YAML::Key << "name"
                    << YAML::Value << own_secret << YAML::Key << "key" << YAML::Value << k
                    << YAML::EndMap << YAML::EndMap;
            } else {
                out << YAML::Key << "value" << YAML::Value << YAML::DoubleQuoted
                    << escape_dollars(v);
            }
            out << YAML::EndMap;
        }
        out << YAML::EndSeq;
        if (!plain.empty() || !secret.empty()) {
            out << YAML::Key << "envFrom" << YAML::Value << YAML::BeginSeq;
            if (!plain.empty()) {
                out << YAML::BeginMap << YAML::Key << "configMapRef" << YAML::Value
                    << YAML::BeginMap << YAML::Key << "name" << YAML::Value << config_name
                    << YAML::EndMap << YAML::EndMap;
            }
            if (!secret.empty()) {
                out << YAML::BeginMap << YAML::Key << "secretRef" << YAML::Value << YAML::BeginMap
                    << YAML::Key << "name" << YAML::Value << secret_name << YAML::EndMap
                    << YAML::EndMap;
            }
            out << YAML::EndSeq;
        }
        if (type == "web") {
            out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
            out << YAML::Key << "name" << YAML::Value << "http";
            out << YAML::Key << "containerPort" << YAML::Value << spec.port;
            out << YAML::Key << "protocol" << YAML::Value << "TCP";
            out << YAML::EndMap << YAML::EndSeq;
        }
        probe(job, out, spec, lc.readiness, "readinessProbe", std::nullopt);
        if (lc.liveness.kind != ProbeKind::none) {
            Readiness live = lc.liveness.attempt();
            live.interval = lc.liveness.period;
            live.initial_delay = lc.liveness.initial_delay;
            probe(job, out, spec, live, "livenessProbe", lc.liveness.failure_threshold);
        }
        if (!lc.stop_command.empty()) {
            // preStop runs before the container gets SIGTERM, within the grace period.
            out << YAML::Key << "lifecycle" << YAML::Value << YAML::BeginMap << YAML::Key
                << "preStop" << YAML::Value << YAML::BeginMap << YAML::Key << "exec" << YAML::Value
                << YAML::BeginMap << YAML::Key << "command" << YAML::Value << YAML::BeginSeq
                << YAML::DoubleQuoted << "/bin/sh" << YAML::DoubleQuoted << "-c"
                << YAML::DoubleQuoted << in_directory(spec, lc.stop_command) << YAML::EndSeq
                << YAML::EndMap << YAML::EndMap << YAML::EndMap;
        }
        out << YAML::EndMap << YAML::EndSeq;  // container, containers
        out << YAML::EndMap;                  // pod spec
        out << YAML::EndMap;                  // template
        out << YAML::EndMap;                  // spec
        out << YAML::EndMap;
        job.add(name + "-deployment.yaml", std::string(out.c_str()) + "\n");
        own_secrets(job, spec, own_secret);

        if (type == "web") {
            YAML::Emitter svc;
            svc << YAML::BeginMap;
            svc << YAML::Key << "apiVersion" << YAML::Value << "v1";
            svc << YAML::Key << "kind" << YAML::Value << "Service";
            metadata(svc, name, opt.app, type);
            svc << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
            svc << YAML::Key << "selector" << YAML::Value;
            labels(svc, opt.app, type, false);
            svc << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
            svc << YAML::Key << "name" << YAML::Value << "http";
            svc << YAML::Key << "port" << YAML::Value << spec.port;
            svc << YAML::Key << "targetPort" << YAML::Value << "http";
            svc << YAML::Key << "protocol" << YAML::Value << "TCP";
            svc << YAML::EndMap << YAML::EndSeq;
            svc << YAML::EndMap << YAML::EndMap;
            job.add(name + "-service.yaml", std::string(svc.c_str()) + "\n");
        }
    }
}

}  // namespace procrun::exporter
