#include "procrun/plan.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace procrun;

namespace {

PlanInput input_for(const std::string& procfile_text) {
    PlanInput input;
    input.root = "/app";
    auto parsed = parse_procfile(procfile_text, "Procfile");
    REQUIRE(parsed.ok());
    input.procfile = parsed.value;
    input.os_env = Environment{{"PATH", "/usr/bin"}, {"HOME", "/root"}};
    return input;
}

Formation formation(const std::string& spec) {
    auto parsed = parse_formation(spec);
    REQUIRE(parsed.ok());
    return parsed.value;
}

std::vector<std::string> names(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& i : plan.instances)
        out.push_back(i.name);
    return out;
}

std::vector<int> ports(const Plan& plan) {
    std::vector<int> out;
    for (const auto& i : plan.instances)
        out.push_back(i.port);
    return out;
}

}  // namespace

TEST_CASE("Plan: one instance per type by default, ports by position", "[plan]") {
    auto input = input_for("web: puma\nworker: sidekiq\nclock: clockwork\n");
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.empty());
    CHECK(names(plan.value) == std::vector<std::string>{"web.1", "worker.1", "clock.1"});
    CHECK(ports(plan.value) == std::vector<int>{5000, 5100, 5200});
    CHECK(plan.value.base_port == 5000);
    CHECK(plan.value.procfile == "Procfile");
    CHECK(plan.value.root == "/app");
    CHECK(plan.value.name_width() == 8);
    REQUIRE(plan.value.types.size() == 3);
    CHECK(plan.value.types[2].position == 2);
    CHECK(plan.value.types[2].line == 3);
    CHECK(plan.value.find_type("worker")->command == "sidekiq");
    CHECK(plan.value.find_type("nope") == nullptr);

    const Instance& worker = plan.value.instances[1];
    CHECK(worker.type == "worker");
    CHECK(worker.index == 1);
    CHECK(worker.command == "sidekiq");
    CHECK(worker.colour == 1);
}

TEST_CASE("Plan: formation counts, base port and PORT/PS", "[plan]") {
    auto input = input_for("web: puma\nworker: sidekiq\nclock: clockwork\n");
    input.formation = formation("all=0,web=2,worker=3");
    input.base_port = 8000;
    input.file_env = Environment{{"DATABASE_URL", "postgres://db"}, {"PORT", "9999"}};
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.empty());
    CHECK(names(plan.value) ==
          std::vector<std::string>{"web.1", "web.2", "worker.1", "worker.2", "worker.3"});
    CHECK(ports(plan.value) == std::vector<int>{8000, 8001, 8100, 8101, 8102});
    CHECK(plan.value.types[2].count == 0);

    // One environment per type, whatever its count.
    CHECK(plan.value.instances[0].type_env == plan.value.instances[1].type_env);
    CHECK(plan.value.instances[2].type_env == plan.value.instances[4].type_env);
    CHECK(plan.value.instances[0].type_env != plan.value.instances[2].type_env);
    const Instance& w2 = plan.value.instances[4];
    CHECK(w2.app_env() ==
          Environment{{"DATABASE_URL", "postgres://db"}, {"PORT", "8102"}, {"PS", "worker.3"}});
    CHECK(plan.value.environment_of(w2) == Environment{{"PATH", "/usr/bin"},
                                                       {"HOME", "/root"},
                                                       {"DATABASE_URL", "postgres://db"},
                                                       {"PORT", "8102"},
                                                       {"PS", "worker.3"}});
}

TEST_CASE("Plan: base port from the env files, then the OS environment", "[plan]") {
    auto input = input_for("web: a\nworker: b\n");
    input.os_env.set("PORT", "7000");
    CHECK(ports(make_plan(input).value) == std::vector<int>{7000, 7100});
    input.file_env.set("PORT", "3000");
    CHECK(ports(make_plan(input).value) == std::vector<int>{3000, 3100});
    input.base_port = 4000;
    CHECK(ports(make_plan(input).value) == std::vector<int>{4000, 4100});
}

