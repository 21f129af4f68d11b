// The policy: restarts, can_die, exit_with, dependencies, control requests and
// processes that left their group.

#include <signal.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <vector>

#include "policy_replay.hpp"

using namespace procrun;
using namespace std::chrono_literals;
using policy_replay::FakeLauncher;
using policy_replay::instance;
using policy_replay::OnTerm;
using policy_replay::restarting;

TEST_CASE("on-failure restarts after a backoff that doubles, and others keep running",
          "[policy][restart]") {
    FakeLauncher f({instance("web.1"), instance("worker.1", restarting(RestartPolicy::on_failure))},
                   5000ms);
    f.start();
    f.clear_log();
    f.exit(1, ExitStatus::exited(1));
    CHECK(f.logged("say worker.1 restarts in 1s (restart 1)"));
    CHECK_FALSE(f.logged("signal 15 web.1"));
    CHECK(f.policy().status(1).state == "backoff");
    REQUIRE(f.deadline() == f.now() + 1000ms);
    f.advance(999ms);
    CHECK(f.count_prefix("spawn worker.1") == 0);
    f.advance(1ms);
    CHECK(f.count_prefix("spawn worker.1") == 1);
    CHECK(f.policy().status(1).restarts == 1);
    // Fails again at once: 2s, then 4s, 8s, capped at 8s.
    for (const char* delay : {"2s", "4s", "8s", "8s"}) {
        f.advance(100ms);
        f.exit(1, ExitStatus::killed(SIGSEGV));
        CHECK(f.logged(std::string("say worker.1 restarts in ") + delay + " (restart " +
                       std::to_string(f.policy().status(1).restarts) + ")"));
        f.advance(8000ms);
    }
    CHECK_FALSE(f.finished());
    CHECK(f.running(0));
}

TEST_CASE("the backoff starts again after a stable run", "[policy][restart]") {
    FakeLauncher f({instance("worker.1", restarting(RestartPolicy::always))}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(0));
    f.advance(1000ms);
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.logged("say worker.1 restarts in 2s (restart 2)"));
    f.advance(2000ms);
    f.advance(10000ms);  // ran stably for reset_after
    f.clear_log();
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.logged("say worker.1 restarts in 1s (restart 1)"));
    CHECK(f.policy().status(0).restarts == 3);
}

TEST_CASE("on-failure does not restart a clean exit, which stops everything", "[policy][restart]") {
    FakeLauncher f({instance("web.1"), instance("worker.1", restarting(RestartPolicy::on_failure))},
                   5000ms);
    f.start();
    f.exit(1, ExitStatus::exited(0));
    CHECK(f.logged("signal 15 web.1"));
    CHECK(f.finished() == 0);
}

TEST_CASE("max_restarts exhausted: stop-all stops everything with its code, give-up leaves it",
          "[policy][restart]") {
    const bool give_up = GENERATE(false, true);
    Lifecycle lc = restarting(RestartPolicy::on_failure, 2);
    lc.on_exhausted = give_up ? OnExhausted::give_up : OnExhausted::stop_all;
    FakeLauncher f({instance("web.1"), instance("worker.1", lc)}, 5000ms);
    f.start();
    for (int i = 0; i < 2; ++i) {
        f.exit(1, ExitStatus::exited(3));
        f.advance(5000ms);
    }
    CHECK(f.count_prefix("spawn worker.1") == 3);
    f.exit(1, ExitStatus::exited(3));
    CHECK(f.count_prefix("spawn worker.1") == 3);
    if (give_up) {
        CHECK(f.logged("say worker.1 was restarted 2 times in a row; giving up"));
        CHECK_FALSE(f.finished());
        CHECK(f.policy().status(1).state == "failed");
        CHECK(f.running(0));
    } else {
        CHECK(f.logged("say worker.1 was restarted 2 times in a row; stopping everything"));
        CHECK(f.finished() == 3);
    }
}

