// Exporters: golden files for a reference project, and the errors each format
// reports for values it cannot hold.

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "find_exported.hpp"
#include "procrun/export.hpp"
#include "procrun/plan.hpp"

using namespace procrun;
namespace fs = std::filesystem;

namespace {

Plan make_test_plan(const std::string& procfile, const Environment& env,
                    const std::string& formation = "") {
    PlanInput input;
    input.root = "/srv/blog";
    auto parsed = parse_procfile(procfile, "Procfile");
    REQUIRE(parsed.ok());
    input.procfile = parsed.value;
    input.file_env = env;
    input.os_env = Environment{{"PATH", "/usr/bin"}};
    if (!formation.empty()) {
        auto f = parse_formation(formation);
        REQUIRE(f.ok());
        input.formation = f.value;
    }
    input.timeout = std::chrono::seconds(10);
    auto plan = make_plan(input);
    REQUIRE(plan.ok());
    return plan.value;
}

// The reference project of the golden files (docs/export.md shows its output).
Plan reference_plan() {
    return make_test_plan(
        "web: gunicorn blog:app --bind 0.0.0.0:$PORT --workers 2\n"
        "worker: python -m blog.worker --queue 'default high' && echo \"done: 100%\"\n"
        "clock: sh -c 'while true; do echo tick; sleep 60; done'\n",
        Environment{{"DATABASE_URL", "postgres://blog@localhost/blog"},
                    {"SECRET_KEY", "s3cr3t"},
                    {"GREETING", "hello, world"}},
        "web=2,worker=1,clock=0");
}

ExportOptions reference_options() {
    ExportOptions o;
    o.app = "blog";
    o.user = "blog";
    o.log_dir = "/var/log/blog";
    o.run_dir = "/var/run/blog";
    o.target_dir = "/etc/procrun-export";
    o.image = "ghcr.io/example/blog:1.0";
    o.timeout = std::chrono::seconds(10);
    return o;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const fs::path& p, const std::string& content) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
}

std::string listing(const std::vector<ExportedFile>& files) {
    std::string out;
    for (const auto& f : files) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", f.mode);
        out += std::string(mode) + " " + f.path + "\n";
    }
    return out;
}

std::vector<ExportedFile> render_ok(const std::string& format, const Plan& plan,
                                    const ExportOptions& options) {
    auto r = render_export(format, plan, options);
    for (const auto& d : r.diagnostics)
        UNSCOPED_INFO(format_human(d, false));
    REQUIRE(r.ok());
    return r.value;
}

std::string render_error(const std::string& format, const Plan& plan,
                         const ExportOptions& options) {
    auto r = render_export(format, plan, options);
    REQUIRE_FALSE(r.ok());
    std::string out;
    for (const auto& d : r.diagnostics) {
        if (d.severity == Severity::error)
            out += format_human(d, false);
    }
    return out;
}

}  // namespace

TEST_CASE("every format matches its golden files for the reference project", "[export][golden]") {
    const bool update = std::getenv("PROCRUN_UPDATE_GOLDEN") != nullptr;
    const Plan plan = reference_plan();
    for (const auto& format : export_formats()) {
        SECTION(format) {
            const auto files = render_ok(format, plan, reference_options());
            const fs::path dir = fs::path(PROCRUN_SOURCE_DIR) / "testdata/export" / format;
            if (update) {
                fs::remove_all(dir);
                write_file(dir / "reference.files", listing(files));
                for (const auto& f : files)
                    write_file(dir / "reference" / f.path, f.content);
            }
            // The set of files and their modes, then each file's bytes.
            CHECK(listing(files) == read_file(dir / "reference.files"));
            std::set<std::string> golden;
            for (const auto& e : fs::recursive_directory_iterator(dir / "reference")) {
                if (e.is_regular_file()) {
                    golden.insert(e.path().lexically_relative(dir / "reference").generic_string());
                }
            }
            std::set<std::string> rendered;
            for (const auto& f : files) {
                rendered.insert(f.path);
                INFO(format << ": " << f.path << " (PROCRUN_UPDATE_GOLDEN=1 rewrites it)");
                CHECK(f.content == read_file(dir / "reference" / f.path));
            }
            CHECK(rendered == golden);
        }
    }
}