TEST_CASE("Plan: the env files override the OS environment", "[plan]") {
    auto input = input_for("web: a\n");
    input.os_env.set("RACK_ENV", "production");
    input.file_env.set("RACK_ENV", "development");
    const auto plan = make_plan(input);
    CHECK(plan.value.environment_of(plan.value.instances[0]).get("RACK_ENV") == "development");
    CHECK(plan.value.instances[0].app_env().get("RACK_ENV") == "development");
    CHECK(plan.value.instances[0].app_env().get("PATH") == std::nullopt);
}

TEST_CASE("Plan: selecting process types keeps Procfile positions", "[plan]") {
    auto input = input_for("web: a\nworker: b\nclock: c\n");
    input.selected = {"clock", "web", "clock"};
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.empty());
    CHECK(names(plan.value) == std::vector<std::string>{"web.1", "clock.1"});
    CHECK(ports(plan.value) == std::vector<int>{5000, 5200});
    CHECK(plan.value.instances[1].colour == 2);
    CHECK_FALSE(plan.value.types[1].selected);
}

TEST_CASE("Plan errors", "[plan]") {
    auto input = input_for("web: a\nworker: b\n");

    SECTION("unknown selected name lists the valid types") {
        input.selected = {"wbe"};
        const auto plan = make_plan(input);
        REQUIRE(plan.diagnostics.size() == 1);
        CHECK(plan.diagnostics[0].code == "plan/unknown-process");
        CHECK(plan.diagnostics[0].message == "unknown process type 'wbe'");
        CHECK(plan.diagnostics[0].hint == "did you mean 'web'? the Procfile defines: web, worker");
        CHECK(plan.value.instances.empty());
    }
    SECTION("unknown formation name") {
        input.formation = formation("web=1,wrker=2");
        const auto plan = make_plan(input);
        REQUIRE(plan.diagnostics.size() == 1);
        CHECK(plan.diagnostics[0].code == "formation/unknown-process");
        CHECK(plan.diagnostics[0].where.column == 7);
        CHECK(plan.diagnostics[0].hint ==
              "did you mean 'worker'? the Procfile defines: web, worker");
    }
    SECTION("non-numeric PORT") {
        input.file_env.set("PORT", "http");
        const auto plan = make_plan(input);
        REQUIRE(plan.diagnostics.size() == 1);
        CHECK(plan.diagnostics[0].code == "env/invalid-port");
        CHECK(plan.diagnostics[0].message == "PORT is not a port number (1-65535): 'http'");
        CHECK(plan.value.instances.empty());
    }
    SECTION("ports past 65535") {
        input.base_port = 65500;
        const auto plan = make_plan(input);
        REQUIRE(plan.diagnostics.size() == 1);
        CHECK(plan.diagnostics[0].code == "plan/port-out-of-range");
        CHECK(plan.diagnostics[0].where.line == 2);
        CHECK(plan.diagnostics[0].message == "worker.1 would get port 65600, beyond 65535");
    }
    SECTION("a selected type with count 0 is a warning") {
        input.selected = {"web"};
        input.formation = formation("web=0");
        const auto plan = make_plan(input);
        REQUIRE(plan.diagnostics.size() == 1);
        CHECK(plan.diagnostics[0].severity == Severity::warning);
        CHECK(plan.diagnostics[0].code == "plan/selected-zero");
        CHECK(plan.value.instances.empty());
    }
}

TEST_CASE("Plan: more than 100 instances of a type overlap the next type's ports", "[plan]") {
    auto input = input_for("web: a\nworker: b\n");
    input.formation = formation("web=102,worker=2");
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.size() == 1);
    const Diagnostic& d = plan.diagnostics[0];
    CHECK(d.severity == Severity::warning);
    CHECK(d.code == "plan/port-overlap");
    CHECK(d.where.line == 1);
    CHECK(d.message == "web.101 and worker.1 both get PORT=5100");
    CHECK(d.hint ==
          "each process type has a block of 100 ports; run at most 100 instances of 'web'");
    CHECK(plan.value.instances.size() == 104);
    CHECK(plan.ok());

    input.formation = formation("web=100,worker=2");
    CHECK(make_plan(input).diagnostics.empty());
}

