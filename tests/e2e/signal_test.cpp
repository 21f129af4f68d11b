// Signals under `procrun start` against the real binary: which processes a
// signal reaches (forward_signals, `procrun signal`), signals that stop
// procrun gracefully, suspending the whole app (SIGTSTP, SIGCONT), a child
// that touches the terminal, and the terminal left as it was.

#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace {

using namespace std::chrono_literals;
using procrun::test::Child;
using procrun::test::contains;
using procrun::test::in_project;
using procrun::test::kTestchild;
using procrun::test::procrun_binary;
using procrun::test::run;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::TempDir;
using procrun::test::testchild_binary;

// The pid in "NAME started with pid N" of procrun's output; 0 when absent.
pid_t started_pid(const std::string& out, const std::string& name) {
    const std::string key = name + " started with pid ";
    const std::size_t at = out.find(key);
    if (at == std::string::npos)
        return 0;
    return static_cast<pid_t>(std::stol(out.substr(at + key.size())));
}

// The state letter of /proc/PID/stat ('S', 'R', 'T'...); '?' when gone.
char proc_state(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const std::size_t close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
}

// Waits up to 5 s for every pid to be in `state` (or, with `negate`, in any other).
bool wait_state(const std::vector<pid_t>& pids, char state, bool negate = false) {
    for (int i = 0; i < 500; ++i) {
        bool all = true;
        for (pid_t pid : pids)
            all = all && ((proc_state(pid) == state) != negate);
        if (all)
            return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

}  // namespace

TEST_CASE("signal: SIGUSR1 that no type forwards reaches nobody and procrun says so",
          "[e2e][signal]") {
    TempDir dir;
    // Neither handles SIGUSR1: either would die of it.
    dir.write("Procfile", "web: " + kTestchild + " print ready sleep 30\nworker: " + kTestchild +
                              " print ready sleep 30\n");
    Child c({procrun_binary(), "start"}, in_project(dir));
    REQUIRE(c.wait_for_output("worker.1 | ready", 10s));
    c.signal(SIGUSR1);
    REQUIRE(c.wait_for_output("no process type forwards it", 10s));
    CHECK(contains(c.out(),
                   "received SIGUSR1; no process type forwards it (set `forward_signals: "
                   "[USR1]` for a type in .procrun.yaml"));
    std::this_thread::sleep_for(300ms);
    c.signal(SIGTERM);
    const RunResult r = c.wait(20s);
    INFO(r.out);
    CHECK_FALSE(contains(r.out, "terminated by SIGUSR1"));
    CHECK(contains(r.out, "received SIGTERM"));
    CHECK(r.exit_code == 128 + SIGTERM);
}

TEST_CASE("signal: forward_signals passes a signal on to that type only", "[e2e][signal]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild +
                              " trap USR1 trap HUP print ready sleep 30\nworker: " + kTestchild +
                              " trap USR1 trap HUP print ready sleep 30\n");
    dir.write(".procrun.yaml", "processes:\n  web:\n    forward_signals: [USR1, SIGHUP]\n");
    Child c({procrun_binary(), "start"}, in_project(dir));
    // Both have set their traps (each in its own time, whatever the order they started in).
    REQUIRE(c.wait_for_output("web.1    | ready", 10s));
    REQUIRE(c.wait_for_output("worker.1 | ready", 10s));
    c.signal(SIGUSR1);
    REQUIRE(c.wait_for_output("web.1    | got SIGUSR1", 10s));
    // A forwarded SIGHUP does not stop procrun either.
    c.signal(SIGHUP);
    REQUIRE(c.wait_for_output("web.1    | got SIGHUP", 10s));
    std::this_thread::sleep_for(300ms);
    c.signal(SIGTERM);
    const RunResult r = c.wait(20s);
    INFO(r.out);
    CHECK(contains(r.out, "forwarding SIGUSR1 to web.1"));
    CHECK(contains(r.out, "forwarding SIGHUP to web.1"));
    CHECK_FALSE(contains(r.out, "worker.1 | got SIGUSR1"));
    CHECK_FALSE(contains(r.out, "worker.1 | got SIGHUP"));
    CHECK(r.exit_code == 128 + SIGTERM);
}

TEST_CASE("signal: forward_signals rejects a signal that means stop", "[e2e][signal]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " sleep 1\n");
    dir.write(".procrun.yaml", "processes:\n  web:\n    forward_signals: [USR1, TERM]\n");
    const RunResult r = run_procrun({"check"}, in_project(dir));
    INFO(r.out << r.err);
    CHECK(r.exit_code != 0);
    const std::string all = r.out + r.err;
    CHECK(contains(all, ".procrun.yaml:3:"));
    CHECK(contains(all, "forwardable: HUP, USR1, USR2, WINCH, ALRM, PWR"));
    CHECK(contains(all, "SIGINT, SIGTERM and SIGQUIT stop procrun"));
}

