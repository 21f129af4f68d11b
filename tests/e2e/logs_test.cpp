// procrun logs and procrun attach against a real `procrun start` in the same
// root: the output memory's last lines, --json, following across a restart,
// an unknown name, and attach detaching with Ctrl-C.

#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "control_project.hpp"
#include "harness.hpp"

namespace {

using namespace std::chrono_literals;
using procrun::test::Child;
using procrun::test::procrun_binary;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::split_lines;
using procrun::test::TempDir;
using procrun::test::testchild_binary;

// A project whose processes print a few lines and wait, and a private
// runtime directory for its control socket.
struct Project : procrun::test::ControlProject {
    Project() {
        timeout = 60s;
        const std::string child = testchild_binary();
        root.write("Procfile", "web: " + child + " print 'web one' print 'web two' sleep 60\n" +
                                   "worker: " + child + " print 'worker one' sleep 60\n");
    }

    [[nodiscard]] std::unique_ptr<Child> spawn(const std::vector<std::string>& args) const {
        std::vector<std::string> argv = {procrun_binary()};
        argv.insert(argv.end(), args.begin(), args.end());
        return std::make_unique<Child>(argv, options());
    }

    // `procrun start` once every line is out and its socket answers.
    [[nodiscard]] std::unique_ptr<Child> start() const {
        auto child = spawn({"start"});
        bool ready = child->wait_for_output("web.1    | web two", 30s) &&
                     child->wait_for_output("worker.1 | worker one", 30s);
        for (int i = 0; ready && i < 200 && procrun({"status"}).exit_code != 0; ++i)
            std::this_thread::sleep_for(50ms);
        INFO("stdout:\n" << child->out() << "stderr:\n" << child->err());
        REQUIRE(ready);
        return child;
    }
};

// The lines of `text` without their "HH:MM:SS " time.
std::vector<std::string> untimed(const std::string& text) {
    std::vector<std::string> out;
    for (const std::string& line : split_lines(text))
        out.push_back(line.size() > 9 ? line.substr(9) : line);
    return out;
}

}  // namespace

TEST_CASE("logs: the last lines of a name, of everything, and as JSON", "[logs]") {
    const Project p;
    auto start = p.start();

    const RunResult web = p.procrun({"logs", "web", "-n", "1"});
    INFO(web.err);
    CHECK(web.exit_code == 0);
    CHECK(untimed(web.out) == std::vector<std::string>{"web.1    | web two"});

    const RunResult both = p.procrun({"logs", "worker", "web.1", "-n", "2"});
    CHECK(both.exit_code == 0);
    const std::vector<std::string> lines = untimed(both.out);
    CHECK(lines.size() == 3);
    CHECK(std::count(lines.begin(), lines.end(), "worker.1 | worker one") == 1);
    CHECK(std::count(lines.begin(), lines.end(), "web.1    | web one") == 1);
    CHECK(std::count(lines.begin(), lines.end(), "web.1    | web two") == 1);

    // Everything: procrun's own lines too, in the order they came.
    const RunResult all = p.procrun({"logs", "-n", "1000"});
    CHECK(all.exit_code == 0);
    const std::vector<std::string> every = untimed(all.out);
    const auto at = [&](const std::string& line) {
        return std::find(every.begin(), every.end(), line) - every.begin();
    };
    CHECK(at("web.1    | web one") < at("web.1    | web two"));
    CHECK(at("web.1    | web two") < static_cast<long>(every.size()));
    bool system_started = false;
    for (const std::string& line : every)
        system_started = system_started || line.rfind("system   | web.1 started with pid", 0) == 0;
    CHECK(system_started);

    const RunResult json = p.procrun({"logs", "--json", "-n", "2", "web"});
    CHECK(json.exit_code == 0);
    const std::vector<std::string> objects = split_lines(json.out);
    REQUIRE(objects.size() == 2);
    CHECK(objects[0].rfind("{\"ts\":\"", 0) == 0);
    CHECK(objects[0].find(R"("process":"web.1","stream":"stdout","line":"web one"})") !=
          std::string::npos);
    CHECK(objects[1].find(R"("line":"web two"})") != std::string::npos);

    const RunResult none = p.procrun({"logs", "-n", "0"});
    CHECK(none.exit_code == 0);
    CHECK(none.out.empty());

    CHECK(p.procrun({"kill"}).exit_code == 0);
    CHECK(start->wait(30s).exit_code == 0);
}

