// Exports checked by the real tools: supervisord and runit run the processes;
// systemd-analyze verifies the units; plistlib, yaml-cpp and the Kubernetes
// schemas read the rest back. Hostile values (quotes, $, %, backslashes, ';',
// '&&', '#', '=', newlines) must come out unchanged everywhere.

#include <signal.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include "export_support.hpp"
#include "skip.hpp"

namespace {

using namespace procrun::test;
using namespace procrun::test::exporting;
using namespace std::chrono_literals;

fs::path support_dir() {
    return source_dir() / "tests/support/export";
}

// ---- supervisord ----------------------------------------------------------

struct Supervisord {
    fs::path conf;
    std::unique_ptr<Child> daemon;

    // Writes a supervisord.conf in `dir` (unix socket, logs and pid file in
    // `dir`, no TCP) including `include`, and starts `supervisord -n`.
    Supervisord(const fs::path& dir, const fs::path& include) : conf(dir / "supervisord.conf") {
        std::ofstream(conf) << "[unix_http_server]\nfile=" << (dir / "supervisor.sock").string()
                            << "\n\n[supervisord]\nlogfile=" << (dir / "supervisord.log").string()
                            << "\npidfile=" << (dir / "supervisord.pid").string()
                            << "\nchildlogdir=" << dir.string()
                            << "\n\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
                               "supervisor.rpcinterface:make_main_rpcinterface\n\n"
                               "[supervisorctl]\nserverurl=unix://"
                            << (dir / "supervisor.sock").string()
                            << "\n\n[include]\nfiles = " << include.string() << "\n";
        daemon = std::make_unique<Child>(
            std::vector<std::string>{"supervisord", "-n", "-c", conf.string()}, RunOptions{});
    }

    RunResult ctl(const std::vector<std::string>& args) const {
        std::vector<std::string> argv = {"supervisorctl", "-c", conf.string()};
        argv.insert(argv.end(), args.begin(), args.end());
        RunOptions o;
        o.timeout = 15s;
        return run(argv, o);
    }

    // Waits until `status` shows exactly `programs`, every one RUNNING.
    bool all_running(const std::set<std::string>& programs) const {
        std::string last;
        const bool ok = eventually(
            [&] {
                last = ctl({"status"}).out;
                std::set<std::string> running;
                for (const auto& line : split_lines(last)) {
                    std::istringstream words(line);
                    std::string name, state;
                    words >> name >> state;
                    if (state == "RUNNING")
                        running.insert(name);
                }
                return running == programs;
            },
            20s);
        if (!ok)
            UNSCOPED_INFO("supervisorctl status:\n" << last);
        return ok;
    }

    void shutdown() {
        ctl({"shutdown"});
        RunResult r = daemon->wait(20s);
        CHECK_FALSE(r.timed_out);
    }
};

TEST_CASE("supervisord runs every instance of an exported Procfile", "[e2e][export][supervisord]") {
    if (!have_program("supervisord")) {
        PROCRUN_TOOL_MISSING("supervisord is not installed (Debian package 'supervisor')");
    }
    TempDir dir;
    const std::string child = testchild_binary();
    const std::string say = " env PORT env PS env GREETING print ready sleep 30";
    dir.write("app/Procfile", "web: exec " + child + say + "\nworker: exec " + child + say + "\n");
    dir.write("app/.env", "GREETING=\"hello, world\"\n" + marker() + "\n");
    fs::create_directories(dir.path() / "logs");
    const RunResult e = export_to(
        dir.path() / "app", {"supervisord", (dir.path() / "conf.d").string(), "-a", "e2e", "-c",
                             "web=2,worker=1", "-p", "5000", "-l", (dir.path() / "logs").string()});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);

    Supervisord sup(dir.path(), dir.path() / "conf.d" / "*.conf");
    REQUIRE(sup.all_running({"e2e:e2e-web-1", "e2e:e2e-web-2", "e2e:e2e-worker-1"}));
    const std::vector<std::tuple<std::string, int, std::string>> expected = {
        {"web-1", 5000, "web.1"}, {"web-2", 5001, "web.2"}, {"worker-1", 5100, "worker.1"}};
    for (const auto& [log, port, ps] : expected) {
        const fs::path file = dir.path() / "logs" / (log + ".log");
        CHECK(
            eventually([&] { return read_file(file).find("ready\n") != std::string::npos; }, 10s));
        CHECK(read_file(file) ==
              "PORT=" + std::to_string(port) + "\nPS=" + ps + "\nGREETING=hello, world\nready\n");
    }
    CHECK(processes_with_env(marker()).size() == 3);
    sup.shutdown();
    CHECK(eventually([] { return processes_with_env(marker()).empty(); }, 5s));
}

TEST_CASE("hostile values survive supervisord", "[e2e][export][supervisord][hostile]") {
    if (!have_program("supervisord")) {
        PROCRUN_TOOL_MISSING("supervisord is not installed (Debian package 'supervisor')");
    }
    TempDir dir;
    const fs::path root = hostile_project(dir);
    fs::create_directories(dir.path() / "logs");
    const RunResult e =
        export_to(root, {"supervisord", (dir.path() / "conf.d").string(), "-a", "e2e", "-p", "5000",
                         "-l", (dir.path() / "logs").string()});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    Supervisord sup(dir.path(), dir.path() / "conf.d" / "*.conf");
    REQUIRE(sup.all_running({"e2e:e2e-hostile-1"}));
    const fs::path log = dir.path() / "logs" / "hostile-1.log";
    CHECK(eventually([&] { return read_file(log).find("ready\n") != std::string::npos; }, 10s));
    CHECK(read_file(log) == hostile_output(5000));
    sup.shutdown();
    CHECK(eventually([] { return processes_with_env(marker()).empty(); }, 5s));
}