TEST_CASE("signal: procrun signal sends any signal to exactly one instance", "[e2e][signal]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " trap USR2 print ready sleep 30\n");
    const RunOptions o = in_project(dir);
    Child c({procrun_binary(), "start", "-c", "web=2"}, o);
    REQUIRE(c.wait_for_output("web.2  | ready", 10s));
    const RunResult sent = run_procrun({"signal", "USR2", "web.1"}, o);
    INFO(sent.out << sent.err);
    CHECK(sent.exit_code == 0);
    const pid_t web1 = started_pid(c.out(), "web.1");
    REQUIRE(web1 > 0);
    CHECK(sent.out == "web.1  SIGUSR2 sent to pid " + std::to_string(web1) + "\n");
    REQUIRE(c.wait_for_output("web.1  | got SIGUSR2", 10s));

    const RunResult unknown = run_procrun({"signal", "USR2", "api"}, o);
    CHECK(unknown.exit_code == 1);
    CHECK(contains(unknown.err, "api"));
    CHECK(contains(unknown.err, "web"));
    const RunResult bad = run_procrun({"signal", "SIGNOPE", "web"}, o);
    CHECK(bad.exit_code == 1);
    CHECK(contains(bad.err, "unknown signal 'SIGNOPE'"));

    std::this_thread::sleep_for(300ms);
    c.signal(SIGTERM);
    const RunResult r = c.wait(20s);
    INFO(r.out);
    CHECK_FALSE(contains(r.out, "web.2  | got SIGUSR2"));
    CHECK(r.exit_code == 128 + SIGTERM);
}

TEST_CASE("signal: SIGALRM, SIGXCPU, SIGRTMIN stop procrun gracefully", "[e2e][signal]") {
    const int sig = GENERATE(SIGALRM, SIGXCPU, SIGPROF, SIGRTMIN + 1);
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " trap-exit TERM print ready wait\n");
    Child c({procrun_binary(), "start"}, in_project(dir));
    REQUIRE(c.wait_for_output("web.1  | ready", 10s));
    c.signal(sig);
    const RunResult r = c.wait(20s);
    INFO(r.out << r.err);
    CHECK(contains(r.out, "web.1  | got SIGTERM"));
    CHECK(r.exit_code == 128 + sig);
}

TEST_CASE("signal: SIGTSTP suspends every process with procrun, SIGCONT resumes them",
          "[e2e][signal]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " print ready sleep 30\nworker: " + kTestchild +
                              " ignore TSTP print ready sleep 30\n");
    Child c({procrun_binary(), "start"}, in_project(dir));
    REQUIRE(c.wait_for_output("worker.1 | ready", 10s));
    const std::vector<pid_t> children{started_pid(c.out(), "web.1"),
                                      started_pid(c.out(), "worker.1")};
    REQUIRE(children[0] > 0);
    REQUIRE(children[1] > 0);
    c.signal(SIGTSTP);
    // worker ignores SIGTSTP: it gets SIGSTOP instead.
    CHECK(wait_state(children, 'T'));
    CHECK(wait_state({c.pid()}, 'T'));
    c.signal(SIGCONT);
    CHECK(wait_state(children, 'T', /*negate=*/true));
    CHECK(wait_state({c.pid()}, 'T', /*negate=*/true));
    REQUIRE(c.wait_for_output("continued: resuming every process", 10s));
    c.signal(SIGTERM);
    const RunResult r = c.wait(20s);
    INFO(r.out);
    CHECK(contains(r.out, "received SIGTSTP: suspending every process and procrun"));
    CHECK(r.exit_code == 128 + SIGTERM);
}

TEST_CASE("signal: a child stopped by the terminal is reported and shown by status",
          "[e2e][signal]") {
    const bool read = GENERATE(true, false);
    TempDir dir;
    // Under a real terminal whose foreground group is procrun's: the child is
    // in a background group, so reading or changing the terminal stops it.
    dir.write("Procfile", std::string("prompt: ") +
                              (read ? "read answer < /dev/tty" : "stty -echo < /dev/tty") +
                              "; echo never\nweb: " + kTestchild + " print ready sleep 30\n");
    RunOptions o = in_project(dir);
    o.set_env = {"TERM=xterm"};
    Child c({"script", "-qfec", "'" + procrun_binary() + "' start", "/dev/null"}, o);
    const std::string sig = read ? "SIGTTIN" : "SIGTTOU";
    const std::string what =
        read ? "tried to read from the terminal" : "tried to change the terminal's settings";
    REQUIRE(c.wait_for_output("prompt.1 is stopped: it " + what + " (" + sig + ")", 10s));
    const RunResult status = run_procrun({"status"}, o);
    INFO(status.out << status.err);
    CHECK(contains(status.out, "stopped(" + sig + ")"));
    const RunResult killed = run_procrun({"kill"}, o);
    CHECK(killed.exit_code == 0);
    const RunResult r = c.wait(20s);
    INFO(r.out);
    CHECK(contains(r.out, "`procrun restart prompt.1` starts it again"));
    CHECK_FALSE(contains(r.out, "never"));
    CHECK(r.exit_code == 0);
}

TEST_CASE("signal: the cursor a pty child hid is shown again when procrun exits", "[e2e][signal]") {
    TempDir dir;
    dir.write("Procfile", "ui: printf '\\033[?25l\\033[41mred'\n");
    RunOptions o = in_project(dir);
    o.set_env = {"TERM=xterm"};
    // Under a terminal: attributes reset and cursor shown, last.
    const RunResult tty =
        run({"script", "-qfec", "'" + procrun_binary() + "' start --pty", "/dev/null"}, o);
    INFO(tty.out);
    CHECK(contains(tty.out, "\x1b[?25l"));
    const std::string restore = "\x1b[0m\x1b[?25h";
    REQUIRE(tty.out.size() >= restore.size());
    CHECK(tty.out.substr(tty.out.size() - restore.size()) == restore);
    // Not a terminal: nothing added.
    const RunResult piped = run_procrun({"start", "--pty"}, o);
    CHECK(contains(piped.out, "\x1b[?25l"));
    CHECK_FALSE(contains(piped.out, "\x1b[?25h"));
}