TEST_CASE("a restart stops the rest of the old group first", "[policy][restart]") {
    FakeLauncher f({instance("shell.1", restarting(RestartPolicy::always))}, 2000ms);
    f.on_term[0] = OnTerm::ignores;
    f.start();
    f.clear_log();
    // The leader exits; a grandchild stays in its group and ignores SIGTERM.
    f.send(event::Exited{0, ExitStatus::exited(1)});
    CHECK(f.logged("signal 15 shell.1"));
    f.advance(1000ms);
    CHECK(f.count_prefix("spawn shell.1") == 0);  // the group is not empty yet
    f.advance(1000ms);
    CHECK(f.logged("signal 9 shell.1"));
    CHECK(f.count_prefix("spawn shell.1") == 1);  // backoff already passed
}

TEST_CASE("can_die: its exit, whatever the code, stops nothing", "[policy][lifecycle]") {
    Lifecycle lc;
    lc.can_die = true;
    FakeLauncher f({instance("release.1", lc), instance("web.1")}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(2));
    CHECK_FALSE(f.finished());
    CHECK(f.count_prefix("signal ") == 0);
    CHECK(f.policy().status(0).state == "failed");
    // web.1 is not can_die: its exit stops everything, with its own code.
    f.exit(1, ExitStatus::exited(0));
    CHECK(f.finished() == 0);
}

TEST_CASE("only can_die processes: procrun ends when they have all ended", "[policy][lifecycle]") {
    Lifecycle lc;
    lc.can_die = true;
    FakeLauncher f({instance("a.1", lc), instance("b.1", lc)}, 5000ms);
    f.start();
    f.exit(1, ExitStatus::exited(0));
    CHECK_FALSE(f.finished());
    f.exit(0, ExitStatus::exited(6));
    CHECK(f.finished() == 6);  // the first failure's code
}

TEST_CASE("exit_with: its exit stops everything, even with a restart policy",
          "[policy][lifecycle]") {
    Lifecycle lc = restarting(RestartPolicy::always);
    lc.exit_with = true;
    FakeLauncher f({instance("tests.1", lc), instance("web.1")}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(4));
    CHECK_FALSE(f.logged("say tests.1 restarts in 1s (restart 1)"));
    CHECK(f.finished() == 4);
}

TEST_CASE("per-process stop signal and stop timeout", "[policy][lifecycle]") {
    Lifecycle quit;
    quit.stop_signal = SIGQUIT;
    quit.stop_timeout = 1000ms;
    FakeLauncher f({instance("web.1", quit), instance("worker.1")}, 5000ms);
    f.on_term[0] = OnTerm::ignores;
    f.on_term[1] = OnTerm::ignores;
    f.start();
    f.clear_log();
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.logged("say stopping all processes: SIGQUIT to web.1; SIGTERM to worker.1"));
    CHECK(f.logged("signal 3 web.1"));
    CHECK(f.logged("signal 15 worker.1"));
    REQUIRE(f.deadline() == f.now() + 1000ms);
    f.advance(1000ms);
    CHECK(f.logged("signal 9 web.1"));
    CHECK_FALSE(f.logged("signal 9 worker.1"));
    REQUIRE(f.deadline() == f.now() + 4000ms);
    f.advance(4000ms);
    CHECK(f.logged("signal 9 worker.1"));
    CHECK(f.finished() == 130);
}

