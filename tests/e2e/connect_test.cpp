// procrun connect on real terminals: `procrun start` in one pseudo-terminal,
// `procrun connect` in another (tests/support/pty_session.hpp), as a person
// with two terminal windows would use them.

#include <signal.h>

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"
#include "pty_session.hpp"

namespace {

using namespace std::chrono_literals;
using procrun::test::processes_in_session;
using procrun::test::procrun_binary;
using procrun::test::PtySession;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::TempDir;

constexpr auto kWait = 30s;
constexpr char kDetach = '\x1d';  // Ctrl-]

// A project, with its control socket in a private runtime directory.
struct App {
    TempDir root;
    TempDir runtime;

    explicit App(const std::string& procfile) { root.write("Procfile", procfile); }

    [[nodiscard]] RunOptions options() const {
        RunOptions o = procrun::test::in_project(root);
        o.set_env.push_back("XDG_RUNTIME_DIR=" + runtime.path().string());
        o.timeout = kWait;
        return o;
    }
    [[nodiscard]] RunResult procrun(const std::vector<std::string>& args) const {
        return run_procrun(args, options());
    }
    [[nodiscard]] std::unique_ptr<PtySession> start(const std::vector<std::string>& extra = {},
                                                    const std::string& ready = "") const {
        std::vector<std::string> argv{procrun_binary(), "start", "--no-timestamp"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto term = std::make_unique<PtySession>(argv, options(), 30, 120);
        if (!ready.empty()) {
            const bool seen = term->wait_for(ready, kWait);
            INFO(term->output());
            REQUIRE(seen);
        }
        // Its control socket answers.
        const auto deadline = std::chrono::steady_clock::now() + kWait;
        while (procrun({"status"}).exit_code != 0) {
            INFO(term->output());
            REQUIRE(std::chrono::steady_clock::now() < deadline);
            term->settle(100ms);
        }
        return term;
    }
    [[nodiscard]] std::unique_ptr<PtySession> connect(const std::string& name,
                                                      unsigned short rows = 24,
                                                      unsigned short cols = 80) const {
        auto term = std::make_unique<PtySession>(
            std::vector<std::string>{procrun_binary(), "connect", name}, options(), rows, cols);
        const bool connected = term->wait_for("connected to", kWait);
        INFO(term->output());
        REQUIRE(connected);
        return term;
    }
    // An instance's pid and restarts, from `procrun status --json`.
    [[nodiscard]] std::pair<int, int> pid_and_restarts(const std::string& name) const {
        const RunResult r = procrun({"status", "--json"});
        REQUIRE(r.exit_code == 0);
        for (const auto& instance : YAML::Load(r.out)["instances"]) {
            if (instance["name"].as<std::string>() == name)
                return {instance["pid"].as<int>(), instance["restarts"].as<int>()};
        }
        FAIL("no " << name << " in " << r.out);
        return {0, 0};
    }
};

// Stops the procrun in `term` with Ctrl-C and waits for it.
void stop(PtySession& term) {
    term.ctrl_c();
    CHECK(term.wait_exit(kWait) == 130);
}

const char* const kDebuggedApp = R"(import time
def handle(n):
    answer = n * 21
    if n == 2:
        print("request 2 hits the breakpoint", flush=True)
        breakpoint()
    print(f"served request {n}", flush=True)
n = 0
while True:
    n += 1
    handle(n)
    time.sleep(0.2)
)";

}  // namespace

TEST_CASE("connect: a breakpoint() under start, debugged from another terminal", "[e2e][connect]") {
    App app("web: python3 -u app.py\nticker: sh -c 'while :; do echo tick; sleep 0.2; done'\n");
    app.root.write("app.py", kDebuggedApp);
    auto main = app.start({}, "request 2 hits the breakpoint");
    const auto ticker = app.pid_and_restarts("ticker.1");

    auto debugger = app.connect("web.1");
    CHECK(debugger->output().find("Ctrl-] or Ctrl-D on an empty line detaches") !=
          std::string::npos);
    std::size_t mark = debugger->output().size();
    debugger->type_line("p 6*7");
    {
        INFO(debugger->output());
        REQUIRE(debugger->wait_for("42", kWait, mark));
    }
    mark = debugger->output().size();
    debugger->type_line("p answer");
    CHECK(debugger->wait_for("42", kWait, mark));
    debugger->type_line("c");
    {
        INFO(debugger->output());
        // Its output comes to the connection, and to the main stream too.
        CHECK(debugger->wait_for("served request 3", kWait));
        CHECK(main->wait_for("served request 3", kWait));
    }
    debugger->write(std::string(1, kDetach));
    CHECK(debugger->wait_exit(kWait) == 0);
    CHECK(debugger->output().find("detached from web.1; it goes on running") != std::string::npos);
    // The app goes on serving, and the other process never stopped.
    const std::size_t later = main->output().size();
    CHECK(main->wait_for("served request 6", kWait, later));
    CHECK(app.pid_and_restarts("ticker.1") == ticker);
    CHECK(app.pid_and_restarts("web.1").second == 0);
    stop(*main);
}

