#include "procrun/config.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

using namespace procrun;
using namespace std::chrono_literals;

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
    CHECK_FALSE(s.formation_map);
    CHECK(s.port->value == 3000);
    CHECK(s.timeout->value == 10s);
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
    CHECK_FALSE(parsed.value.formation);
    REQUIRE(parsed.value.formation_map);
    const Formation& f = parsed.value.formation_map->value;
    CHECK(f.counts == std::map<std::string, int>{{"web", 2}, {"worker", 0}});
    CHECK_FALSE(f.all);
    REQUIRE(f.sources.size() == 2);
    const auto& worker = f.sources.at("worker");
    CHECK(worker.where.line == 3);
    CHECK(worker.where.column == 3);
    CHECK(worker.source_line == "  worker: 0");

    const auto flow = parse_config("formation: {all: 1, web: 3}\n", ".procrun.yaml");
    REQUIRE(flow.diagnostics.empty());
    REQUIRE(flow.value.formation_map);
    CHECK(flow.value.formation_map->value.all == 1);
    CHECK(flow.value.formation_map->value.counts == std::map<std::string, int>{{"web", 3}});
    CHECK(flow.value.formation_map->value.sources.count("all") == 0);
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
        {"formaton: web=1\n", 1, 1, "config/unknown-key", "unknown key 'formaton'"},
        {"port: http\n", 1, 7, "config/wrong-type",
         "'port' must be a port number from 1 to 65535, found 'http'"},
        {"port: 70000\n", 1, 7, "config/wrong-type",
         "'port' must be a port number from 1 to 65535, found '70000'"},
        {"port:\n", 1, 1, "config/wrong-type",
         "'port' must be a port number from 1 to 65535, found nothing"},
        {"timeout: -1\n", 1, 10, "config/wrong-type",
         "'timeout' must be a duration like 500ms, 2s or 1m, or a number of seconds (at most "
         "24h), found '-1'"},
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
    CHECK(config.timeout->value == 9s);
    CHECK(config.strict->value);
    REQUIRE(config.formation_map);
    CHECK(config.formation_map->value.counts == std::map<std::string, int>{{"web", 2}});
    CHECK(config.formation_map->value.sources.size() == 1);

    cli.formation = Sourced<std::string>{"worker=1", Location{"command line", 0, 0}};
    config.overlay(cli);
    CHECK(config.formation->value == "worker=1");
    CHECK_FALSE(config.formation_map);
}

TEST_CASE("Config: one key table, two dialects", "[config]") {
    // processes: is procrun's only.
    const auto foreman =
        parse_config("processes:\n  web: {}\n", ".foreman", ConfigDialect::foreman);
    REQUIRE(foreman.diagnostics.size() == 1);
    CHECK(foreman.diagnostics[0].message == "unknown key 'processes'");
    CHECK(foreman.diagnostics[0].hint.rfind("known keys: procfile, root, env, formation, ", 0) ==
          0);
    CHECK(foreman.diagnostics[0].hint.find("template-dir") == std::string::npos);
    const auto dir = parse_config("template-dir: x\n", ".foreman", ConfigDialect::foreman);
    REQUIRE(dir.diagnostics.size() == 1);
    CHECK(dir.diagnostics[0].hint == "did you mean 'template'?");
    const auto far = parse_config("xyzzy: 1\n", ".procrun.yaml");
    CHECK(far.diagnostics[0].hint.find(", template-dir, processes") != std::string::npos);
    CHECK(far.diagnostics[0].hint.find("template,") == std::string::npos);
}

TEST_CASE("Config: --restart values", "[config]") {
    CHECK(parse_restart_policy("no") == RestartPolicy::no);
    CHECK(parse_restart_policy("on-failure") == RestartPolicy::on_failure);
    CHECK(parse_restart_policy("always") == RestartPolicy::always);
    CHECK_FALSE(parse_restart_policy("on_failure"));
    CHECK(parse_restart_override("always") == RestartOverride{"", RestartPolicy::always});
    CHECK(parse_restart_override("web=on-failure") ==
          RestartOverride{"web", RestartPolicy::on_failure});
    for (const char* bad : {"", "=always", "web=", "web=sometimes", "w.b=no", "web=no=no"}) {
        INFO(bad);
        CHECK_FALSE(parse_restart_override(bad));
    }
}

TEST_CASE("Config: nearest_name", "[config]") {
    const std::vector<std::string> names = {"web", "worker", "db"};
    CHECK(nearest_name("wbe", names) == "web");
    CHECK(nearest_name("wrker", names) == "worker");
    CHECK(nearest_name("dbb", names) == "db");
    CHECK(nearest_name("x", names).empty());
    CHECK(nearest_name("scheduler", names).empty());
    CHECK(nearest_name(std::string(1000, 'w'), names).empty());
}

