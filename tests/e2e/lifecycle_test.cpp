// Lifecycles against the real binary: restart policies, can_die, depends_on
// with readiness probes on real listeners, and control from a second command.

#include <signal.h>

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
using procrun::test::count_of;
using procrun::test::in_project;
using procrun::test::processes_with_env;
using procrun::test::procrun_binary;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::split_lines;
using procrun::test::start_args;
using procrun::test::TempDir;

std::size_t position(const std::string& text, const std::string& needle) {
    const std::size_t at = text.find(needle);
    INFO(needle);
    REQUIRE(at != std::string::npos);
    return at;
}

// A Python listener on $PORT that starts listening after `delay` seconds.
std::string late_listener(double delay) {
    return "python3 -c \"import os,socket,time; time.sleep(" + std::to_string(delay) +
           "); s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
           "s.bind(('127.0.0.1', int(os.environ['PORT']))); s.listen(); print('listening', "
           "flush=True); time.sleep(60)\"";
}

}  // namespace

TEST_CASE("restart on-failure: backoff, max_restarts, give-up, and the others keep running",
          "[lifecycle][restart]") {
    TempDir dir;
    dir.write("Procfile", "web: sleep 60\nworker: echo run; exit 3\n");
    dir.write(".procrun.yaml", R"(processes:
  worker:
    restart: on-failure
    backoff: {initial: 100ms, max: 200ms}
    max_restarts: 2
    on_exhausted: give-up
)");
    Child c(start_args(), in_project(dir));
    REQUIRE(c.wait_for_output("giving up", 20s));
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    INFO(r.out << r.err);
    CHECK(count_of(r.out, "worker.1 | run") == 3);
    CHECK(r.out.find("worker.1 restarts in 100ms (restart 1 of 2)") != std::string::npos);
    CHECK(r.out.find("worker.1 restarts in 200ms (restart 2 of 2)") != std::string::npos);
    CHECK(r.out.find("worker.1 was restarted 2 times in a row; giving up") != std::string::npos);
    CHECK(r.out.find("web.1 terminated by SIGTERM") != std::string::npos);
    CHECK(count_of(r.out, "web.1 started with pid") == 1);
    CHECK(r.exit_code == 130);
}

TEST_CASE("can_die from the command line (--can-die): a release step that fails stops nothing",
          "[lifecycle]") {
    TempDir dir;
    dir.write("Procfile", "release: echo migrating; exit 1\nweb: sleep 60\n");
    Child c(start_args({"--can-die", "release"}), in_project(dir));
    REQUIRE(c.wait_for_output("release.1 exited with code 1", 20s));
    std::this_thread::sleep_for(300ms);
    c.signal(SIGTERM);
    const RunResult r = c.wait(20s);
    INFO(r.out << r.err);
    CHECK(r.out.find("web.1 terminated by SIGTERM") != std::string::npos);
    CHECK(r.exit_code == 143);
}

TEST_CASE("depends_on ready with a tcp probe: waits for a listener that starts late",
          "[lifecycle][depends]") {
    TempDir dir;
    dir.write("Procfile", "web: echo web up; sleep 60\ndb: " + late_listener(1.0) + "\n");
    dir.write(".procrun.yaml", R"(processes:
  web:
    depends_on: {db: ready}
  db:
    readiness:
      tcp: true
      interval: 100ms
      timeout: 500ms
      retries: 100
)");
    RunOptions o = in_project(dir);
    o.set_env = {"PORT=" + std::to_string(20000 + (::getpid() % 20000))};
    Child c(start_args(), o);
    REQUIRE(c.wait_for_output("web.1  | web up", 30s));
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    INFO(r.out << r.err);
    const auto waiting = position(r.out, "web.1 is waiting for db to be ready");
    const auto listening = position(r.out, "db.1   | listening");
    const auto ready = position(r.out, "db.1 is ready");
    const auto started = position(r.out, "web.1 started with pid");
    CHECK(waiting < ready);
    CHECK(listening < ready);
    CHECK(ready < started);
    CHECK(r.exit_code == 130);
}

