// The policy's restart on change, replayed against the fake clock: a burst of
// changes is one restart per debounce window; dependents restart in order,
// each after what it waits for is ready again.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "policy_replay.hpp"

using namespace procrun;
using namespace std::chrono_literals;
using policy_replay::FakeLauncher;
using policy_replay::instance;

namespace {

Lifecycle watched(Millis debounce = 200ms, bool dependents = false) {
    Lifecycle lc;
    Watch w;
    w.debounce = debounce;
    w.restart_dependents = dependents;
    lc.watch = w;
    return lc;
}

// Files written (created, changed or moved in).
event::FilesChanged changed(std::string type, const std::vector<std::string>& paths) {
    event::FilesChanged e{std::move(type), {}};
    for (const auto& p : paths)
        e.paths.push_back(event::PathChange{p, true, false});
    return e;
}

}  // namespace

TEST_CASE("a burst of changes is one restart, after the debounce window", "[policy][watch]") {
    FakeLauncher f(
        {instance("web.1", watched()), instance("web.2", watched()), instance("worker.1")}, 5000ms);
    f.start();
    f.clear_log();
    f.send(changed("web", {"app/views.py"}));
    REQUIRE(f.deadline() == f.now() + 200ms);
    for (int k = 0; k < 5; ++k) {
        f.advance(30ms);
        f.send(changed("web", {"app/views.py", "app/models.py"}));
        f.send(changed("web", {"templates/x.html"}));
    }
    CHECK(f.count_prefix("signal") == 0);
    f.advance(49ms);
    CHECK(f.count_prefix("signal") == 0);
    f.advance(1ms);
    CHECK(f.log() ==
          std::vector<std::string>{
              "say web.1 restarting: app/views.py and 2 other files changed", "signal 15 web.1",
              "signal 18 web.1", "say web.2 restarting: app/views.py and 2 other files changed",
              "signal 15 web.2", "signal 18 web.2", "say web.1 terminated by SIGTERM",
              "spawn web.1", "say web.2 terminated by SIGTERM", "say web.1 started with pid 100",
              "spawn web.2", "say web.2 started with pid 101"});
    CHECK(f.policy().status(0).restarts == 1);
    CHECK_FALSE(f.finished());
    // The next change opens a new window: one more restart.
    f.clear_log();
    f.send(changed("web", {"app/views.py"}));
    f.advance(200ms);
    CHECK(f.count_prefix("say web.1 restarting: app/views.py changed") == 1);
    CHECK(f.count_prefix("spawn web.1") == 1);
}

TEST_CASE("a file written and gone within the window is not named as the cause",
          "[policy][watch]") {
    FakeLauncher f({instance("web.1", watched())}, 5000ms);
    f.start();
    f.clear_log();
    SECTION("sed -i: a temporary file written, then renamed over the real one") {
        f.send(changed("web", {"sedAb12Cd"}));
        f.send(event::FilesChanged{"web", {{"sedAb12Cd", true, true}, {"app.py", true, false}}});
        f.advance(200ms);
        CHECK(f.logged("say web.1 restarting: app.py changed"));
    }
    SECTION("a file that only went away is a change, and named") {
        f.send(event::FilesChanged{"web", {{"old.py", false, true}}});
        f.send(changed("web", {"new.py"}));
        f.advance(200ms);
        CHECK(f.logged("say web.1 restarting: old.py and 1 other file changed"));
    }
    SECTION("removed, then written again: it exists, and is named") {
        f.send(event::FilesChanged{"web", {{"app.py", false, true}}});
        f.send(changed("web", {"app.py"}));
        f.advance(200ms);
        CHECK(f.logged("say web.1 restarting: app.py changed"));
    }
    SECTION("only temporary files: they are named all the same") {
        f.send(event::FilesChanged{"web", {{"x.tmp", true, true}}});
        f.advance(200ms);
        CHECK(f.logged("say web.1 restarting: x.tmp changed"));
    }
    CHECK(f.count_prefix("spawn web.1") == 1);
}

TEST_CASE("each type has its own window, and a crashed or done instance starts again",
          "[policy][watch]") {
    Lifecycle worker = watched(500ms);
    worker.can_die = true;
    FakeLauncher f({instance("web.1", watched(100ms)), instance("worker.1", worker)}, 5000ms);
    f.start();
    f.exit(1, ExitStatus::exited(1));
    CHECK(f.policy().status(1).state == "failed");
    f.clear_log();
    f.send(changed("worker", {"jobs.py"}));
    f.send(changed("web", {"app.py"}));
    REQUIRE(f.deadline() == f.now() + 100ms);
    f.advance(100ms);
    CHECK(f.logged("say web.1 restarting: app.py changed"));
    CHECK_FALSE(f.logged("say worker.1 restarting: jobs.py changed"));
    REQUIRE(f.deadline() == f.now() + 400ms);
    f.advance(400ms);
    CHECK(f.logged("say worker.1 restarting: jobs.py changed"));
    CHECK(f.logged("spawn worker.1"));
    CHECK(f.policy().status(1).state == "running");
}

