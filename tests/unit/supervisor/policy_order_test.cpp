// The policy: ordered stop (dependents first), stop commands and liveness.

#include <signal.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "policy_replay.hpp"

using namespace procrun;
using namespace std::chrono_literals;
using policy_replay::FakeLauncher;
using policy_replay::instance;
using policy_replay::OnTerm;
using policy_replay::restarting;

namespace {

Lifecycle depending_on(const char* type, std::chrono::milliseconds stop_timeout = 2000ms) {
    Lifecycle lc;
    lc.depends_on = {Dependency{type, DependencyCondition::started, {}}};
    lc.stop_timeout = stop_timeout;
    return lc;
}

// db <- web <- nginx: nginx depends on web, web on db.
FakeLauncher chain() {
    Lifecycle db;
    db.stop_timeout = 2000ms;
    return FakeLauncher(
        {instance("db.1", db), instance("web.1", depending_on("db")),
         instance("web.2", depending_on("db")), instance("nginx.1", depending_on("web"))},
        5000ms);
}

std::size_t position(const std::vector<std::string>& log, const std::string& line) {
    for (std::size_t i = 0; i < log.size(); ++i) {
        if (log[i] == line)
            return i;
    }
    FAIL("not logged: " << line);
    return 0;
}

Lifecycle live_http(RestartPolicy restart = RestartPolicy::no) {
    Lifecycle lc = restarting(restart);
    lc.liveness.kind = ProbeKind::http;
    lc.liveness.failure_threshold = 3;
    return lc;
}

}  // namespace

TEST_CASE("ordered stop: dependents stop first, each after what depends on it has ended",
          "[policy][stop-order]") {
    FakeLauncher f = chain();
    f.on_term[0] = OnTerm::ignores;
    f.on_term[1] = OnTerm::ignores;
    f.on_term[2] = OnTerm::ignores;
    f.on_term[3] = OnTerm::ignores;
    f.start();
    f.clear_log();
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.log() == std::vector<std::string>{"say received SIGINT",
                                              "say stopping all processes, dependents first",
                                              "say sending SIGTERM to nginx.1", "signal 15 nginx.1",
                                              "signal 18 nginx.1"});
    f.clear_log();
    // nginx exits: both web processes get their signal together, db waits.
    f.exit(3, ExitStatus::killed(SIGTERM));
    CHECK(f.log() == std::vector<std::string>{"say nginx.1 terminated by SIGTERM",
                                              "say sending SIGTERM to web.1, web.2",
                                              "signal 15 web.1", "signal 15 web.2",
                                              "signal 18 web.1", "signal 18 web.2"});
    f.clear_log();
    f.exit(1, ExitStatus::exited(0));
    CHECK(f.count_prefix("signal 15 db.1") == 0);
    f.exit(2, ExitStatus::exited(0));
    CHECK(f.logged("signal 15 db.1"));
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.finished() == 130);
}

TEST_CASE(
    "ordered stop: a dependent that ignores its signal holds the next one back until its "
    "SIGKILL",
    "[policy][stop-order]") {
    FakeLauncher f = chain();
    for (std::size_t i = 0; i < 4; ++i)
        f.on_term[i] = OnTerm::ignores;
    f.start();
    const TimePoint t0 = f.now();
    f.send(event::SignalReceived{SIGTERM});
    // nginx.1's stop_timeout is 2s: SIGKILL at 2s, web.1 and web.2 signalled then.
    REQUIRE(f.deadline() == t0 + 2000ms);
    f.advance(2000ms);
    const auto& log = f.log();
    CHECK(position(log, "signal 9 nginx.1") < position(log, "signal 15 web.1"));
    CHECK(f.count_prefix("signal 15 db.1") == 0);
    REQUIRE(f.deadline() == t0 + 4000ms);
    f.advance(2000ms);
    CHECK(position(f.log(), "signal 9 web.2") < position(f.log(), "signal 15 db.1"));
    // The bound: the sum of the stop timeouts along the chain.
    REQUIRE(f.deadline() == t0 + 6000ms);
    f.advance(2000ms);
    CHECK(f.logged("signal 9 db.1"));
    CHECK(f.finished() == 143);
}

