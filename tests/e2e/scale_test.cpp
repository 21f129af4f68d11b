// procrun scale and `procrun start NAME` of a type that was not started,
// against a real `procrun start`: the instances' PORT, the graceful stop of
// the highest-numbered ones, status, and `autostart: false`.

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "control_project.hpp"
#include "harness.hpp"
#include "skip.hpp"

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

// A project (web, worker, clock) and a private runtime directory for its socket.
struct Project : procrun::test::ControlProject {
    explicit Project(const std::string& config = "") {
        const std::string child = testchild_binary();
        root.write("Procfile", "web: " + child + " env PORT sleep 60\nworker: " + child +
                                   " env PORT sleep 60\nclock: " + child + " env PORT sleep 60\n");
        if (!config.empty())
            root.write(".procrun.yaml", config);
    }

    // INSTANCE -> state in `procrun status`; empty when it failed.
    [[nodiscard]] std::map<std::string, std::string> status() const {
        const RunResult r = procrun({"status"});
        std::map<std::string, std::string> rows;
        if (r.exit_code != 0)
            return rows;
        const std::vector<std::string> lines = split_lines(r.out);
        for (std::size_t i = 1; i < lines.size(); ++i) {
            std::istringstream in(lines[i]);
            std::string name;
            std::string pid;
            std::string state;
            in >> name >> pid >> state;
            rows[name] = state;
        }
        return rows;
    }

    // Polls status until `want` is exactly what it shows, or 15 s pass.
    [[nodiscard]] std::map<std::string, std::string> wait_for(
        const std::map<std::string, std::string>& want) const {
        std::map<std::string, std::string> rows;
        for (int i = 0; i < 300; ++i) {
            rows = status();
            if (rows == want)
                return rows;
            std::this_thread::sleep_for(50ms);
        }
        return rows;
    }
};

std::string dump(const std::map<std::string, std::string>& rows) {
    std::string out;
    for (const auto& [name, state] : rows)
        out += name + "=" + state + " ";
    return out;
}

}  // namespace

TEST_CASE("scale: up with the foreman ports, down from the highest number, in status",
          "[control][scale]") {
    const Project p;
    Child start({procrun_binary(), "start", "--no-timestamp", "--no-color", "-p", "6000"},
                p.options());
    auto rows = p.wait_for({{"web.1", "running"}, {"worker.1", "running"}, {"clock.1", "running"}});
    INFO(dump(rows) << "\n" << start.out() << start.err());
    REQUIRE(rows.size() == 3);

    const RunResult up = p.procrun({"scale", "web=3,worker=2"});
    INFO(up.out << up.err);
    CHECK(up.exit_code == 0);
    rows = p.wait_for({{"web.1", "running"},
                       {"web.2", "running"},
                       {"web.3", "running"},
                       {"worker.1", "running"},
                       {"worker.2", "running"},
                       {"clock.1", "running"}});
    CHECK(rows.size() == 6);
    // Listed in the Procfile's order, each type's instances by number.
    std::vector<std::string> listed;
    for (const std::string& line : split_lines(p.procrun({"status"}).out))
        listed.push_back(line.substr(0, line.find(' ')));
    CHECK(listed == std::vector<std::string>{"INSTANCE", "web.1", "web.2", "web.3", "worker.1",
                                             "worker.2", "clock.1"});
    // PORT = base + 100 x the type's position + the instance's number - 1.
    CHECK(start.wait_for_output("web.3    | PORT=6002", 10s));
    CHECK(start.wait_for_output("worker.2 | PORT=6101", 10s));

    const RunResult down = p.procrun({"scale", "web=1", "clock=0"});
    INFO(down.out << down.err);
    CHECK(down.exit_code == 0);
    rows = p.wait_for({{"web.1", "running"},
                       {"web.2", "stopped"},
                       {"web.3", "stopped"},
                       {"worker.1", "running"},
                       {"worker.2", "running"},
                       {"clock.1", "stopped"}});
    CHECK(rows.at("web.3") == "stopped");
    CHECK(start.wait_for_output("stopping web.3 (requested)", 10s));
    CHECK(start.out().find("stopping web.1") == std::string::npos);

    // Up again: the same instances (same names, same ports), no new ids.
    CHECK(p.procrun({"scale", "web=2"}).exit_code == 0);
    rows = p.wait_for({{"web.1", "running"},
                       {"web.2", "running"},
                       {"web.3", "stopped"},
                       {"worker.1", "running"},
                       {"worker.2", "running"},
                       {"clock.1", "stopped"}});
    CHECK(rows.at("web.2") == "running");

    const RunResult bad = p.procrun({"scale", "db=2"});
    CHECK(bad.exit_code == 1);
    CHECK(bad.err.find("unknown process type 'db'") != std::string::npos);
    const RunResult worse = p.procrun({"scale", "web"});
    CHECK(worse.exit_code == 1);
    CHECK(worse.err.find("is not TYPE=N") != std::string::npos);

    // A name longer than any at start widens the column from its first line on.
    CHECK(p.procrun({"scale", "worker=10"}).exit_code == 0);
    CHECK(start.wait_for_output("worker.10 | PORT=6109", 10s));

    CHECK(p.procrun({"kill"}).exit_code == 0);
    const RunResult done = start.wait(20s);
    CHECK(done.exit_code == 0);
    CHECK(done.out.find("system    | ") != std::string::npos);
}