TEST_CASE("rendering is pure: the same plan gives the same files", "[export]") {
    const Plan plan = reference_plan();
    for (const auto& format : export_formats()) {
        CHECK(render_ok(format, plan, reference_options()) ==
              render_ok(format, plan, reference_options()));
    }
}

TEST_CASE("an unknown format lists the known ones", "[export]") {
    CHECK(render_error("systemv", reference_plan(), reference_options()) ==
          "export systemv: error: unknown export format 'systemv'\n"
          "hint: known formats: systemd, supervisord, runit, launchd, upstart, inittab, "
          "compose, kubernetes\n");
}

TEST_CASE("a formation of zero instances is an error for init systems only", "[export]") {
    const Plan plan = make_test_plan("web: a\n", Environment{}, "web=0");
    CHECK(render_error("supervisord", plan, reference_options()) ==
          "export supervisord: error: the formation runs no instance, so there is nothing for "
          "supervisord to run\nhint: scale a process type up, e.g. -c web=1\n");
    const auto files = render_ok("kubernetes", plan, reference_options());
    CHECK(YAML::Load(find_exported(files, "blog-web-deployment.yaml")->content)["spec"]["replicas"]
              .as<int>() == 0);
}

TEST_CASE("options are checked before rendering", "[export]") {
    ExportOptions o = reference_options();
    o.app = "my app";
    CHECK(render_error("systemd", reference_plan(), o) ==
          "export systemd: error: 'my app' is not a usable app name\n"
          "hint: use -a/--app with letters, digits, '.', '_' and '-' (not first)\n");
    o = reference_options();
    o.user = "bad user";
    CHECK(render_error("runit", reference_plan(), o).find("'bad user' is not a portable user") !=
          std::string::npos);
    o = reference_options();
    o.target_dir = "relative/dir";
    CHECK(render_error("systemd", reference_plan(), o).find("must be an absolute path") !=
          std::string::npos);
}

TEST_CASE("systemd: units, env files 0600 and the timeout", "[export][systemd]") {
    const auto files = render_ok("systemd", reference_plan(), reference_options());
    const ExportedFile* svc = find_exported(files, "blog-worker-1.service");
    REQUIRE(svc != nullptr);
    CHECK(svc->content.find("ExecStart=/bin/sh -c \"python -m blog.worker --queue 'default "
                            "high' && echo \\\"done: 100%%\\\"\"\n") != std::string::npos);
    CHECK(svc->content.find("TimeoutStopSec=10\n") != std::string::npos);
    CHECK(svc->content.find("KillMode=mixed\n") != std::string::npos);
    CHECK(svc->content.find("User=blog\n") != std::string::npos);
    CHECK(svc->content.find("EnvironmentFile=/etc/procrun-export/blog-worker-1.env\n") !=
          std::string::npos);
    const ExportedFile* env = find_exported(files, "blog-worker-1.env");
    REQUIRE(env != nullptr);
    CHECK(env->mode == 0600);
    CHECK(env->content.find("PORT=\"5100\"\n") != std::string::npos);
    CHECK(find_exported(files, "blog-clock.target") == nullptr);  // scaled to 0
    const ExportedFile* target = find_exported(files, "blog.target");
    REQUIRE(target != nullptr);
    CHECK(target->content.find("Wants=blog-web.target\nWants=blog-worker.target\n") !=
          std::string::npos);
}

TEST_CASE("a timeout of 0 means no grace, not an infinite wait", "[export]") {
    ExportOptions o = reference_options();
    o.timeout = std::chrono::seconds(0);
    const auto units = render_ok("systemd", reference_plan(), o);
    CHECK(find_exported(units, "blog-web-1.service")->content.find("TimeoutStopSec=1ms\n") !=
          std::string::npos);
    const auto plists = render_ok("launchd", reference_plan(), o);
    CHECK(find_exported(plists, "blog-web-1.plist")
              ->content.find("<key>ExitTimeOut</key>\n\t<integer>1</integer>") !=
          std::string::npos);
    const auto conf = render_ok("supervisord", reference_plan(), o);
    CHECK(find_exported(conf, "blog.conf")->content.find("stopwaitsecs=0\n") != std::string::npos);
}