TEST_CASE("make_instance builds one instance outside the plan", "[plan]") {
    auto input = input_for("web: a\nworker: b\n");
    input.base_port = 6000;
    const auto plan = make_plan(input);
    const Instance i = make_instance(plan.value, plan.value.types[1], 4);
    CHECK(i.name == "worker.4");
    CHECK(i.port == 6103);
    CHECK(plan.value.environment_of(i).get("PS") == "worker.4");
    CHECK(plan.value.environment_of(i).get("PORT") == "6103");
}

namespace {

Dependency dep(std::string type, DependencyCondition c = DependencyCondition::started,
               int line = 0) {
    return Dependency{std::move(type), c, Location{".procrun.yaml", line, 5}};
}

std::string codes(const std::vector<Diagnostic>& ds) {
    std::string out;
    for (const auto& d : ds)
        out += d.code + " ";
    return out;
}

const Diagnostic* find_code(const std::vector<Diagnostic>& ds, const std::string& code) {
    for (const auto& d : ds) {
        if (d.code == code)
            return &d;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("Plan: lifecycles reach the types and their instances", "[plan]") {
    auto input = input_for("web: puma\nworker: sidekiq\n");
    input.formation = formation("all=1,web=2");
    Lifecycle web;
    web.restart = RestartPolicy::on_failure;
    web.stop_signal = SIGQUIT;
    web.depends_on = {dep("worker")};
    input.lifecycles["web"] = web;
    input.lifecycle_where["web"] = Location{".procrun.yaml", 2, 3};
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.empty());
    CHECK(plan.value.find_type("web")->lifecycle == web);
    CHECK(plan.value.find_type("worker")->lifecycle == Lifecycle{});
    REQUIRE(plan.value.instances.size() == 3);
    CHECK(plan.value.instances[0].lifecycle == web);
    CHECK(plan.value.instances[1].lifecycle == web);
    CHECK(plan.value.instances[2].lifecycle == Lifecycle{});
}

TEST_CASE("Plan: a lifecycle for a type the Procfile does not have", "[plan]") {
    auto input = input_for("web: puma\nworker: sidekiq\n");
    input.lifecycles["wbe"] = Lifecycle{};
    input.lifecycle_where["wbe"] = Location{".procrun.yaml", 7, 3};
    input.lifecycles["scheduler"] = Lifecycle{};
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.size() == 2);
    const Diagnostic& d = plan.diagnostics[1];
    CHECK(d.severity == Severity::error);
    CHECK(d.code == "plan/unknown-process");
    CHECK(d.message == "unknown process type 'wbe' under processes");
    CHECK(d.hint == "did you mean 'web'? the Procfile defines: web, worker");
    CHECK(d.where.file == ".procrun.yaml");
    CHECK(d.where.line == 7);
    CHECK(d.where.column == 3);
    CHECK(plan.diagnostics[0].hint == "the Procfile defines: web, worker");
    CHECK(plan.value.instances.empty());
}

TEST_CASE("Plan: depends_on an unknown type or itself", "[plan]") {
    auto input = input_for("web: puma\ndb: postgres\n");
    input.lifecycles["web"].depends_on = {dep("dbb", DependencyCondition::started, 4),
                                          dep("web", DependencyCondition::started, 5)};
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.size() == 2);
    CHECK(plan.diagnostics[0].code == "plan/unknown-dependency");
    CHECK(plan.diagnostics[0].message == "'web' depends on 'dbb', which is not a process type");
    CHECK(plan.diagnostics[0].hint == "did you mean 'db'? the Procfile defines: web, db");
    CHECK(plan.diagnostics[0].where.line == 4);
    CHECK(plan.diagnostics[1].code == "plan/self-dependency");
    CHECK(plan.diagnostics[1].message == "'web' depends on itself");
    CHECK(plan.diagnostics[1].where.line == 5);
    CHECK_FALSE(plan.ok());
}

