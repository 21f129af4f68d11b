#include "procrun/config.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace procrun;

TEST_CASE("Config: every key of .procrun.yaml", "[config]") {
    const std::string text =
        "# settings\n"
        "procfile: Procfile.dev\n"
        "root: app\n"
        "env: [.env, .env.local]\n"
        "formation: web=2,worker=1\n"
        "port: 3000\n"
        "timeout: 10\n"
        "strict: true\n"
        "color: no\n"
        "timestamp: false\n"
        "prefix: yes\n"
        "quiet: worker, clock\n"
        "app: blog\n"
        "user: deploy\n"
        "log: /var/log/blog\n"
        "run: /run/blog\n"
        "image: blog:latest\n"
        "template-dir: templates\n";
    const auto parsed = parse_config(text, ".procrun.yaml");
    REQUIRE(parsed.diagnostics.empty());
    const Settings& s = parsed.value;
    REQUIRE(s.procfile);
    CHECK(s.procfile->value == "Procfile.dev");
    CHECK(s.procfile->where.file == ".procrun.yaml");
    CHECK(s.procfile->where.line == 2);
    CHECK(s.procfile->where.column == 11);
    CHECK(s.root->value == "app");
    CHECK(s.env_files->value == std::vector<std::string>{".env", ".env.local"});
    CHECK(s.formation->value == "web=2,worker=1");
    CHECK(s.formation->where.line == 5);
    CHECK(s.formation->where.column == 12);
    CHECK(s.formation_sources.empty());
    CHECK(s.port->value == 3000);
    CHECK(s.timeout->value == 10);
    CHECK(s.strict->value);
    CHECK_FALSE(s.color->value);
    CHECK_FALSE(s.timestamp->value);
    CHECK(s.prefix->value);
    CHECK(s.quiet->value == std::vector<std::string>{"worker", "clock"});
    CHECK(s.app->value == "blog");
    CHECK(s.user->value == "deploy");
    CHECK(s.log->value == "/var/log/blog");
    CHECK(s.run->value == "/run/blog");
    CHECK(s.image->value == "blog:latest");
    CHECK(s.template_dir->value == "templates");
}

TEST_CASE("Config: formation as a mapping, and `concurrency`", "[config]") {
    const auto parsed = parse_config("concurrency:\n  web: 2\n  worker: 0\n", ".procrun.yaml");
    REQUIRE(parsed.diagnostics.empty());
    CHECK(parsed.value.formation->value == "web=2,worker=0");
    REQUIRE(parsed.value.formation_sources.size() == 2);
    const auto& worker = parsed.value.formation_sources.at("worker");
    CHECK(worker.where.line == 3);
    CHECK(worker.where.column == 3);
    CHECK(worker.source_line == "  worker: 0");

    const auto flow = parse_config("formation: {all: 1, web: 3}\n", ".procrun.yaml");
    REQUIRE(flow.diagnostics.empty());
    CHECK(flow.value.formation->value == "all=1,web=3");
    CHECK(flow.value.formation_sources.count("all") == 0);
}

TEST_CASE("Config: env given as one comma-separated string", "[config]") {
    const auto parsed = parse_config("env: .env, .env.test\n", ".procrun.yaml");
    REQUIRE(parsed.diagnostics.empty());
    CHECK(parsed.value.env_files->value == std::vector<std::string>{".env", ".env.test"});
}

TEST_CASE("Config: empty files and comment-only files set nothing", "[config]") {
    for (const char* text : {"", "# nothing\n", "---\n", "\n\n"}) {
        const auto parsed = parse_config(text, ".procrun.yaml");
        CHECK(parsed.diagnostics.empty());
        CHECK_FALSE(parsed.value.procfile);
        CHECK_FALSE(parsed.value.formation);
    }
}