TEST_CASE("ordered stop: a second SIGINT kills everything at once, held ones included",
          "[policy][stop-order]") {
    FakeLauncher f = chain();
    for (std::size_t i = 0; i < 4; ++i)
        f.on_term[i] = OnTerm::ignores;
    f.start();
    f.send(event::SignalReceived{SIGINT});
    f.clear_log();
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.logged("say received SIGINT again"));
    for (const char* name : {"db.1", "web.1", "web.2", "nginx.1"})
        CHECK(f.logged(std::string("signal 9 ") + name));
    CHECK(f.count_prefix("signal 15") == 0);
    CHECK(f.finished() == 130);
}

TEST_CASE("ordered stop: without depends_on everything is signalled at once",
          "[policy][stop-order]") {
    FakeLauncher f({"web.1", "worker.1"}, 5000ms);
    f.start();
    f.clear_log();
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.log() ==
          std::vector<std::string>{"say received SIGINT", "say sending SIGTERM to all processes",
                                   "signal 15 web.1", "signal 15 worker.1", "signal 18 web.1",
                                   "signal 18 worker.1", "say web.1 terminated by SIGTERM",
                                   "say worker.1 terminated by SIGTERM", "finish 130"});
}

TEST_CASE("ordered stop: an exit that stops everything stops the rest in order",
          "[policy][stop-order]") {
    FakeLauncher f = chain();
    f.start();
    f.clear_log();
    // web.1 fails: nginx.1 first, then web.2, then db.1.
    f.exit(1, ExitStatus::exited(3));
    const auto& log = f.log();
    CHECK(position(log, "signal 15 nginx.1") < position(log, "signal 15 web.2"));
    CHECK(position(log, "signal 15 web.2") < position(log, "signal 15 db.1"));
    CHECK(f.finished() == 3);
}

TEST_CASE("stop_command: run instead of the stop signal, SIGKILL after stop_timeout",
          "[policy][stop-command]") {
    Lifecycle redis;
    redis.stop_command = "redis-cli shutdown";
    redis.stop_timeout = 3000ms;
    FakeLauncher f({instance("redis.1", redis), instance("web.1")}, 5000ms);
    f.on_term[0] = OnTerm::ignores;
    f.start();
    f.clear_log();
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.logged("stop command redis.1"));
    CHECK(f.count_prefix("signal 15 redis.1") == 0);
    CHECK(f.logged("signal 15 web.1"));
    CHECK(f.logged("say sending SIGTERM to web.1; the stop command of redis.1"));
    // The command succeeded but the process is still there: SIGKILL at 3s.
    REQUIRE(f.deadline() == f.now() + 3000ms);
    f.advance(3000ms);
    CHECK(f.logged("signal 9 redis.1"));
    CHECK(f.finished() == 130);
}

TEST_CASE("stop_command: a command that fails is reported and the stop signal sent",
          "[policy][stop-command]") {
    Lifecycle redis;
    redis.stop_command = "redis-cli shutdown";
    FakeLauncher f({instance("redis.1", redis)}, 5000ms);
    f.failing_stop_command.insert(0);
    f.start();
    f.clear_log();
    f.send(event::SignalReceived{SIGTERM});
    CHECK(f.logged("stop command redis.1"));
    CHECK(f.logged("say the stop command of redis.1 exited with code 1; sending SIGTERM"));
    CHECK(position(f.log(), "stop command redis.1") < position(f.log(), "signal 15 redis.1"));
    CHECK(f.finished() == 143);
}

TEST_CASE("stop_command: used by procrun stop and restart, not for a group whose leader exited",
          "[policy][stop-command]") {
    Lifecycle redis = restarting(RestartPolicy::always);
    redis.stop_command = "redis-cli shutdown";
    FakeLauncher f({instance("redis.1", redis), instance("web.1")}, 5000ms);
    f.start();
    f.clear_log();
    f.send(event::Control{event::ControlOp::restart, {0}});
    CHECK(f.logged("stop command redis.1"));
    CHECK(f.count_prefix("signal 15") == 0);
    CHECK(f.count_prefix("spawn redis.1") == 1);
    f.clear_log();
    f.send(event::Control{event::ControlOp::stop, {0}});
    CHECK(f.logged("stop command redis.1"));
    CHECK(f.policy().status(0).state == "stopped");
    f.send(event::Control{event::ControlOp::start, {0}});
    f.clear_log();
    // Its leader exits and leaves a process behind: the rest of the group gets
    // the signal (there is nothing left to run the command for).
    f.on_term[0] = OnTerm::exits;
    f.send(event::Exited{0, ExitStatus::exited(1)});
    CHECK(f.count_prefix("stop command") == 0);
    CHECK(f.logged("signal 15 redis.1"));
}