TEST_CASE("Plan: dependency cycles are named", "[plan]") {
    auto input = input_for("web: puma\napi: rails\ndb: postgres\nworker: sidekiq\n");
    input.lifecycles["web"].depends_on = {dep("api", DependencyCondition::started, 3)};
    input.lifecycles["api"].depends_on = {dep("db", DependencyCondition::started, 5),
                                          dep("web", DependencyCondition::started, 6)};
    input.lifecycles["worker"].depends_on = {dep("db")};
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.size() == 1);
    const Diagnostic& d = plan.diagnostics[0];
    CHECK(d.code == "plan/dependency-cycle");
    CHECK(d.message == "dependency cycle: web -> api -> web");
    CHECK(d.where.line == 6);
    CHECK_FALSE(plan.ok());

    // A longer one, and two separate cycles are both reported.
    auto three = input_for("a: x\nb: x\nc: x\nd: x\ne: x\n");
    three.lifecycles["a"].depends_on = {dep("b")};
    three.lifecycles["b"].depends_on = {dep("c")};
    three.lifecycles["c"].depends_on = {dep("a")};
    three.lifecycles["d"].depends_on = {dep("e")};
    three.lifecycles["e"].depends_on = {dep("d")};
    const auto two = make_plan(three);
    REQUIRE(two.diagnostics.size() == 2);
    CHECK(two.diagnostics[0].message == "dependency cycle: a -> b -> c -> a");
    CHECK(two.diagnostics[1].message == "dependency cycle: d -> e -> d");

    // A diamond is not a cycle.
    auto diamond = input_for("a: x\nb: x\nc: x\nd: x\n");
    diamond.lifecycles["a"].depends_on = {dep("b"), dep("c")};
    diamond.lifecycles["b"].depends_on = {dep("d")};
    diamond.lifecycles["c"].depends_on = {dep("d")};
    CHECK(make_plan(diamond).diagnostics.empty());
}

TEST_CASE("Plan: dependencies of the selected types are started too", "[plan]") {
    auto input = input_for("web: puma\napi: rails\ndb: postgres\nworker: sidekiq\n");
    input.lifecycles["web"].depends_on = {dep("api")};
    input.lifecycles["api"].depends_on = {dep("db", DependencyCondition::ready)};
    input.lifecycles["db"].readiness.kind = ProbeKind::tcp;
    input.selected = {"web"};
    const auto plan = make_plan(input);
    CHECK(names(plan.value) == std::vector<std::string>{"web.1", "api.1", "db.1"});
    CHECK(ports(plan.value) == std::vector<int>{5000, 5100, 5200});
    REQUIRE(plan.diagnostics.size() == 2);
    CHECK(plan.diagnostics[0].severity == Severity::note);
    CHECK(plan.diagnostics[0].code == "plan/dependency-selected");
    CHECK(plan.diagnostics[0].message == "starting 'api' too: 'web' depends on it");
    CHECK(plan.diagnostics[1].message == "starting 'db' too: 'api' depends on it");
    CHECK(plan.ok());
    CHECK_FALSE(plan.value.find_type("worker")->selected);

    // Selecting the dependency too: no note.
    input.selected = {"web", "api", "db"};
    CHECK(make_plan(input).diagnostics.empty());
}

