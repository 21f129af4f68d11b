// procrun on a real terminal (tests/support/pty_session.hpp): what is typed
// reaches the processes' stdin, prompts are shown, Ctrl-C stops everything.

#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "harness.hpp"
#include "pty_session.hpp"

namespace {

using namespace std::chrono_literals;
using procrun::test::in_project;
using procrun::test::procrun_binary;
using procrun::test::PtySession;
using procrun::test::TempDir;

}  // namespace

TEST_CASE("pty session: procrun start on a terminal, Ctrl-C typed stops everything",
          "[e2e][interactive]") {
    TempDir dir;
    dir.write("Procfile", "ticker: sh -c 'echo tick-ready; exec sleep 60'\n");
    PtySession term({procrun_binary(), "start"}, in_project(dir), 30, 100);
    REQUIRE(term.wait_for("tick-ready", 30s));
    term.resize(40, 120);
    term.ctrl_c();
    const int status = term.wait_exit(30s);
    INFO(term.output());
    CHECK(status == 130);
    CHECK(term.output().find("received SIGINT") != std::string::npos);
}

TEST_CASE("stdin under start: a process that exits at end of input keeps running",
          "[e2e][interactive]") {
    TempDir dir;
    // A watcher that stops at end of input (as tailwindcss --watch does), and
    // a reader that reports what its read returned.
    dir.write(
        "Procfile",
        "watcher: sh -c 'echo watching; cat >/dev/null; echo watcher saw eof'\n"
        "asker: python3 -c \"print('asking', flush=True); input(); print('asker got a line')\"\n"
        "other: sh -c 'echo other-up; exec sleep 60'\n");
    procrun::test::Child c({procrun_binary(), "start", "--no-timestamp"}, in_project(dir));
    REQUIRE(c.wait_for_output("watching", 30s));
    REQUIRE(c.wait_for_output("asking", 30s));
    REQUIRE(c.wait_for_output("other-up", 30s));
    // Nothing reads end-of-file or an error: after a while both still wait.
    c.wait_for_output("saw eof", 1500ms);
    c.signal(SIGTERM);
    const auto r = c.wait(30s);
    INFO(r.out << r.err);
    CHECK(r.out.find("watcher saw eof") == std::string::npos);
    CHECK(r.out.find("EOFError") == std::string::npos);
    CHECK(r.out.find("asker got a line") == std::string::npos);
    CHECK(r.out.find("received SIGTERM") != std::string::npos);
}

TEST_CASE("prompts: a prompt is shown before its newline, with the hint to reach it",
          "[e2e][interactive]") {
    TempDir dir;
    dir.write("Procfile",
              "asker: python3 -c \"input('Name? ')\"\n"
              "other: sh -c 'echo other-up; exec sleep 60'\n");
    procrun::test::Child c({procrun_binary(), "start", "--no-timestamp"}, in_project(dir));
    const bool hinted =
        c.wait_for_output("asker.1 is waiting for input: procrun connect asker.1", 30s);
    c.signal(SIGTERM);
    const auto r = c.wait(30s);
    INFO(r.out << r.err);
    CHECK(hinted);
    CHECK(r.out.find("| Name? \n") != std::string::npos);
    // Said once for the one prompt.
    CHECK(r.out.find("waiting for input") == r.out.rfind("waiting for input"));
}

TEST_CASE("interactive: procrun's stdin, a pipe, goes to the process, its end ends its input",
          "[e2e][interactive]") {
    TempDir dir;
    dir.write("Procfile",
              "echoer: sh -c 'read line; echo \"got:$line\"; cat >/dev/null; echo eof-seen'\n"
              "other: sh -c 'echo other-up; exec sleep 60'\n");
    auto o = in_project(dir);
    o.stdin_data = "hello there\n";
    procrun::test::Child c({procrun_binary(), "start", "--no-timestamp", "--interactive", "echoer",
                            "--can-die", "echoer"},
                           o);
    const bool seen = c.wait_for_output("eof-seen", 30s);
    // The other process runs on meanwhile: its line comes whenever it is scheduled.
    const bool other_seen = c.wait_for_output("other-up", 30s);
    c.signal(SIGTERM);
    const auto r = c.wait(30s);
    INFO(r.out << r.err);
    CHECK(seen);
    CHECK(other_seen);
    CHECK(r.out.find("got:hello there") != std::string::npos);
    CHECK(r.out.find("other-up") != std::string::npos);
}

