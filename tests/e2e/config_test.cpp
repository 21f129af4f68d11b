// .procrun.yaml and the options it mirrors, against the real binary: durations
// on the command line, stop signals, and input the YAML parser must survive.

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <string>

#include "harness.hpp"

namespace {

using namespace std::chrono_literals;
using procrun::test::Child;
using procrun::test::contains;
using procrun::test::in_project;
using procrun::test::kTestchild;
using procrun::test::procrun_binary;
using procrun::test::run_procrun;
using procrun::test::RunResult;
using procrun::test::TempDir;
using procrun::test::testchild_binary;

}  // namespace

TEST_CASE("start -t takes a fraction of a second", "[e2e][config]") {
    TempDir dir;
    dir.write("Procfile", "stubborn: " + kTestchild + " ignore TERM print ready sleep 60\n");
    Child c({procrun_binary(), "start", "-t", "0.5", "--no-timestamp"}, in_project(dir));
    REQUIRE(c.wait_for_output("ready", 10s));
    const auto sent = std::chrono::steady_clock::now();
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    INFO(r.out << r.err);
    CHECK(r.exit_code == 130);
    CHECK(waited >= 0.5);
    CHECK(waited < 3.0);
    CHECK(contains(r.out, "sending SIGKILL to 1 process that did not stop"));
}

TEST_CASE("start --timeout takes the config's durations", "[e2e][config]") {
    TempDir dir;
    dir.write("Procfile", "stubborn: " + kTestchild + " ignore TERM print ready sleep 60\n");
    Child c({procrun_binary(), "start", "--timeout=300ms"}, in_project(dir));
    REQUIRE(c.wait_for_output("ready", 10s));
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    CHECK(r.exit_code == 130);
    CHECK(contains(r.out, "sending SIGKILL to 1 process that did not stop"));
}

TEST_CASE("start -t: a bad duration is a usage error that says what is expected", "[e2e][config]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " sleep 60\n");
    for (const char* bad : {"0,5", "-1", "1x", "25h", "ten", ""}) {
        INFO(bad);
        const RunResult r = run_procrun({"start", "-t", bad}, in_project(dir));
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "--timeout"));
        CHECK(contains(r.err, "a duration like 500ms, 2s or 1m, or a number of seconds"));
        CHECK(r.out.empty());
    }
}

TEST_CASE("timeout in .procrun.yaml takes a duration", "[e2e][config]") {
    TempDir dir;
    dir.write("Procfile", "stubborn: " + kTestchild + " ignore TERM print ready sleep 60\n");
    dir.write(".procrun.yaml", "timeout: 0.2\n");
    Child c({procrun_binary(), "start"}, in_project(dir));
    REQUIRE(c.wait_for_output("ready", 10s));
    const auto sent = std::chrono::steady_clock::now();
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    CHECK(r.exit_code == 130);
    CHECK(waited < 3.0);
}

TEST_CASE("stop_signal STOP is a located error, KILL a warning", "[e2e][config]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " sleep 60\n");
    dir.write(".procrun.yaml", "processes:\n  web:\n    stop_signal: STOP\n");
    const RunResult stop = run_procrun({"check"}, in_project(dir));
    INFO(stop.err << stop.out);
    CHECK(stop.exit_code == 1);
    const std::string all = stop.out + stop.err;
    CHECK(contains(all, ".procrun.yaml:3:18: error: 'stop_signal' SIGSTOP cannot stop a process"));
    CHECK(contains(all, "hint: use a signal the process can handle"));

    dir.write(".procrun.yaml", "processes:\n  web:\n    stop_signal: KILL\n");
    const RunResult kill = run_procrun({"check"}, in_project(dir));
    INFO(kill.err << kill.out);
    CHECK(kill.exit_code == 0);
    CHECK(contains(kill.out + kill.err,
                   ".procrun.yaml:3:18: warning: 'stop_signal' SIGKILL cannot be handled"));
}

TEST_CASE("a deeply nested .procrun.yaml is refused, located, in good time", "[e2e][config]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " sleep 60\n");
    dir.write(".procrun.yaml", "port: " + std::string(100000, '[') + "\n");
    procrun::test::RunOptions options = in_project(dir);
    options.timeout = 20s;
    const RunResult r = run_procrun({"check"}, options);
    INFO(r.err.substr(0, 2000));
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.out + r.err, ".procrun.yaml:1:"));
    CHECK(contains(r.out + r.err, ": error: invalid YAML: nesting deeper than 64 levels"));
}
