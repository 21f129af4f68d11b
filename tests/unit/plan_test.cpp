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

    const Instance& w2 = plan.value.instances[4];
    CHECK(w2.app_env ==
          Environment{{"DATABASE_URL", "postgres://db"}, {"PORT", "8102"}, {"PS", "worker.3"}});
    CHECK(w2.env == Environment{{"PATH", "/usr/bin"},
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
    CHECK(plan.value.instances[0].env.get("RACK_ENV") == "development");
    CHECK(plan.value.instances[0].app_env.get("RACK_ENV") == "development");
    CHECK(plan.value.instances[0].app_env.get("PATH") == std::nullopt);
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
        CHECK(plan.diagnostics[0].hint == "process types in the Procfile: web, worker");
        CHECK(plan.value.instances.empty());
    }
    SECTION("unknown formation name") {
        input.formation = formation("web=1,wrker=2");
        const auto plan = make_plan(input);
        REQUIRE(plan.diagnostics.size() == 1);
        CHECK(plan.diagnostics[0].code == "formation/unknown-process");
        CHECK(plan.diagnostics[0].where.column == 7);
        CHECK(plan.diagnostics[0].hint == "process types in the Procfile: web, worker");
    }
    SECTION("non-numeric PORT") {
        input.file_env.set("PORT", "http");
        const auto plan = make_plan(input);
        REQUIRE(plan.diagnostics.size() == 1);
        CHECK(plan.diagnostics[0].code == "plan/invalid-port");
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
    CHECK(i.env.get("PS") == "worker.4");
    CHECK(i.env.get("PORT") == "6103");
}