TEST_CASE("Config: processes, every key", "[config]") {
    const std::string text =
        "processes:\n"
        "  web:\n"
        "    restart: on-failure\n"
        "    backoff: {initial: 500ms, max: 1m, multiplier: 1.5, reset_after: 20}\n"
        "    max_restarts: 5\n"
        "    on_exhausted: give-up\n"
        "    can_die: true\n"
        "    exit_with: no\n"
        "    stop_signal: QUIT\n"
        "    stop_timeout: 2.5\n"
        "    pty: yes\n"
        "    depends_on: [db, migrate]\n"
        "    readiness:\n"
        "      http: {path: /health, port: 8080, host: localhost}\n"
        "      initial_delay: 1s\n"
        "      interval: 250ms\n"
        "      timeout: 2s\n"
        "      retries: 10\n"
        "  db:\n"
        "    readiness:\n"
        "      tcp: true\n"
        "  migrate:\n"
        "    restart: \"no\"\n"
        "    depends_on: {db: ready}\n";
    const auto parsed = parse_config(text, ".procrun.yaml");
    REQUIRE(parsed.diagnostics.empty());
    const auto& p = parsed.value.processes;
    REQUIRE(p.size() == 3);
    const Lifecycle& web = p.at("web").value;
    CHECK(p.at("web").where.line == 2);
    CHECK(p.at("web").where.column == 3);
    CHECK(p.at("web").where.file == ".procrun.yaml");
    CHECK(web.restart == RestartPolicy::on_failure);
    CHECK(web.backoff == Backoff{500ms, 60s, 1.5, 20s});
    CHECK(web.max_restarts == 5);
    CHECK(web.on_exhausted == OnExhausted::give_up);
    CHECK(web.can_die);
    CHECK_FALSE(web.exit_with);
    CHECK(web.stop_signal == SIGQUIT);
    CHECK(web.stop_timeout == 2500ms);
    CHECK(web.pty);
    REQUIRE(web.depends_on.size() == 2);
    CHECK(web.depends_on[0].type == "db");
    CHECK(web.depends_on[0].condition == DependencyCondition::started);
    CHECK(web.depends_on[0].where.line == 12);
    CHECK(web.depends_on[0].where.column == 18);
    CHECK(web.depends_on[1].type == "migrate");
    CHECK(web.depends_on[1].where.column == 22);
    const Readiness& r = web.readiness;
    CHECK(r.kind == ProbeKind::http);
    CHECK(r.path == "/health");
    CHECK(r.port == 8080);
    CHECK(r.host == "localhost");
    CHECK(r.initial_delay == 1s);
    CHECK(r.interval == 250ms);
    CHECK(r.timeout == 2s);
    CHECK(r.retries == 10);
    CHECK(r.where.line == 14);
    CHECK(r.where.column == 7);

    const Lifecycle& db = p.at("db").value;
    CHECK(db.readiness.kind == ProbeKind::tcp);
    CHECK(db.readiness.port == 0);
    CHECK(db.readiness.host == "127.0.0.1");
    CHECK(db.readiness.retries == 60);
    CHECK(db.restart == RestartPolicy::no);
    Lifecycle only_readiness;
    only_readiness.readiness = db.readiness;
    CHECK(db == only_readiness);

    const Lifecycle& migrate = p.at("migrate").value;
    CHECK(migrate.restart == RestartPolicy::no);
    REQUIRE(migrate.depends_on.size() == 1);
    CHECK(migrate.depends_on[0].condition == DependencyCondition::ready);
    CHECK(migrate.depends_on[0].where.line == 24);
}

