// The policy: start order, stopping, signals, exit codes; start-up that yields.

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

TEST_CASE("every process is started in plan order, one after the other", "[policy]") {
    FakeLauncher f({"web.1", "web.2", "worker.1"}, 5000ms);
    f.start();
    CHECK(f.log() == std::vector<std::string>{"spawn web.1", "say web.1 started with pid 100",
                                              "spawn web.2", "say web.2 started with pid 101",
                                              "spawn worker.1",
                                              "say worker.1 started with pid 102"});
    CHECK_FALSE(f.finished());
    CHECK_FALSE(f.deadline());
}

TEST_CASE("the first process to exit stops the others and its code is the exit code", "[policy]") {
    FakeLauncher f({"web.1", "worker.1", "clock.1"}, 5000ms);
    f.start();
    f.clear_log();
    f.exit(1, ExitStatus::exited(3));
    CHECK(f.log() == std::vector<std::string>{
                         "say worker.1 exited with code 3",
                         "say sending SIGTERM to all processes",
                         "signal 15 web.1",
                         "signal 15 worker.1",
                         "signal 15 clock.1",
                         "signal 18 web.1",
                         "signal 18 worker.1",
                         "signal 18 clock.1",
                         "say web.1 terminated by SIGTERM",
                         "say clock.1 terminated by SIGTERM",
                         "finish 3",
                     });
    CHECK(f.finished() == 3);
    CHECK_FALSE(f.deadline());  // cancelled once everything stopped
}

TEST_CASE("an exit code of 0 also stops everything and is returned", "[policy]") {
    FakeLauncher f({"once.1", "web.1"}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.finished() == 0);
}

TEST_CASE("a process killed by a signal gives 128 + the signal", "[policy]") {
    FakeLauncher f({"web.1", "worker.1"}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::killed(SIGSEGV));
    CHECK(f.logged("say web.1 terminated by SIGSEGV"));
    CHECK(f.finished() == 128 + SIGSEGV);
}

TEST_CASE("exits while stopping do not change the exit code", "[policy]") {
    FakeLauncher f({"a.1", "b.1"}, 5000ms);
    f.on_term[1] = OnTerm::ignores;
    f.start();
    f.exit(0, ExitStatus::exited(4));
    CHECK_FALSE(f.finished());
    f.exit(1, ExitStatus::exited(9));  // b gives up on its own during the wait
    CHECK(f.finished() == 4);
}

TEST_CASE("SIGINT, SIGTERM and SIGHUP stop everything with 128 + the signal", "[policy]") {
    const int sig = GENERATE(SIGINT, SIGTERM, SIGHUP);
    FakeLauncher f({"web.1", "worker.1"}, 5000ms);
    f.start();
    f.send(event::SignalReceived{sig});
    CHECK(f.count_prefix("signal 15 ") == 2);
    CHECK(f.finished() == 128 + sig);
}

TEST_CASE("a process ignoring SIGTERM is killed exactly when the timeout has passed", "[policy]") {
    FakeLauncher f({"web.1", "stubborn.1"}, 3000ms);
    f.on_term[1] = OnTerm::ignores;
    f.start();
    const TimePoint stop_at = f.now();
    f.send(event::SignalReceived{SIGINT});
    REQUIRE(f.deadline() == stop_at + 3000ms);
    CHECK(f.logged("say web.1 terminated by SIGTERM"));
    CHECK_FALSE(f.finished());

    f.advance(2999ms);
    CHECK(f.count_prefix("signal 9 ") == 0);
    CHECK_FALSE(f.finished());

    f.advance(1ms);
    CHECK(f.logged("say sending SIGKILL to 1 process that did not stop"));
    CHECK(f.logged("signal 9 stubborn.1"));
    CHECK(f.count_prefix("signal 9 ") == 1);  // not the one already gone
    CHECK(f.logged("say stubborn.1 terminated by SIGKILL"));
    CHECK(f.finished() == 130);
}

