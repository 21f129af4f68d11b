// The policy when the set of instances grows while it runs: `procrun scale`
// (event::Scale) and instances that wait for a request (a type not started,
// `autostart: false`), replayed against the fake clock.

#include <catch2/catch.hpp>

#include "policy_replay.hpp"

using namespace policy_replay;

TEST_CASE("scale up: new instances join and start, one after the other", "[policy][scale]") {
    FakeLauncher f({"web.1", "worker.1"}, 5000ms);
    f.start();
    REQUIRE(f.running(0));
    REQUIRE(f.running(1));
    f.clear_log();
    const std::size_t web2 = f.add("web.2");
    const std::size_t web3 = f.add("web.3");
    CHECK(web2 == 2);
    CHECK(web3 == 3);
    CHECK(f.policy().status(web2).state == "stopped");
    f.send(event::Scale{"web", 3});
    CHECK(f.log() == std::vector<std::string>{"say starting web.2 (requested)",
                                              "say starting web.3 (requested)", "spawn web.2",
                                              "say web.2 started with pid 102", "spawn web.3",
                                              "say web.3 started with pid 103"});
    CHECK(f.running(web2));
    CHECK(f.running(web3));
    CHECK(f.policy().size() == 4);
    CHECK_FALSE(f.finished());
}

TEST_CASE("scale down: the highest numbers stop gracefully, the others run on", "[policy][scale]") {
    FakeLauncher f({"web.1", "web.2", "web.3", "worker.1"}, 5000ms);
    f.on_term[2] = OnTerm::ignores;
    f.start();
    f.clear_log();
    f.send(event::Scale{"web", 1});
    CHECK(f.log() == std::vector<std::string>{"say stopping web.3 (requested)", "signal 15 web.3",
                                              "signal 18 web.3", "say stopping web.2 (requested)",
                                              "signal 15 web.2", "signal 18 web.2",
                                              "say web.2 terminated by SIGTERM"});
    CHECK(f.running(0));
    CHECK_FALSE(f.running(1));
    CHECK(f.running(2));  // ignores SIGTERM: SIGKILL after its timeout
    CHECK(f.running(3));
    f.clear_log();
    f.advance(5000ms);
    CHECK(f.logged("signal 9 web.3"));
    CHECK_FALSE(f.running(2));
    CHECK(f.policy().status(1).state == "stopped");
    CHECK(f.policy().status(2).state == "stopped");
    CHECK_FALSE(f.finished());

    // Up again: the same instances start again; nothing new.
    f.clear_log();
    f.send(event::Scale{"web", 3});
    CHECK(f.running(1));
    CHECK(f.running(2));
    CHECK(f.count_prefix("spawn ") == 2);
    CHECK(f.policy().size() == 4);
}

TEST_CASE("scale to 0 stops every instance of the type, and procrun runs on", "[policy][scale]") {
    FakeLauncher f({"web.1", "worker.1"}, 5000ms);
    f.start();
    f.send(event::Scale{"worker", 0});
    CHECK_FALSE(f.running(1));
    CHECK(f.running(0));
    CHECK(f.policy().status(1).state == "stopped");
    CHECK_FALSE(f.finished());
}

TEST_CASE("an instance left unstarted waits for a request", "[policy][scale]") {
    FakeLauncher f({"web.1", "clock.1"}, 5000ms);
    f.leave_unstarted(1);
    f.start();
    CHECK(f.running(0));
    CHECK_FALSE(f.running(1));
    CHECK(f.policy().status(1).state == "stopped");
    CHECK_FALSE(f.logged("spawn clock.1"));
    f.send(event::Control{event::ControlOp::start, {1}});
    CHECK(f.logged("say starting clock.1 (requested)"));
    CHECK(f.running(1));
}

TEST_CASE("an unstarted instance does not keep procrun running once the others are done",
          "[policy][scale]") {
    Lifecycle can_die;
    can_die.can_die = true;
    FakeLauncher f({instance("job.1", can_die), instance("clock.1")}, 5000ms);
    f.leave_unstarted(1);
    f.start();
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.finished() == 0);
}

TEST_CASE("with every instance unstarted, procrun waits for a request", "[policy][scale]") {
    FakeLauncher f({"clock.1"}, 5000ms);
    f.leave_unstarted(0);
    f.start();
    CHECK_FALSE(f.finished());
    f.send(event::Scale{"clock", 1});
    CHECK(f.running(0));
}

TEST_CASE("a scale request while stopping changes nothing", "[policy][scale]") {
    FakeLauncher f({"web.1"}, 5000ms);
    f.start();
    const std::size_t web2 = f.add("web.2");
    f.send(event::SignalReceived{SIGINT});
    f.clear_log();
    f.send(event::Scale{"web", 2});
    CHECK_FALSE(f.logged("spawn web.2"));
    CHECK_FALSE(f.running(web2));
}