TEST_CASE("Config errors are located", "[config]") {
    struct Case {
        std::string text;
        int line;
        int column;
        std::string code;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"port: 5000\nprocesses:\n  web: {}\n", 2, 1, "config/unknown-key",
         "unknown key 'processes'"},
        {"formaton: web=1\n", 1, 1, "config/unknown-key", "unknown key 'formaton'"},
        {"port: http\n", 1, 7, "config/wrong-type",
         "'port' must be a port number from 1 to 65535, found 'http'"},
        {"port: 70000\n", 1, 7, "config/wrong-type",
         "'port' must be a port number from 1 to 65535, found '70000'"},
        {"port:\n", 1, 1, "config/wrong-type",
         "'port' must be a port number from 1 to 65535, found nothing"},
        {"timeout: -1\n", 1, 10, "config/wrong-type",
         "'timeout' must be a number of seconds from 0 to 86400, found '-1'"},
        {"strict: maybe\n", 1, 9, "config/wrong-type",
         "'strict' must be true or false, found 'maybe'"},
        {"procfile: [a, b]\n", 1, 11, "config/wrong-type",
         "'procfile' must be a non-empty string, found a list"},
        {"root: {a: 1}\n", 1, 7, "config/wrong-type",
         "'root' must be a non-empty string, found a mapping"},
        {"env: [.env, [x]]\n", 1, 13, "config/wrong-type",
         "each item of 'env' must be a non-empty string"},
        {"env: a,,b\n", 1, 6, "config/wrong-type",
         "'env' must be a string or a list of strings (no empty items), found 'a,,b'"},
        {"formation: [web]\n", 1, 12, "config/wrong-type",
         "'formation' must be a spec like \"web=2,worker=1\" or a mapping like {web: 2}, found a "
         "list"},
        {"formation:\n  web: two\n", 2, 8, "formation/not-a-number",
         "count for 'web' must be a whole number from 0 to 10000, found 'two'"},
        {"formation:\n  web: -1\n", 2, 8, "formation/not-a-number",
         "count for 'web' must be a whole number from 0 to 10000, found '-1'"},
        {"formation:\n  w.b: 1\n", 2, 3, "formation/invalid-name",
         "'w.b' is not a process type name"},
        {"port: 1\nport: 2\n", 2, 1, "config/duplicate-key",
         "'port' is set twice (first on line 1)"},
        {"formation: web=1\nconcurrency: web=2\n", 2, 1, "config/duplicate-key",
         "'formation' and 'concurrency' are the same setting, already set on line 1"},
        {"- port\n", 1, 1, "config/not-a-mapping",
         "expected a mapping of settings (`key: value` lines)"},
        {"port: [1\n", 2, 1, "config/invalid-yaml", "invalid YAML: end of sequence flow not found"},
        {"port: 1\nroot: a: b\n", 2, 8, "config/invalid-yaml", "invalid YAML: illegal map value"},
        {",- a\n- b\n", 1, 1, "config/invalid-yaml", "invalid YAML: unexpected ','"},
        {"---\n]\n", 2, 1, "config/invalid-yaml", "invalid YAML: illegal flow end"},
        {"port: 1\n---\nport: 2\n", 2, 1, "config/multiple-documents",
         "the config file holds more than one YAML document"},
    };
    for (const auto& c : cases) {
        INFO("config:\n" << c.text);
        const auto parsed = parse_config(c.text, ".procrun.yaml");
        REQUIRE(parsed.diagnostics.size() == 1);
        const Diagnostic& d = parsed.diagnostics[0];
        CHECK(d.where.file == ".procrun.yaml");
        CHECK(d.where.line == c.line);
        CHECK(d.where.column == c.column);
        CHECK(d.code == c.code);
        CHECK(d.message == c.message);
        CHECK(d.source_line == std::string(line_at(c.text, c.line)));
    }
}

TEST_CASE("Config: unknown keys suggest the nearest one", "[config]") {
    const auto parsed = parse_config("formaton: web=1\n", ".procrun.yaml");
    REQUIRE(parsed.diagnostics.size() == 1);
    CHECK(parsed.diagnostics[0].hint == "did you mean 'formation'?");
    CHECK(parse_config("prot: 1\n", "c").diagnostics[0].hint == "did you mean 'port'?");
    const auto far = parse_config("xyzzy: 1\n", ".procrun.yaml");
    CHECK(far.diagnostics[0].hint.rfind("known keys: procfile, root, env, ", 0) == 0);
}

TEST_CASE("Config: every error in the file is reported", "[config]") {
    const auto parsed = parse_config("port: x\nfoo: 1\nstrict: 2\n", ".procrun.yaml");
    REQUIRE(parsed.diagnostics.size() == 3);
    CHECK(parsed.diagnostics[0].where.line == 1);
    CHECK(parsed.diagnostics[1].where.line == 2);
    CHECK(parsed.diagnostics[2].where.line == 3);
}

TEST_CASE("Config: foreman's .foreman", "[config]") {
    const auto parsed = parse_config(
        "concurrency: web=2,worker=1\nport: 5100\nenv: .env,.env.dev\ntemplate: tpl\napp: blog\n",
        ".foreman", ConfigDialect::foreman);
    REQUIRE(parsed.diagnostics.empty());
    CHECK(parsed.value.formation->value == "web=2,worker=1");
    CHECK(parsed.value.port->value == 5100);
    CHECK(parsed.value.env_files->value == std::vector<std::string>{".env", ".env.dev"});
    CHECK(parsed.value.template_dir->value == "tpl");
    CHECK(parsed.value.app->value == "blog");

    // procrun-only keys are unknown to foreman's dialect, and the reverse.
    const auto strict = parse_config("strict: true\n", ".foreman", ConfigDialect::foreman);
    REQUIRE(strict.diagnostics.size() == 1);
    CHECK(strict.diagnostics[0].message == "unknown key 'strict'");
    const auto tpl = parse_config("template: x\n", ".procrun.yaml");
    REQUIRE(tpl.diagnostics.size() == 1);
    CHECK(tpl.diagnostics[0].hint == "did you mean 'template-dir'?");
}

TEST_CASE("Settings::overlay: the command line wins over the config file", "[config]") {
    Settings config = parse_config("port: 3000\ntimeout: 9\nformation:\n  web: 2\n", "c").value;
    Settings cli;
    cli.port = Sourced<int>{4000, Location{"command line", 0, 0}};
    cli.strict = Sourced<bool>{true, Location{"command line", 0, 0}};
    config.overlay(cli);
    CHECK(config.port->value == 4000);
    CHECK(config.port->where.file == "command line");
    CHECK(config.timeout->value == 9);
    CHECK(config.strict->value);
    CHECK(config.formation->value == "web=2");
    CHECK(config.formation_sources.size() == 1);

    cli.formation = Sourced<std::string>{"worker=1", Location{"command line", 0, 0}};
    config.overlay(cli);
    CHECK(config.formation->value == "worker=1");
    CHECK(config.formation_sources.empty());
}