TEST_CASE("a timer firing early does not kill", "[policy]") {
    FakeLauncher f({"stubborn.1"}, 1000ms);
    f.on_term[0] = OnTerm::ignores;
    f.start();
    f.send(event::SignalReceived{SIGTERM});
    f.send(event::DeadlineReached{});  // spurious: the deadline is not reached
    CHECK(f.count_prefix("signal 9 ") == 0);
    f.advance(1000ms);
    CHECK(f.count_prefix("signal 9 ") == 1);
    CHECK(f.finished() == 143);
}

TEST_CASE("a second SIGINT or SIGTERM while stopping kills at once", "[policy]") {
    const int second = GENERATE(SIGINT, SIGTERM);
    FakeLauncher f({"a.1", "b.1", "c.1"}, 5000ms);
    f.on_term[0] = OnTerm::ignores;
    f.on_term[2] = OnTerm::ignores;
    f.start();
    f.send(event::SignalReceived{SIGINT});
    CHECK_FALSE(f.finished());
    f.advance(10ms);
    f.send(event::SignalReceived{second});
    CHECK(f.logged("say sending SIGKILL to 2 processes that did not stop"));
    CHECK(f.count_prefix("signal 9 ") == 2);
    CHECK(f.finished() == 130);  // the first signal decides
    CHECK_FALSE(f.deadline());
}

TEST_CASE("a SIGHUP while stopping does not cut the wait short", "[policy]") {
    FakeLauncher f({"a.1"}, 5000ms);
    f.on_term[0] = OnTerm::ignores;
    f.start();
    f.send(event::SignalReceived{SIGHUP});
    f.send(event::SignalReceived{SIGHUP});
    CHECK(f.count_prefix("signal 9 ") == 0);
    f.advance(5000ms);
    CHECK(f.finished() == 129);
}

TEST_CASE("a group outliving its leader is waited for and killed after the timeout", "[policy]") {
    FakeLauncher f({"web.1", "shell.1"}, 2000ms);
    f.on_term[1] = OnTerm::leader_only;
    f.start();
    f.send(event::SignalReceived{SIGTERM});
    CHECK(f.logged("say shell.1 terminated by SIGTERM"));
    CHECK_FALSE(f.finished());  // its grandchild is still in the group
    f.advance(2000ms);
    CHECK(f.logged("say sending SIGKILL to 1 process that did not stop"));
    CHECK(f.logged("signal 9 shell.1"));
    CHECK(f.finished() == 143);
}