TEST_CASE("Config: processes, the other forms of each value", "[config]") {
    auto one = [](const std::string& settings) {
        const auto parsed = parse_config("processes:\n  web: " + settings + "\n", "c");
        INFO(settings);
        REQUIRE(parsed.diagnostics.empty());
        return parsed.value.processes.at("web").value;
    };
    CHECK(one("{}") == Lifecycle{});
    CHECK(one("{restart: always}").restart == RestartPolicy::always);
    CHECK(one("{on_exhausted: stop-all}").on_exhausted == OnExhausted::stop_all);
    CHECK(one("{stop_signal: SIGINT}").stop_signal == SIGINT);
    CHECK(one("{stop_signal: hup}").stop_signal == SIGHUP);
    CHECK(one("{stop_signal: 10}").stop_signal == 10);
    CHECK(one("{stop_timeout: 0}").stop_timeout == 0ms);
    CHECK(one("{max_restarts: 0}").max_restarts == 0);
    CHECK(one("{backoff: {multiplier: 1}}").backoff == Backoff{1s, 30s, 1.0, 10s});
    CHECK(one("{depends_on: db}").depends_on.at(0).type == "db");
    CHECK(one("{depends_on: []}").depends_on.empty());
    const auto deps = one("{depends_on: {a: started, b: completed_successfully}}").depends_on;
    REQUIRE(deps.size() == 2);
    CHECK(deps[1].condition == DependencyCondition::completed_successfully);

    const auto tcp_port = one("{readiness: {tcp: 5432}}").readiness;
    CHECK(tcp_port.kind == ProbeKind::tcp);
    CHECK(tcp_port.port == 5432);
    CHECK(tcp_port.host == "127.0.0.1");
    const auto tcp_host = one("{readiness: {tcp: \"db.local:6379\"}}").readiness;
    CHECK(tcp_host.host == "db.local");
    CHECK(tcp_host.port == 6379);
    const auto tcp_v6 = one("{readiness: {tcp: \"[::1]:80\"}}").readiness;
    CHECK(tcp_v6.host == "::1");
    CHECK(tcp_v6.port == 80);
    const auto http = one("{readiness: {http: /up}}").readiness;
    CHECK(http.kind == ProbeKind::http);
    CHECK(http.path == "/up");
    CHECK(http.port == 0);
    const auto log = one("{readiness: {log: \"Listening on .*:[0-9]+\"}}").readiness;
    CHECK(log.kind == ProbeKind::log);
    CHECK(log.pattern == "Listening on .*:[0-9]+");
    const auto exec = one("{readiness: {exec: pg_isready -q, retries: 1}}").readiness;
    CHECK(exec.kind == ProbeKind::exec);
    CHECK(exec.command == "pg_isready -q");
    CHECK(exec.retries == 1);

    const auto live = one("{liveness: {http: /health, period: 5s, failure_threshold: 2}}").liveness;
    CHECK(live.kind == ProbeKind::http);
    CHECK(live.path == "/health");
    CHECK(live.period == 5s);
    CHECK(live.timeout == 1s);
    CHECK(live.failure_threshold == 2);
    CHECK(live.where.line == 2);
    const auto live_tcp = one("{liveness: {tcp: 6379, initial_delay: 2s, timeout: 3s}}").liveness;
    CHECK(live_tcp.kind == ProbeKind::tcp);
    CHECK(live_tcp.port == 6379);
    CHECK(live_tcp.initial_delay == 2s);
    CHECK(live_tcp.timeout == 3s);
    CHECK(live_tcp.period == 10s);
    CHECK(live_tcp.failure_threshold == 3);
    const auto live_exec = one("{liveness: {exec: redis-cli ping}}").liveness;
    CHECK(live_exec.command == "redis-cli ping");
    const Readiness attempt = live_exec.attempt();
    CHECK(attempt.kind == ProbeKind::exec);
    CHECK(attempt.retries == 1);
    CHECK(attempt.command == "redis-cli ping");
    CHECK(one("{}").liveness.kind == ProbeKind::none);
    CHECK(one("{stop_command: redis-cli shutdown}").stop_command == "redis-cli shutdown");
    CHECK(one("{}").stop_command.empty());
}

