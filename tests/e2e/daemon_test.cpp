// procrun start -D: in the background once everything is up; status, logs
// and kill reach it; a start that fails says why, exits non-zero and leaves
// nothing running.

#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using procrun::test::contains;
using procrun::test::eventually;
using procrun::test::processes_with_env;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::TempDir;
using procrun::test::testchild_binary;
using procrun::test::unique_marker;

// A project, a private runtime directory for its control socket, and a marker
// in the environment of procrun and everything it starts: whatever survives a
// test is found by it (and killed at the end, so that a failure leaves nothing).
struct DaemonProject {
    TempDir root;
    TempDir runtime;
    std::string marker = unique_marker("PROCRUN_DAEMON_TEST");

    DaemonProject(const std::string& procfile, const std::string& config = "") {
        root.write("Procfile", procfile);
        if (!config.empty())
            root.write(".procrun.yaml", config);
    }
    ~DaemonProject() {
        for (pid_t pid : processes_with_env(marker))
            ::kill(pid, SIGKILL);
    }
    DaemonProject(const DaemonProject&) = delete;
    DaemonProject& operator=(const DaemonProject&) = delete;

    [[nodiscard]] RunOptions options() const {
        RunOptions o;
        o.cwd = root.path();
        o.unset_env = {"PORT", "NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TMPDIR"};
        o.set_env = {"XDG_RUNTIME_DIR=" + runtime.path().string(), marker};
        o.timeout = 60s;
        return o;
    }
    [[nodiscard]] RunResult procrun(const std::vector<std::string>& args) const {
        return run_procrun(args, options());
    }
    [[nodiscard]] bool nothing_left() const {
        return eventually([this] { return processes_with_env(marker).empty(); }, 20s);
    }
};

std::string sleeper() {
    return testchild_binary() + " sleep 60";
}

}  // namespace

TEST_CASE("start -D returns once everything runs, status and kill reach it, nothing is left",
          "[e2e][daemon]") {
    const DaemonProject p("web: " + testchild_binary() +
                          " print hello-from-web sleep 60\nworker: " + sleeper() + "\n");
    const RunResult r = p.procrun({"start", "-D", "--log-dir", "logs"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.err, "procrun: started in the background (pid "));
    CHECK(r.out.empty());

    // Every instance is running by the time start -D returned.
    const RunResult status = p.procrun({"status"});
    INFO(status.out << status.err);
    CHECK(status.exit_code == 0);
    for (const std::string name : {"web.1", "worker.1"}) {
        std::istringstream in(status.out);
        bool running = false;
        for (std::string line; std::getline(in, line);)
            running = running || (line.rfind(name, 0) == 0 && contains(line, " running "));
        CHECK(running);
    }
    // procrun itself, its guardian and the two processes.
    CHECK(processes_with_env(p.marker).size() >= 3);
    CHECK(eventually(
        [&] {
            std::ifstream log(p.root.path() / "logs" / "web.1.log");
            std::stringstream text;
            text << log.rdbuf();
            return contains(text.str(), "hello-from-web");
        },
        10s));

    SECTION("a second start -D in the root is refused") {
        const RunResult again = p.procrun({"start", "-D"});
        CHECK(again.exit_code == 1);
        CHECK(contains(again.err, "procrun is already running in " + p.root.path().string()));
    }

    const RunResult killed = p.procrun({"kill"});
    INFO(killed.err);
    CHECK(killed.exit_code == 0);
    CHECK(p.nothing_left());
    CHECK(p.procrun({"status"}).exit_code == 1);
}

TEST_CASE("start -D waits for the readiness probe to pass", "[e2e][daemon][readiness]") {
    const DaemonProject p(
        "web: " + testchild_binary() + " sleep 1 && touch ready && " + sleeper() + "\n",
        "processes:\n  web:\n    readiness:\n      exec: test -f ready\n"
        "      interval: 100ms\n      retries: 200\n");
    const RunResult r = p.procrun({"start", "-D"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // The probe passed before start -D returned: the file was there.
    CHECK(fs::exists(p.root.path() / "ready"));
    const RunResult status = p.procrun({"status"});
    CHECK(contains(status.out, " ready"));
    CHECK(p.procrun({"kill"}).exit_code == 0);
    CHECK(p.nothing_left());
}

TEST_CASE("start -D of a process that exits at once fails with its code and the reason",
          "[e2e][daemon]") {
    const DaemonProject p("web: " + sleeper() + "\nbad: " + testchild_binary() + " exit 3\n",
                          "processes:\n  bad:\n    readiness:\n      exec: \"false\"\n"
                          "      interval: 100ms\n      retries: 600\n");
    const RunResult r = p.procrun({"start", "-D"});
    INFO(r.err);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "procrun: bad.1 exited with code 3\n"));
    CHECK(contains(r.err, "procrun: the start failed; nothing is left running\n"));
    CHECK(p.nothing_left());
    CHECK(p.procrun({"status"}).exit_code == 1);
}

TEST_CASE("start -D with a readiness probe that gives up fails and stops everything",
          "[e2e][daemon][readiness]") {
    const DaemonProject p("web: " + sleeper() + "\napi: " + sleeper() + "\n",
                          "processes:\n  api:\n    readiness:\n      exec: \"false\"\n"
                          "      interval: 100ms\n      retries: 3\n");
    const RunResult r = p.procrun({"start", "-D"});
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "procrun: api.1 did not become ready: `false` exited with code 1"));
    CHECK(contains(r.err, "procrun: the start failed; nothing is left running\n"));
    CHECK(p.nothing_left());
}

TEST_CASE("start -D with invalid files fails before going to the background", "[e2e][daemon]") {
    const DaemonProject p("web " + sleeper() + "\n");
    const RunResult r = p.procrun({"start", "-D"});
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "Procfile:1"));
    CHECK(p.nothing_left());
}