// ---- runit ----------------------------------------------------------------

// svlogd -tt prefixes every line with a timestamp and a space.
std::string without_timestamps(const std::string& log) {
    std::string out;
    for (const auto& line : split_lines(log)) {
        const auto space = line.find(' ');
        out += (space == std::string::npos ? line : line.substr(space + 1)) + "\n";
    }
    return out;
}

TEST_CASE("runsv runs an exported service with its env dir and sv stop stops it",
          "[e2e][export][runit][hostile]") {
    if (!have_program("runsv") || !have_program("sv") || !have_program("svlogd")) {
        PROCRUN_TOOL_MISSING("runit is not installed (Debian package 'runit')");
    }
    TempDir dir;
    const fs::path root = hostile_project(dir);
    const RunResult e = export_to(root, {"runit", (dir.path() / "sv").string(), "-a", "e2e", "-p",
                                         "5000", "-l", (dir.path() / "logs").string()});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    const fs::path service = dir.path() / "sv" / "e2e-hostile-1";
    Child runsv({"runsv", service.string()}, RunOptions{});
    const fs::path current = dir.path() / "logs" / "hostile-1" / "current";
    CHECK(
        eventually([&] { return read_file(current).find(" ready\n") != std::string::npos; }, 15s));
    CHECK(without_timestamps(read_file(current)) == hostile_output(5000));
    const RunResult status = run({"sv", "status", service.string()});
    CHECK(status.out.rfind("run: ", 0) == 0);
    CHECK(processes_with_env(marker()).size() == 1);

    const RunResult stop = run({"sv", "stop", service.string()});
    CHECK(stop.out.rfind("ok: down: ", 0) == 0);
    CHECK(eventually([] { return processes_with_env(marker()).empty(); }, 10s));
    run({"sv", "exit", service.string()});
    const RunResult done = runsv.wait(10s);
    CHECK_FALSE(done.timed_out);
}

// ---- systemd --------------------------------------------------------------