TEST_CASE("depends_on ready: a dependency that never listens fails with a clear error",
          "[lifecycle][depends]") {
    TempDir dir;
    dir.write("Procfile", "web: echo never; sleep 60\ndb: sleep 60\n");
    dir.write(".procrun.yaml", R"(processes:
  web:
    depends_on: {db: ready}
  db:
    readiness: {tcp: true, interval: 50ms, timeout: 200ms, retries: 3}
)");
    RunOptions o = in_project(dir);
    o.set_env = {"PORT=" + std::to_string(40000 + (::getpid() % 20000))};
    const RunResult r = run_procrun({"start", "--no-timestamp", "--no-color"}, o);
    INFO(r.out << r.err);
    CHECK(r.out.find("db.1 did not become ready: ") != std::string::npos);
    CHECK(r.out.find("web.1 cannot start: db.1 never became ready") != std::string::npos);
    CHECK(r.out.find("web.1 started") == std::string::npos);
    CHECK(r.exit_code == 1);
}

TEST_CASE(
    "depends_on: a dependency that ends without meeting the condition resolves its "
    "dependents (exit 1)",
    "[lifecycle][depends]") {
    // A can_die migration that fails; a can_die database that exits before its
    // probe passed; a worker whose restarts give up before it completed.
    TempDir dir;
    dir.write("Procfile",
              "migrate: echo migrating; exit 2\n"
              "web: echo never; sleep 60\n"
              "other: sleep 60\n");
    dir.write(".procrun.yaml", R"(processes:
  migrate:
    can_die: true
  web:
    depends_on: {migrate: completed_successfully}
)");
    const auto start = std::chrono::steady_clock::now();
    const RunResult r = run_procrun({"start", "--no-timestamp", "--no-color"}, in_project(dir));
    const auto took = std::chrono::steady_clock::now() - start;
    INFO(r.out << r.err);
    CHECK(r.out.find("web.1 cannot start: migrate.1 exited with code 2") != std::string::npos);
    CHECK(r.out.find("web.1 started") == std::string::npos);
    CHECK(r.out.find("other.1 terminated by SIGTERM") != std::string::npos);
    CHECK(r.exit_code == 1);
    CHECK_FALSE(r.timed_out);
    CHECK(took < 10s);

    TempDir probed;
    probed.write("Procfile", "db: echo starting; exit 0\nweb: echo never; sleep 60\n");
    probed.write(".procrun.yaml", R"(processes:
  db:
    can_die: true
    readiness: {log: "ready to accept"}
  web:
    depends_on: {db: ready}
)");
    const RunResult p = run_procrun({"start", "--no-timestamp", "--no-color"}, in_project(probed));
    INFO(p.out << p.err);
    CHECK(p.out.find("web.1 cannot start: db.1 exited with code 0 before it was ready") !=
          std::string::npos);
    CHECK(p.exit_code == 1);

    TempDir gives_up;
    gives_up.write("Procfile", "job: exit 3\nweb: echo never; sleep 60\n");
    gives_up.write(".procrun.yaml", R"(processes:
  job:
    restart: on-failure
    max_restarts: 1
    on_exhausted: give-up
    backoff: {initial: 50ms}
  web:
    depends_on: {job: completed_successfully}
)");
    const RunResult g =
        run_procrun({"start", "--no-timestamp", "--no-color"}, in_project(gives_up));
    INFO(g.out << g.err);
    CHECK(g.out.find("job.1 was restarted 1 times in a row; giving up") != std::string::npos);
    CHECK(g.out.find("web.1 cannot start: job.1 exited with code 3") != std::string::npos);
    CHECK(g.exit_code == 1);
}

TEST_CASE("a log probe: ready at the first matching line", "[lifecycle][depends]") {
    TempDir dir;
    dir.write("Procfile",
              "db: echo booting; sleep 0.3; echo ready to accept connections; sleep 60\n"
              "web: echo web up; sleep 60\n");
    dir.write(".procrun.yaml", R"(processes:
  web:
    depends_on: {db: ready}
  db:
    readiness: {log: "ready to accept"}
)");
    Child c(start_args(), in_project(dir));
    REQUIRE(c.wait_for_output("web.1  | web up", 20s));
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    INFO(r.out << r.err);
    CHECK(position(r.out, "db.1   | ready to accept") < position(r.out, "db.1 is ready"));
    CHECK(position(r.out, "db.1 is ready") < position(r.out, "web.1 started"));
}