TEST_CASE("liveness: starts once ready, or started without readiness", "[policy][liveness]") {
    Lifecycle probed = live_http();
    probed.readiness.kind = ProbeKind::tcp;
    FakeLauncher f({instance("web.1", live_http()), instance("api.1", probed)}, 5000ms);
    f.start();
    CHECK(position(f.log(), "say web.1 started with pid 100") <
          position(f.log(), "liveness web.1"));
    CHECK(f.count_prefix("liveness api.1") == 0);
    f.send(event::Ready{1});
    CHECK(f.logged("liveness api.1"));
    CHECK(f.policy().status(0).readiness.empty());
    f.send(event::Liveness{0, 0, ""});
    CHECK(f.policy().status(0).readiness == "live");
    CHECK(f.policy().status(1).readiness == "ready");
    f.send(event::Liveness{1, 0, ""});
    CHECK(f.policy().status(1).readiness == "ready, live");
}

TEST_CASE("liveness: failure_threshold failures in a row restart it under its policy",
          "[policy][liveness]") {
    FakeLauncher f({instance("web.1", live_http(RestartPolicy::on_failure)), instance("db.1")},
                   5000ms);
    f.on_term[0] = OnTerm::exits;
    f.start();
    f.clear_log();
    const std::string why = "GET http://127.0.0.1:5000/health: connect: Connection refused";
    f.send(event::Liveness{0, 1, why});
    CHECK(f.logged("say web.1 failed its liveness probe: " + why));
    CHECK(f.policy().status(0).readiness == "unhealthy");
    f.send(event::Liveness{0, 2, why});
    CHECK(f.count_prefix("signal") == 0);
    f.send(event::Liveness{0, 3, why});
    CHECK(f.logged("say web.1 is not live (" + why + ", 3 times in a row): restarting"));
    CHECK(f.logged("signal 15 web.1"));
    CHECK(f.logged("say web.1 restarts in 1s (restart 1)"));
    CHECK_FALSE(f.finished());
    f.advance(1000ms);
    CHECK(f.count_prefix("spawn web.1") == 1);
    CHECK(f.count_prefix("liveness web.1") == 1);
    CHECK(f.policy().status(0).restarts == 1);
}

TEST_CASE("liveness: a clean exit after a liveness stop still counts as a failure",
          "[policy][liveness]") {
    FakeLauncher f({instance("web.1", live_http(RestartPolicy::on_failure))}, 5000ms);
    f.on_term[0] = OnTerm::ignores;
    f.start();
    f.send(event::Liveness{0, 3, "`check` exited with code 1"});
    // It handles SIGTERM and exits 0: restarted all the same.
    f.send(event::Exited{0, ExitStatus::exited(0), true});
    CHECK(f.logged("say web.1 restarts in 1s (restart 1)"));
    CHECK_FALSE(f.finished());
}

TEST_CASE("liveness: with restart no, the process is stopped and its exit stops everything",
          "[policy][liveness]") {
    FakeLauncher f({instance("web.1", live_http()), instance("db.1")}, 5000ms);
    f.start();
    f.clear_log();
    f.send(event::Liveness{0, 3, "connect to 127.0.0.1:5000: Connection refused"});
    CHECK(f.logged(
        "say web.1 is not live (connect to 127.0.0.1:5000: Connection refused, 3 times in a "
        "row): stopping it"));
    CHECK(f.logged("signal 15 db.1"));
    CHECK(f.finished() == 128 + SIGTERM);
}

TEST_CASE("liveness: results while stopping, or after a pass, change nothing",
          "[policy][liveness]") {
    FakeLauncher f({instance("web.1", live_http(RestartPolicy::always))}, 5000ms);
    f.on_term[0] = OnTerm::ignores;
    f.start();
    f.send(event::Liveness{0, 2, "x"});
    f.send(event::Liveness{0, 0, ""});
    CHECK(f.logged("say web.1 is live again"));
    CHECK(f.policy().status(0).readiness == "live");
    f.send(event::SignalReceived{SIGINT});
    f.clear_log();
    f.send(event::Liveness{0, 3, "x"});
    CHECK(f.log().empty());
}
