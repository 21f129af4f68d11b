// The command line against the real binary: every option that takes a list
// takes one value per occurrence, so the command's own arguments after it are
// never taken for it; the project options are accepted before the command too.

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using procrun::test::contains;
using procrun::test::in_project;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::TempDir;

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words)
        out += (out.empty() ? "" : " ") + w;
    return out;
}

// Three types that each say who they are and exit (which stops the others).
void write_three_types(TempDir& dir) {
    dir.write("Procfile",
              "web: echo web-ran\n"
              "worker: echo worker-ran; sleep 5\n"
              "other: echo other-ran; sleep 5\n");
    dir.write(".env", "FROM_ENV=base\n");
    dir.write(".env.local", "FROM_LOCAL=local\n");
}

}  // namespace

TEST_CASE("start: a list option never takes the process types after it", "[e2e][cli]") {
    TempDir dir;
    write_three_types(dir);
    // Each option, then a value for it, then the one type to start: web.
    const std::vector<std::vector<std::string>> options = {
        {"-e", ".env,.env.local"},
        {"--env", ".env"},
        {"--env=.env,.env.local"},
        {"-q", "worker"},
        {"--quiet", "worker,other"},
        {"--can-die", "worker"},
        {"--can-die", "worker,other"},
        {"--exit-with", "worker"},
        {"--restart", "no"},
        {"--restart", "web=no,worker=always"},
        {"-c", "web=1"},
        {"-m", "all=1"},
        {"-p", "6000"},
        {"-f", "Procfile"},
        {"-d", "."},
    };
    for (const auto& option : options) {
        std::vector<std::string> argv = {"start", "--no-timestamp"};
        argv.insert(argv.end(), option.begin(), option.end());
        argv.push_back("web");
        INFO("procrun " << joined(argv));
        const RunResult r = run_procrun(argv, in_project(dir));
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, "web-ran"));
        CHECK_FALSE(contains(r.out, "worker-ran"));
        CHECK_FALSE(contains(r.out, "other-ran"));
        CHECK_FALSE(contains(r.err, "does not exist"));
    }
}

TEST_CASE("start: a list option repeated collects every value", "[e2e][cli]") {
    TempDir dir;
    write_three_types(dir);
    const RunResult r = run_procrun({"start", "--no-timestamp", "-q", "other", "-q", "worker",
                                     "--can-die", "worker", "--can-die", "other", "web"},
                                    in_project(dir));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "web-ran"));
    // Only web started: not even the lifecycle lines of the others.
    CHECK_FALSE(contains(r.out, "worker.1"));
    CHECK_FALSE(contains(r.out, "other.1"));
}

TEST_CASE("run: -e with two files leaves the command alone", "[e2e][cli]") {
    TempDir dir;
    write_three_types(dir);
    for (const std::vector<std::string>& env :
         std::vector<std::vector<std::string>>{{"-e", ".env,.env.local"},
                                               {"-e", ".env", "-e", ".env.local"},
                                               {"--env=.env,.env.local"}}) {
        std::vector<std::string> argv = {"run"};
        argv.insert(argv.end(), env.begin(), env.end());
        argv.insert(argv.end(), {"env", "-0"});
        INFO("procrun " << joined(argv));
        const RunResult r = run_procrun(argv, in_project(dir));
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, std::string("FROM_ENV=base\0", 14)));
        CHECK(contains(r.out, std::string("FROM_LOCAL=local\0", 17)));
    }
}

TEST_CASE("check and export: the arguments after -e are theirs", "[e2e][cli]") {
    TempDir dir;
    write_three_types(dir);
    SECTION("check has no arguments: one after -e is a usage error naming it") {
        const RunResult r = run_procrun({"check", "-e", ".env", "stray"}, in_project(dir));
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "stray"));
        CHECK_FALSE(contains(r.err, "does not exist"));
    }
    SECTION("export FORMAT DIR after -e") {
        const RunResult r = run_procrun(
            {"export", "-e", ".env,.env.local", "systemd", "out", "-a", "app"}, in_project(dir));
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(fs::exists(dir.path() / "out" / "app-web-1.service"));
    }
}