TEST_CASE("SIGUSR1 and SIGUSR2 are forwarded to the types that ask, without stopping", "[policy]") {
    const int sig = GENERATE(SIGUSR1, SIGUSR2);
    Lifecycle forwards;
    forwards.forward_signals = {sig};
    FakeLauncher f({instance("web.1", forwards), instance("web.2", forwards), instance("db.1")},
                   5000ms);
    f.start();
    f.clear_log();
    f.send(event::SignalReceived{sig});
    CHECK(f.count_prefix("forward " + std::to_string(sig) + " ") == 2);
    CHECK(f.count_prefix("forward " + std::to_string(sig) + " db.1") == 0);
    CHECK(f.logged("say forwarding " + std::string(sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2") +
                   " to web.1, web.2"));
    CHECK(f.count_prefix("signal 15 ") == 0);
    CHECK_FALSE(f.finished());
    CHECK_FALSE(f.deadline());
}

TEST_CASE("a process that cannot be spawned stops the others, and later ones never start",
          "[policy]") {
    FakeLauncher f({"a.1", "b.1", "c.1"}, 5000ms);
    f.fail_spawn = {1};
    f.start();
    CHECK(f.logged("say b.1 could not start: fork: Resource temporarily unavailable"));
    CHECK_FALSE(f.logged("spawn c.1"));
    CHECK(f.logged("signal 15 a.1"));
    CHECK(f.finished() == kExitSupervisorFailed);
}

TEST_CASE("a closed output stops everything with 141, another failure with 1", "[policy]") {
    FakeLauncher f({"a.1"}, 5000ms);
    f.start();
    const int error = GENERATE(EPIPE, ENOSPC);
    f.send(event::OutputFailed{error});
    CHECK(f.finished() == (error == EPIPE ? kExitOutputClosed : kExitSupervisorFailed));
}

TEST_CASE("a timeout of 0 kills as soon as the clock is looked at", "[policy]") {
    FakeLauncher f({"stubborn.1"}, 0ms);
    f.on_term[0] = OnTerm::ignores;
    f.start();
    f.send(event::SignalReceived{SIGINT});
    REQUIRE(f.deadline() == f.now());
    f.advance(0ms);
    CHECK(f.count_prefix("signal 9 ") == 1);
    CHECK(f.finished() == 130);
}

TEST_CASE("events after the end are ignored", "[policy]") {
    FakeLauncher f({"a.1"}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(2));
    REQUIRE(f.finished() == 2);
    f.clear_log();
    f.send(event::SignalReceived{SIGINT});
    f.send(event::Exited{0, ExitStatus::exited(5)});
    CHECK(f.log().empty());
}

TEST_CASE("exit statuses are described the way the user reads them", "[policy]") {
    CHECK(describe(ExitStatus::exited(0)) == "exited with code 0");
    CHECK(describe(ExitStatus::exited(127)) == "exited with code 127");
    CHECK(describe(ExitStatus::killed(SIGTERM)) == "terminated by SIGTERM");
    CHECK(describe(ExitStatus{0, SIGSEGV, true}) == "terminated by SIGSEGV (core dumped)");
    CHECK(ExitStatus::killed(SIGKILL).shell_code() == 137);
    CHECK(ExitStatus::from_wait_status(3 << 8) == ExitStatus::exited(3));
    CHECK(ExitStatus::from_wait_status(SIGINT) == ExitStatus::killed(SIGINT));
}

// ---- what is announced ----------------------------------------------------------

TEST_CASE("no 'sending SIGTERM' line when nothing is left to stop", "[policy]") {
    FakeLauncher f({"once.1"}, 5000ms);
    f.start();
    f.clear_log();
    f.send(event::Exited{0, ExitStatus::exited(0), true});
    CHECK(f.log() == std::vector<std::string>{"say once.1 exited with code 0", "finish 0"});
}

TEST_CASE("a restart whose group is already empty signals nothing", "[policy][restart]") {
    FakeLauncher f({instance("worker.1", restarting(RestartPolicy::always))}, 5000ms);
    f.start();
    f.clear_log();
    f.send(event::Exited{0, ExitStatus::exited(0), true});
    CHECK(f.count_prefix("signal ") == 0);
    CHECK(f.policy().status(0).state == "backoff");
    f.advance(1000ms);
    CHECK(f.count_prefix("spawn worker.1") == 1);
}

// ---- start-up that yields -------------------------------------------------------

TEST_CASE("a stop while a spawn is pending cancels it instead of starting it", "[policy]") {
    FakeLauncher f({"a.1", "b.1", "c.1"}, 5000ms);
    f.defer_spawns = true;
    f.start();
    f.complete_spawn();          // a.1
    REQUIRE(f.spawn_pending());  // b.1
    f.clear_log();
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.log() == std::vector<std::string>{"say received SIGINT", "cancel spawn b.1",
                                              "say sending SIGTERM to all processes",
                                              "signal 15 a.1", "signal 18 a.1",
                                              "say a.1 terminated by SIGTERM", "finish 130"});
    CHECK_FALSE(f.spawn_pending());
    CHECK(f.count_prefix("spawn c.1") == 0);
}

TEST_CASE("one SIGINT during a start stops it, and only a second one kills", "[policy]") {
    FakeLauncher f({"a.1", "b.1"}, 5000ms);
    f.on_term[0] = OnTerm::ignores;
    f.defer_spawns = true;
    f.start();
    f.complete_spawn();
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.count_prefix("signal 9 ") == 0);
    CHECK_FALSE(f.finished());
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.count_prefix("signal 9 ") == 1);
    CHECK(f.finished() == 130);
}
