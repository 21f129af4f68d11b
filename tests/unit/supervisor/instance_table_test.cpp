// InstanceTable: ids are appended, and the order status and the control
// commands list instances in is the Procfile's order of types, each type's
// instances by number, wherever an instance was added.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "supervisor/instance_table.hpp"
#include "two_types.hpp"

namespace {

using procrun::InstanceTable;
using procrun::Plan;
using procrun::ProcessType;

// web (position 0) and worker (position 1), one instance each.
Plan web_and_worker() {
    Plan plan;
    plan.base_port = 5000;
    plan.types = procrun::test::web_and_worker_types();
    for (const ProcessType& type : plan.types)
        plan.instances.push_back(procrun::make_instance(plan, type, 1));
    return plan;
}

std::vector<std::string> names(const InstanceTable& table, const std::vector<std::size_t>& ids) {
    std::vector<std::string> out;
    for (std::size_t id : ids)
        out.push_back(table[id].name);
    return out;
}

}  // namespace

TEST_CASE("instance table: added instances get new ids and list in the Procfile's order",
          "[instance_table]") {
    const Plan plan = web_and_worker();
    InstanceTable table(plan);
    CHECK(names(table, table.ordered()) == std::vector<std::string>{"web.1", "worker.1"});

    CHECK(table.add(plan.types[1], 2) == 2);
    CHECK(table.add(plan.types[0], 3) == 3);
    CHECK(table.add(plan.types[0], 2) == 4);
    CHECK(table[3].port == 5002);
    CHECK(table[2].port == 5101);
    // An added instance shares its type's settings and environment.
    CHECK(table[3].type_env == table[0].type_env);
    CHECK(&*table[3].lifecycle == &*table[0].lifecycle);
    CHECK(table[3].app_env().get("PORT") == "5002");
    CHECK(table[3].app_env().get("PS") == "web.3");

    CHECK(names(table, table.ordered()) ==
          std::vector<std::string>{"web.1", "web.2", "web.3", "worker.1", "worker.2"});
    CHECK(names(table, table.of_type("web")) ==
          std::vector<std::string>{"web.1", "web.2", "web.3"});

    const auto all = table.resolve({});
    REQUIRE(all.ok());
    CHECK(names(table, all.instances) == names(table, table.ordered()));
    const auto some = table.resolve({"worker", "web.3", "web.1"});
    REQUIRE(some.ok());
    CHECK(names(table, some.instances) ==
          std::vector<std::string>{"web.1", "web.3", "worker.1", "worker.2"});
    const auto bad = table.resolve({"db"});
    CHECK_FALSE(bad.ok());
    CHECK(bad.error.find("unknown process 'db'") == 0);
}
