// Restart on change against the real binary: files written in the project
// restart the type that watches them, once per debounce window; dependents
// restart after the restarted dependency is ready again; excluded files
// restart nothing; folders made later are watched; --watch and --no-watch.

#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "skip.hpp"

namespace {

using namespace std::chrono_literals;
using procrun::test::Child;
using procrun::test::count_of;
using procrun::test::in_project;
using procrun::test::procrun_binary;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::start_args;
using procrun::test::TempDir;

// Waits until `needle` has appeared `n` times in the child's output.
bool wait_for_count(Child& c, const std::string& needle, std::size_t n,
                    std::chrono::seconds limit = 30s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (count_of(c.out(), needle) >= n)
            return true;
        c.wait_for_output("\x01never\x01", 100ms);
    }
    return count_of(c.out(), needle) >= n;
}

void write(const TempDir& dir, const std::string& rel, const std::string& text) {
    const auto path = dir.path() / rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

RunResult stop(Child& c) {
    c.signal(SIGINT);
    return c.wait(20s);
}

}  // namespace

TEST_CASE("watch: a burst of writes is exactly one restart per debounce window", "[watch][e2e]") {
    TempDir dir;
    dir.write("Procfile", "web: echo web up; sleep 60\nworker: echo worker up; sleep 60\n");
    dir.write(".procrun.yaml", "processes:\n  web:\n    watch: {paths: [app], debounce: 1s}\n");
    dir.write("app/views.py", "v1\n");
    Child c(start_args(), in_project(dir));
    REQUIRE(c.wait_for_output("watching 1 folder for changes (web)", 30s));
    REQUIRE(c.wait_for_output("| web up", 30s));
    for (int k = 0; k < 5; ++k)
        write(dir, "app/views.py", "v" + std::to_string(k + 2) + "\n");
    REQUIRE(c.wait_for_output("web.1 restarting: app/views.py changed", 30s));
    REQUIRE(wait_for_count(c, "| web up", 2));
    // A second window: one more restart.
    std::this_thread::sleep_for(1500ms);
    write(dir, "app/views.py", "v9\n");
    REQUIRE(wait_for_count(c, "| web up", 3));
    std::this_thread::sleep_for(1500ms);
    const RunResult r = stop(c);
    INFO(r.out << r.err);
    CHECK(count_of(r.out, "web.1 restarting: app/views.py changed") == 2);
    CHECK(count_of(r.out, "web.1 restarting") == 2);
    CHECK(count_of(r.out, "| worker up") == 1);  // worker is not watched
    CHECK(r.exit_code == 130);
}

TEST_CASE("watch: a dependent restarts after the restarted dependency is ready again",
          "[watch][e2e]") {
    TempDir dir;
    dir.write("Procfile", "api: sleep 0.3; echo api up; sleep 60\nweb: echo web up; sleep 60\n");
    dir.write(".procrun.yaml", R"(processes:
  api:
    watch: {paths: [api], debounce: 300ms, restart_dependents: true}
    readiness:
      log: "api up"
  web:
    depends_on: {api: ready}
)");
    dir.write("api/routes.py", "v1\n");
    Child c(start_args(), in_project(dir));
    REQUIRE(c.wait_for_output("| web up", 30s));
    write(dir, "api/routes.py", "v2\n");
    REQUIRE(wait_for_count(c, "| web up", 2));
    const RunResult r = stop(c);
    INFO(r.out << r.err);
    const auto at = [&](const std::string& needle, std::size_t from = 0) {
        const auto p = r.out.find(needle, from);
        INFO(needle);
        REQUIRE(p != std::string::npos);
        return p;
    };
    const auto restart = at("api.1 restarting: api/routes.py changed");
    const auto ready_again = at("api.1 is ready", restart);
    const auto web_restart = at("web.1 restarting: api restarted (api/routes.py changed)");
    const auto web_up_again = at("| web up", web_restart);
    CHECK(restart < ready_again);
    CHECK(ready_again < web_restart);
    CHECK(web_restart < web_up_again);
    CHECK(count_of(r.out, "web.1 restarting") == 1);
}

TEST_CASE("watch: excluded files restart nothing, and a folder made later is watched",
          "[watch][e2e]") {
    TempDir dir;
    dir.write("Procfile", "web: echo web up; sleep 60\n");
    dir.write(".procrun.yaml",
              "processes:\n  web:\n    watch: {debounce: 300ms, exclude: ['*.log']}\n");
    dir.write(".gitignore", "*.sqlite3\n/media/\n");
    dir.write("app/views.py", "v1\n");
    dir.write("node_modules/lib/index.js", "v1\n");
    dir.write("media/a.png", "v1\n");
    Child c(start_args(), in_project(dir));
    REQUIRE(c.wait_for_output("| web up", 30s));
    write(dir, "node_modules/lib/index.js", "v2\n");
    write(dir, "app/.views.py.swp", "swap\n");
    write(dir, "app/views.py~", "backup\n");
    write(dir, "db.sqlite3", "data\n");
    write(dir, "media/b.png", "v2\n");
    write(dir, "server.log", "line\n");
    write(dir, "__pycache__/views.cpython-311.pyc", "x\n");
    std::this_thread::sleep_for(1s);
    CHECK(count_of(c.out(), "restarting") == 0);
    // A folder made now, and a file in it: watched, and a change.
    write(dir, "app/new/deep/x.py", "v1\n");
    REQUIRE(c.wait_for_output("web.1 restarting: app/new/deep/x.py changed", 30s));
    REQUIRE(wait_for_count(c, "| web up", 2));
    std::this_thread::sleep_for(600ms);
    write(dir, "app/new/deep/y.py", "v1\n");
    REQUIRE(c.wait_for_output("web.1 restarting: app/new/deep/y.py changed", 30s));
    const RunResult r = stop(c);
    INFO(r.out << r.err);
    CHECK(count_of(r.out, "restarting") == 2);
}