TEST_CASE("Config: processes errors are located and explained", "[config]") {
    struct Case {
        std::string settings;  // under "  web:\n", indented by 4
        int line;
        int column;
        std::string code;
        std::string message;
        std::string hint;
    };
    const std::vector<Case> cases = {
        {"restrat: always", 3, 5, "config/unknown-key",
         "unknown key 'restrat' for process type 'web'", "did you mean 'restart'?"},
        {"restart: on_failure", 3, 14, "config/wrong-type",
         "'restart' must be one of no, on-failure or always, found 'on_failure'",
         "did you mean 'on-failure'?"},
        {"restart: sometimes", 3, 14, "config/wrong-type",
         "'restart' must be one of no, on-failure or always, found 'sometimes'", ""},
        {"restart: always\n    restart: no", 4, 5, "config/duplicate-key",
         "'restart' is set twice for process type 'web' (first on line 3)", ""},
        {"on_exhausted: stop_all", 3, 19, "config/wrong-type",
         "'on_exhausted' must be one of stop-all or give-up, found 'stop_all'",
         "did you mean 'stop-all'?"},
        {"max_restarts: -1", 3, 19, "config/wrong-type",
         "'max_restarts' must be a whole number from 0 to 1000000 (leave it out for no limit), "
         "found '-1'",
         ""},
        {"can_die: sometimes", 3, 14, "config/wrong-type",
         "'can_die' must be true or false, found 'sometimes'", ""},
        {"pty:", 3, 5, "config/wrong-type", "'pty' must be true or false, found nothing", ""},
        {"stop_signal: TREM", 3, 18, "config/wrong-type",
         "'stop_signal' must be a signal name (TERM, SIGQUIT, INT, ...) or number (1-64), found "
         "'TREM'",
         "did you mean 'TERM'?"},
        {"stop_signal: 0", 3, 18, "config/wrong-type",
         "'stop_signal' must be a signal name (TERM, SIGQUIT, INT, ...) or number (1-64), found "
         "'0'",
         ""},
        {"stop_timeout: -1s", 3, 19, "config/wrong-type",
         "'stop_timeout' must be a duration like 500ms, 2s or 1m, or a number of seconds (at "
         "most 24h), found '-1s'",
         "a duration cannot be negative"},
        {"stop_timeout: soon", 3, 19, "config/wrong-type",
         "'stop_timeout' must be a duration like 500ms, 2s or 1m, or a number of seconds (at "
         "most 24h), found 'soon'",
         ""},
        {"backoff: 2s", 3, 14, "config/wrong-type",
         "'backoff' must be a mapping like {initial: 1s, max: 30s, multiplier: 2, reset_after: "
         "10s}, found '2s'",
         ""},
        {"backoff: {intial: 2s}", 3, 15, "config/unknown-key", "unknown key 'intial' in backoff",
         "did you mean 'initial'?"},
        {"backoff: {multiplier: 0.5}", 3, 27, "config/wrong-type",
         "'multiplier' must be a number from 1 to 100, found '0.5'",
         "1 keeps the delay at 'initial'"},
        {"backoff: {initial: 1m}", 3, 5, "config/backoff-range",
         "backoff 'initial' (1m) is more than 'max' (30s)",
         "raise 'max' or lower 'initial' (the defaults are 1s and 30s)"},
        {"depends_on: [db, db]", 3, 22, "config/duplicate-key",
         "'db' is named twice in depends_on (first on line 3)", ""},
        {"depends_on: [d.b]", 3, 18, "config/invalid-name", "'d.b' is not a process type name",
         "depends_on names process types: letters, digits, '_' and '-'"},
        {"depends_on: [{db: ready}]", 3, 18, "config/wrong-type",
         "each item of 'depends_on' must be a process type name",
         "to wait for a condition, make depends_on a mapping: {db: ready}"},
        {"depends_on: {db: redy}", 3, 22, "config/wrong-type",
         "the condition for 'db' must be one of started, ready or completed_successfully, found "
         "'redy'",
         "did you mean 'ready'?"},
        {"depends_on:", 3, 5, "config/wrong-type",
         "'depends_on' must be a list of process types, or a mapping of process types to "
         "started, ready or completed_successfully, found nothing",
         ""},
        {"readiness: tcp", 3, 16, "config/wrong-type",
         "'readiness' must be a mapping with one probe (tcp, http, log or exec) and its timing, "
         "found 'tcp'",
         ""},
        {"readiness: {interval: 1s}", 3, 5, "config/readiness-no-probe",
         "readiness needs a probe: one of tcp, http, log or exec",
         "for example `tcp: true` (the instance's $PORT accepts connections) or `http: /health`"},
        {"readiness: {tcp: true, http: /}", 3, 28, "config/readiness-probes",
         "readiness takes one probe, and 'tcp' is already set on line 3",
         "keep one of tcp, http, log and exec; exec can run a command that checks several "
         "things"},
        {"readiness: {tpc: true}", 3, 17, "config/unknown-key", "unknown key 'tpc' in readiness",
         "did you mean 'tcp'?"},
        {"readiness: {tcp: false}", 3, 22, "config/wrong-type",
         "'tcp' must be true (the instance's $PORT), a port number or \"host:port\", found "
         "'false'",
         "to probe nothing, remove readiness"},
        {"readiness: {tcp: \"db:99999\"}", 3, 22, "config/wrong-type",
         "'tcp' must be true (the instance's $PORT), a port number or \"host:port\", found "
         "'db:99999'",
         ""},
        {"readiness: {http: health}", 3, 23, "config/wrong-type",
         "'http' must be a path like /health, or a mapping like {path: /health, port: 8080}, "
         "found 'health'",
         ""},
        {"readiness: {http: {path: /x, prot: 1}}", 3, 34, "config/unknown-key",
         "unknown key 'prot' in readiness http", "did you mean 'port'?"},
        {"readiness: {http: {port: 0}}", 3, 30, "config/wrong-type",
         "'port' must be a port number from 1 to 65535, found '0'", ""},
        {"readiness: {log: \"(unclosed\"}", 3, 22, "config/invalid-regex",
         "'log' is not a valid regular expression: Unmatched marking parenthesis ( or \\(",
         "the pattern is an ECMAScript regular expression searched in each line; put a backslash "
         "before ( ) [ ] { } . * + ? | ^ $ \\ to match it literally"},
        {"readiness: {exec: \"\"}", 3, 23, "config/wrong-type",
         "'exec' must be a shell command, like pg_isready -q, found ''", ""},
        {"readiness: {tcp: true, interval: 0s}", 3, 38, "config/wrong-type",
         "'interval' must be a duration above 0, like 500ms or 1s, found '0s'", ""},
        {"readiness: {tcp: true, timeout: -2}", 3, 37, "config/wrong-type",
         "'timeout' must be a duration like 500ms, 2s or 1m, or a number of seconds (at most "
         "24h), found '-2'",
         "a duration cannot be negative"},
        {"readiness: {tcp: true, retries: 0}", 3, 37, "config/wrong-type",
         "'retries' must be a whole number of attempts from 1 to 1000000, found '0'", ""},
        {"liveness: {log: ready}", 3, 16, "config/liveness-log",
         "liveness cannot be a log probe: output says nothing about whether a running process "
         "still answers",
         "probe what the process serves: tcp (its port accepts connections), http (/health "
         "answers) or exec (a command that checks it)"},
        {"liveness: {period: 5s}", 3, 5, "config/liveness-no-probe",
         "liveness needs a probe: one of tcp, http or exec",
         "for example `tcp: true` (the instance's $PORT accepts connections) or `http: /health`"},
        {"liveness: {tcp: true, exec: x}", 3, 27, "config/liveness-probes",
         "liveness takes one probe, and 'tcp' is already set on line 3",
         "keep one of tcp, http and exec; exec can run a command that checks several things"},
        {"liveness: {tcp: true, interval: 1s}", 3, 27, "config/unknown-key",
         "unknown key 'interval' in liveness",
         "known keys: tcp, http, log, exec, initial_delay, period, timeout, failure_threshold"},
        {"liveness: {tcp: true, period: 0s}", 3, 35, "config/wrong-type",
         "'period' must be a duration above 0, like 500ms or 1s, found '0s'", ""},
        {"liveness: {tcp: true, failure_threshold: 0}", 3, 46, "config/wrong-type",
         "'failure_threshold' must be a whole number of failed attempts from 1 to 1000000, "
         "found '0'",
         ""},
        {"liveness: http", 3, 15, "config/wrong-type",
         "'liveness' must be a mapping with one probe (tcp, http or exec) and its timing, found "
         "'http'",
         ""},
        {"stop_command: \"\"", 3, 19, "config/wrong-type",
         "'stop_command' must be a shell command, like redis-cli shutdown, found ''",
         "leave stop_command out to send stop_signal"},
        {"stop_command: [a]", 3, 19, "config/wrong-type",
         "'stop_command' must be a shell command, like redis-cli shutdown, found a list",
         "leave stop_command out to send stop_signal"},
    };
    for (const auto& c : cases) {
        const std::string text = "processes:\n  web:\n    " + c.settings + "\n";
        INFO("config:\n" << text);
        const auto parsed = parse_config(text, ".procrun.yaml");
        REQUIRE(parsed.diagnostics.size() == 1);
        const Diagnostic& d = parsed.diagnostics[0];
        CHECK(d.where.file == ".procrun.yaml");
        CHECK(d.where.line == c.line);
        CHECK(d.where.column == c.column);
        CHECK(d.code == c.code);
        CHECK(d.message == c.message);
        CHECK(d.hint == c.hint);
        CHECK(d.source_line == std::string(line_at(text, c.line)));
    }
}