TEST_CASE("connect: a process on a pseudo-terminal gets raw keys, colours and the window size",
          "[e2e][connect]") {
    App app("sh: env PS1='$ ' bash --norc --noprofile -i\n");
    auto main = app.start({"--pty"});
    auto term = app.connect("sh", 33, 101);
    CHECK(term->output().find("connected to sh.1") != std::string::npos);
    std::size_t mark = term->output().size();
    // Line editing is the process's own: "echo abX", Backspace, "c".
    term->write("echo abX\x7f");
    term->write("c\r");
    {
        INFO(term->output());
        CHECK(term->wait_for("\nabc", kWait, mark));
    }
    mark = term->output().size();
    term->type_line("printf '\\033[31m%s\\033[0m\\n' red");
    CHECK(term->wait_for("\x1b[31mred\x1b[0m", kWait, mark));
    // The window size of the connecting terminal, then its changes.
    mark = term->output().size();
    term->type_line("stty size");
    CHECK(term->wait_for("33 101", kWait, mark));
    term->resize(40, 132);
    term->settle(300ms);
    mark = term->output().size();
    term->type_line("stty size");
    {
        INFO(term->output());
        CHECK(term->wait_for("40 132", kWait, mark));
    }
    // Ctrl-C goes to the process (bash gets a new prompt) instead of detaching.
    term->write("sleep 30\r");
    term->settle(300ms);
    term->ctrl_c();
    mark = term->output().size();
    term->type_line("echo still-here");
    CHECK(term->wait_for("still-here", kWait, mark));
    // Detach: the shell goes on.
    term->write(std::string(1, kDetach));
    CHECK(term->wait_exit(kWait) == 0);
    const auto [pid, restarts] = app.pid_and_restarts("sh.1");
    CHECK(pid > 0);
    CHECK(restarts == 0);
    auto again = app.connect("sh.1");
    mark = again->output().size();
    again->type_line("echo back-again");
    CHECK(again->wait_for("back-again", kWait, mark));
    again->write(std::string(1, kDetach));
    CHECK(again->wait_exit(kWait) == 0);
    stop(*main);
}

TEST_CASE("connect: the terminal is put back on every way out", "[e2e][connect]") {
    App app("sh: env PS1='$ ' bash --norc --noprofile -i\nother: sleep 60\n");
    auto main = app.start({"--pty", "--can-die", "sh"});
    // `stty -a` after procrun connect shows the modes it left behind.
    const std::string connect_then_stty =
        "'" + procrun_binary() +
        "' connect sh.1; echo \"rc=$?\"; stty -a | tr ' ' '\\n' | "
        "grep -x -e -icanon -e icanon -e -echo -e echo";
    auto run_connect = [&] {
        auto term = std::make_unique<PtySession>(
            std::vector<std::string>{"sh", "-c", connect_then_stty}, app.options());
        const bool connected = term->wait_for("connected to sh.1", kWait);
        INFO(term->output());
        REQUIRE(connected);
        return term;
    };
    auto restored = [](PtySession& term, const std::string& rc) {
        INFO(term.output());
        CHECK(term.wait_exit(kWait) == 0);
        CHECK(term.output().find("rc=" + rc) != std::string::npos);
        CHECK(term.output().find("\nicanon") != std::string::npos);
        CHECK(term.output().find("\necho") != std::string::npos);
        CHECK(term.output().find("-icanon") == std::string::npos);
    };
    SECTION("detached") {
        auto term = run_connect();
        term->write(std::string(1, kDetach));
        restored(*term, "0");
    }
    SECTION("a signal to procrun connect") {
        auto term = run_connect();
        for (pid_t pid : processes_in_session(term->pid())) {
            if (pid != term->pid())
                ::kill(pid, SIGTERM);
        }
        restored(*term, "0");
    }
    SECTION("the process ends") {
        auto term = run_connect();
        term->type_line("exit 3");
        restored(*term, "0");
        CHECK(term->output().find("sh.1 exited with code 3") != std::string::npos);
    }
    SECTION("procrun goes away") {
        auto term = run_connect();
        main->signal(SIGKILL);
        restored(*term, "1");
        CHECK(term->output().find("closed the connection") != std::string::npos);
    }
}