TEST_CASE("scale: a type not named at start is in status, and `start NAME` starts it",
          "[control][scale]") {
    const Project p;
    Child start({procrun_binary(), "start", "--no-timestamp", "--no-color", "-p", "6000", "web"},
                p.options());
    auto rows = p.wait_for({{"web.1", "running"}, {"worker.1", "stopped"}, {"clock.1", "stopped"}});
    INFO(dump(rows) << "\n" << start.out() << start.err());
    REQUIRE(rows.size() == 3);

    const RunResult r = p.procrun({"start", "worker"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    rows = p.wait_for({{"web.1", "running"}, {"worker.1", "running"}, {"clock.1", "stopped"}});
    CHECK(rows.at("worker.1") == "running");
    CHECK(start.wait_for_output("worker.1 | PORT=6100", 10s));

    CHECK(p.procrun({"kill"}).exit_code == 0);
    CHECK(start.wait(20s).exit_code == 0);
}

TEST_CASE("scale: autostart: false leaves a type unstarted until it is asked for",
          "[control][scale]") {
    const Project p("processes:\n  clock:\n    autostart: false\n");
    Child start({procrun_binary(), "start", "--no-timestamp", "--no-color", "-p", "6000"},
                p.options());
    auto rows = p.wait_for({{"web.1", "running"}, {"worker.1", "running"}, {"clock.1", "stopped"}});
    INFO(dump(rows) << "\n" << start.out() << start.err());
    REQUIRE(rows.size() == 3);

    CHECK(p.procrun({"scale", "clock=1"}).exit_code == 0);
    rows = p.wait_for({{"web.1", "running"}, {"worker.1", "running"}, {"clock.1", "running"}});
    CHECK(rows.at("clock.1") == "running");
    CHECK(start.wait_for_output("clock.1  | PORT=6200", 10s));

    CHECK(p.procrun({"kill"}).exit_code == 0);
    CHECK(start.wait(20s).exit_code == 0);
}

TEST_CASE("scale: autostart: false is started when named on the command line", "[control][scale]") {
    const Project p("processes:\n  clock:\n    autostart: false\n");
    Child start({procrun_binary(), "start", "--no-timestamp", "--no-color", "-p", "6000", "clock"},
                p.options());
    const auto rows =
        p.wait_for({{"web.1", "stopped"}, {"worker.1", "stopped"}, {"clock.1", "running"}});
    INFO(dump(rows) << "\n" << start.out() << start.err());
    CHECK(rows.size() == 3);
    CHECK(p.procrun({"kill"}).exit_code == 0);
    CHECK(start.wait(20s).exit_code == 0);
}

TEST_CASE("scale: more instances than the descriptors allow are refused, nothing changes",
          "[control][scale]") {
    if (procrun::test::run({"prlimit", "--version"}).exit_code != 0)
        PROCRUN_TOOL_MISSING("prlimit is not installed");
    const Project p;
    // 128 descriptors: room for the three first instances, not for 40 more.
    Child start({"prlimit", "--nofile=128:128", procrun_binary(), "start", "--no-timestamp",
                 "--no-color", "-p", "6000"},
                p.options());
    auto rows = p.wait_for({{"web.1", "running"}, {"worker.1", "running"}, {"clock.1", "running"}});
    INFO(dump(rows) << "\n" << start.out() << start.err());
    REQUIRE(rows.size() == 3);

    const RunResult refused = p.procrun({"scale", "web=2,worker=40"});
    INFO(refused.out << refused.err);
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("instances need about") != std::string::npos);
    CHECK(refused.err.find("the limit is 128") != std::string::npos);
    // Not even web.2, which would have fitted: the request is refused whole.
    CHECK(p.status().size() == 3);

    CHECK(p.procrun({"scale", "web=2"}).exit_code == 0);
    rows = p.wait_for({{"web.1", "running"},
                       {"web.2", "running"},
                       {"worker.1", "running"},
                       {"clock.1", "running"}});
    CHECK(rows.size() == 4);

    CHECK(p.procrun({"kill"}).exit_code == 0);
    CHECK(start.wait(20s).exit_code == 0);
}