TEST_CASE("Config: the processes mapping itself", "[config]") {
    const auto list = parse_config("processes: [web]\n", "c");
    REQUIRE(list.diagnostics.size() == 1);
    CHECK(list.diagnostics[0].message ==
          "'processes' must be a mapping of process types to their settings, found a list");

    // A type with no settings: usually a mis-indented key.
    const auto null = parse_config("processes:\n  web:\n  restart: always\n", "c");
    REQUIRE(null.diagnostics.size() == 2);
    CHECK(null.diagnostics[0].message ==
          "'web' must be a mapping of settings, like {restart: on-failure}, found nothing");
    CHECK(null.diagnostics[0].where.line == 2);
    CHECK(null.diagnostics[1].message ==
          "'restart' must be a mapping of settings, like {restart: on-failure}, found 'always'");

    const auto twice = parse_config("processes:\n  web: {}\n  web: {pty: true}\n", "c");
    REQUIRE(twice.diagnostics.size() == 1);
    CHECK(twice.diagnostics[0].message ==
          "process type 'web' is set twice in processes (first on line 2)");
    CHECK(twice.diagnostics[0].where.line == 3);

    const auto bad = parse_config("processes:\n  w.b: {}\n", "c");
    REQUIRE(bad.diagnostics.size() == 1);
    CHECK(bad.diagnostics[0].code == "config/invalid-name");

    // Every error of every type is reported, and the types are still kept (so
    // the plan can check their names).
    const auto many = parse_config(
        "processes:\n  web: {restart: x, pty: maybe}\n  wrker: {stop_signal: NOPE}\n", "c");
    CHECK(many.diagnostics.size() == 3);
    CHECK(many.value.processes.size() == 2);
}

