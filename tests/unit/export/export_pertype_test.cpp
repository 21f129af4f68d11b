// Exporters and a process type's settings: what each format carries, and a
// warning naming every setting it cannot express.

#include <catch2/catch.hpp>

#include <string>

#include "find_exported.hpp"
#include "procrun/export.hpp"
#include "procrun/plan.hpp"

using namespace procrun;

namespace {

// web: its own env and folder, pty, a log probe, restart on-failure.
Plan pertype_plan() {
    PlanInput input;
    input.root = "/srv/app";
    auto parsed = parse_procfile("web: serve\nworker: work\n", "Procfile");
    REQUIRE(parsed.ok());
    input.procfile = parsed.value;
    input.file_env = Environment{{"SHARED", "app"}, {"LEVEL", "app"}};
    input.type_file_env["web"] = Environment{{"FROM_FILE", "yes"}};
    Lifecycle web;
    web.env = {TypeVariable{"LEVEL", "web", Location{}}};
    web.working_dir = ConfigPath{"services/web", Location{}};
    web.pty = true;
    web.restart = RestartPolicy::on_failure;
    web.readiness.kind = ProbeKind::log;
    web.readiness.pattern = "listening";
    input.lifecycles["web"] = web;
    auto plan = make_plan(input);
    REQUIRE(plan.ok());
    return plan.value;
}

ExportOptions options() {
    ExportOptions o;
    o.app = "app";
    o.log_dir = "/var/log/app";
    o.run_dir = "/var/run/app";
    o.target_dir = "/etc/app";
    o.image = "img:1";
    return o;
}

std::string warnings(const Parsed<std::vector<ExportedFile>>& r) {
    std::string out;
    for (const auto& d : r.diagnostics) {
        if (d.severity == Severity::warning)
            out += d.message + "\n";
    }
    return out;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("every format warns about the settings it cannot express, and still exports",
          "[export][pertype]") {
    const Plan plan = pertype_plan();
    for (const auto& format : export_formats()) {
        INFO(format);
        const auto r = render_export(format, plan, options());
        REQUIRE(r.ok());
        const std::string w = warnings(r);
        INFO(w);
        // No format has a pseudo-terminal.
        CHECK(contains(w, "process type 'web' sets 'pty', which " + format +
                              " cannot express: it is left out"));
        // Nothing is said about the type that sets nothing.
        CHECK_FALSE(contains(w, "'worker'"));
        // A log probe: a warning, whether the format has probes or not.
        CHECK((contains(w, "'web' sets 'readiness'") || contains(w, "log")));
    }
}

TEST_CASE("every format runs the type in its folder with its own variables", "[export][pertype]") {
    const Plan plan = pertype_plan();
    const auto has = [](const Parsed<std::vector<ExportedFile>>& r, const std::string& path,
                        const std::string& part) {
        const ExportedFile* f = find_exported(r.value, path);
        REQUIRE(f != nullptr);
        INFO(f->content);
        CHECK(contains(f->content, part));
    };
    const auto sd = render_export("systemd", plan, options());
    has(sd, "app-web-1.service", "WorkingDirectory=/srv/app/services/web\n");
    has(sd, "app-web-1.service", "Restart=on-failure\n");
    has(sd, "app-worker-1.service", "WorkingDirectory=/srv/app\n");
    has(sd, "app-web-1.env", "LEVEL=\"web\"\n");
    has(sd, "app-web-1.env", "FROM_FILE=\"yes\"\n");
    has(sd, "app-worker-1.env", "LEVEL=\"app\"\n");
    const auto sup = render_export("supervisord", plan, options());
    has(sup, "app.conf", "directory=/srv/app/services/web\n");
    has(sup, "app.conf", "autorestart=unexpected\n");
    const auto runit = render_export("runit", plan, options());
    has(runit, "app-web-1/run", "cd /srv/app/services/web ||");
    has(runit, "app-web-1/env/LEVEL", "web");
    const auto launchd = render_export("launchd", plan, options());
    has(launchd, "app-web-1.plist", "<string>/srv/app/services/web</string>");
    has(launchd, "app-web-1.plist", "<key>SuccessfulExit</key>");
    const auto upstart = render_export("upstart", plan, options());
    has(upstart, "app-web-1.conf", "cd /srv/app/services/web\n");
    has(upstart, "app-web-1.conf", "respawn\nnormal exit 0\n");
    const auto inittab = render_export("inittab", plan, options());
    has(inittab, "app-web-1.sh", "cd /srv/app/services/web ||");
    has(inittab, "app-web-1.sh", "export LEVEL=web\n");
    const auto compose = render_export("compose", plan, options());
    has(compose, "compose.yaml", "working_dir: \"/srv/app/services/web\"");
    has(compose, "compose.yaml", "LEVEL: \"web\"");
    const auto k8s = render_export("kubernetes", plan, options());
    has(k8s, "app-web-deployment.yaml", "cd services/web && serve");
    has(k8s, "app-web-deployment.yaml", "value: \"web\"");
    has(k8s, "app-env.yaml", "LEVEL: \"app\"");
}
