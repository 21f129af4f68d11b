// What the real binary reads before it runs anything: the formation's meaning
// (foreman's), env files behind broken links, files too large, and an
// inherited PORT that `run COMMAND` does not need.

#include <signal.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using procrun::test::Child;
using procrun::test::in_project;
using procrun::test::kTestchild;
using procrun::test::procrun_binary;
using procrun::test::run;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::TempDir;
using procrun::test::testchild_binary;

bool has(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

std::vector<std::string> files_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("start -m web=2 runs only web, and all= runs the others too", "[e2e][loader]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " print up-$PS sleep 30\n" +  //
                              "worker: " + kTestchild + " print up-$PS sleep 30\n" +
                              "clock: " + kTestchild + " print up-$PS sleep 30\n");
    {
        Child c({procrun_binary(), "start", "-m", "web=2", "--no-timestamp"}, in_project(dir));
        REQUIRE(c.wait_for_output("up-web.2", 10s));
        REQUIRE(c.wait_for_output("up-web.1", 10s));
        c.signal(SIGINT);
        const RunResult r = c.wait(20s);
        INFO(r.out << r.err);
        CHECK(r.exit_code == 130);
        CHECK_FALSE(has(r.out, "worker"));
        CHECK_FALSE(has(r.out, "clock"));
    }
    {
        Child c({procrun_binary(), "start", "-m", "all=1,web=2", "--no-timestamp"},
                in_project(dir));
        for (const std::string name : {"web.1", "web.2", "worker.1", "clock.1"})
            REQUIRE(c.wait_for_output("up-" + name, 10s));
        c.signal(SIGINT);
        const RunResult r = c.wait(20s);
        CHECK(r.exit_code == 130);
        CHECK_FALSE(has(r.out, "web.3"));
    }
}

TEST_CASE("export -m web=2 exports only web", "[e2e][loader]") {
    TempDir dir;
    dir.write("app/Procfile", "web: serve\nworker: work\n");
    RunOptions o;
    o.cwd = dir.path() / "app";
    o.unset_env = {"PORT"};
    const fs::path out = dir.path() / "out";
    const RunResult r =
        run_procrun({"export", "runit", out.string(), "-a", "blog", "-m", "web=2"}, o);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(files_in(out) ==
          std::vector<std::string>{".procrun-export-blog", "blog-web-1", "blog-web-2"});

    const RunResult all =
        run_procrun({"export", "runit", out.string(), "-a", "blog", "-m", "all=1,web=2"}, o);
    REQUIRE(all.exit_code == 0);
    CHECK(files_in(out) == std::vector<std::string>{".procrun-export-blog", "blog-web-1",
                                                    "blog-web-2", "blog-worker-1"});
}

TEST_CASE("a misspelt name gets one hint, whatever named it", "[e2e][loader]") {
    TempDir dir;
    dir.write("Procfile", "web: a\nworker: b\n");
    const RunResult formation = run_procrun({"check", "-m", "wrker=1"}, in_project(dir));
    CHECK(formation.exit_code == 1);
    CHECK(has(formation.err, "hint: did you mean 'worker'? the Procfile defines: web, worker\n"));
    const RunResult start = run_procrun({"start", "wbe"}, in_project(dir));
    CHECK(start.exit_code == 1);
    CHECK(has(start.err, "unknown process type 'wbe'"));
    CHECK(has(start.err, "hint: did you mean 'web'? the Procfile defines: web, worker\n"));
}