TEST_CASE("Settings::overlay: processes and the shorthands", "[config]") {
    Settings config =
        parse_config("processes:\n  web: {restart: always}\n  db: {pty: true}\n", "c").value;
    Settings cli;
    const Location command_line{"command line", 0, 0};
    cli.can_die = Sourced<std::vector<std::string>>{{"worker"}, command_line};
    cli.restart = Sourced<std::vector<RestartOverride>>{
        {RestartOverride{"", RestartPolicy::on_failure}}, command_line};
    cli.pty = Sourced<bool>{true, command_line};
    Lifecycle replaced;
    replaced.exit_with = true;
    cli.processes["db"] = Sourced<Lifecycle>{replaced, command_line};
    config.overlay(cli);
    CHECK(config.processes.at("web").value.restart == RestartPolicy::always);
    CHECK(config.processes.at("db").value == replaced);
    CHECK(config.can_die->value == std::vector<std::string>{"worker"});
    CHECK(config.restart->value.at(0).policy == RestartPolicy::on_failure);
    CHECK(config.pty->value);
    CHECK_FALSE(config.exit_with);

    Settings empty;
    config.overlay(empty);
    CHECK(config.processes.size() == 2);
    CHECK(config.can_die);
}

TEST_CASE("Config: timeout takes a duration", "[config]") {
    CHECK(parse_config("timeout: 0.5\n", "c").value.timeout->value == 500ms);
    CHECK(parse_config("timeout: 2m\n", "c").value.timeout->value == 120s);
    CHECK(parse_config("timeout: 0\n", "c").value.timeout->value == 0ms);
    CHECK(
        parse_config("timeout: 250ms\n", ".foreman", ConfigDialect::foreman).value.timeout->value ==
        250ms);
    const auto bad = parse_config("timeout: 25h\n", "c");
    REQUIRE(bad.diagnostics.size() == 1);
    CHECK(bad.diagnostics[0].code == "config/wrong-type");
    CHECK_FALSE(bad.value.timeout);
}

TEST_CASE("Config: a stop_signal that cannot stop a process is an error", "[config]") {
    struct Case {
        std::string value;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"STOP",
         "'stop_signal' SIGSTOP cannot stop a process: it suspends the process, which cannot "
         "handle it, instead of ending it"},
        {"SIGTSTP",
         "'stop_signal' SIGTSTP cannot stop a process: it suspends the process instead "
         "of ending it"},
        {"ttin",
         "'stop_signal' SIGTTIN cannot stop a process: it suspends the process instead of "
         "ending it"},
        {"TTOU",
         "'stop_signal' SIGTTOU cannot stop a process: it suspends the process instead of "
         "ending it"},
        {"CONT",
         "'stop_signal' SIGCONT cannot stop a process: it resumes a suspended process "
         "and does nothing else"},
        {"CHLD",
         "'stop_signal' SIGCHLD cannot stop a process: a process ignores it unless it "
         "handles it"},
        {"URG",
         "'stop_signal' SIGURG cannot stop a process: a process ignores it unless it "
         "handles it"},
        {"WINCH",
         "'stop_signal' SIGWINCH cannot stop a process: a process ignores it unless it "
         "handles it"},
        {std::to_string(SIGSTOP),
         "'stop_signal' SIGSTOP cannot stop a process: it suspends the "
         "process, which cannot handle it, instead of ending it"},
    };
    for (const auto& c : cases) {
        const std::string text = "processes:\n  web:\n    stop_signal: " + c.value + "\n";
        INFO(text);
        const auto parsed = parse_config(text, ".procrun.yaml");
        REQUIRE(parsed.diagnostics.size() == 1);
        const Diagnostic& d = parsed.diagnostics[0];
        CHECK(d.severity == Severity::error);
        CHECK(d.code == "config/stop-signal");
        CHECK(d.where.line == 3);
        CHECK(d.where.column == 18);
        CHECK(d.message == c.message);
        CHECK(d.hint ==
              "use a signal the process can handle to clean up and exit: TERM (the default), "
              "INT, QUIT or HUP");
        CHECK(d.source_line == "    stop_signal: " + c.value);
        CHECK(parsed.value.processes.at("web").value.stop_signal == SIGTERM);
    }
}