TEST_CASE("watch: --no-watch turns it off, --watch turns it on for every type", "[watch][e2e]") {
    TempDir dir;
    dir.write("Procfile", "web: echo web up; sleep 60\n");
    dir.write("app.py", "v1\n");
    {
        dir.write(".procrun.yaml", "processes:\n  web:\n    watch: {debounce: 200ms}\n");
        Child c(start_args({"--no-watch"}), in_project(dir));
        REQUIRE(c.wait_for_output("| web up", 30s));
        write(dir, "app.py", "v2\n");
        std::this_thread::sleep_for(1s);
        const RunResult r = stop(c);
        INFO(r.out << r.err);
        CHECK(count_of(r.out, "watching") == 0);
        CHECK(count_of(r.out, "restarting") == 0);
    }
    {
        std::filesystem::remove(dir.path() / ".procrun.yaml");
        Child c(start_args({"--watch"}), in_project(dir));
        REQUIRE(c.wait_for_output("watching 1 folder for changes (web)", 30s));
        REQUIRE(c.wait_for_output("| web up", 30s));
        write(dir, "app.py", "v3\n");
        REQUIRE(c.wait_for_output("web.1 restarting: app.py changed", 30s));
        stop(c);
    }
    const RunResult both = run_procrun({"start", "--watch", "--no-watch"}, in_project(dir));
    CHECK(both.exit_code == 2);
}

TEST_CASE("watch: check warns about a path that does not exist, and export says it is not carried",
          "[watch][e2e]") {
    TempDir dir;
    dir.write("Procfile", "web: echo web up; sleep 60\n");
    dir.write(".procrun.yaml", "processes:\n  web:\n    watch: [app, srcc]\n");
    dir.write("app/views.py", "v1\n");
    const RunResult check = run_procrun({"check"}, in_project(dir));
    INFO(check.out << check.err);
    const std::string all = check.out + check.err;
    CHECK(all.find(".procrun.yaml:3:18: warning: watch path 'srcc' of web does not exist") !=
          std::string::npos);
    CHECK(count_of(all, "watch path '") == 1);  // app exists
    const RunResult exported =
        run_procrun({"export", "systemd", (dir.path() / "out").string()}, in_project(dir));
    INFO(exported.out << exported.err);
    CHECK(exported.exit_code == 0);
    CHECK((exported.out + exported.err).find("'watch' of web is not carried into the export") !=
          std::string::npos);
    const RunResult bad = run_procrun({"check"}, [&] {
        dir.write(".procrun.yaml", "processes:\n  web:\n    watch: {include: '[x'}\n");
        return in_project(dir);
    }());
    CHECK(bad.exit_code != 0);
    CHECK((bad.out + bad.err).find(".procrun.yaml:3:22: error: '[x' is not a valid glob") !=
          std::string::npos);
}

TEST_CASE("watch: running out of inotify watches at the start is an error naming the limit",
          "[watch][e2e]") {
    // A user namespace with a limit of 2 watches: the root and one folder fit, not a third.
    const RunResult probe = procrun::test::run(
        {"unshare", "-Ur", "sh", "-c", "echo 2 > /proc/sys/user/max_inotify_watches"});
    if (probe.exit_code != 0)
        PROCRUN_SKIP("cannot lower the inotify limit in a user namespace: " << probe.err);
    TempDir dir;
    dir.write("Procfile", "web: echo web up; sleep 60\n");
    dir.write(".procrun.yaml", "processes:\n  web:\n    watch: true\n");
    dir.write("a/b/c/x.py", "v1\n");
    RunOptions o = in_project(dir);
    const RunResult r = procrun::test::run(
        {"unshare", "-Ur", "sh", "-c",
         "echo 2 > /proc/sys/user/max_inotify_watches && exec \"$0\" start --no-color",
         procrun_binary()},
        o);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("the limit of inotify watches per user is reached "
                     "(/proc/sys/fs/inotify/max_user_watches = ") != std::string::npos);
    CHECK(r.err.find("2 in this user namespace") != std::string::npos);
    CHECK(r.err.find("sudo sysctl fs.inotify.max_user_watches=") != std::string::npos);
    CHECK(r.out.find("web up") == std::string::npos);  // nothing started
}