TEST_CASE("supervisord: variables environment= cannot carry go to a sourced file",
          "[export][supervisord]") {
    const Plan plan =
        make_test_plan("web: run-it\n", Environment{{"OK", "fine"}, {"NOTE", "a #comment"}});
    const auto files = render_ok("supervisord", plan, reference_options());
    const ExportedFile* conf = find_exported(files, "blog.conf");
    REQUIRE(conf != nullptr);
    CHECK(conf->content.find("environment=OK=\"fine\",PORT=\"5000\",PS=\"web.1\"\n") !=
          std::string::npos);
    CHECK(conf->content.find("command=/bin/sh -c 'set -a; . "
                             "/etc/procrun-export/blog-web-1.env; set +a; run-it'\n") !=
          std::string::npos);
    const ExportedFile* env = find_exported(files, "blog-web-1.env");
    REQUIRE(env != nullptr);
    CHECK(env->mode == 0600);
    CHECK(env->content.find("NOTE='a #comment'\n") != std::string::npos);
}

TEST_CASE("runit: a value chpst cannot read back is an error", "[export][runit]") {
    const Plan plan = make_test_plan("web: run-it\n", Environment{{"PAD", "x "}});
    CHECK(render_error("runit", plan, reference_options()) ==
          "export runit: error: runit cannot hold the value of PAD for web.1: it ends in a "
          "space or tab, which chpst -e strips from envdir values\n"
          "hint: remove the trailing whitespace, or export to another format\n");
}

TEST_CASE("runit: run scripts are executable, env files private", "[export][runit]") {
    const auto files = render_ok("runit", reference_plan(), reference_options());
    REQUIRE(find_exported(files, "blog-web-2/run") != nullptr);
    CHECK(find_exported(files, "blog-web-2/run")->mode == 0755);
    CHECK(find_exported(files, "blog-web-2/log/run")->mode == 0755);
    REQUIRE(find_exported(files, "blog-web-2/env/PORT") != nullptr);
    CHECK(find_exported(files, "blog-web-2/env/PORT")->content == "5001\n");
    CHECK(find_exported(files, "blog-web-2/env/PORT")->mode == 0600);
}

TEST_CASE("launchd: control characters are refused", "[export][launchd]") {
    const Plan plan = make_test_plan("web: run-it\n", Environment{{"BELL", "ding\x07"}});
    CHECK(render_error("launchd", plan, reference_options()) ==
          "export launchd: error: a property list cannot hold the value of BELL: it contains "
          "the control character 0x07, which XML 1.0 cannot represent\n");
}

TEST_CASE("upstart: a line 'end script' would end the script block", "[export][upstart]") {
    const Plan plan = make_test_plan("web: run-it\n", Environment{{"X", "a\n  end script\nb"}});
    CHECK(render_error("upstart", plan, reference_options()).find("'end script'") !=
          std::string::npos);
}

TEST_CASE("inittab: short lines run a private script holding the variables", "[export][inittab]") {
    const Plan plan = make_test_plan("web: run-it\n", Environment{{"X", "a\nb"}});
    const auto files = render_ok("inittab", plan, reference_options());
    REQUIRE(find_exported(files, "blog.inittab") != nullptr);
    CHECK(find_exported(files, "blog.inittab")->content ==
          "# ----- blog -----\nBL01:2345:respawn:/bin/sh /etc/procrun-export/blog-web-1.sh\n"
          "# ----- end blog -----\n");
    const ExportedFile* script = find_exported(files, "blog-web-1.sh");
    REQUIRE(script != nullptr);
    CHECK(script->mode == 0700);
    CHECK(script->content.find("export X='a\nb'\n") != std::string::npos);
    CHECK(script->content.find("exec /bin/su -s /bin/sh -c 'exec /bin/sh -c run-it' blog\n") !=
          std::string::npos);
}

TEST_CASE("kubernetes needs an image and DNS-1123 names", "[export][kubernetes]") {
    ExportOptions o = reference_options();
    o.image.reset();
    CHECK(render_error("kubernetes", reference_plan(), o) ==
          "export kubernetes: error: the kubernetes format needs a container image\n"
          "hint: give one with --image, e.g. --image registry.example.com/app:1.0\n");

    const Plan plan = make_test_plan("web: a\nBig_Worker: b\n", Environment{});
    const std::string err = render_error("kubernetes", plan, reference_options());
    CHECK(err.rfind("Procfile:2: error: process type 'Big_Worker' is not a valid Kubernetes "
                    "name: ",
                    0) == 0);
    CHECK(err.find("hint: rename it (procrun check --strict applies the same rule)") !=
          std::string::npos);

    o = reference_options();
    o.app = "Blog";
    CHECK(render_error("kubernetes", reference_plan(), o)
              .find("'Blog' is not a valid Kubernetes name") != std::string::npos);
}

