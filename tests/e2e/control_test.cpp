// procrun status, restart, stop, start NAMES and kill against a real
// `procrun start` in the same root, over its control socket.

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
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

struct Row {
    std::string pid;
    std::string state;
    std::string restarts;
};

// A project and a private runtime directory for its control socket.
struct Project : procrun::test::ControlProject {
    Project() {
        root.write("Procfile", "web: " + testchild_binary() +
                                   " sleep 60\nworker: " + testchild_binary() + " sleep 60\n");
    }

    // `procrun start` in the root, once its status shows every instance running.
    std::unique_ptr<Child> start(const std::vector<std::string>& extra = {}) const;

    // INSTANCE -> row of `procrun status`; empty when it failed.
    [[nodiscard]] std::map<std::string, Row> status() const {
        const RunResult r = procrun({"status"});
        std::map<std::string, Row> rows;
        if (r.exit_code != 0)
            return rows;
        const std::vector<std::string> lines = split_lines(r.out);
        for (std::size_t i = 1; i < lines.size(); ++i) {
            std::istringstream in(lines[i]);
            std::string name;
            std::string uptime;
            Row row;
            in >> name >> row.pid >> row.state >> uptime >> row.restarts;
            rows[name] = row;
        }
        return rows;
    }

    // Polls status until `pred` holds or 10 s pass.
    template <class Pred>
    std::map<std::string, Row> wait_until(Pred pred) const {
        std::map<std::string, Row> rows;
        for (int i = 0; i < 200; ++i) {
            rows = status();
            if (pred(rows))
                return rows;
            std::this_thread::sleep_for(50ms);
        }
        return rows;
    }
};

bool all_running(const std::map<std::string, Row>& rows) {
    if (rows.size() != 3)
        return false;
    for (const auto& [name, row] : rows) {
        if (row.state != "running" || row.pid == "-")
            return false;
    }
    return true;
}

std::unique_ptr<Child> Project::start(const std::vector<std::string>& extra) const {
    std::vector<std::string> argv = {procrun_binary(), "start", "-c", "web=2,worker=1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto child = std::make_unique<Child>(argv, options());
    const bool started = all_running(wait_until(all_running));
    INFO("stdout:\n" << child->out() << "stderr:\n" << child->err());
    REQUIRE(started);
    return child;
}

}  // namespace

TEST_CASE("control: the commands say so when no procrun runs in the root", "[control]") {
    const Project p;
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"status"}, {"restart", "web"}, {"stop", "web"}, {"kill"}}) {
        const RunResult r = p.procrun(args);
        INFO(args[0] << ": " << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err == "procrun: no procrun is running in " + p.root.path().string() + "\n");
        CHECK(r.out.empty());
    }
}

TEST_CASE("control: status, restart, stop and start against procrun start", "[control]") {
    const Project p;
    auto start = p.start();
    std::map<std::string, Row> rows = p.status();
    const std::string web1 = rows["web.1"].pid;
    const std::string web2 = rows["web.2"].pid;

    const RunResult json = p.procrun({"status", "--json"});
    CHECK(json.exit_code == 0);
    CHECK(json.out.rfind("{\"ok\":true,", 0) == 0);
    CHECK(json.out.find("\"name\":\"worker.1\"") != std::string::npos);

    SECTION("restart one instance") {
        const RunResult r = p.procrun({"restart", "web.2"});
        INFO(r.err);
        CHECK(r.exit_code == 0);
        rows = p.wait_until(
            [&](const auto& s) { return all_running(s) && s.at("web.2").pid != web2; });
        CHECK(rows["web.2"].pid != web2);
        CHECK(rows["web.2"].restarts == "1");
        CHECK(rows["web.1"].pid == web1);
    }
    SECTION("stop a type, then start it again") {
        CHECK(p.procrun({"stop", "worker"}).exit_code == 0);
        rows = p.wait_until([](const auto& s) {
            return s.count("worker.1") == 1 && s.at("worker.1").state == "stopped";
        });
        CHECK(rows["worker.1"].state == "stopped");
        CHECK(rows["worker.1"].pid == "-");
        CHECK(rows["web.1"].pid == web1);

        const RunResult again = p.procrun({"start", "worker"});
        INFO(again.err);
        CHECK(again.exit_code == 0);
        rows = p.wait_until(all_running);
        CHECK(all_running(rows));
    }
    SECTION("an unknown name lists the valid ones") {
        const RunResult r = p.procrun({"restart", "db"});
        CHECK(r.exit_code == 1);
        CHECK(r.err ==
              "procrun: restart: unknown process 'db' (valid names: web, worker, web.1, web.2, "
              "worker.1)\n");
    }
    SECTION("a second start without names reports the running one") {
        const RunResult r = p.procrun({"start"});
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("procrun: procrun is already running in " + p.root.path().string() +
                         " (pid " + std::to_string(start->pid()) + ", socket ") == 0);
    }

    // kill stops everything; procrun exits 0 and its socket is gone.
    const RunResult killed = p.procrun({"kill"});
    CHECK(killed.exit_code == 0);
    const RunResult done = start->wait(20s);
    CHECK(done.exit_code == 0);
    CHECK(p.procrun({"status"}).exit_code == 1);
    CHECK(std::filesystem::is_empty(p.runtime.path() / "procrun"));
}

TEST_CASE("control: a second procrun start in the same root is refused", "[control]") {
    const Project p;
    auto first = p.start();
    Child second({procrun_binary(), "start", "-d", p.root.path().string()}, p.options());
    const RunResult r = second.wait(20s);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("already running in " + p.root.path().string() + " (pid " +
                     std::to_string(first->pid())) != std::string::npos);
    first->signal(SIGINT);
    CHECK(first->wait(20s).exit_code == 130);
}

TEST_CASE("control: a control directory another user took keeps one procrun per root",
          "[control]") {
    if (::geteuid() != 0)
        PROCRUN_SKIP("not root: the test needs to create the directory as another uid");
    const Project p;
    // No XDG_RUNTIME_DIR: the directory is TMPDIR/procrun-UID, and another
    // local user created it first.
    RunOptions options = p.options();
    options.set_env = {"TMPDIR=" + p.runtime.path().string()};
    options.unset_env.push_back("XDG_RUNTIME_DIR");
    const std::filesystem::path taken =
        p.runtime.path() / ("procrun-" + std::to_string(::geteuid()));
    std::filesystem::create_directory(taken);
    REQUIRE(::chown(taken.c_str(), 65534, 65534) == 0);

    Child first({procrun_binary(), "start"}, options);
    REQUIRE(first.wait_for_output("control is unavailable", 10s));
    CHECK(first.err().find("procrun: warning: control is unavailable (procrun status, restart, "
                           "stop will not reach this run): refusing the control directory " +
                           taken.string() + ": it is owned by uid 65534") != std::string::npos);
    const std::string lock = (p.root.path() / ".procrun.lock").string();
    CHECK(first.err().find("the one-procrun-per-root lock is held on " + lock + " instead") !=
          std::string::npos);

    // The same app is not started twice: not in the same environment, and not
    // with a control directory of its own either.
    for (const RunOptions& again : {options, p.options()}) {
        Child second({procrun_binary(), "start"}, again);
        const RunResult r = second.wait(20s);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("procrun is already running in " + p.root.path().string() + " (pid " +
                         std::to_string(first.pid())) != std::string::npos);
    }
    first.signal(SIGINT);
    CHECK(first.wait(20s).exit_code == 130);
    CHECK_FALSE(std::filesystem::exists(lock));
}
