// The policy's bookkeeping that keeps its work per event independent of the
// number of instances: which instance is spawned next, when a restart's
// backoff ends, and when a stop of thousands is over.

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

std::vector<Instance> many(const char* type, std::size_t n) {
    std::vector<Instance> out;
    for (std::size_t i = 1; i <= n; ++i)
        out.push_back(instance(std::string(type) + "." + std::to_string(i)));
    return out;
}

}  // namespace

TEST_CASE("an instance restarted during a long start-up is spawned before the later ones",
          "[policy][index]") {
    FakeLauncher f(many("web", 6), 5000ms);
    f.defer_spawns = true;
    f.start();
    f.complete_spawn();  // web.1
    f.complete_spawn();  // web.2
    f.complete_spawn();  // web.3; web.4 is being spawned
    f.send(event::Control{event::ControlOp::restart, {0}});
    CHECK(f.logged("say restarting web.1 (requested)"));
    f.clear_log();
    f.complete_spawn();  // web.4
    f.complete_spawn();  // web.1 again, before web.5
    f.complete_spawn();  // web.5
    f.complete_spawn();  // web.6
    CHECK_FALSE(f.spawn_pending());
    std::vector<std::string> spawns;
    for (const auto& line : f.log()) {
        if (line.rfind("spawn ", 0) == 0)
            spawns.push_back(line);
    }
    CHECK(spawns == std::vector<std::string>{"spawn web.1", "spawn web.5", "spawn web.6"});
}

TEST_CASE("a restart's backoff counts from the exit when the group empties later",
          "[policy][index]") {
    FakeLauncher f({instance("web.1"), instance("worker.1", restarting(RestartPolicy::always))},
                   5000ms);
    f.start();
    f.clear_log();
    // The leader exits; a process of its group lingers for 300 ms.
    f.send(event::Exited{1, ExitStatus::exited(0)});
    CHECK(f.logged("say worker.1 restarts in 1s (restart 1)"));
    f.advance(300ms);
    f.send(event::GroupEmpty{1});
    CHECK(f.policy().status(1).state == "backoff");
    f.advance(699ms);
    CHECK(f.count_prefix("spawn worker.1") == 0);
    f.advance(1ms);
    CHECK(f.count_prefix("spawn worker.1") == 1);
}

TEST_CASE("a stop of thousands ends when the last group is gone, whichever it is",
          "[policy][index]") {
    const std::size_t n = 3000;
    FakeLauncher f(many("w", n), 5000ms);
    const std::size_t stubborn = GENERATE(std::size_t{0}, std::size_t{1500}, n - 1);
    f.on_term[stubborn] = OnTerm::ignores;
    f.start();
    REQUIRE(f.count_prefix("spawn ") == n);
    f.clear_log();
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.count_prefix("signal 15 ") == n);
    CHECK(f.count_prefix("signal 18 ") == n);
    CHECK_FALSE(f.finished());
    REQUIRE(f.deadline() == f.now() + 5000ms);
    f.advance(5000ms);
    CHECK(f.logged("signal 9 w." + std::to_string(stubborn + 1)));
    CHECK(f.count_prefix("signal 9 ") == 1);
    CHECK(f.finished() == 130);
}

TEST_CASE("a stop of thousands holds back only the types others depend on", "[policy][index]") {
    std::vector<Instance> instances = many("w", 2000);
    Lifecycle web;
    web.depends_on.push_back(Dependency{"db", DependencyCondition::started, {}});
    instances.push_back(instance("db.1"));
    instances.push_back(instance("web.1", web));
    FakeLauncher f(instances, 5000ms);
    f.on_term[2001] = OnTerm::ignores;  // web.1
    f.start();
    f.clear_log();
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.count_prefix("signal 15 w.") == 2000);
    CHECK(f.count_prefix("signal 15 web.1") == 1);
    CHECK(f.count_prefix("signal 15 db.1") == 0);
    f.advance(5000ms);
    CHECK(f.logged("signal 9 web.1"));
    CHECK(f.count_prefix("signal 15 db.1") == 1);
    CHECK(f.finished() == 130);
}