TEST_CASE("kubernetes: secrets by name or all with --secret, and $ doubled in commands",
          "[export][kubernetes]") {
    const Plan plan = make_test_plan("web: echo $HOME $(id)\n",
                                     Environment{{"API_TOKEN", "t"}, {"MODE", "prod"}});
    ExportOptions o = reference_options();
    auto files = render_ok("kubernetes", plan, o);
    YAML::Node cm = YAML::Load(find_exported(files, "blog-env.yaml")->content);
    YAML::Node secret = YAML::Load(find_exported(files, "blog-secret.yaml")->content);
    CHECK(cm["data"]["MODE"].as<std::string>() == "prod");
    CHECK_FALSE(cm["data"]["API_TOKEN"]);
    CHECK(secret["data"]["API_TOKEN"].as<std::string>() == "dA==");
    YAML::Node dep = YAML::Load(find_exported(files, "blog-web-deployment.yaml")->content);
    CHECK(dep["spec"]["template"]["spec"]["containers"][0]["command"][2].as<std::string>() ==
          "echo $$HOME $$(id)");

    o.secret_all = true;
    files = render_ok("kubernetes", plan, o);
    CHECK(find_exported(files, "blog-env.yaml") == nullptr);
    secret = YAML::Load(find_exported(files, "blog-secret.yaml")->content);
    CHECK(secret["data"]["MODE"].as<std::string>() == "cHJvZA==");
}

TEST_CASE("names that look like credentials", "[export]") {
    for (const char* k : {"SECRET_KEY", "API_TOKEN", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY",
                          "APIKEY", "github_token", "SMTP_PASS", "GOOGLE_CREDENTIALS", "BASIC_AUTH",
                          "PRIVATE_PEM", "MYSQL_PASSWD"}) {
        INFO(k);
        CHECK(looks_secret(k));
    }
    for (const char* k : {"PORT", "DATABASE_URL", "PASSENGER", "AUTHOR", "KEYBOARD_LAYOUT",
                          "TOKENIZER_MODEL", "PWD"}) {
        INFO(k);
        CHECK_FALSE(looks_secret(k));
    }
}

TEST_CASE("compose and kubernetes refuse to override templates", "[export]") {
    ExportOptions o = reference_options();
    o.templates["anything"] = TemplateSource{"t/anything", "x"};
    CHECK(render_error("compose", reference_plan(), o)
              .find("the compose format is built with a YAML emitter") != std::string::npos);
}

TEST_CASE("user templates replace the built-in ones and are checked", "[export][template]") {
    ExportOptions o = reference_options();
    o.templates["service"] =
        TemplateSource{"tpl/service", "[Service]\nExecStart={{exec_start}}\nX={{unit_name}}\n"};
    const auto files = render_ok("systemd", reference_plan(), o);
    CHECK(find_exported(files, "blog-web-1.service")->content ==
          "[Service]\nExecStart=/bin/sh -c \"gunicorn blog:app --bind 0.0.0.0:$$PORT --workers "
          "2\"\nX=blog-web-1\n");

    o.templates["service"] = TemplateSource{"tpl/service", "[Service]\nUser={{usr}}\n"};
    const std::string err = render_error("systemd", reference_plan(), o);
    CHECK(err.rfind("tpl/service:2:6: error: unknown name 'usr'\n", 0) == 0);

    o.templates.clear();
    o.templates["servce"] = TemplateSource{"tpl/servce", ""};
    CHECK(render_error("systemd", reference_plan(), o) ==
          "export systemd: error: 'tpl/servce' is not a template of the systemd format\n"
          "hint: its templates are: app.target, type.target, service\n");
}

TEST_CASE("built-in templates can be read back", "[export][template]") {
    for (const auto& format : export_formats()) {
        for (const auto& name : export_template_names(format)) {
            INFO(format << " " << name);
            CHECK(builtin_template(format, name).has_value());
        }
    }
    CHECK(export_template_names("kubernetes").empty());
    CHECK_FALSE(builtin_template("systemd", "nope"));
}