TEST_CASE("systemd units pass systemd-analyze verify and split back into the exact command",
          "[e2e][export][systemd][hostile]") {
    TempDir dir;
    const fs::path root = hostile_project(dir);
    dir.write("app/Procfile", "hostile: " + hostile_command() + "\nworker: sleep 5\n");
    const fs::path out = dir.path() / "units";
    const RunResult e = export_to(root, {"systemd", out.string(), "-a", "e2e", "-u", "daemon", "-c",
                                         "hostile=1,worker=2", "-p", "5000", "-t", "7"});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    std::vector<std::string> units;
    for (const auto& entry : fs::directory_iterator(out)) {
        const std::string ext = entry.path().extension().string();
        if (ext == ".service" || ext == ".target")
            units.push_back(entry.path().string());
    }
    std::sort(units.begin(), units.end());
    CHECK(units.size() == 3 + 3);  // 3 services, 2 type targets, the app target

    if (have_program("systemd-analyze")) {
        std::vector<std::string> argv = {"systemd-analyze", "verify", "--man=no"};
        argv.insert(argv.end(), units.begin(), units.end());
        RunOptions o;
        o.set_env = {"SYSTEMD_UNIT_PATH=" + out.string() + ":"};
        const RunResult verify = run(argv, o);
        INFO(verify.err);
        CHECK(verify.exit_code == 0);
        // Any complaint about our files (unknown keys, bad quoting, bad
        // specifiers) names the file.
        CHECK(verify.err.find(out.string()) == std::string::npos);
    } else {
        PROCRUN_TOOL_MISSING_PART(
            "systemd-analyze is not available; the units are only read back independently");
    }

    // An independent reader (tests/support/export/systemd_units.py) splits
    // ExecStart with systemd's quoting rules and reads the EnvironmentFile.
    std::vector<std::string> argv = {"python3", (support_dir() / "systemd_units.py").string()};
    argv.insert(argv.end(), units.begin(), units.end());
    const RunResult parsed = run(argv);
    INFO(parsed.err);
    REQUIRE(parsed.exit_code == 0);
    const YAML::Node json = YAML::Load(parsed.out);  // JSON is YAML
    const YAML::Node svc = json["e2e-hostile-1.service"];
    REQUIRE(svc);
    CHECK(svc["argv"].as<std::vector<std::string>>() ==
          std::vector<std::string>{"/bin/sh", "-c", hostile_command()});
    std::map<std::string, std::string> env = hostile_env();
    env["PORT"] = "5000";
    env["PS"] = "hostile.1";
    CHECK(svc["env"].as<std::map<std::string, std::string>>() == env);
    CHECK(svc["settings"]["Service.WorkingDirectory"][0].as<std::string>() == root.string());
    CHECK(svc["settings"]["Service.User"][0].as<std::string>() == "daemon");
    CHECK(svc["settings"]["Service.TimeoutStopSec"][0].as<std::string>() == "7");
    CHECK(svc["settings"]["Service.KillMode"][0].as<std::string>() == "mixed");
    CHECK(svc["settings"]["Service.Restart"][0].as<std::string>() == "on-failure");
    CHECK(json["e2e-worker.target"]["settings"]["Unit.Wants"].as<std::vector<std::string>>() ==
          std::vector<std::string>{"e2e-worker-1.service", "e2e-worker-2.service"});
    CHECK(json["e2e.target"]["settings"]["Unit.Wants"].as<std::vector<std::string>>() ==
          std::vector<std::string>{"e2e-hostile.target", "e2e-worker.target"});
    const auto env_file = fs::status(out / "e2e-hostile-1.env");
    CHECK((env_file.permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
}

// ---- launchd --------------------------------------------------------------

TEST_CASE("launchd plists parse with plistlib into the exact argv and environment",
          "[e2e][export][launchd][hostile]") {
    TempDir dir;
    const fs::path root = hostile_project(dir);
    const fs::path out = dir.path() / "plists";
    const RunResult e = export_to(
        root, {"launchd", out.string(), "-a", "e2e", "-p", "5000", "-l", "/var/log/e2e & <co>"});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    const RunResult parsed = run({"python3", (support_dir() / "plist_dump.py").string(),
                                  (out / "e2e-hostile-1.plist").string()});
    INFO(parsed.err);
    REQUIRE(parsed.exit_code == 0);
    const YAML::Node plist = YAML::Load(parsed.out)["e2e-hostile-1.plist"];
    CHECK(plist["ProgramArguments"].as<std::vector<std::string>>() ==
          std::vector<std::string>{"/bin/sh", "-c", hostile_command()});
    std::map<std::string, std::string> env = hostile_env();
    env["PORT"] = "5000";
    env["PS"] = "hostile.1";
    CHECK(plist["EnvironmentVariables"].as<std::map<std::string, std::string>>() == env);
    CHECK(plist["WorkingDirectory"].as<std::string>() == root.string());
    CHECK(plist["Label"].as<std::string>() == "e2e-hostile-1");
    CHECK(plist["KeepAlive"].as<bool>());
    CHECK(plist["StandardOutPath"].as<std::string>() == "/var/log/e2e & <co>/hostile-1.log");
    CHECK(plist["StandardErrorPath"].as<std::string>() ==
          "/var/log/e2e & <co>/hostile-1.error.log");
}

// ---- upstart and inittab: their shell parts run under /bin/sh --------------

// Runs `argv` until `log` shows "ready", then stops it; returns the log.
std::string run_until_ready(const std::vector<std::string>& argv, const fs::path& log) {
    Child child(argv, RunOptions{});
    CHECK(eventually([&] { return read_file(log).find("ready\n") != std::string::npos; }, 10s));
    child.signal(SIGKILL);
    child.wait(5s);
    return read_file(log);
}

TEST_CASE("upstart: the job's script block runs the exact command with the environment",
          "[e2e][export][upstart][hostile]") {
    TempDir dir;
    const fs::path root = hostile_project(dir);
    const fs::path out = dir.path() / "init";
    const fs::path logs = dir.path() / "logs";
    fs::create_directories(logs);
    const RunResult e =
        export_to(root, {"upstart", out.string(), "-a", "e2e", "-p", "5000", "-l", logs.string()});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    const std::string conf = read_file(out / "e2e-hostile-1.conf");
    CHECK(conf.find("start on starting e2e-hostile\n") != std::string::npos);
    CHECK(read_file(out / "e2e-hostile.conf").find("start on starting e2e\n") != std::string::npos);
    // Upstart runs the lines between "script" and "end script" with sh -e.
    const auto begin = conf.find("\nscript\n");
    const auto end = conf.find("\nend script\n");
    REQUIRE(begin != std::string::npos);
    REQUIRE(end != std::string::npos);
    const std::string script = conf.substr(begin + 8, end - begin - 7);
    CHECK(run_until_ready({"/bin/sh", "-e", "-c", script}, logs / "hostile-1.log") ==
          hostile_output(5000));
    CHECK(eventually([] { return processes_with_env(marker()).empty(); }, 5s));
}

TEST_CASE("inittab: the respawn line runs the exact command with the environment",
          "[e2e][export][inittab][hostile]") {
    TempDir dir;
    const fs::path root = hostile_project(dir);
    const fs::path out = dir.path() / "inittab";
    const fs::path logs = dir.path() / "logs";
    const RunResult e =
        export_to(root, {"inittab", out.string(), "-a", "e2e", "-p", "5000", "-l", logs.string()});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    CHECK(e.err.empty());  // no warning: the line is short
    std::string line;
    for (const auto& l : split_lines(read_file(out / "e2e.inittab"))) {
        if (!l.empty() && l[0] != '#')
            line = l;
    }
    // id:runlevels:action:process; init runs the process as sh -c "exec PROCESS".
    REQUIRE(line.rfind("E201:2345:respawn:", 0) == 0);
    const std::string process = line.substr(std::string("E201:2345:respawn:").size());
    CHECK(process.size() <= 127);
    CHECK(run_until_ready({"/bin/sh", "-c", "exec " + process}, logs / "hostile-1.log") ==
          hostile_output(5000));
    CHECK(eventually([] { return processes_with_env(marker()).empty(); }, 5s));
}

// ---- compose and kubernetes: read back with yaml-cpp ------------------------

// Compose and Kubernetes turn "$$" into "$".
std::string unescape_dollars(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        out += s[i];
        if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '$')
            ++i;
    }
    return out;
}