TEST_CASE("control: restart one instance while the others keep their pids",
          "[lifecycle][control]") {
    TempDir dir;
    dir.write("Procfile", "web: sleep 60\nworker: sleep 60\n");
    const RunOptions o = in_project(dir);
    Child c(start_args({"-c", "web=2,worker=1"}), o);
    const bool up = c.wait_for_output("worker.1 started", 20s);
    INFO(c.out() << c.err());
    REQUIRE(up);
    const RunResult before = run_procrun({"status", "--json"}, o);
    REQUIRE(before.exit_code == 0);
    const RunResult restart = run_procrun({"restart", "web.2"}, o);
    INFO(restart.out << restart.err);
    REQUIRE(restart.exit_code == 0);
    REQUIRE(c.wait_for_output("web.2 started with pid", 5s));
    std::this_thread::sleep_for(200ms);
    const RunResult after = run_procrun({"status"}, o);
    INFO(before.out << after.out);
    // web.1 and worker.1 kept their pids; web.2 has a new one and one restart.
    const auto pid_of = [](const std::string& json, const std::string& name) {
        const auto at = json.find("\"name\":\"" + name + "\"");
        const auto p = json.find("\"pid\":", at);
        return std::stoi(json.substr(p + 6));
    };
    const RunResult after_json = run_procrun({"status", "--json"}, o);
    CHECK(pid_of(before.out, "web.1") == pid_of(after_json.out, "web.1"));
    CHECK(pid_of(before.out, "worker.1") == pid_of(after_json.out, "worker.1"));
    CHECK(pid_of(before.out, "web.2") != pid_of(after_json.out, "web.2"));
    CHECK(after.out.find("web.2") != std::string::npos);

    // A second supervisor in the same root refuses to start.
    const RunResult second = run_procrun({"start"}, o);
    CHECK(second.exit_code != 0);
    CHECK(second.err.find("already running") != std::string::npos);

    // Stop and start one type, then kill everything: exit 0.
    CHECK(run_procrun({"stop", "worker"}, o).exit_code == 0);
    REQUIRE(c.wait_for_output("worker.1 terminated by SIGTERM", 5s));
    CHECK(run_procrun({"start", "worker"}, o).exit_code == 0);
    REQUIRE(c.wait_for_output("starting worker.1 (requested)", 5s));
    CHECK(run_procrun({"kill"}, o).exit_code == 0);
    const RunResult r = c.wait(20s);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(run_procrun({"status"}, o).exit_code != 0);  // nothing runs there any more
}

TEST_CASE("pty mode (--pty): a terminal for the child, colours kept, every line drained after exit",
          "[lifecycle][pty]") {
    TempDir dir;
    dir.write("Procfile",
              "colour: python3 -c \"import sys; print(sys.stdout.isatty(), sys.stderr.isatty()); "
              "print('\\x1b[31mred\\x1b[0m' if sys.stdout.isatty() else 'plain')\"\n"
              "lines: seq 1 100000; printf 'no newline at the end'\n"
              "web: sleep 60\n");
    RunOptions o = in_project(dir);
    o.unset_env.push_back("PYTHONUNBUFFERED");
    Child c(start_args({"--pty", "--can-die", "colour", "--can-die", "lines"}), o);
    REQUIRE(c.wait_for_output("lines.1 exited with code 0", 30s));
    REQUIRE(c.wait_for_output("colour.1 exited with code 0", 10s));
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    INFO(r.err);
    CHECK(r.out.find("colour.1 | True True") != std::string::npos);
    CHECK(r.out.find("colour.1 | \x1b[31mred\x1b[0m\n") != std::string::npos);
    CHECK(r.out.find('\r') == std::string::npos);
    // All 100,000 lines, in order, then the unterminated one, before the exit line.
    std::vector<std::string> seen;
    for (const auto& line : split_lines(r.out)) {
        if (line.rfind("lines.1  | ", 0) == 0)
            seen.push_back(line.substr(11));
    }
    REQUIRE(seen.size() == 100001);
    bool in_order = true;
    for (int i = 0; i < 100000; ++i)
        in_order = in_order && seen[static_cast<std::size_t>(i)] == std::to_string(i + 1);
    CHECK(in_order);
    CHECK(seen.back() == "no newline at the end");
    CHECK(r.out.find("lines.1  | no newline at the end") < r.out.find("lines.1 exited"));
}