TEST_CASE("Plan: a dependency that runs no instance", "[plan]") {
    auto input = input_for("web: puma\ndb: postgres\nworker: sidekiq\n");
    input.lifecycles["web"].depends_on = {dep("db", DependencyCondition::started, 3)};
    input.formation = formation("all=1,db=0");
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.size() == 1);
    const Diagnostic& d = plan.diagnostics[0];
    CHECK(d.code == "plan/dependency-not-running");
    CHECK(d.message == "'web' depends on 'db', but the formation runs no 'db'");
    CHECK(d.hint ==
          "give it a count (e.g. --formation db=1), or remove it from the depends_on of 'web'");
    CHECK(d.where.line == 3);

    // Selected through web: the same error.
    input.selected = {"web"};
    CHECK(codes(make_plan(input).diagnostics) ==
          "plan/dependency-selected plan/dependency-not-running ");

    // web itself does not run: nothing waits for db.
    input.selected = {};
    input.formation = formation("web=0,db=0");
    CHECK(make_plan(input).diagnostics.empty());
}

TEST_CASE("Plan: conflicting and redundant lifecycle settings", "[plan]") {
    auto input = input_for("web: puma\nworker: sidekiq\nclock: clockwork\nmigrate: rake\n");
    input.lifecycles["web"].can_die = true;
    input.lifecycles["web"].exit_with = true;
    input.lifecycle_where["web"] = Location{".procrun.yaml", 2, 3};
    input.lifecycles["worker"].can_die = true;
    input.lifecycles["worker"].restart = RestartPolicy::always;
    input.lifecycles["clock"].exit_with = true;
    input.lifecycles["clock"].restart = RestartPolicy::on_failure;
    input.lifecycles["migrate"].max_restarts = 3;
    const auto plan = make_plan(input);
    CHECK(codes(plan.diagnostics) ==
          "plan/can-die-and-exit-with plan/can-die-redundant plan/restart-ignored "
          "plan/max-restarts-ignored ");
    const Diagnostic& both = plan.diagnostics[0];
    CHECK(both.severity == Severity::error);
    CHECK(both.message == "'web' sets both can_die and exit_with");
    CHECK(both.where.line == 2);
    CHECK(plan.diagnostics[1].severity == Severity::warning);
    CHECK(plan.diagnostics[1].message ==
          "can_die has no effect on 'worker': with restart: always and no max_restarts it is "
          "restarted after every exit");
    // Without a config location, the type's Procfile line.
    CHECK(plan.diagnostics[1].where.file == "Procfile");
    CHECK(plan.diagnostics[1].where.line == 2);
    CHECK(plan.diagnostics[2].message ==
          "restart: on-failure has no effect on 'clock': with exit_with, its first exit stops "
          "everything");
    CHECK(plan.diagnostics[3].message ==
          "max_restarts has no effect on 'migrate' with restart: no");

    // With a restart limit, can_die decides what happens after it.
    input.lifecycles.erase("web");
    input.lifecycles["worker"].max_restarts = 5;
    CHECK(find_code(make_plan(input).diagnostics, "plan/can-die-redundant") == nullptr);
}

TEST_CASE("Plan: dependency conditions that cannot be met as meant", "[plan]") {
    auto input = input_for("web: puma\ndb: postgres\nmigrate: rake db:migrate\ncache: redis\n");
    input.lifecycles["web"].depends_on = {
        dep("migrate", DependencyCondition::completed_successfully, 3),
        dep("db", DependencyCondition::completed_successfully, 4),
        dep("cache", DependencyCondition::ready, 5)};
    input.lifecycles["db"].restart = RestartPolicy::always;
    input.lifecycles["migrate"].exit_with = true;
    const auto plan = make_plan(input);
    CHECK(codes(plan.diagnostics) ==
          "plan/completion-stops-all plan/never-completes plan/ready-without-probe ");
    CHECK(plan.ok());
    CHECK(plan.diagnostics[0].message ==
          "'web' waits for 'migrate' to complete, but 'migrate' has exit_with: its exit stops "
          "everything");
    CHECK(plan.diagnostics[0].hint == "remove exit_with from 'migrate'");
    CHECK(plan.diagnostics[0].where.line == 3);
    CHECK(plan.diagnostics[1].message ==
          "'web' waits for 'db' to complete, but 'db' has restart: always and never completes");
    CHECK(plan.diagnostics[2].message ==
          "'web' waits for 'cache' to be ready, but 'cache' has no readiness probe: it counts as "
          "ready once started");

    input.lifecycles["migrate"].exit_with = false;
    input.lifecycles["db"].restart = RestartPolicy::on_failure;
    input.lifecycles["cache"].readiness.kind = ProbeKind::log;
    CHECK(make_plan(input).diagnostics.empty());
}