TEST_CASE("a .env behind a broken link stops check and start with the reason", "[e2e][loader]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " print started sleep 30\n");
    SECTION("a link to nothing") {
        fs::create_symlink("../secrets/app.env", dir.path() / ".env");
        for (const std::string command : {"check", "start"}) {
            const RunResult r = run_procrun({command}, in_project(dir));
            INFO(command << ": " << r.err);
            CHECK(r.exit_code == 1);
            CHECK(has(r.err,
                      ".env: error: env file '.env' is a symbolic link to "
                      "'../secrets/app.env', which does not exist"));
            CHECK_FALSE(has(r.out, "started"));
        }
    }
    SECTION("a loop") {
        fs::create_symlink(".env", dir.path() / ".env");
        for (const std::string command : {"check", "start"}) {
            const RunResult r = run_procrun({command}, in_project(dir));
            INFO(command << ": " << r.err);
            CHECK(r.exit_code == 1);
            CHECK(has(r.err, "env file '.env' is a symbolic link loop"));
        }
    }
    SECTION("a looping Procfile is not 'no Procfile'") {
        fs::remove(dir.path() / "Procfile");
        fs::create_symlink("Procfile", dir.path() / "Procfile");
        const RunResult r = run_procrun({"check"}, in_project(dir));
        CHECK(r.exit_code == 1);
        CHECK(has(r.err, "'Procfile' is a symbolic link loop"));
        CHECK_FALSE(has(r.err, "no Procfile"));
    }
    SECTION("a named file that is missing stays an error; no .env at all stays silent") {
        const RunResult named = run_procrun({"check", "-e", "missing.env"}, in_project(dir));
        CHECK(named.exit_code == 1);
        CHECK(has(named.err, "env file 'missing.env' does not exist"));
        const RunResult none = run_procrun({"check"}, in_project(dir));
        INFO(none.err);
        CHECK(none.exit_code == 0);
        CHECK_FALSE(has(none.err, ".env"));
    }
}

TEST_CASE("an unreadable .env is an error, not a silent skip", "[e2e][loader]") {
    // Root reads any file, so the check runs as an unprivileged user.
    const RunResult setpriv = run({"sh", "-c", "command -v setpriv"});
    REQUIRE(setpriv.exit_code == 0);
    TempDir dir;
    fs::permissions(dir.path(), fs::perms::all, fs::perm_options::add);
    dir.write("Procfile", "web: true\n", fs::perms::owner_read | fs::perms::others_read);
    dir.write(".env", "SECRET=1\n", fs::perms::owner_read);
    RunOptions o = in_project(dir);
    const RunResult r = run(
        {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", procrun_binary(), "check"},
        o);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "cannot read env file '.env': Permission denied"));
}

TEST_CASE("a Procfile over 16 MiB is refused with its size", "[e2e][loader]") {
    TempDir dir;
    const std::string line = "# " + std::string(1021, 'x') + "\n";
    std::string big = "web: true\n";
    while (big.size() < 17 * 1024 * 1024)
        big += line;
    dir.write("Procfile", big);
    const RunResult r = run_procrun({"check"}, in_project(dir));
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "'Procfile' is 17.0 MiB; procrun reads files of at most 16.0 MiB"));
}

TEST_CASE("an inherited PORT does not break run COMMAND", "[e2e][loader]") {
    TempDir dir;
    RunOptions o = in_project(dir);
    SECTION("without a Procfile") {
        o.set_env = {"PORT=abc"};
        const RunResult bad = run_procrun({"run", "true"}, o);
        INFO(bad.err);
        CHECK(bad.exit_code == 0);
        CHECK(bad.err.empty());
        o.set_env = {"PORT=5000"};
        const RunResult env = run_procrun({"run", "env"}, o);
        CHECK(env.exit_code == 0);
        CHECK(has("\n" + env.out, "\nPORT=5000\n"));
    }
    SECTION("with a Procfile: a command is not a process type") {
        dir.write("Procfile", "web: " + kTestchild + " env PORT\n");
        o.set_env = {"PORT=abc"};
        const RunResult cmd = run_procrun({"run", "sh", "-c", "echo PORT=$PORT"}, o);
        INFO(cmd.err);
        CHECK(cmd.exit_code == 0);
        CHECK(cmd.out == "PORT=abc\n");
        // A base port too high for the formation does not matter to a command either.
        dir.write("Procfile",
                  "web: " + kTestchild + " env PORT\nworker: " + kTestchild + " env PORT\n");
        o.set_env = {"PORT=65500"};
        const RunResult high = run_procrun({"run", "true"}, o);
        INFO(high.err);
        CHECK(high.exit_code == 0);
        o.set_env = {"PORT=abc"};
        // A process type needs its port, so there PORT must be a number.
        const RunResult web = run_procrun({"run", "web"}, o);
        CHECK(web.exit_code == 1);
        CHECK(has(web.err, "PORT in the environment is not a port number (1-65535): 'abc'"));
        o.set_env = {"PORT=6000"};
        const RunResult ok = run_procrun({"run", "web"}, o);
        CHECK(ok.out == "PORT=6000\n");
    }
}