TEST_CASE("connect: on a pipe, line by line, two connections, a detach mid-line sends nothing",
          "[e2e][connect]") {
    App app("echo: python3 -u echo.py\nother: sleep 60\n");
    app.root.write("echo.py",
                   "import sys\nfor line in sys.stdin:\n    print('got', line.strip())\n");
    auto main = app.start();
    auto first = app.connect("echo");
    auto second = app.connect("echo.1");
    CHECK(first->output().find("each line goes to it on Enter") != std::string::npos);
    first->type_line("one");
    CHECK(first->wait_for("got one", kWait));
    CHECK(second->wait_for("got one", kWait));
    CHECK(main->wait_for("got one", kWait));
    second->type_line("two");
    CHECK(first->wait_for("got two", kWait));
    CHECK(second->wait_for("got two", kWait));
    // An unfinished line, then the detach key: it is not sent.
    first->write(std::string("partial") + kDetach);
    CHECK(first->wait_exit(kWait) == 0);
    second->type_line("three");
    CHECK(second->wait_for("got three", kWait));
    CHECK(main->wait_for("got three", kWait));
    CHECK(main->output().find("partial") == std::string::npos);
    // Ctrl-D on an empty line detaches too; the process keeps its input.
    second->ctrl_d();
    CHECK(second->wait_exit(kWait) == 0);
    auto third = app.connect("echo.1");
    third->type_line("four");
    CHECK(main->wait_for("got four", kWait));
    third->ctrl_c();
    CHECK(third->wait_exit(kWait) == 0);
    stop(*main);
}

TEST_CASE("connect: stays connected across a restart, ends when the process will not come back",
          "[e2e][connect]") {
    App app("echo: python3 -u echo.py\nother: sleep 60\n");
    app.root.write("echo.py",
                   "import sys\nfor line in sys.stdin:\n    print('got', line.strip())\n");
    auto main = app.start();
    auto term = app.connect("echo.1");
    REQUIRE(app.procrun({"restart", "echo.1"}).exit_code == 0);
    {
        INFO(term->output());
        CHECK(term->wait_for("echo.1 started again (pid", kWait));
    }
    term->type_line("after-restart");
    CHECK(term->wait_for("got after-restart", kWait));
    REQUIRE(app.procrun({"stop", "echo.1"}).exit_code == 0);
    {
        INFO(term->output());
        CHECK(term->wait_exit(kWait) == 0);
        CHECK(term->output().find("echo.1 will not be started again (stopped)") !=
              std::string::npos);
    }
    // A process that is not running is refused, with the way to start it.
    const RunResult refused = app.procrun({"connect", "echo.1"});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("echo.1 is not running (stopped)") != std::string::npos);
    stop(*main);
}

TEST_CASE("connect: names, a type's first instance, piped input, no procrun", "[e2e][connect]") {
    App app("web: sh -c 'echo up; exec python3 -u echo.py'\nworker: sleep 60\n");
    app.root.write("echo.py",
                   "import sys\nfor line in sys.stdin:\n    print('got', line.strip())\n");
    const RunResult none = app.procrun({"connect", "web"});
    CHECK(none.exit_code == 1);
    CHECK(none.err.find("no procrun is running in") != std::string::npos);

    auto main = app.start({"-c", "all=1,web=2"}, "web.2");
    const RunResult unknown = app.procrun({"connect", "wbe"});
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.err.find("unknown process 'wbe' (valid names: web, worker, web.1, web.2, "
                           "worker.1)") != std::string::npos);
    // Standard input not a terminal: sent as it comes, its end detaches.
    RunOptions piped = app.options();
    piped.stdin_data = "from-a-pipe\n";
    const RunResult r = run_procrun({"connect", "web"}, piped);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("connected to web.1") != std::string::npos);
    CHECK(main->wait_for("got from-a-pipe", kWait));
    CHECK(main->output().find("web.2") != std::string::npos);
    stop(*main);
}