fs::path two_type_project(TempDir& dir) {
    dir.write("app/Procfile",
              "web: " + hostile_command() + "\nworker: python -m worker --queue 'a b'\n");
    dir.write("app/.env", hostile_dotenv() + "API_TOKEN=\"t0k3n $ %\"\n");
    return dir.path() / "app";
}

TEST_CASE("compose.yaml reads back into the plan's commands, env, replicas and ports",
          "[e2e][export][compose][hostile]") {
    TempDir dir;
    const fs::path root = two_type_project(dir);
    const fs::path out = dir.path() / "compose";
    const RunResult e = export_to(root, {"compose", out.string(), "-a", "e2e", "-c",
                                         "web=1,worker=3", "-p", "5000", "--image", "img:1"});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    const YAML::Node doc = YAML::LoadFile((out / "compose.yaml").string());
    const YAML::Node web = doc["services"]["web"];
    const YAML::Node worker = doc["services"]["worker"];
    std::vector<std::string> cmd;
    for (const auto& w : web["command"])
        cmd.push_back(unescape_dollars(w.as<std::string>()));
    CHECK(cmd == std::vector<std::string>{"/bin/sh", "-c", hostile_command()});
    CHECK(unescape_dollars(worker["command"][2].as<std::string>()) ==
          "python -m worker --queue 'a b'");
    std::map<std::string, std::string> env;
    for (const auto& kv : web["environment"]) {
        env[kv.first.as<std::string>()] = unescape_dollars(kv.second.as<std::string>());
    }
    std::map<std::string, std::string> expected = hostile_env();
    expected["API_TOKEN"] = "t0k3n $ %";
    expected["PORT"] = "5000";
    CHECK(env == expected);
    CHECK(worker["environment"]["PORT"].as<std::string>() == "5100");
    CHECK(web["deploy"]["replicas"].as<int>() == 1);
    CHECK(worker["deploy"]["replicas"].as<int>() == 3);
    CHECK(web["ports"][0]["target"].as<int>() == 5000);
    CHECK(web["ports"][0]["published"].as<std::string>() == "5000");
    CHECK_FALSE(worker["ports"]);
    CHECK(web["image"].as<std::string>() == "img:1");
    CHECK(web["working_dir"].as<std::string>() == root.string());
}

// The Kubernetes schemas (npm's kubernetes-models), installed once into the
// build tree.
NpmInstall kubernetes_models() {
    return npm_install_once("npm-kubernetes", {"kubernetes-models@4", "yaml@2"});
}

TEST_CASE("kubernetes objects read back and pass the Kubernetes schemas",
          "[e2e][export][kubernetes][hostile]") {
    TempDir dir;
    const fs::path root = two_type_project(dir);
    const fs::path out = dir.path() / "k8s";
    const RunResult e = export_to(root, {"kubernetes", out.string(), "-a", "e2e", "-c",
                                         "web=2,worker=0", "-p", "5000", "--image", "img:1"});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    const YAML::Node web = YAML::LoadFile((out / "e2e-web-deployment.yaml").string());
    const YAML::Node worker = YAML::LoadFile((out / "e2e-worker-deployment.yaml").string());
    const YAML::Node service = YAML::LoadFile((out / "e2e-web-service.yaml").string());
    const YAML::Node cm = YAML::LoadFile((out / "e2e-env.yaml").string());
    const YAML::Node secret = YAML::LoadFile((out / "e2e-secret.yaml").string());

    const YAML::Node c = web["spec"]["template"]["spec"]["containers"][0];
    std::vector<std::string> cmd;
    for (const auto& w : c["command"])
        cmd.push_back(unescape_dollars(w.as<std::string>()));
    CHECK(cmd == std::vector<std::string>{"/bin/sh", "-c", hostile_command()});
    CHECK(web["spec"]["replicas"].as<int>() == 2);
    CHECK(worker["spec"]["replicas"].as<int>() == 0);
    CHECK(c["ports"][0]["containerPort"].as<int>() == 5000);
    CHECK(c["env"][0]["name"].as<std::string>() == "PORT");
    CHECK(c["env"][0]["value"].as<std::string>() == "5000");
    CHECK(service["spec"]["ports"][0]["port"].as<int>() == 5000);
    CHECK(web["metadata"]["labels"]["app.kubernetes.io/name"].as<std::string>() == "e2e");
    CHECK(web["metadata"]["labels"]["app.kubernetes.io/component"].as<std::string>() == "web");

    // The container's variables: the ConfigMap and the Secret it refers to.
    std::map<std::string, std::string> env;
    for (const auto& kv : cm["data"])
        env[kv.first.as<std::string>()] = kv.second.as<std::string>();
    for (const auto& kv : secret["data"]) {
        const auto bytes = YAML::DecodeBase64(kv.second.as<std::string>());
        env[kv.first.as<std::string>()] = std::string(bytes.begin(), bytes.end());
    }
    std::map<std::string, std::string> expected = hostile_env();
    expected["API_TOKEN"] = "t0k3n $ %";
    CHECK(env == expected);
    CHECK(secret["data"]["API_TOKEN"]);
    CHECK_FALSE(cm["data"]["API_TOKEN"]);

    const NpmInstall npm = kubernetes_models();
    if (!npm.prefix && npm.tool_missing)
        PROCRUN_TOOL_MISSING("Kubernetes schema validation: " << npm.why);
    if (!npm.prefix)
        PROCRUN_SKIP("Kubernetes schema validation: " << npm.why);
    const std::optional<fs::path> models = npm.prefix;
    std::vector<std::string> argv = {"node", (support_dir() / "k8s_validate.cjs").string(),
                                     models->string()};
    for (const auto& entry : fs::directory_iterator(out)) {
        if (entry.path().extension() == ".yaml")
            argv.push_back(entry.path().string());
    }
    const RunResult v = run(argv);
    INFO(v.out << v.err);
    CHECK(v.exit_code == 0);
    CHECK(split_lines(v.out).size() == 5);
}

