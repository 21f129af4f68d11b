// Stopping and health against the real binary: the stop order seen from the
// processes' own lines, stop commands, and a hung process restarted by its
// liveness probe.

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace {

using namespace std::chrono_literals;
using procrun::test::Child;
using procrun::test::in_project;
using procrun::test::procrun_binary;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::start_args;
using procrun::test::TempDir;
using procrun::test::testchild_binary;

std::size_t position(const std::string& text, const std::string& needle) {
    const std::size_t at = text.find(needle);
    INFO(needle);
    REQUIRE(at != std::string::npos);
    return at;
}

// The pid in the `procrun status --json` row of `name`.
int pid_in_status(const std::string& json, const std::string& name) {
    const auto at = json.find("\"name\":\"" + name + "\"");
    REQUIRE(at != std::string::npos);
    const auto p = json.find("\"pid\":", at);
    REQUIRE(p != std::string::npos);
    return std::stoi(json.substr(p + 6));
}

bool status_shows(const RunOptions& o, const std::string& needle, std::chrono::seconds within) {
    const auto until = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < until) {
        if (run_procrun({"status", "--json"}, o).out.find(needle) != std::string::npos)
            return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

}  // namespace

TEST_CASE("ordered stop: dependents stop first, seen from their own exit lines",
          "[stopping][e2e]") {
    TempDir dir;
    const std::string child = testchild_binary();
    // Each prints when SIGTERM reaches it, then takes a moment to exit: a
    // dependency signalled too early would print before its dependent exited.
    const std::string each = " trap-exit TERM print up wait\n";
    dir.write("Procfile", "nginx: exec " + child + each + "web: exec " + child + each +
                              "db: exec " + child + each);
    dir.write(".procrun.yaml", R"(processes:
  nginx:
    depends_on: [web]
  web:
    depends_on: [db]
)");
    RunOptions o = in_project(dir);
    Child c(start_args(), o);
    REQUIRE(c.wait_for_output("nginx.1 | up", 30s));
    c.signal(SIGINT);
    const RunResult r = c.wait(30s);
    INFO(r.out << r.err);
    CHECK(r.out.find("stopping all processes, dependents first") != std::string::npos);
    const auto nginx_got = position(r.out, "nginx.1 | got SIGTERM");
    const auto nginx_exit = position(r.out, "nginx.1 exited with code 0");
    const auto web_got = position(r.out, "web.1   | got SIGTERM");
    const auto web_exit = position(r.out, "web.1 exited with code 0");
    const auto db_got = position(r.out, "db.1    | got SIGTERM");
    CHECK(nginx_got < nginx_exit);
    CHECK(nginx_exit < web_got);
    CHECK(web_got < web_exit);
    CHECK(web_exit < db_got);
    CHECK(r.exit_code == 130);
}

TEST_CASE("stop_command: runs instead of the stop signal, its output under the instance's name",
          "[stopping][e2e]") {
    TempDir dir;
    dir.write("Procfile",
              "web: trap '' TERM; echo up; while [ ! -f stop.flag ]; do sleep 0.05; done; "
              "echo saw the flag\n");
    dir.write(".procrun.yaml", R"(timeout: 30
processes:
  web:
    stop_command: echo asking web to stop; touch stop.flag
)");
    Child c(start_args(), in_project(dir));
    REQUIRE(c.wait_for_output("web.1  | up", 30s));
    c.signal(SIGINT);
    const RunResult r = c.wait(30s);
    INFO(r.out << r.err);
    CHECK(std::filesystem::exists(dir.path() / "stop.flag"));
    CHECK(r.out.find("web.1  | asking web to stop") != std::string::npos);
    CHECK(r.out.find("web.1  | saw the flag") != std::string::npos);
    CHECK(r.out.find("SIGKILL") == std::string::npos);
    CHECK(r.exit_code == 130);
}

TEST_CASE("stop_command: one that fails is reported and the stop signal follows",
          "[stopping][e2e]") {
    TempDir dir;
    dir.write("Procfile", "web: echo up; exec sleep 60\n");
    dir.write(".procrun.yaml", R"(processes:
  web:
    stop_command: echo cannot; exit 3
)");
    Child c(start_args(), in_project(dir));
    REQUIRE(c.wait_for_output("web.1  | up", 30s));
    c.signal(SIGTERM);
    const RunResult r = c.wait(30s);
    INFO(r.out << r.err);
    CHECK(r.out.find("web.1  | cannot") != std::string::npos);
    CHECK(r.out.find("the stop command of web.1 exited with code 3; sending SIGTERM") !=
          std::string::npos);
    CHECK(r.out.find("web.1 terminated by SIGTERM") != std::string::npos);
    CHECK(r.exit_code == 143);
}

TEST_CASE("liveness: a hung process (SIGSTOP) is restarted, and status shows its health",
          "[stopping][e2e][liveness]") {
    TempDir dir;
    dir.write("Procfile", "web: exec python3 -m http.server --bind 127.0.0.1 $PORT\n");
    dir.write(".procrun.yaml", R"(processes:
  web:
    restart: on-failure
    backoff: {initial: 100ms}
    stop_timeout: 2s
    readiness: {http: /, interval: 100ms, retries: 600}
    liveness:
      http: /
      period: 300ms
      timeout: 2s
      failure_threshold: 3
)");
    RunOptions o = in_project(dir);
    o.set_env = {"PORT=" + std::to_string(20000 + (::getpid() % 20000) + 7)};
    Child c(start_args(), o);
    REQUIRE(c.wait_for_output("web.1 started with pid", 30s));
    const bool live = status_shows(o, "\"readiness\":\"ready, live\"", 60s);
    INFO(c.out() << c.err());
    REQUIRE(live);
    const int pid = pid_in_status(run_procrun({"status", "--json"}, o).out, "web.1");
    REQUIRE(::kill(pid, SIGSTOP) == 0);
    const bool restarted = c.wait_for_output("web.1 is not live (GET http://127.0.0.1:", 30s);
    INFO(c.out() << c.err());
    REQUIRE(restarted);
    CHECK(c.wait_for_output("3 times in a row): restarting", 5s));
    CHECK(c.wait_for_output("web.1 restarts in", 10s));
    CHECK(status_shows(o, "\"readiness\":\"ready, live\"", 60s));
    const int new_pid = pid_in_status(run_procrun({"status", "--json"}, o).out, "web.1");
    CHECK(new_pid != pid);
    c.signal(SIGINT);
    const RunResult r = c.wait(30s);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 130);
}