TEST_CASE("Config: stop_signal KILL is taken with a warning", "[config]") {
    for (const char* kill : {"KILL", "SIGKILL", "9"}) {
        const std::string text = std::string("processes:\n  web: {stop_signal: ") + kill + "}\n";
        INFO(text);
        const auto parsed = parse_config(text, ".procrun.yaml");
        REQUIRE(parsed.diagnostics.size() == 1);
        const Diagnostic& d = parsed.diagnostics[0];
        CHECK(d.severity == Severity::warning);
        CHECK(d.code == "config/stop-signal-kill");
        CHECK(d.where.line == 2);
        CHECK(d.where.column == 22);
        CHECK(d.message ==
              "'stop_signal' SIGKILL cannot be handled: the process gets no chance to stop "
              "gracefully");
        CHECK(d.hint.find("TERM (the default)") != std::string::npos);
        CHECK(parsed.ok());
        CHECK(parsed.value.processes.at("web").value.stop_signal == SIGKILL);
    }
    // Signals that end a process by default are taken silently.
    for (const char* fine : {"TERM", "INT", "QUIT", "HUP", "USR1", "USR2", "ALRM", "POLL", "40"}) {
        const auto parsed =
            parse_config(std::string("processes:\n  web: {stop_signal: ") + fine + "}\n", "c");
        INFO(fine);
        CHECK(parsed.diagnostics.empty());
    }
}

TEST_CASE("Config: one walk for every mapping: keys that are not plain names", "[config]") {
    struct Case {
        std::string text;
        int line;
        int column;
        std::string message;
        std::string hint_start;
    };
    const std::vector<Case> cases = {
        {"[a]: 1\n", 1, 1, "a key must be a plain name", "known keys: procfile, root, "},
        {"processes:\n  web:\n    [a]: 1\n", 3, 5,
         "a key for process type 'web' must be a plain name", "known keys: restart, backoff, "},
        {"processes:\n  web:\n    backoff: {[a]: 1}\n", 3, 15,
         "a key in backoff must be a plain name",
         "known keys: initial, max, multiplier, reset_after"},
        {"processes:\n  web:\n    readiness: {{a: 1}: 1}\n", 3, 17,
         "a key in readiness must be a plain name", "known keys: tcp, http, log, exec, "},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const auto parsed = parse_config(c.text, ".procrun.yaml");
        REQUIRE(parsed.diagnostics.size() >= 1);
        const Diagnostic& d = parsed.diagnostics[0];
        CHECK(d.code == "config/invalid-key");
        CHECK(d.where.line == c.line);
        CHECK(d.where.column == c.column);
        CHECK(d.message == c.message);
        CHECK(d.hint.rfind(c.hint_start, 0) == 0);
    }
}

TEST_CASE("Config: one walk for every mapping: names given twice", "[config]") {
    const auto formation = parse_config("formation:\n  web: 1\n  web: 2\n", "c");
    REQUIRE(formation.diagnostics.size() == 1);
    CHECK(formation.diagnostics[0].code == "formation/duplicate-name");
    CHECK(formation.diagnostics[0].message ==
          "'web' is given twice in the formation (first on line 2)");
    CHECK(formation.diagnostics[0].hint == "give each process type once");
    CHECK(formation.diagnostics[0].where.line == 3);
    CHECK_FALSE(formation.value.formation);

    const auto alias = parse_config("concurrency: web=1\nformation: web=2\n", "c");
    REQUIRE(alias.diagnostics.size() == 1);
    CHECK(alias.diagnostics[0].message ==
          "'formation' and 'concurrency' are the same setting, already set on line 1");

    const auto backoff = parse_config(
        "processes:\n  web:\n    backoff:\n      max: 1m\n      max: 2m\n", ".procrun.yaml");
    REQUIRE(backoff.diagnostics.size() == 1);
    CHECK(backoff.diagnostics[0].message == "'max' is set twice in backoff (first on line 4)");
    CHECK(backoff.diagnostics[0].where.line == 5);
    CHECK(backoff.diagnostics[0].where.column == 7);
}