TEST_CASE("a process type that is not a DNS-1123 label is reported with the --strict rule",
          "[e2e][export][kubernetes]") {
    TempDir dir;
    dir.write("app/Procfile", "web: a\nBig_Worker: b\n");
    const RunResult e = export_to(dir.path() / "app",
                                  {"kubernetes", (dir.path() / "k8s").string(), "--image", "i"});
    CHECK(e.exit_code == 1);
    CHECK(e.err.find("Procfile:2: error: process type 'Big_Worker' is not a valid Kubernetes "
                     "name") != std::string::npos);
    CHECK_FALSE(fs::exists(dir.path() / "k8s"));
}

// ---- per-type settings: env, working_dir, probes, dependencies, restarts ----

// db (a tcp probe, always restarted, stopped with SIGINT), migrate (a one-shot
// after db is ready) and web (its own env and folder, after db is ready and
// migrate has finished, an http probe).
fs::path lifecycle_project(TempDir& dir) {
    dir.write("app/Procfile",
              "db: exec sleep 30\nweb: echo \"dir=$(pwd) level=$LEVEL\"; exec sleep 30\n"
              "migrate: true\n");
    dir.write("app/.env", "LEVEL=app\nSHARED=1\n");
    dir.write("app/services/web/.env.web", "FROM_FILE=yes\n");
    dir.write("app/.procrun.yaml",
              "processes:\n"
              "  db:\n"
              "    restart: always\n"
              "    stop_signal: INT\n"
              "    stop_timeout: 20s\n"
              "    readiness:\n"
              "      tcp: 5432\n"
              "      initial_delay: 1s\n"
              "      interval: 2s\n"
              "      timeout: 1500ms\n"
              "      retries: 5\n"
              "    liveness: {tcp: 5432, period: 5s, failure_threshold: 4}\n"
              "    stop_command: pg_ctl stop\n"
              "  migrate:\n"
              "    can_die: true\n"
              "    depends_on: {db: ready}\n"
              "  web:\n"
              "    restart: on-failure\n"
              "    working_dir: services/web\n"
              "    env_file: services/web/.env.web\n"
              "    env: {LEVEL: type-env, API_KEY: s3cret}\n"
              "    stop_timeout: 15s\n"
              "    depends_on: {db: ready, migrate: completed_successfully}\n"
              "    readiness:\n"
              "      http: /health\n");
    return dir.path() / "app";
}

TEST_CASE(
    "compose: per-type env, working_dir, healthcheck, depends_on conditions and restart "
    "pass docker-compose config",
    "[e2e][export][compose][pertype]") {
    TempDir dir;
    const fs::path root = lifecycle_project(dir);
    const fs::path out = dir.path() / "compose";
    const RunResult e =
        export_to(root, {"compose", out.string(), "-a", "e2e", "-p", "5000", "--image", "img:1"});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    // compose has a place for every setting the project gives but db's liveness probe (a
    // service has one healthcheck: its readiness) and stop command.
    CHECK(e.err.find("process type 'db' sets 'liveness' beside 'readiness', and a compose "
                     "service has one healthcheck") != std::string::npos);
    CHECK(e.err.find("process type 'db' sets 'stop_command', which compose cannot express") !=
          std::string::npos);
    std::size_t warnings = 0;
    for (std::size_t at = e.err.find("warning:"); at != std::string::npos;
         at = e.err.find("warning:", at + 1))
        ++warnings;
    CHECK(warnings == 2);
    if (!have_program("docker-compose")) {
        PROCRUN_TOOL_MISSING("docker-compose is not installed (Debian package 'docker-compose')");
    }
    RunOptions o;
    o.cwd = out;
    o.timeout = 60s;
    const RunResult config =
        run({"docker-compose", "-f", (out / "compose.yaml").string(), "config"}, o);
    INFO(config.out << config.err);
    REQUIRE(config.exit_code == 0);
    const YAML::Node doc = YAML::Load(config.out);
    const YAML::Node db = doc["services"]["db"];
    const YAML::Node web = doc["services"]["web"];
    const YAML::Node migrate = doc["services"]["migrate"];
    CHECK(web["depends_on"]["db"]["condition"].as<std::string>() == "service_healthy");
    CHECK(web["depends_on"]["migrate"]["condition"].as<std::string>() ==
          "service_completed_successfully");
    CHECK(migrate["depends_on"]["db"]["condition"].as<std::string>() == "service_healthy");
    CHECK(db["healthcheck"]["test"][0].as<std::string>() == "CMD-SHELL");
    CHECK(db["healthcheck"]["test"][1].as<std::string>() == "nc -z 127.0.0.1 5432");
    CHECK(db["healthcheck"]["retries"].as<int>() == 5);
    CHECK(web["healthcheck"]["test"][1].as<std::string>().find("http://127.0.0.1:5100/health") !=
          std::string::npos);
    CHECK(db["restart"].as<std::string>() == "always");
    CHECK(web["restart"].as<std::string>() == "on-failure");
    CHECK(migrate["restart"].as<std::string>() == "no");
    CHECK(db["stop_signal"].as<std::string>() == "SIGINT");
    CHECK(db["stop_grace_period"].as<std::string>() == "20s");
    CHECK(web["stop_grace_period"].as<std::string>() == "15s");
    CHECK(web["working_dir"].as<std::string>() == (root / "services/web").string());
    CHECK(db["working_dir"].as<std::string>() == root.string());
    CHECK(web["environment"]["LEVEL"].as<std::string>() == "type-env");
    CHECK(web["environment"]["FROM_FILE"].as<std::string>() == "yes");
    CHECK(web["environment"]["SHARED"].as<std::string>() == "1");
    CHECK(db["environment"]["LEVEL"].as<std::string>() == "app");
    CHECK_FALSE(db["environment"]["FROM_FILE"]);
}