TEST_CASE("logs: an unknown name, and no procrun running", "[logs]") {
    const Project p;
    const RunResult idle = p.procrun({"logs"});
    CHECK(idle.exit_code == 1);
    CHECK(idle.err == "procrun: no procrun is running in " + p.root.path().string() + "\n");

    auto start = p.start();
    const RunResult unknown = p.procrun({"logs", "db", "-f"});
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.err.rfind("procrun: logs: unknown process 'db'", 0) == 0);
    CHECK(unknown.err.find("web.1") != std::string::npos);  // the valid names are listed
    CHECK(unknown.out.empty());
    CHECK(p.procrun({"kill"}).exit_code == 0);
    CHECK(start->wait(30s).exit_code == 0);
}

TEST_CASE("logs: -f follows an instance across its restart, until Ctrl-C or the end", "[logs]") {
    const Project p;
    auto start = p.start();
    auto follow = p.spawn({"logs", "-f", "-n", "1", "web"});
    REQUIRE(follow->wait_for_output("web.1    | web two", 20s));

    CHECK(p.procrun({"restart", "web"}).exit_code == 0);
    // The restarted process prints its lines again: they keep coming.
    const bool again = follow->wait_for_output("web.1    | web one", 30s);
    INFO("follower:\n" << follow->out() << follow->err());
    CHECK(again);
    CHECK(follow->wait_for_output("web.1    | web two\n", 10s));
    // Only web's lines: not worker's, not procrun's own.
    CHECK(follow->out().find("worker") == std::string::npos);
    CHECK(follow->out().find("system") == std::string::npos);

    SECTION("Ctrl-C ends it with 0; procrun runs on") {
        follow->signal(SIGINT);
        const RunResult r = follow->wait(20s);
        CHECK(r.exit_code == 0);
        CHECK(p.procrun({"status"}).exit_code == 0);
        CHECK(p.procrun({"kill"}).exit_code == 0);
    }
    SECTION("procrun exits: the follower says so and ends with 0") {
        auto json = p.spawn({"logs", "-f", "--json", "-n", "0"});
        std::this_thread::sleep_for(500ms);
        CHECK(p.procrun({"kill"}).exit_code == 0);
        const RunResult r = follow->wait(30s);
        CHECK(r.exit_code == 0);
        CHECK(r.err == "procrun: procrun in " + p.root.path().string() + " has exited\n");
        const RunResult j = json->wait(30s);
        CHECK(j.exit_code == 0);
        // procrun's last lines reached the JSON follower before it went.
        CHECK(j.out.find(R"("process":"system","stream":"system")") != std::string::npos);
    }
    CHECK(start->wait(30s).exit_code == 0);
}

TEST_CASE("attach: the main output from the last lines, Ctrl-C leaves procrun running",
          "[logs][attach]") {
    const Project p;
    auto start = p.start();
    auto attach = p.spawn({"attach"});
    REQUIRE(attach->wait_for_output("worker.1 | worker one", 20s));
    CHECK(attach->wait_for_output("Ctrl-C detaches and leaves it running", 10s));
    // Live lines come too: procrun's own about a restart.
    CHECK(p.procrun({"restart", "worker"}).exit_code == 0);
    CHECK(attach->wait_for_output("system   | worker.1 started with pid", 30s));

    attach->signal(SIGINT);
    const RunResult detached = attach->wait(20s);
    CHECK(detached.exit_code == 0);
    CHECK(p.procrun({"status"}).exit_code == 0);

    // A second attach sees procrun go.
    auto second = p.spawn({"attach", "-n", "0"});
    REQUIRE(second->wait_for_output("Ctrl-C detaches", 20s));
    CHECK(p.procrun({"kill"}).exit_code == 0);
    const RunResult ended = second->wait(30s);
    CHECK(ended.exit_code == 0);
    CHECK(ended.err.find("procrun: procrun in " + p.root.path().string() + " has exited\n") !=
          std::string::npos);
    CHECK(ended.out.find("system   | ") != std::string::npos);
    CHECK(start->wait(30s).exit_code == 0);
}