TEST_CASE("Plan: formation names are checked against the Procfile", "[plan]") {
    auto input = input_for("web: a\nworker: b\n");
    input.formation = formation("all=2,web=1,wrk=1,zzz=0");
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.size() == 2);
    CHECK(plan.diagnostics[0].code == "formation/unknown-process");
    CHECK(plan.diagnostics[0].message == "unknown process type 'wrk' in the formation");
    CHECK(plan.diagnostics[0].where.column == 13);
    CHECK(plan.diagnostics[0].source_line == "all=2,web=1,wrk=1,zzz=0");
    CHECK(plan.diagnostics[1].message == "unknown process type 'zzz' in the formation");
    CHECK(plan.diagnostics[1].where.column == 19);
    CHECK(plan.diagnostics[1].hint == "the Procfile defines: web, worker");

    // Located in a config file line.
    const std::string line = "formation: web=2,wrker=1";
    input.formation =
        parse_formation("web=2,wrker=1", Location{".procrun.yaml", 3, 12}, line).value;
    const auto located = make_plan(input);
    REQUIRE(located.diagnostics.size() == 1);
    CHECK(located.diagnostics[0].where == Location{".procrun.yaml", 3, 18});
    CHECK(located.diagnostics[0].source_line == line);

    // A formation made by hand has no places: the option is named.
    PlanInput empty;  // no Procfile entries
    empty.formation.counts["x"] = 1;
    const auto unlocated = make_plan(empty);
    REQUIRE(unlocated.diagnostics.size() == 1);
    CHECK(unlocated.diagnostics[0].where.file == "--formation");
    CHECK(unlocated.diagnostics[0].where.line == 0);
    CHECK(unlocated.diagnostics[0].hint == "the Procfile defines no process types");
}

TEST_CASE("Plan: a formation that names types runs only those, as in foreman", "[plan]") {
    auto input = input_for("web: a\nworker: b\nclock: c\n");
    input.formation = formation("worker=2");
    auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.empty());
    CHECK(names(plan.value) == std::vector<std::string>{"worker.1", "worker.2"});
    CHECK(ports(plan.value) == std::vector<int>{5100, 5101});  // positions stay
    CHECK(plan.value.find_type("web")->count == 0);

    input.formation = formation("all=1,worker=2");
    plan = make_plan(input);
    CHECK(names(plan.value) ==
          std::vector<std::string>{"web.1", "worker.1", "worker.2", "clock.1"});

    input.formation = formation("all=0,clock=1");
    CHECK(names(make_plan(input).value) == std::vector<std::string>{"clock.1"});

    input.formation = Formation{};
    CHECK(names(make_plan(input).value) ==
          std::vector<std::string>{"web.1", "worker.1", "clock.1"});
}