TEST_CASE("kubernetes: per-type env and folder, probes and grace periods pass the schemas",
          "[e2e][export][kubernetes][pertype]") {
    TempDir dir;
    const fs::path root = lifecycle_project(dir);
    const fs::path out = dir.path() / "k8s";
    const RunResult e =
        export_to(root, {"kubernetes", out.string(), "-a", "e2e", "-p", "5000", "--image", "i:1"});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    // Deployments restart every exit, start at once and stop with SIGTERM.
    CHECK(e.err.find("process type 'web' sets 'depends_on', which kubernetes cannot express") !=
          std::string::npos);
    CHECK(e.err.find("process type 'db' sets 'stop_signal', which kubernetes cannot express") !=
          std::string::npos);
    CHECK(e.err.find("'web' restarts after every exit under kubernetes") != std::string::npos);
    const YAML::Node db = YAML::LoadFile((out / "e2e-db-deployment.yaml").string());
    const YAML::Node web = YAML::LoadFile((out / "e2e-web-deployment.yaml").string());
    const YAML::Node secret = YAML::LoadFile((out / "e2e-web-secret.yaml").string());
    const YAML::Node dbc = db["spec"]["template"]["spec"]["containers"][0];
    const YAML::Node webc = web["spec"]["template"]["spec"]["containers"][0];
    CHECK(dbc["readinessProbe"]["tcpSocket"]["port"].as<int>() == 5432);
    CHECK(dbc["readinessProbe"]["initialDelaySeconds"].as<int>() == 1);
    CHECK(dbc["readinessProbe"]["periodSeconds"].as<int>() == 2);
    CHECK(dbc["readinessProbe"]["timeoutSeconds"].as<int>() == 2);
    CHECK(dbc["livenessProbe"]["tcpSocket"]["port"].as<int>() == 5432);
    CHECK(dbc["livenessProbe"]["periodSeconds"].as<int>() == 5);
    CHECK(dbc["livenessProbe"]["failureThreshold"].as<int>() == 4);
    CHECK(dbc["lifecycle"]["preStop"]["exec"]["command"][2].as<std::string>() == "pg_ctl stop");
    CHECK(webc["readinessProbe"]["httpGet"]["path"].as<std::string>() == "/health");
    CHECK(webc["readinessProbe"]["httpGet"]["port"].as<int>() == 5100);
    CHECK(db["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].as<int>() == 20);
    CHECK(web["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].as<int>() == 15);
    CHECK(webc["command"][2].as<std::string>().rfind("cd services/web && ", 0) == 0);
    std::map<std::string, YAML::Node> env;
    for (std::size_t i = 0; i < webc["env"].size(); ++i)
        env[webc["env"][i]["name"].as<std::string>()] = webc["env"][i];
    CHECK(env["LEVEL"]["value"].as<std::string>() == "type-env");
    CHECK(env["FROM_FILE"]["value"].as<std::string>() == "yes");
    CHECK(env["API_KEY"]["valueFrom"]["secretKeyRef"]["name"].as<std::string>() ==
          "e2e-web-secret");
    const auto bytes = YAML::DecodeBase64(secret["data"]["API_KEY"].as<std::string>());
    CHECK(std::string(bytes.begin(), bytes.end()) == "s3cret");
    // The shared ConfigMap holds the app's env files only.
    const YAML::Node cm = YAML::LoadFile((out / "e2e-env.yaml").string());
    CHECK(cm["data"]["LEVEL"].as<std::string>() == "app");
    CHECK_FALSE(cm["data"]["FROM_FILE"]);

    const NpmInstall npm = kubernetes_models();
    if (!npm.prefix && npm.tool_missing)
        PROCRUN_TOOL_MISSING("Kubernetes schema validation: " << npm.why);
    if (!npm.prefix)
        PROCRUN_SKIP("Kubernetes schema validation: " << npm.why);
    const std::optional<fs::path> models = npm.prefix;
    std::vector<std::string> argv = {"node", (support_dir() / "k8s_validate.cjs").string(),
                                     models->string()};
    for (const auto& entry : fs::directory_iterator(out)) {
        if (entry.path().extension() == ".yaml")
            argv.push_back(entry.path().string());
    }
    const RunResult v = run(argv);
    INFO(v.out << v.err);
    CHECK(v.exit_code == 0);
    CHECK(split_lines(v.out).size() == 6);  // 3 deployments, a service, a ConfigMap, a Secret
}

TEST_CASE("systemd: per-type folder, restart, kill signal and ordering pass systemd-analyze",
          "[e2e][export][systemd][pertype]") {
    TempDir dir;
    const fs::path root = lifecycle_project(dir);
    const fs::path out = dir.path() / "units";
    const RunResult e = export_to(root, {"systemd", out.string(), "-a", "e2e", "-p", "5000"});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    CHECK(e.err.find("systemd starts 'web' after 'db' has started, not once it is ready") !=
          std::string::npos);
    CHECK(e.err.find("process type 'db' sets 'readiness', which systemd cannot express") !=
          std::string::npos);
    std::vector<std::string> units;
    for (const auto& entry : fs::directory_iterator(out)) {
        const std::string ext = entry.path().extension().string();
        if (ext == ".service" || ext == ".target")
            units.push_back(entry.path().string());
    }
    std::sort(units.begin(), units.end());
    if (have_program("systemd-analyze")) {
        std::vector<std::string> argv = {"systemd-analyze", "verify", "--man=no"};
        argv.insert(argv.end(), units.begin(), units.end());
        RunOptions o;
        o.set_env = {"SYSTEMD_UNIT_PATH=" + out.string() + ":"};
        const RunResult verify = run(argv, o);
        INFO(verify.err);
        CHECK(verify.exit_code == 0);
        CHECK(verify.err.find(out.string()) == std::string::npos);
    } else {
        PROCRUN_TOOL_MISSING("systemd-analyze is not installed (Debian package 'systemd')");
    }
    std::vector<std::string> argv = {"python3", (support_dir() / "systemd_units.py").string()};
    argv.insert(argv.end(), units.begin(), units.end());
    const RunResult parsed = run(argv);
    INFO(parsed.err);
    REQUIRE(parsed.exit_code == 0);
    const YAML::Node json = YAML::Load(parsed.out);
    const YAML::Node db = json["e2e-db-1.service"]["settings"];
    const YAML::Node web = json["e2e-web-1.service"]["settings"];
    const YAML::Node migrate = json["e2e-migrate-1.service"]["settings"];
    CHECK(db["Service.Restart"][0].as<std::string>() == "always");
    CHECK(db["Service.KillSignal"][0].as<std::string>() == "SIGINT");
    CHECK(db["Service.ExecStop"][0].as<std::string>().find("pg_ctl stop") != std::string::npos);
    CHECK_FALSE(web["Service.ExecStop"]);
    CHECK(db["Service.TimeoutStopSec"][0].as<std::string>() == "20000ms");
    CHECK(migrate["Service.Restart"][0].as<std::string>() == "no");
    CHECK(web["Service.Restart"][0].as<std::string>() == "on-failure");
    CHECK(web["Service.WorkingDirectory"][0].as<std::string>() == (root / "services/web").string());
    CHECK(db["Service.WorkingDirectory"][0].as<std::string>() == root.string());
    CHECK(web["Unit.After"].as<std::vector<std::string>>() ==
          std::vector<std::string>{"network.target", "e2e-db-1.service", "e2e-migrate-1.service"});
    CHECK(web["Unit.Requires"].as<std::vector<std::string>>() ==
          std::vector<std::string>{"e2e-db-1.service", "e2e-migrate-1.service"});
    const YAML::Node env = json["e2e-web-1.service"]["env"];
    CHECK(env["LEVEL"].as<std::string>() == "type-env");
    CHECK(env["FROM_FILE"].as<std::string>() == "yes");
}

TEST_CASE("supervisord runs each program in its folder with its own env and settings",
          "[e2e][export][supervisord][pertype]") {
    if (!have_program("supervisord")) {
        PROCRUN_TOOL_MISSING("supervisord is not installed (Debian package 'supervisor')");
    }
    TempDir dir;
    const std::string child = testchild_binary();
    dir.write("app/Procfile", "web: pwd; exec " + child +
                                  " env LEVEL env SHARED print ready sleep 30\n" + "worker: exec " +
                                  child + " env LEVEL print ready sleep 30\n");
    dir.write("app/.env", "LEVEL=app\nSHARED=1\n" + marker() + "\n");
    dir.write("app/services/web/.keep", "");
    dir.write("app/.procrun.yaml",
              "processes:\n"
              "  web:\n"
              "    working_dir: services/web\n"
              "    env: {LEVEL: type-env}\n"
              "    restart: on-failure\n"
              "  worker:\n"
              "    restart: always\n"
              "    stop_signal: INT\n"
              "    stop_timeout: 3s\n");
    fs::create_directories(dir.path() / "logs");
    const RunResult e =
        export_to(dir.path() / "app", {"supervisord", (dir.path() / "conf.d").string(), "-a", "e2e",
                                       "-p", "5000", "-l", (dir.path() / "logs").string()});
    INFO(e.err);
    REQUIRE(e.exit_code == 0);
    const std::string conf = read_file(dir.path() / "conf.d/e2e.conf");
    CHECK(conf.find("[program:e2e-web-1]\ncommand=") != std::string::npos);
    CHECK(conf.find("autorestart=unexpected") != std::string::npos);
    CHECK(conf.find("stopsignal=INT\nstopasgroup=true\nkillasgroup=true\nstopwaitsecs=3\n") !=
          std::string::npos);

    Supervisord sup(dir.path(), dir.path() / "conf.d" / "*.conf");
    REQUIRE(sup.all_running({"e2e:e2e-web-1", "e2e:e2e-worker-1"}));
    const fs::path web_log = dir.path() / "logs/web-1.log";
    const fs::path worker_log = dir.path() / "logs/worker-1.log";
    CHECK(eventually([&] { return read_file(web_log).find("ready\n") != std::string::npos; }, 10s));
    CHECK(eventually([&] { return read_file(worker_log).find("ready\n") != std::string::npos; },
                     10s));
    const std::string real_root = fs::canonical(dir.path() / "app").string();
    CHECK(read_file(web_log) == real_root + "/services/web\nLEVEL=type-env\nSHARED=1\nready\n");
    CHECK(read_file(worker_log) == "LEVEL=app\nready\n");
    sup.shutdown();
    CHECK(eventually([] { return processes_with_env(marker()).empty(); }, 5s));
}

TEST_CASE("autostart: false is carried: supervisord leaves it stopped, the others say so",
          "[e2e][export][autostart]") {
    if (!have_program("supervisord")) {
        PROCRUN_TOOL_MISSING("supervisord is not installed (Debian package 'supervisor')");
    }
    TempDir dir;
    const std::string child = testchild_binary();
    dir.write("app/Procfile", "web: exec " + child + " print ready sleep 30\nworker: exec " +
                                  child + " print ready sleep 30\n");
    dir.write("app/.env", marker() + "\n");
    dir.write("app/.procrun.yaml",
              "processes:\n"
              "  worker:\n"
              "    autostart: false\n"
              "    liveness: {exec: 'true', period: 7s, failure_threshold: 2}\n");
    const fs::path root = dir.path() / "app";
    const auto exported = [&](const std::string& format) {
        const fs::path out = dir.path() / format;
        const RunResult e =
            export_to(root, {format, out.string(), "-a", "e2e", "-p", "5000", "--image", "img:1",
                             "-l", (dir.path() / "logs").string()});
        INFO(format << ": " << e.err);
        CHECK(e.exit_code == 0);
        return std::make_pair(out, e.err);
    };

    // supervisord: autostart=false, started by supervisorctl.
    fs::create_directories(dir.path() / "logs");
    const auto [conf_dir, conf_err] = exported("supervisord");
    CHECK(conf_err.find("autostart") == std::string::npos);
    Supervisord sup(dir.path(), conf_dir / "*.conf");
    REQUIRE(sup.all_running({"e2e:e2e-web-1"}));
    std::this_thread::sleep_for(500ms);
    CHECK(sup.all_running({"e2e:e2e-web-1"}));
    CHECK(sup.ctl({"start", "e2e:e2e-worker-1"}).exit_code == 0);
    CHECK(sup.all_running({"e2e:e2e-web-1", "e2e:e2e-worker-1"}));
    sup.shutdown();
    CHECK(eventually([] { return processes_with_env(marker()).empty(); }, 5s));

    // systemd: the type's target is installed but not wanted by the app's.
    const auto [systemd_dir, systemd_err] = exported("systemd");
    CHECK(systemd_err.find("autostart") == std::string::npos);
    const std::string app_target = read_file(systemd_dir / "e2e.target");
    CHECK(app_target.find("Wants=e2e-web.target") != std::string::npos);
    CHECK(app_target.find("Wants=e2e-worker.target") == std::string::npos);
    CHECK(fs::exists(systemd_dir / "e2e-worker.target"));

    // runit: a `down` file.
    const auto [runit_dir, runit_err] = exported("runit");
    CHECK(runit_err.find("autostart") == std::string::npos);
    CHECK(fs::exists(runit_dir / "e2e-worker-1/down"));
    CHECK_FALSE(fs::exists(runit_dir / "e2e-web-1/down"));

    // kubernetes: no replica; compose: a profile, and the liveness probe as its healthcheck.
    const auto [k8s_dir, k8s_err] = exported("kubernetes");
    CHECK(k8s_err.find("autostart") == std::string::npos);
    CHECK(YAML::LoadFile((k8s_dir / "e2e-worker-deployment.yaml").string())["spec"]["replicas"]
              .as<int>() == 0);
    CHECK(YAML::LoadFile((k8s_dir / "e2e-web-deployment.yaml").string())["spec"]["replicas"]
              .as<int>() == 1);
    const auto [compose_dir, compose_err] = exported("compose");
    CHECK(compose_err.find("autostart") == std::string::npos);
    CHECK(compose_err.find("liveness") == std::string::npos);

    // launchd cannot express it (KeepAlive starts the job at load): a warning names it.
    const auto [launchd_dir, launchd_err] = exported("launchd");
    CHECK(launchd_err.find("process type 'worker' sets 'autostart', which launchd cannot "
                           "express") != std::string::npos);

    if (!have_program("docker-compose")) {
        PROCRUN_TOOL_MISSING("docker-compose is not installed (Debian package 'docker-compose')");
    }
    RunOptions o;
    o.cwd = compose_dir;
    o.timeout = 60s;
    const RunResult config =
        run({"docker-compose", "-f", (compose_dir / "compose.yaml").string(), "config"}, o);
    INFO(config.out << config.err);
    REQUIRE(config.exit_code == 0);
    const YAML::Node worker = YAML::Load(config.out)["services"]["worker"];
    CHECK(worker["profiles"][0].as<std::string>() == "manual");
    CHECK(worker["healthcheck"]["test"][1].as<std::string>() == "true");
    CHECK(worker["healthcheck"]["interval"].as<std::string>() == "7s");
    CHECK(worker["healthcheck"]["retries"].as<int>() == 2);
    CHECK_FALSE(YAML::Load(config.out)["services"]["web"]["profiles"]);
}

}  // namespace
