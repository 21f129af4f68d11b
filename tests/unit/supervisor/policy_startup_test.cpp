// Policy::startup: when everything is up, or the start has failed
// (what `procrun start -D` waits for).

#include <catch2/catch.hpp>

#include "policy_replay.hpp"

using namespace procrun;
using namespace std::chrono_literals;
using policy_replay::FakeLauncher;
using policy_replay::instance;
using Startup = Policy::Startup;

TEST_CASE("startup: up once every process has started", "[policy][startup]") {
    FakeLauncher f({"web.1", "worker.1"}, 5000ms);
    CHECK(f.policy().startup() == Startup::starting);
    f.start();
    CHECK(f.policy().startup() == Startup::up);
}

TEST_CASE("startup: a readiness probe is waited for", "[policy][startup]") {
    Lifecycle db;
    db.readiness.kind = ProbeKind::tcp;
    FakeLauncher f({instance("db.1", db), instance("web.1")}, 5000ms);
    f.start();
    CHECK(f.policy().startup() == Startup::starting);
    f.send(event::Ready{0});
    CHECK(f.policy().startup() == Startup::up);
}

TEST_CASE("startup: a probe that gives up fails the start", "[policy][startup]") {
    Lifecycle db;
    db.readiness.kind = ProbeKind::tcp;
    FakeLauncher f({instance("db.1", db), instance("web.1")}, 5000ms);
    f.start();
    f.send(event::NeverReady{0, "connection refused"});
    CHECK(f.policy().startup() == Startup::failed);
}

TEST_CASE("startup: a process that cannot be spawned fails the start", "[policy][startup]") {
    FakeLauncher f({"web.1", "worker.1"}, 5000ms);
    f.fail_spawn.insert(1);
    f.start();
    CHECK(f.policy().startup() == Startup::failed);
}

TEST_CASE("startup: an exit that stops everything before the probe passed fails the start",
          "[policy][startup]") {
    Lifecycle db;
    db.readiness.kind = ProbeKind::tcp;
    FakeLauncher f({instance("db.1", db), instance("web.1")}, 5000ms);
    f.start();
    f.exit(1, ExitStatus::exited(3));
    CHECK(f.policy().startup() == Startup::failed);
}

TEST_CASE("startup: a can_die process that exited before its probe passed fails the start",
          "[policy][startup]") {
    Lifecycle once;
    once.can_die = true;
    once.readiness.kind = ProbeKind::tcp;
    FakeLauncher f({instance("once.1", once), instance("web.1")}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(1));
    CHECK(f.policy().startup() == Startup::failed);
}

TEST_CASE("startup: a migration that completed successfully counts as up", "[policy][startup]") {
    Lifecycle web;
    web.depends_on = {Dependency{"migrate", DependencyCondition::completed_successfully, {}}};
    FakeLauncher f({instance("migrate.1"), instance("web.1", web)}, 5000ms);
    f.start();
    CHECK(f.policy().startup() == Startup::starting);
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.policy().startup() == Startup::up);
}