TEST_CASE("depends_on ready: waits visibly, starts when the probe passes", "[policy][depends]") {
    Lifecycle db;
    db.readiness.kind = ProbeKind::tcp;
    Lifecycle web;
    web.depends_on = {Dependency{"db", DependencyCondition::ready, {}}};
    FakeLauncher f({instance("web.1", web), instance("db.1", db), instance("worker.1")}, 5000ms);
    f.start();
    CHECK(f.log() == std::vector<std::string>{"say web.1 is waiting for db to be ready",
                                              "spawn db.1", "say db.1 started with pid 101",
                                              "probe db.1", "spawn worker.1",
                                              "say worker.1 started with pid 102"});
    CHECK(f.policy().status(0).state == "waiting");
    CHECK(f.policy().status(1).readiness == "pending");
    f.clear_log();
    f.send(event::Ready{1});
    CHECK(f.log() == std::vector<std::string>{"say db.1 is ready", "spawn web.1",
                                              "say web.1 started with pid 100"});
    CHECK(f.policy().status(1).readiness == "ready");
}

TEST_CASE("depends_on ready: a dependency that never becomes ready fails clearly",
          "[policy][depends]") {
    Lifecycle db;
    db.readiness.kind = ProbeKind::tcp;
    Lifecycle web;
    web.depends_on = {Dependency{"db", DependencyCondition::ready, {}}};
    FakeLauncher f({instance("db.1", db), instance("web.1", web)}, 5000ms);
    f.start();
    f.send(event::NeverReady{0, "connect to 127.0.0.1:5000: Connection refused (60 attempts)"});
    CHECK(
        f.logged("say db.1 did not become ready: connect to 127.0.0.1:5000: Connection refused (60 "
                 "attempts)"));
    CHECK(f.logged("say web.1 cannot start: db.1 never became ready"));
    CHECK(f.count_prefix("spawn web.1") == 0);
    CHECK(f.finished() == kExitSupervisorFailed);
}

TEST_CASE("depends_on completed_successfully: a migration runs first, its exit 0 stops nothing",
          "[policy][depends]") {
    Lifecycle web;
    web.depends_on = {Dependency{"migrate", DependencyCondition::completed_successfully, {}}};
    FakeLauncher f({instance("migrate.1"), instance("web.1", web)}, 5000ms);
    f.start();
    CHECK(f.count_prefix("spawn web.1") == 0);
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.count_prefix("spawn web.1") == 1);
    CHECK_FALSE(f.finished());
    CHECK(f.policy().status(0).state == "exited");
}

TEST_CASE("depends_on completed_successfully: a failed migration stops with its code",
          "[policy][depends]") {
    Lifecycle web;
    web.depends_on = {Dependency{"migrate", DependencyCondition::completed_successfully, {}}};
    FakeLauncher f({instance("migrate.1"), instance("web.1", web)}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(5));
    CHECK(f.count_prefix("spawn web.1") == 0);
    CHECK(f.finished() == 5);
}

TEST_CASE("control: restart one instance while the others keep running", "[policy][control]") {
    FakeLauncher f({"web.1", "web.2", "worker.1"}, 5000ms);
    f.start();
    f.clear_log();
    f.send(event::Control{event::ControlOp::restart, {1}});
    CHECK(f.log() == std::vector<std::string>{"say restarting web.2 (requested)", "signal 15 web.2",
                                              "signal 18 web.2", "say web.2 terminated by SIGTERM",
                                              "spawn web.2", "say web.2 started with pid 101"});
    CHECK_FALSE(f.finished());
    CHECK(f.policy().status(1).restarts == 1);
    CHECK(f.policy().status(0).restarts == 0);
}

TEST_CASE("control: stop keeps it stopped, start runs it again, kill stops all with 0",
          "[policy][control]") {
    FakeLauncher f({"web.1", "worker.1"}, 5000ms);
    f.start();
    f.send(event::Control{event::ControlOp::stop, {1}});
    CHECK(f.logged("say stopping worker.1 (requested)"));
    CHECK(f.policy().status(1).state == "stopped");
    CHECK_FALSE(f.finished());
    CHECK(f.running(0));
    f.clear_log();
    f.send(event::Control{event::ControlOp::start, {1}});
    CHECK(f.log() == std::vector<std::string>{"say starting worker.1 (requested)", "spawn worker.1",
                                              "say worker.1 started with pid 101"});
    f.send(event::StopAll{"stopping everything (procrun kill)"});
    CHECK(f.logged("say stopping everything (procrun kill)"));
    CHECK(f.finished() == 0);
}