TEST_CASE("Plan: one hint for every name that is not a process type", "[plan]") {
    auto input = input_for("web: a\nworker: b\n");
    input.selected = {"wrker"};
    input.formation = formation("all=1,wbe=2");
    input.lifecycles["clock"] = Lifecycle{};
    input.lifecycle_where["clock"] = Location{".procrun.yaml", 3, 3};
    input.can_die = Sourced<std::vector<std::string>>{{"wokrer"}, Location{"command line", 0, 0}};
    input.quiet = Sourced<std::vector<std::string>>{{"webb"}, Location{"--quiet", 0, 0}};
    const auto plan = make_plan(input);
    CHECK(codes(plan.diagnostics) ==
          "config/unknown-process formation/unknown-process plan/unknown-process "
          "plan/unknown-process plan/unknown-process ");
    REQUIRE(plan.diagnostics.size() == 5);
    CHECK(plan.diagnostics[0].message == "unknown process type 'webb' in quiet");
    CHECK(plan.diagnostics[0].hint == "did you mean 'web'? the Procfile defines: web, worker");
    CHECK(plan.diagnostics[1].hint == "did you mean 'web'? the Procfile defines: web, worker");
    CHECK(plan.diagnostics[2].message == "unknown process type 'wrker'");
    CHECK(plan.diagnostics[2].hint == "did you mean 'worker'? the Procfile defines: web, worker");
    CHECK(plan.diagnostics[3].message == "unknown process type 'wokrer' in --can-die");
    CHECK(plan.diagnostics[3].hint == "did you mean 'worker'? the Procfile defines: web, worker");
    CHECK(plan.diagnostics[4].message == "unknown process type 'clock' under processes");
    CHECK(plan.diagnostics[4].hint == "the Procfile defines: web, worker");
    CHECK(plan.value.instances.empty());

    // A long list is cut.
    std::string text;
    for (int i = 0; i < 30; ++i)
        text += "p" + std::to_string(i) + ": x\n";
    auto many = input_for(text);
    many.selected = {"zzzzzz"};
    const auto long_list = make_plan(many);
    REQUIRE(long_list.diagnostics.size() == 1);
    CHECK(long_list.diagnostics[0].hint.find("p19, ... (30 in all)") != std::string::npos);
}

TEST_CASE("Plan: the command line's shorthands go over processes:", "[plan]") {
    auto input = input_for("web: a\nworker: b\n");
    input.lifecycles["web"].restart = RestartPolicy::always;
    input.restart = Sourced<std::vector<RestartOverride>>{{{"", RestartPolicy::on_failure}},
                                                          Location{"command line", 0, 0}};
    input.exit_with = Sourced<std::vector<std::string>>{{"worker"}, Location{"command line", 0, 0}};
    input.pty = true;
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.size() == 1);
    CHECK(plan.diagnostics[0].code == "plan/restart-ignored");  // worker: exit_with
    CHECK(plan.value.find_type("web")->lifecycle.restart == RestartPolicy::on_failure);
    CHECK(plan.value.find_type("web")->lifecycle.pty);
    CHECK(plan.value.find_type("worker")->lifecycle.exit_with);
}

TEST_CASE("Plan: diagnostics show the line they point at", "[plan]") {
    auto input = input_for("web: a\nworker: b\n");
    const std::string env = "A=1\nPORT=http\n";
    input.file_env.set("PORT", "http");
    input.file_port_where = Location{".env", 2, 6};
    input.texts.emplace(".env", env);
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.size() == 1);
    CHECK(plan.diagnostics[0].where == Location{".env", 2, 6});
    CHECK(plan.diagnostics[0].source_line == "PORT=http");

    auto high = input_for("web: a\nworker: b\n");
    const std::string config = "port: 65500\n";
    high.base_port = 65500;
    high.base_port_where = Location{".procrun.yaml", 1, 7};
    high.texts.emplace(".procrun.yaml", config);
    high.texts.emplace("Procfile", "web: a\nworker: b\n");
    const auto range = make_plan(high);
    REQUIRE(range.diagnostics.size() == 1);
    CHECK(range.diagnostics[0].code == "plan/port-out-of-range");
    CHECK(range.diagnostics[0].source_line == "worker: b");

    high.base_port = 70000;
    const auto invalid = make_plan(high);
    REQUIRE(invalid.diagnostics.size() == 1);
    CHECK(invalid.diagnostics[0].code == "plan/invalid-port");
    CHECK(invalid.diagnostics[0].where == Location{".procrun.yaml", 1, 7});
    CHECK(invalid.diagnostics[0].source_line == "port: 65500");
}

