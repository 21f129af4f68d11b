// procrun run against the real binary: stdin, exit codes, environment,
// signals and the terminal.

#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace {

using namespace std::chrono_literals;
using procrun::test::Child;
using procrun::test::kTestchild;
using procrun::test::procrun_binary;
using procrun::test::run;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::TempDir;
using procrun::test::testchild_binary;

RunOptions in(const TempDir& dir) {
    RunOptions o;
    o.cwd = dir.path();
    o.unset_env = {"PORT", "PS"};
    o.timeout = 30s;
    return o;
}

}  // namespace

TEST_CASE("run passes stdin through and stdout back", "[e2e][run]") {
    TempDir dir;
    RunOptions o = in(dir);
    std::string input;
    for (int i = 0; i < 20000; ++i)
        input += "line " + std::to_string(i) + "\n";
    input += "no newline at the end";
    o.stdin_data = input;
    const RunResult r = run_procrun({"run", kTestchild, "cat"}, o);
    CHECK(r.exit_code == 0);
    CHECK(r.out == input);
}

TEST_CASE("run returns the command's exit code, 0 to 255", "[e2e][run]") {
    TempDir dir;
    std::vector<int> wrong;
    // 32 at a time: the sweep is about exit codes, not start-up time.
    constexpr int kBatch = 32;
    for (int first = 0; first <= 255; first += kBatch) {
        std::vector<std::unique_ptr<Child>> batch;
        for (int code = first; code < first + kBatch && code <= 255; ++code) {
            batch.push_back(std::make_unique<Child>(
                std::vector<std::string>{procrun_binary(), "run", "exit " + std::to_string(code)},
                in(dir)));
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const int code = first + static_cast<int>(i);
            if (batch[i]->wait(30s).exit_code != code)
                wrong.push_back(code);
        }
    }
    CHECK(wrong.empty());
}

TEST_CASE("run returns 128 + the signal that killed the command", "[e2e][run]") {
    const int sig = GENERATE(SIGHUP, SIGINT, SIGKILL, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM);
    TempDir dir;
    const RunResult r = run_procrun({"run", kTestchild, "raise", std::to_string(sig)}, in(dir));
    CHECK(r.exit_code == 128 + sig);
}

TEST_CASE("run NAME runs the Procfile entry with its arguments and instance 1's env",
          "[e2e][run]") {
    TempDir dir;
    dir.write("Procfile",
              "web: " + kTestchild + " env PORT env PS env FROM_FILE print\nworker: true\n");
    dir.write(".env", "FROM_FILE=yes\n");
    const RunResult r = run_procrun({"run", "web", "it's  two words"}, in(dir));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "PORT=5000\nPS=web.1\nFROM_FILE=yes\nit's  two words\n");
    // The second type's port, as start would give it.
    dir.write("Procfile", "web: true\nworker: " + kTestchild + " env PORT env PS\n");
    CHECK(run_procrun({"run", "worker"}, in(dir)).out == "PORT=5100\nPS=worker.1\n");
}

TEST_CASE("run COMMAND works without a Procfile, with the env files' environment", "[e2e][run]") {
    TempDir dir;
    dir.write(".env", "FROM_FILE=file\nSHARED=file\n");
    RunOptions o = in(dir);
    o.set_env = {"SHARED=os", "FROM_OS=os"};
    const RunResult r =
        run_procrun({"run", kTestchild, "env", "FROM_FILE", "env", "SHARED", "env", "FROM_OS"}, o);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "FROM_FILE=file\nSHARED=file\nFROM_OS=os\n");
    // One word is a shell command line.
    const RunResult shell = run_procrun({"run", "echo \"$FROM_FILE\" && exit 4"}, o);
    CHECK(shell.out == "file\n");
    CHECK(shell.exit_code == 4);
    // Options after the command belong to it.
    CHECK(run_procrun({"run", kTestchild, "print", "--env"}, o).out == "--env\n");
}

TEST_CASE("run reports a command that is not found or not executable", "[e2e][run]") {
    TempDir dir;
    dir.write("script.sh", "echo hi\n");
    const RunResult missing = run_procrun({"run", "procrun-no-such-command-xyz", "arg"}, in(dir));
    CHECK(missing.exit_code == 127);
    CHECK(missing.err.find("procrun-no-such-command-xyz") != std::string::npos);
    CHECK(run_procrun({"run", "./script.sh"}, in(dir)).exit_code == 126);
}

TEST_CASE("run forwards signals to the command", "[e2e][run]") {
    const int sig = GENERATE(SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH);
    const std::string name = sig == SIGINT    ? "INT"
                             : sig == SIGTERM ? "TERM"
                             : sig == SIGHUP  ? "HUP"
                             : sig == SIGQUIT ? "QUIT"
                             : sig == SIGUSR1 ? "USR1"
                             : sig == SIGUSR2 ? "USR2"
                                              : "WINCH";
    TempDir dir;
    RunOptions o = in(dir);
    Child c({procrun_binary(), "run", kTestchild, "trap-exit", name, "print", "ready", "wait"}, o);
    REQUIRE(c.wait_for_output("ready", 10s));
    c.signal(sig);
    const RunResult r = c.wait(10s);
    CHECK(r.out.find("got SIG" + name) != std::string::npos);
    CHECK(r.exit_code == 0);
}

TEST_CASE("a signal that stops run stops the whole command line, not only its first command",
          "[e2e][run]") {
    const int sig = GENERATE(SIGTERM, SIGINT, SIGHUP, SIGALRM);
    TempDir dir;
    RunOptions o = in(dir);
    // The shell would go on to `touch` once `sleep` is gone, were it spared.
    Child c({procrun_binary(), "run", "echo ready; sleep 30; touch marker"}, o);
    REQUIRE(c.wait_for_output("ready", 10s));
    std::this_thread::sleep_for(100ms);  // the shell is in `sleep` now
    c.signal(sig);
    const RunResult r = c.wait(10s);
    CHECK(r.exit_code == 128 + sig);
    std::this_thread::sleep_for(200ms);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "marker"));
}

TEST_CASE("under a terminal the command is in the foreground, and procrun takes it back after",
          "[e2e][run]") {
    TempDir dir;
    RunOptions o = in(dir);
    o.set_env = {"TERM=xterm"};
    const std::string cmd =
        "'" + procrun_binary() + "' run '" + kTestchild + "' tty exit 5; '" + kTestchild + "' tty";
    const RunResult r = run({"script", "-qfec", cmd, "/dev/null"}, o);
    // The command ran as the terminal's foreground group; after procrun the
    // shell's group is in the foreground again.
    CHECK(r.out == "tty: foreground\r\ntty: foreground\r\n");
    CHECK(r.exit_code == 0);
    // Without a terminal nothing is handed over.
    CHECK(run_procrun({"run", kTestchild, "tty"}, o).out == "tty: none\n");
}