TEST_CASE("control: a stopped process ignoring its stop signal is killed after its timeout",
          "[policy][control]") {
    FakeLauncher f({"web.1", "stubborn.1"}, 3000ms);
    f.on_term[1] = OnTerm::ignores;
    f.start();
    f.send(event::Control{event::ControlOp::stop, {1}});
    CHECK(f.policy().status(1).state == "stopping");
    f.advance(3000ms);
    CHECK(f.logged("signal 9 stubborn.1"));
    CHECK(f.policy().status(1).state == "stopped");
    CHECK_FALSE(f.finished());
}

// ---- a dependency that ends without meeting the condition ----------------------

TEST_CASE(
    "depends_on completed_successfully: a can_die migration that fails resolves its "
    "dependents with exit 1",
    "[policy][depends]") {
    Lifecycle migrate;
    migrate.can_die = true;
    Lifecycle web;
    web.depends_on = {Dependency{"migrate", DependencyCondition::completed_successfully, {}}};
    FakeLauncher f({instance("migrate.1", migrate), instance("web.1", web)}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(2));
    CHECK(f.logged("say web.1 cannot start: migrate.1 exited with code 2"));
    CHECK(f.count_prefix("spawn web.1") == 0);
    CHECK(f.finished() == kExitSupervisorFailed);
    CHECK(f.policy().status(1).state == "failed");
    CHECK(f.policy().status(1).last_exit == "dependency failed: migrate.1 exited with code 2");
}

TEST_CASE("depends_on: a dependency whose restarts give up resolves its dependents",
          "[policy][depends]") {
    Lifecycle db = restarting(RestartPolicy::on_failure, 1);
    db.on_exhausted = OnExhausted::give_up;
    db.readiness.kind = ProbeKind::tcp;
    Lifecycle web;
    web.depends_on = {Dependency{"db", DependencyCondition::ready, {}}};
    FakeLauncher f({instance("db.1", db), instance("web.1", web), instance("worker.1")}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(3));
    CHECK_FALSE(f.finished());  // restarted once
    f.advance(1000ms);
    CHECK(f.count_prefix("spawn db.1") == 2);
    f.exit(0, ExitStatus::exited(3));
    CHECK(f.logged("say db.1 was restarted 1 times in a row; giving up"));
    CHECK(f.logged("say web.1 cannot start: db.1 exited with code 3 before it was ready"));
    CHECK(f.logged("signal 15 worker.1"));
    CHECK(f.finished() == kExitSupervisorFailed);
}

TEST_CASE(
    "depends_on ready: a can_die dependency that exits before its probe passed resolves its "
    "dependents",
    "[policy][depends]") {
    Lifecycle db;
    db.can_die = true;
    db.readiness.kind = ProbeKind::tcp;
    Lifecycle web;
    web.depends_on = {Dependency{"db", DependencyCondition::ready, {}}};
    FakeLauncher f({instance("db.1", db), instance("web.1", web), instance("web.2", web)}, 5000ms);
    f.on_term[0] = OnTerm::leader_only;
    f.start();
    // Its group lingers (a child of it still runs): the decision does not wait for it.
    f.send(event::Exited{0, ExitStatus::exited(0)});
    CHECK(f.logged("cancel probe db.1"));
    CHECK(f.logged("say web.1 cannot start: db.1 exited with code 0 before it was ready"));
    CHECK(f.logged("say web.2 cannot start: db.1 exited with code 0 before it was ready"));
    CHECK(f.logged("signal 15 db.1"));  // the rest of its group is stopped
    f.send(event::GroupEmpty{0});
    CHECK(f.finished() == kExitSupervisorFailed);
}