TEST_CASE("the project options before the command: start, run, check, export", "[e2e][cli]") {
    TempDir dir;
    dir.write("Procfile", "web: echo from-Procfile\n");
    dir.write("Procfile.dev", "dev: echo from-Procfile.dev $WHERE\n");
    dir.write(".env", "WHERE=.env\n");
    dir.write(".env.test", "WHERE=.env.test\nONLY_TEST=yes\n");
    dir.write("sub/Procfile", "sub: echo from-sub\n");
    const RunOptions o = in_project(dir);

    SECTION("start") {
        const RunResult r =
            run_procrun({"-f", "Procfile.dev", "-e", ".env.test", "start", "--no-timestamp"}, o);
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, "from-Procfile.dev .env.test"));
        CHECK_FALSE(contains(r.out, "from-Procfile\n"));
    }
    SECTION("start with -d and -m before it") {
        const RunResult r = run_procrun({"-d", "sub", "-m", "sub=1", "start", "--no-timestamp"}, o);
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, "from-sub"));
    }
    SECTION("run") {
        const RunResult r = run_procrun({"-e", ".env.test", "run", "sh", "-c", "echo $WHERE"}, o);
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out == ".env.test\n");
    }
    SECTION("check") {
        dir.write("Procfile", "this is not a Procfile line\n");
        CHECK(run_procrun({"check"}, o).exit_code == 1);
        const RunResult r = run_procrun({"--procfile=Procfile.dev", "check"}, o);
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
    }
    SECTION("export") {
        const RunResult r =
            run_procrun({"-f", "Procfile.dev", "export", "supervisord", "out", "-a", "app"}, o);
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(fs::exists(dir.path() / "out" / "app.conf"));
        CHECK(contains(procrun::test::run({"cat", (dir.path() / "out" / "app.conf").string()}).out,
                       "from-Procfile.dev"));
    }
}

TEST_CASE("an option after the command wins over the same one before it", "[e2e][cli]") {
    TempDir dir;
    dir.write("Procfile", "web: echo from-Procfile\n");
    dir.write("Procfile.dev", "dev: echo from-Procfile.dev\n");
    dir.write(".env", "WHERE=.env\nONLY_ENV=yes\n");
    dir.write(".env.test", "WHERE=.env.test\n");
    const RunOptions o = in_project(dir);

    // -e after the command replaces the list before it: nothing of .env is read.
    const RunResult env = run_procrun(
        {"-e", ".env", "run", "-e", ".env.test", "sh", "-c", "echo $WHERE ${ONLY_ENV:-unset}"}, o);
    INFO(env.err);
    CHECK(env.exit_code == 0);
    CHECK(env.out == ".env.test unset\n");

    const RunResult start =
        run_procrun({"-f", "Procfile", "start", "-f", "Procfile.dev", "--no-timestamp"}, o);
    INFO(start.out << start.err);
    CHECK(start.exit_code == 0);
    CHECK(contains(start.out, "from-Procfile.dev"));
    CHECK_FALSE(contains(start.out, "from-Procfile\n"));
}

TEST_CASE("an option before a command that does not take it is a usage error", "[e2e][cli]") {
    TempDir dir;
    dir.write("Procfile", "web: echo hi\n");
    struct Case {
        std::vector<std::string> argv;
        std::string message;
    };
    for (const Case& c :
         std::vector<Case>{{{"-e", ".env", "status"}, "procrun status does not take -e/--env"},
                           {{"-c", "web=2", "stop", "web"},
                            "procrun stop does not take -c/-m/--formation/--concurrency"},
                           {{"-p", "6000", "kill"}, "procrun kill does not take -p/--port"},
                           {{"--strict", "restart"}, "procrun restart does not take --strict"}}) {
        INFO("procrun " << joined(c.argv));
        const RunResult r = run_procrun(c.argv, in_project(dir));
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, c.message + " (given before the command)"));
    }
    // -f and -d find the running procrun: taken before status too.
    const RunResult status = run_procrun({"-d", dir.path().string(), "status"}, in_project(dir));
    INFO(status.err);
    CHECK(status.exit_code == 1);
    CHECK_FALSE(contains(status.err, "does not take"));
}

TEST_CASE("--help lists the project options before the command", "[e2e][cli]") {
    const RunResult r = run_procrun({"--help"});
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "Project options (before or after the command"));
    for (const char* option :
         {"--procfile", "--root", "--env", "--formation", "--port", "--timeout", "--strict"}) {
        INFO(option);
        CHECK(contains(r.out, option));
    }
}