TEST_CASE("Config: deep nesting is a located error, not a crash", "[config]") {
    for (const std::string open : {"[", "{", "{a: ", "- "}) {
        // "- - - x" nests block lists on one line.
        std::string text = open == "- " ? "port:\n" : "port: ";
        for (int i = 0; i < 100000; ++i)
            text += open;
        INFO(open);
        const auto parsed = parse_config(text, ".procrun.yaml");
        REQUIRE(parsed.diagnostics.size() == 1);
        const Diagnostic& d = parsed.diagnostics[0];
        CHECK(d.message == "invalid YAML: nesting deeper than 64 levels");
        CHECK(d.where.line >= 1);
        CHECK(d.where.column >= 1);
        CHECK(d.hint.find("unclosed") != std::string::npos);
    }
    // 60 levels, closed, is only a wrong value.
    const auto deep = parse_config("port: " + std::string(60, '[') + std::string(60, ']') + "\n",
                                   ".procrun.yaml");
    REQUIRE(deep.diagnostics.size() == 1);
    CHECK(deep.diagnostics[0].code == "config/wrong-type");
}

TEST_CASE("Config: the nesting limit counts from the document", "[config]") {
    const int limit = 64;
    auto nested = [](int levels) {
        return "a: " + std::string(static_cast<std::size_t>(levels - 1), '[') +
               std::string(static_cast<std::size_t>(levels - 1), ']') + "\n";
    };
    const auto at = parse_config(nested(limit), "c");
    REQUIRE(at.diagnostics.size() == 1);
    CHECK(at.diagnostics[0].code == "config/unknown-key");
    const auto over = parse_config(nested(limit + 1), "c");
    REQUIRE(over.diagnostics.size() == 1);
    CHECK(over.diagnostics[0].code == "config/too-deep");
    CHECK(over.diagnostics[0].where.column == 3 + limit);
}

TEST_CASE("Config: a huge value is not copied into the message", "[config]") {
    const std::string huge(1 << 20, 'x');
    for (const std::string& text :
         {"port: " + huge + "\n", huge + ": 1\n", "processes:\n  " + huge + ": {}\n",
          "processes:\n  web: {restart: " + huge + "}\n", "formation: {web: " + huge + "}\n"}) {
        const auto parsed = parse_config(text, ".procrun.yaml");
        REQUIRE(parsed.diagnostics.size() >= 1);
        for (const auto& d : parsed.diagnostics) {
            INFO(d.message.substr(0, 200));
            CHECK(d.message.size() < 300);
            CHECK(d.hint.size() < 300);
        }
    }
    const auto port = parse_config("port: " + huge + "\n", "c");
    CHECK(port.diagnostics[0].message == "'port' must be a port number from 1 to 65535, found '" +
                                             std::string(57, 'x') + "...' (1048576 bytes)");
}

TEST_CASE("Config: a flood of errors stops at 100, with bounded copies of the line", "[config]") {
    // 20,000 unknown keys on one line of about 250 kB.
    std::string text = "{";
    for (int i = 0; i < 20000; ++i)
        text += "k" + std::to_string(i) + ": 1, ";
    text += "port: 1}\n";
    const auto parsed = parse_config(text, ".procrun.yaml");
    REQUIRE(parsed.diagnostics.size() == 101);
    CHECK(parsed.diagnostics[0].source_line.size() == text.size() - 1);
    std::size_t copied = 0;
    for (const auto& d : parsed.diagnostics)
        copied += d.source_line.size();
    CHECK(copied <= text.size() + (1U << 20));
    CHECK(parsed.diagnostics.back().code == "config/too-many-errors");
    CHECK(parsed.diagnostics.back().message == "too many problems; the first 100 are shown");
    CHECK(parsed.value.port->value == 1);
}

TEST_CASE("Config: `interactive` on one process type, on two, an error at the second",
          "[config][interactive]") {
    const auto one = parse_config("processes:\n  web: {interactive: true}\n  worker: {}\n", "c");
    REQUIRE(one.diagnostics.empty());
    CHECK(one.value.processes.at("web").value.interactive);
    CHECK_FALSE(one.value.processes.at("worker").value.interactive);
    const auto text = std::string(
        "processes:\n  web:\n    interactive: true\n  worker:\n    interactive: true\n");
    const auto two = parse_config(text, "c");
    REQUIRE(two.diagnostics.size() == 1);
    const Diagnostic& d = two.diagnostics[0];
    CHECK(d.code == "config/interactive-twice");
    CHECK(d.where.line == 5);
    CHECK(d.where.column == 18);
    CHECK(d.message ==
          "process types 'web' and 'worker' are both interactive: only one process can read "
          "procrun's terminal");
    CHECK(d.hint.find("--interactive NAME") != std::string::npos);
    const auto bad = parse_config("processes:\n  web: {interactive: maybe}\n", "c");
    REQUIRE(bad.diagnostics.size() == 1);
    CHECK(bad.diagnostics[0].message == "'interactive' must be true or false, found 'maybe'");
}