TEST_CASE(
    "depends_on started: a can_die dependency that cannot be spawned resolves its "
    "dependents",
    "[policy][depends]") {
    Lifecycle db;
    db.can_die = true;
    Lifecycle web;
    web.depends_on = {Dependency{"db", DependencyCondition::started, {}}};
    FakeLauncher f({instance("db.1", db), instance("web.1", web)}, 5000ms);
    f.fail_spawn = {0};
    f.start();
    CHECK(f.logged(
        "say web.1 cannot start: db.1 could not start: fork: Resource temporarily unavailable"));
    CHECK(f.finished() == kExitSupervisorFailed);
}

TEST_CASE("depends_on: a dependency stopped by request keeps its dependents waiting",
          "[policy][depends]") {
    Lifecycle web;
    web.depends_on = {Dependency{"db", DependencyCondition::ready, {}}};
    Lifecycle db;
    db.readiness.kind = ProbeKind::tcp;
    FakeLauncher f({instance("db.1", db), instance("web.1", web)}, 5000ms);
    f.start();
    f.send(event::Control{event::ControlOp::stop, {0}});
    CHECK(f.policy().status(0).state == "stopped");
    CHECK_FALSE(f.finished());
    CHECK(f.policy().status(1).state == "waiting");
    f.send(event::Control{event::ControlOp::start, {0}});
    f.send(event::Ready{0});
    CHECK(f.count_prefix("spawn web.1") == 1);
}

// ---- processes that left their group ----------------------------------------------

TEST_CASE("escaped processes are stopped last, and finishing waits for them",
          "[policy][escapees]") {
    FakeLauncher f({"web.1"}, 3000ms);
    f.escapees = {EscapedProcess{4321, 4321, "redis-server *:6379"}};
    f.stubborn_escapees = {4321};
    f.start();
    f.send(event::SignalReceived{SIGTERM});
    CHECK(f.logged("say pid 4321 (redis-server *:6379) left its process group; sent SIGTERM"));
    CHECK(f.logged("kill 15 4321"));
    CHECK_FALSE(f.finished());
    REQUIRE(f.deadline() == f.now() + 3000ms);  // the policy's one deadline
    f.advance(2999ms);
    CHECK_FALSE(f.finished());
    f.advance(1ms);
    CHECK(f.logged("say sending SIGKILL to 1 process that left a process group and did not stop"));
    CHECK(f.logged("kill 9 4321"));
    CHECK(f.finished() == 143);
    CHECK_FALSE(f.deadline());
}

TEST_CASE("an escaped process that exits at SIGTERM ends the wait at once", "[policy][escapees]") {
    FakeLauncher f({"web.1"}, 3000ms);
    f.escapees = {EscapedProcess{77, 77, "sleep 303"}};
    f.start();
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.logged("kill 15 77"));
    CHECK(f.finished() == 0);
    CHECK(f.count_prefix("kill 9 ") == 0);
}

TEST_CASE("a second SIGINT kills escaped processes at once", "[policy][escapees]") {
    FakeLauncher f({"web.1"}, 3000ms);
    f.escapees = {EscapedProcess{77, 77, "sleep 303"}};
    f.stubborn_escapees = {77};
    f.start();
    f.send(event::SignalReceived{SIGINT});
    CHECK_FALSE(f.finished());
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.logged("kill 9 77"));
    CHECK(f.finished() == 130);
}

TEST_CASE("a process found outside its group while running is announced once",
          "[policy][escapees]") {
    FakeLauncher f({"redis.1", "web.1"}, 3000ms);
    f.start();
    f.clear_log();
    const EscapedProcess daemon{900, 900, "redis-server *:6379"};
    f.send(event::Escaped{{daemon}, false});
    f.send(event::Escaped{{daemon}, false});
    CHECK(f.log() ==
          std::vector<std::string>{"say pid 900 (redis-server *:6379) left its process group"});
    f.send(event::EscapeeGone{900});
    CHECK_FALSE(f.finished());
}