TEST_CASE("interactive: an unknown --interactive name is refused with a hint",
          "[e2e][interactive]") {
    TempDir dir;
    dir.write("Procfile", "web: sleep 60\nworker: sleep 60\n");
    const auto r = procrun::test::run_procrun({"start", "--interactive", "wbe"}, in_project(dir));
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("--interactive wbe: no process type or instance named wbe") !=
          std::string::npos);
    CHECK(r.err.find("did you mean 'web'?") != std::string::npos);
    const auto unselected =
        procrun::test::run_procrun({"start", "worker", "--interactive", "web"}, in_project(dir));
    CHECK(unselected.exit_code != 0);
    CHECK(unselected.err.find("web is not started by this command") != std::string::npos);
}

TEST_CASE("interactive: pdb at a breakpoint() under start --interactive, on a terminal",
          "[e2e][interactive]") {
    TempDir dir;
    dir.write("app.py",
              "print('app-start', flush=True)\n"
              "answer = 6\n"
              "breakpoint()\n"
              "print('after-breakpoint', flush=True)\n"
              "import time\n"
              "time.sleep(60)\n");
    dir.write("Procfile",
              "web: python3 app.py\n"
              "other: sh -c 'i=0; while :; do i=$((i+1)); echo other-$i; sleep 0.3; "
              "done'\n");
    auto o = in_project(dir);
    o.unset_env.push_back("PYTHONBREAKPOINT");
    PtySession term(
        {procrun_binary(), "start", "--no-timestamp", "--no-color", "--interactive", "web"}, o);
    REQUIRE(term.wait_for("lines typed here go to web.1", 30s));
    REQUIRE(term.wait_for("(Pdb) ", 30s));
    std::size_t at = term.output().size();
    term.type_line("p answer*7");
    const bool answered = term.wait_for("+ 42", 30s, at);
    at = term.output().size();
    term.type_line("c");
    const bool continued = term.wait_for("after-breakpoint", 30s, at);
    // The other process went on all along, and still does.
    at = term.output().size();
    const bool other_on = term.wait_for("| other-", 30s, at);
    term.ctrl_c();
    const int status = term.wait_exit(30s);
    INFO(term.output());
    CHECK(answered);
    CHECK(continued);
    CHECK(other_on);
    CHECK(term.output().find("BdbQuit") == std::string::npos);
    CHECK(term.output().find("waiting for input") == std::string::npos);  // web.1 is typed to
    CHECK(status == 130);
}

TEST_CASE("interactive: typed lines reach the process, also after Ctrl-Z and a continue",
          "[e2e][interactive]") {
    TempDir dir;
    dir.write("Procfile",
              "repl: sh -c 'while read l; do echo \"got:$l\"; done; echo repl-eof'\n"
              "other: sh -c 'echo other-up; exec sleep 60'\n");
    PtySession term({procrun_binary(), "start", "--no-timestamp", "--no-color", "--interactive",
                     "repl", "--can-die", "repl"},
                    in_project(dir));
    REQUIRE(term.wait_for("lines typed here go to repl.1", 30s));
    REQUIRE(term.wait_for("other-up", 30s));
    term.type_line("one");
    CHECK(term.wait_for("| got:one", 30s));
    term.ctrl_z();
    REQUIRE(term.wait_for("suspending every process and procrun", 30s));
    // Continued only once it has stopped itself.
    bool stopped = false;
    for (int i = 0; i < 300 && !stopped; ++i) {
        const std::string stat = procrun::test::read_proc(term.pid(), "stat");
        const auto close = stat.rfind(')');
        stopped = close != std::string::npos && stat.size() > close + 2 && stat[close + 2] == 'T';
        if (!stopped)
            term.settle(100ms);
    }
    REQUIRE(stopped);
    term.signal(SIGCONT);
    REQUIRE(term.wait_for("continued: resuming every process", 30s));
    std::size_t at = term.output().size();
    term.type_line("two");
    CHECK(term.wait_for("| got:two", 30s, at));
    // Ctrl-D ends its input: the loop ends, procrun goes on (it may die).
    at = term.output().size();
    term.ctrl_d();
    CHECK(term.wait_for("repl-eof", 30s, at));
    term.ctrl_c();
    const int status = term.wait_exit(30s);
    INFO(term.output());
    CHECK(status == 130);
}