TEST_CASE("a change does not start what was stopped by request, nor act while stopping",
          "[policy][watch]") {
    FakeLauncher f({instance("web.1", watched()), instance("worker.1")}, 5000ms);
    f.start();
    f.send(event::Control{event::ControlOp::stop, {0}});
    f.clear_log();
    f.send(changed("web", {"app.py"}));
    f.advance(200ms);
    CHECK(f.count_prefix("say web.1 restarting") == 0);
    CHECK(f.policy().status(0).state == "stopped");
    f.send(changed("web", {"app.py"}));
    f.send(event::SignalReceived{SIGINT});
    f.advance(200ms);
    CHECK(f.count_prefix("say web.1 restarting") == 0);
    CHECK(f.finished() == 130);
}

TEST_CASE(
    "restart_dependents: dependents restart in order, each after the one it waits for is "
    "ready again",
    "[policy][watch]") {
    Lifecycle api = watched(200ms, true);
    api.readiness.kind = ProbeKind::tcp;
    Lifecycle web;
    web.depends_on = {Dependency{"api", DependencyCondition::ready, {}}};
    web.readiness.kind = ProbeKind::tcp;
    Lifecycle front;
    front.depends_on = {Dependency{"web", DependencyCondition::ready, {}}};
    FakeLauncher f({instance("api.1", api), instance("web.1", web), instance("front.1", front)},
                   5000ms);
    f.start();
    f.send(event::Ready{0});
    f.send(event::Ready{1});
    REQUIRE(f.running(2));
    f.clear_log();
    f.send(changed("api", {"api/routes.py"}));
    f.advance(200ms);
    CHECK(f.log() == std::vector<std::string>{"say api.1 restarting: api/routes.py changed",
                                              "signal 15 api.1", "signal 18 api.1",
                                              "say api.1 terminated by SIGTERM", "spawn api.1",
                                              "say api.1 started with pid 100", "probe api.1"});
    f.clear_log();
    // web waits for api to be ready again; front for web.
    f.send(event::Ready{0});
    CHECK(f.log() == std::vector<std::string>{
                         "say api.1 is ready",
                         "say web.1 restarting: api restarted (api/routes.py changed)",
                         "signal 15 web.1", "signal 18 web.1", "say web.1 terminated by SIGTERM",
                         "spawn web.1", "say web.1 started with pid 101", "probe web.1"});
    CHECK(f.count_prefix("say front.1 restarting") == 0);
    f.clear_log();
    f.send(event::Ready{1});
    CHECK(f.log() ==
          std::vector<std::string>{
              "say web.1 is ready", "say front.1 restarting: web restarted (api/routes.py changed)",
              "signal 15 front.1", "signal 18 front.1", "say front.1 terminated by SIGTERM",
              "spawn front.1", "say front.1 started with pid 102"});
    CHECK_FALSE(f.finished());
}

TEST_CASE("restart_dependents: a dependent also watching waits instead of restarting twice",
          "[policy][watch]") {
    Lifecycle web = watched();
    web.depends_on = {Dependency{"api", DependencyCondition::started, {}}};
    FakeLauncher f({instance("api.1", watched(200ms, true)), instance("web.1", web)}, 5000ms);
    f.start();
    f.clear_log();
    f.send(changed("api", {"shared/db.py"}));
    f.send(changed("web", {"shared/db.py"}));
    f.advance(200ms);
    CHECK(f.count_prefix("say web.1 restarting") == 1);
    CHECK(f.logged("say web.1 restarting: api restarted (shared/db.py changed)"));
    const auto& log = f.log();
    const auto api_started = std::find(log.begin(), log.end(), "say api.1 started with pid 100");
    const auto web_restart = std::find(
        log.begin(), log.end(), "say web.1 restarting: api restarted (shared/db.py changed)");
    CHECK(api_started < web_restart);
}

TEST_CASE("restart_dependents: a dependency that does not come back leaves dependents alone",
          "[policy][watch]") {
    Lifecycle api = watched(200ms, true);
    api.readiness.kind = ProbeKind::tcp;
    Lifecycle web;
    web.depends_on = {Dependency{"api", DependencyCondition::ready, {}}};
    FakeLauncher f({instance("api.1", api), instance("web.1", web)}, 5000ms);
    f.start();
    f.send(event::Ready{0});
    f.send(changed("api", {"api.py"}));
    f.advance(200ms);
    f.clear_log();
    f.send(event::NeverReady{0, "connect: refused"});
    CHECK(f.logged("say web is not restarted: api.1 did not become ready again"));
    CHECK(f.count_prefix("say web.1 restarting") == 0);
    CHECK(f.running(1));
}