TEST_CASE("Plan: `run CMD` of no process type needs no port", "[plan]") {
    auto input = input_for("web: a\n");
    input.os_env.set("PORT", "abc");
    input.run_word = "true";
    const auto cmd = make_plan(input);
    CHECK(cmd.diagnostics.empty());
    CHECK(cmd.ok());
    CHECK(cmd.value.find_type("web") != nullptr);

    // Running a process type: its port comes from PORT, which must be a number.
    input.run_word = "web";
    const auto type = make_plan(input);
    REQUIRE(type.diagnostics.size() == 1);
    CHECK(type.diagnostics[0].code == "env/invalid-port");

    // Without a Procfile at all.
    PlanInput none;
    none.os_env.set("PORT", "abc");
    none.run_word = "env";
    CHECK(make_plan(none).diagnostics.empty());
}

TEST_CASE("Plan: with a broken Procfile only the names given are checked", "[plan]") {
    auto input = input_for("worker: b\n");
    input.broken_procfile_names = std::vector<std::string>{"web", "worker"};
    input.names_only = true;
    input.selected = {"web", "clock"};
    input.formation = formation("web=1,wrker=1");
    const auto plan = make_plan(input);
    CHECK(codes(plan.diagnostics) == "formation/unknown-process plan/unknown-process ");
    REQUIRE(plan.diagnostics.size() == 2);
    CHECK(plan.diagnostics[0].hint == "did you mean 'worker'? the Procfile defines: worker");
    CHECK(plan.diagnostics[1].message == "unknown process type 'clock'");
    CHECK(plan.value.instances.empty());
}

TEST_CASE("Plan: a type's env_file and env layer over the app's env files, PORT and PS last",
          "[plan][pertype]") {
    auto input = input_for("web: puma\nworker: sidekiq\n");
    input.os_env.set("LEVEL", "os");
    input.os_env.set("ONLY_OS", "1");
    input.file_env = Environment{{"LEVEL", "app"}, {"SHARED", "app"}, {"FROM_APP", "1"}};
    input.type_file_env["web"] = Environment{{"LEVEL", "type-file"}, {"SHARED", "type-file"}};
    Lifecycle web;
    web.env = {TypeVariable{"LEVEL", "type-env", Location{".procrun.yaml", 4, 7}}};
    web.working_dir = ConfigPath{"services/api/", Location{".procrun.yaml", 5, 20}};
    input.lifecycles["web"] = web;
    const auto plan = make_plan(input);
    REQUIRE(plan.diagnostics.empty());
    REQUIRE(plan.value.instances.size() == 2);

    const Instance& w = plan.value.instances[0];
    const Environment env = plan.value.environment_of(w);
    CHECK(env.get("ONLY_OS") == "1");         // OS environment
    CHECK(env.get("FROM_APP") == "1");        // < the app's env files
    CHECK(env.get("SHARED") == "type-file");  // < the type's env_file
    CHECK(env.get("LEVEL") == "type-env");    // < the type's env
    CHECK(env.get("PORT") == "5000");         // < PORT and PS, always procrun's
    CHECK(env.get("PS") == "web.1");
    CHECK(w.working_dir == std::filesystem::path("/app/services/api"));
    CHECK(plan.value.types[0].env == Environment{{"LEVEL", "type-env"}, {"SHARED", "type-file"}});

    // The other type sees only the app's.
    const Instance& k = plan.value.instances[1];
    const Environment other = plan.value.environment_of(k);
    CHECK(other.get("LEVEL") == "app");
    CHECK(other.get("SHARED") == "app");
    CHECK(k.working_dir == std::filesystem::path("/app"));
    CHECK(plan.value.types[1].env.empty());

    // make_instance (run NAME) gives the same.
    const Instance again = make_instance(plan.value, plan.value.types[0], 1);
    CHECK(again.app_env() == w.app_env());
    CHECK(again.working_dir == w.working_dir);
}