TEST_CASE(
    "JSON output and log files (--output=json, --log-dir): every line parses, per-instance files, "
    "rotation",
    "[lifecycle][logs]") {
    TempDir dir;
    dir.write("Procfile",
              "web: i=0; while [ $i -lt 300 ]; do echo \"web line $i \\\"quoted\\\"\"; "
              "i=$((i+1)); done; printf 'bad \\377 byte\\n'; sleep 0.2\n"
              "worker: echo worker says hi; sleep 30\n");
    const RunResult r = run_procrun({"start", "--output=json", "--log-dir", "logs",
                                     "--log-max-size", "4K", "--log-keep", "2", "-q", "worker"},
                                    in_project(dir));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    const auto logs = dir.path() / "logs";
    for (const char* f : {"procrun.log", "web.1.log", "web.1.log.1", "web.1.log.2", "worker.1.log"})
        CHECK(std::filesystem::exists(logs / f));
    CHECK_FALSE(std::filesystem::exists(logs / "web.1.log.3"));
    // Every line of stdout and of every file is one JSON object with the four keys.
    const std::string check = R"(
import json, pathlib, sys
n = 0
for src in [sys.stdin] + [open(p, encoding='utf-8') for p in sorted(pathlib.Path('logs').iterdir())]:
    for line in src:
        o = json.loads(line)
        assert set(o) >= {'ts', 'process', 'stream', 'line'}, o
        n += 1
print(n)
)";
    RunOptions o = in_project(dir);
    o.stdin_data = r.out;
    const RunResult parsed = procrun::test::run({"python3", "-c", check}, o);
    INFO(parsed.err);
    CHECK(parsed.exit_code == 0);
    CHECK(std::stoi(parsed.out) > 300);
    // The quiet type is in its file, not on the terminal; the bad byte became U+FFFD.
    CHECK(r.out.find("worker says hi") == std::string::npos);
    CHECK(r.out.find("bad \xef\xbf\xbd byte") != std::string::npos);
}

TEST_CASE("stop_signal and stop_timeout per process type", "[lifecycle]") {
    TempDir dir;
    dir.write("Procfile",
              "web: trap 'echo got QUIT; exit 0' QUIT; echo up; while :; do sleep 0.05; done\n"
              "stubborn: trap '' TERM; echo up; while :; do sleep 0.05; done\n");
    dir.write(".procrun.yaml", R"(timeout: 30
processes:
  web:
    stop_signal: QUIT
  stubborn:
    stop_timeout: 300ms
)");
    Child c(start_args(), in_project(dir));
    REQUIRE(c.wait_for_output("stubborn.1 | up", 20s));
    REQUIRE(c.wait_for_output("web.1      | up", 5s));
    const auto t0 = std::chrono::steady_clock::now();
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    const auto took = std::chrono::steady_clock::now() - t0;
    INFO(r.out << r.err);
    CHECK(r.out.find("stopping all processes: SIGQUIT to web.1; SIGTERM to stubborn.1") !=
          std::string::npos);
    CHECK(r.out.find("web.1      | got QUIT") != std::string::npos);
    CHECK(r.out.find("sending SIGKILL to 1 process that did not stop") != std::string::npos);
    CHECK(r.out.find("stubborn.1 terminated by SIGKILL") != std::string::npos);
    CHECK(took < 10s);  // its own 300 ms, not the plan's 30 s
    CHECK(r.exit_code == 130);
}
