// procrun start against the real binary: environments, output, stopping, exit
// codes, and that nothing is left running.

#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

namespace {

using namespace std::chrono_literals;
using procrun::test::Child;
using procrun::test::in_project;
using procrun::test::kTestchild;
using procrun::test::processes_in_group;
using procrun::test::processes_with_env;
using procrun::test::procrun_binary;
using procrun::test::run;
using procrun::test::run_procrun;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::split_lines;
using procrun::test::TempDir;
using procrun::test::testchild_binary;
using procrun::test::unique_marker;

// The text of the lines printed under `name` ("NAME  | text"), in order.
std::vector<std::string> lines_of(const std::string& out, const std::string& name) {
    std::vector<std::string> found;
    for (const auto& line : split_lines(out)) {
        // Optional "HH:MM:SS " first.
        std::size_t at = line.size() > 9 && line[2] == ':' && line[5] == ':' ? 9 : 0;
        if (line.compare(at, name.size(), name) != 0)
            continue;
        const std::size_t bar = line.find(" | ", at + name.size());
        if (bar == std::string::npos)
            continue;
        if (line.find_first_not_of(' ', at + name.size()) != bar + 1)
            continue;
        found.push_back(line.substr(bar + 3));
    }
    return found;
}

bool has_line(const std::string& out, const std::string& name, const std::string& text) {
    for (const auto& l : lines_of(out, name)) {
        if (l == text)
            return true;
    }
    return false;
}

// The pids procrun reported starting (each leads its process group).
std::vector<pid_t> started_pids(const std::string& out) {
    std::vector<pid_t> pids;
    for (const auto& l : lines_of(out, "system")) {
        const auto at = l.find(" started with pid ");
        if (at != std::string::npos)
            pids.push_back(std::stoi(l.substr(at + 18)));
    }
    return pids;
}

void require_nothing_left(const std::string& out, const std::string& marker) {
    for (pid_t pgid : started_pids(out)) {
        INFO("process group " << pgid);
        CHECK(processes_in_group(pgid).empty());
    }
    CHECK(processes_with_env(marker).empty());
}

}  // namespace

TEST_CASE("each instance gets its PORT, PS and the env files over the OS environment",
          "[e2e][start]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild +
                              " env PORT env PS env SHARED env FROM_FILE env FROM_OS sleep 30\n" +
                              "worker: " + kTestchild + " env PORT env PS env SHARED sleep 30\n");
    dir.write(".env", "SHARED=from-file\nFROM_FILE=yes\n");
    RunOptions o = in_project(dir);
    o.set_env = {"SHARED=from-os", "FROM_OS=yes"};
    Child c({procrun_binary(), "start", "-c", "all=2,worker=3", "--no-timestamp"}, o);
    const std::map<std::string, int> ports{{"web.1", 5000},
                                           {"web.2", 5001},
                                           {"worker.1", 5100},
                                           {"worker.2", 5101},
                                           {"worker.3", 5102}};
    for (const auto& [name, port] : ports) {
        REQUIRE(c.wait_for_output(name + std::string(8 - name.size(), ' ') + " | SHARED=from-file",
                                  10s));
    }
    REQUIRE(c.wait_for_output("web.2    | FROM_OS=yes", 10s));
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    CHECK(r.exit_code == 130);
    for (const auto& [name, port] : ports) {
        INFO(name);
        CHECK(has_line(r.out, name, "PORT=" + std::to_string(port)));
        CHECK(has_line(r.out, name, "PS=" + name));
        CHECK(has_line(r.out, name, "SHARED=from-file"));
    }
    CHECK(has_line(r.out, "web.1", "FROM_FILE=yes"));
    CHECK(has_line(r.out, "web.1", "FROM_OS=yes"));
    CHECK(started_pids(r.out).size() == 5);
}

TEST_CASE("a process exiting with 3 stops the others and start exits 3", "[e2e][start]") {
    TempDir dir;
    const std::string marker = unique_marker("PROCRUN_E2E_MARK");
    dir.write("Procfile", "fails: " + kTestchild + " sleep 0.3 exit 3\n" +     //
                              "web: " + kTestchild + " print up sleep 30\n" +  //
                              "shell: sleep 30 & sleep 30 & wait\n");
    dir.write(".env", marker + "\n");
    const RunResult r = run_procrun({"start", "--no-timestamp"}, in_project(dir));
    CHECK(r.exit_code == 3);
    CHECK(r.seconds < 10);
    CHECK(has_line(r.out, "system", "fails.1 exited with code 3"));
    CHECK(has_line(r.out, "system", "sending SIGTERM to all processes"));
    CHECK(has_line(r.out, "system", "web.1 terminated by SIGTERM"));
    CHECK(has_line(r.out, "system", "shell.1 terminated by SIGTERM"));
    require_nothing_left(r.out, marker);
}

TEST_CASE("SIGINT stops everything and start exits 130", "[e2e][start]") {
    TempDir dir;
    const std::string marker = unique_marker("PROCRUN_E2E_MARK");
    dir.write("Procfile", "web: " + kTestchild + " print ready sleep 30\nworker: sleep 30\n");
    dir.write(".env", marker + "\n");
    Child c({procrun_binary(), "start"}, in_project(dir));
    REQUIRE(c.wait_for_output("ready", 10s));
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    CHECK(r.exit_code == 130);
    CHECK(has_line(r.out, "system", "received SIGINT"));
    CHECK(has_line(r.out, "system", "web.1 terminated by SIGTERM"));
    CHECK(has_line(r.out, "system", "worker.1 terminated by SIGTERM"));
    require_nothing_left(r.out, marker);
}

TEST_CASE("SIGTERM and SIGHUP give 143 and 129", "[e2e][start]") {
    const int sig = GENERATE(SIGTERM, SIGHUP);
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " print ready sleep 30\n");
    Child c({procrun_binary(), "start"}, in_project(dir));
    REQUIRE(c.wait_for_output("ready", 10s));
    c.signal(sig);
    CHECK(c.wait(20s).exit_code == 128 + sig);
}

TEST_CASE("a process ignoring SIGTERM is killed after --timeout, not sooner", "[e2e][start]") {
    TempDir dir;
    const std::string marker = unique_marker("PROCRUN_E2E_MARK");
    dir.write("Procfile", "stubborn: " + kTestchild + " ignore TERM print ready sleep 60\n" +
                              "web: " + kTestchild + " sleep 60\n");
    dir.write(".env", marker + "\n");
    Child c({procrun_binary(), "start", "--timeout", "1", "--no-timestamp"}, in_project(dir));
    REQUIRE(c.wait_for_output("ready", 10s));
    const auto sent = std::chrono::steady_clock::now();
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    CHECK(r.exit_code == 130);
    CHECK(waited >= 1.0);
    CHECK(waited < 4.0);
    CHECK(has_line(r.out, "system", "sending SIGKILL to 1 process that did not stop"));
    require_nothing_left(r.out, marker);
}

TEST_CASE("a second SIGINT kills at once", "[e2e][start]") {
    TempDir dir;
    dir.write("Procfile", "stubborn: " + kTestchild + " ignore TERM print ready sleep 60\n");
    Child c({procrun_binary(), "start", "--timeout", "30"}, in_project(dir));
    REQUIRE(c.wait_for_output("ready", 10s));
    c.signal(SIGINT);
    REQUIRE(c.wait_for_output("sending SIGTERM", 10s));
    c.signal(SIGINT);
    const RunResult r = c.wait(10s);
    CHECK(r.exit_code == 130);
    CHECK(r.out.find("sending SIGKILL to 1 process that did not stop") != std::string::npos);
}

TEST_CASE("background grandchildren of a shell die with its group", "[e2e][start]") {
    TempDir dir;
    const std::string marker = unique_marker("PROCRUN_E2E_MARK");
    dir.write("Procfile", "shell: sleep 60 & sleep 60 & " + kTestchild +
                              " ignore TERM print ignoring sleep 60 & " + kTestchild +
                              " print ready; wait\n" + "nested: sh -c 'sleep 60 & wait' & " +
                              kTestchild + " sleep 60\n");
    dir.write(".env", marker + "\n");
    Child c({procrun_binary(), "start", "--timeout", "1"}, in_project(dir));
    REQUIRE(c.wait_for_output("ready", 10s));
    // SIGTERM only once the grandchild ignores it (else it could die of it).
    REQUIRE(c.wait_for_output("ignoring", 10s));
    // Every process of both groups is up (they fork on their own schedule).
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (processes_with_env(marker).size() < 8 && std::chrono::steady_clock::now() < until) {
        c.wait_for_output("not printed", 20ms);
    }
    REQUIRE(processes_with_env(marker).size() >= 8);
    c.signal(SIGTERM);
    const RunResult r = c.wait(20s);
    CHECK(r.exit_code == 143);
    // The grandchild ignoring TERM outlived its shell and was killed with the group.
    CHECK(r.out.find("sending SIGKILL to 1 process that did not stop") != std::string::npos);
    require_nothing_left(r.out, marker);
}

TEST_CASE("4 x 250k lines: every line arrives once, whole, in order", "[e2e][start]") {
    TempDir dir;
    dir.write("barrier/.keep", "");
    constexpr long kLines = 250000;
    std::string procfile;
    for (int i = 1; i <= 4; ++i) {
        const std::string tag = "P" + std::to_string(i);
        procfile += "p" + std::to_string(i) + ": " + kTestchild + " lines " +
                    std::to_string(kLines) + " " + tag + " partial last-" + tag +
                    "-without-newline barrier " + (dir.path() / "barrier").string() + " 4\n";
    }
    dir.write("Procfile", procfile);
    const RunResult r = run_procrun({"start", "--no-timestamp"}, in_project(dir));
    CHECK(r.exit_code == 0);
    // One pass over the output: "pN.1   | text" per name, everything else counted.
    std::map<std::string, std::vector<std::string_view>> by_name;
    std::size_t others = 0;
    std::string_view rest = r.out;
    while (!rest.empty()) {
        const std::size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        const std::size_t bar = line.find(" | ");
        const std::string_view name = line.substr(0, line.find(' '));
        if (bar == std::string_view::npos || name == "system") {
            ++others;
        } else {
            by_name[std::string(name)].push_back(line.substr(bar + 3));
        }
    }
    CHECK(by_name.size() == 4);
    const std::string payload = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 1; i <= 4; ++i) {
        const std::string name = "p" + std::to_string(i) + ".1";
        const std::string tag = "P" + std::to_string(i);
        const auto& lines = by_name[name];
        INFO(name);
        REQUIRE(lines.size() == static_cast<std::size_t>(kLines) + 1);
        long bad = 0;
        for (long k = 0; k < kLines; ++k) {
            char expected[128];
            std::snprintf(expected, sizeof expected, "%s %08ld %s", tag.c_str(), k,
                          payload.c_str());
            if (lines[static_cast<std::size_t>(k)] != expected)
                ++bad;
        }
        CHECK(bad == 0);
        CHECK(lines.back() == "last-" + tag + "-without-newline");
    }
    // Nothing else came out but procrun's own lines.
    CHECK(others == lines_of(r.out, "system").size());
}

TEST_CASE("a child has no file descriptor but 0, 1 and 2", "[e2e][start]") {
    TempDir dir;
    dir.write("Procfile",
              "a: " + kTestchild + " fds sleep 30\nb: " + kTestchild + " fds sleep 30\n");
    Child c({procrun_binary(), "start", "--no-timestamp"}, in_project(dir));
    REQUIRE(c.wait_for_output("b.1    | fds:", 10s));
    REQUIRE(c.wait_for_output("a.1    | fds:", 10s));
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    CHECK(has_line(r.out, "a.1", "fds: 0 1 2"));
    CHECK(has_line(r.out, "b.1", "fds: 0 1 2"));
}

TEST_CASE("a command that cannot start shows the shell's message and its code", "[e2e][start]") {
    TempDir dir;
    dir.write("Procfile", "missing: procrun-no-such-command-xyz\nweb: sleep 30\n");
    dir.write("not-executable.sh", "echo hi\n");
    const RunResult r = run_procrun({"start", "--no-timestamp"}, in_project(dir));
    CHECK(r.exit_code == 127);
    const auto lines = lines_of(r.out, "missing.1");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("procrun-no-such-command-xyz: not found") != std::string::npos);
    CHECK(has_line(r.out, "system", "missing.1 exited with code 127"));
    CHECK(has_line(r.out, "system", "web.1 terminated by SIGTERM"));

    dir.write("Procfile", "noexec: ./not-executable.sh\n");
    const RunResult r2 = run_procrun({"start"}, in_project(dir));
    CHECK(r2.exit_code == 126);
    CHECK(r2.out.find("Permission denied") != std::string::npos);
}

TEST_CASE("start with names runs only those types, and an unknown one is an error",
          "[e2e][start]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " print web-ran\nworker: " + kTestchild +
                              " print worker-ran\n");
    const RunResult r = run_procrun({"start", "web"}, in_project(dir));
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("web-ran") != std::string::npos);
    CHECK(r.out.find("worker") == std::string::npos);

    const RunResult bad = run_procrun({"start", "wbe"}, in_project(dir));
    CHECK(bad.exit_code != 0);
    CHECK(bad.err.find("web") != std::string::npos);
    CHECK(bad.err.find("worker") != std::string::npos);
}

TEST_CASE("quiet hides a type's lines, --no-prefix and --no-timestamp shape the rest",
          "[e2e][start]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " print from-web sleep 0.3\nnoisy: " + kTestchild +
                              " print from-noisy sleep 30\n");
    const RunResult q = run_procrun({"start", "-q", "noisy", "--no-timestamp"}, in_project(dir));
    CHECK(q.out.find("from-noisy") == std::string::npos);
    CHECK(q.out.find("web.1   | from-web\n") != std::string::npos);
    CHECK(q.out.find("noisy.1 terminated by SIGTERM") != std::string::npos);

    const RunResult raw = run_procrun({"start", "--no-prefix", "-q", "noisy"}, in_project(dir));
    CHECK(raw.out.find("\nfrom-web\n") != std::string::npos);

    const RunResult unknown = run_procrun({"start", "-q", "nosiy"}, in_project(dir));
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.err.find("nosiy") != std::string::npos);
    CHECK(unknown.out.empty());
}

TEST_CASE("colour: on under a terminal, off into a pipe and with NO_COLOR", "[e2e][start]") {
    TempDir dir;
    dir.write("Procfile", "web: " + kTestchild + " print hello\n");
    RunOptions o = in_project(dir);
    o.set_env = {"TERM=xterm"};
    const std::string cmd = "'" + procrun_binary() + "' start";
    const RunResult pty = run({"script", "-qfec", cmd, "/dev/null"}, o);
    CHECK(pty.exit_code == 0);
    CHECK(pty.out.find("\x1b[36m") != std::string::npos);
    CHECK(pty.out.find("hello") != std::string::npos);

    const RunResult pipe = run_procrun({"start"}, o);
    CHECK(pipe.out.find('\x1b') == std::string::npos);
    CHECK(pipe.out.find("hello") != std::string::npos);

    RunOptions no_color = o;
    no_color.set_env.push_back("NO_COLOR=1");
    const RunResult off = run({"script", "-qfec", cmd, "/dev/null"}, no_color);
    CHECK(off.out.find('\x1b') == std::string::npos);
    CHECK(off.out.find("hello") != std::string::npos);

    RunOptions forced = o;
    forced.set_env.push_back("FORCE_COLOR=1");
    CHECK(run_procrun({"start"}, forced).out.find("\x1b[36m") != std::string::npos);
    CHECK(run_procrun({"start", "--color"}, o).out.find("\x1b[36m") != std::string::npos);
    CHECK(run({"script", "-qfec", cmd + " --no-color", "/dev/null"}, o).out.find('\x1b') ==
          std::string::npos);
}

TEST_CASE("procrun start | head -1 exits promptly and leaves nothing behind", "[e2e][start]") {
    TempDir dir;
    const std::string marker = unique_marker("PROCRUN_E2E_MARK");
    dir.write("Procfile", "spam: yes\nquiet: sleep 60\nshell: sleep 60 & wait\n");
    dir.write(".env", marker + "\n");
    RunOptions o = in_project(dir);
    const RunResult r =
        run({"sh", "-c", "'" + procrun_binary() + "' start | head -1; echo \"rc=$?\""}, o);
    CHECK(r.seconds < 5);
    CHECK(split_lines(r.out).size() == 2);
    CHECK(processes_with_env(marker).empty());
}

TEST_CASE("start exits with procrun's status for a closed pipe", "[e2e][start]") {
    TempDir dir;
    dir.write("Procfile", "spam: yes\n");
    const RunResult r =
        run({"bash", "-c",
             "'" + procrun_binary() + "' start | head -c 10 >/dev/null; echo \"${PIPESTATUS[0]}\""},
            in_project(dir));
    CHECK(r.out == "141\n");
    CHECK(r.err.find("Broken pipe") != std::string::npos);
}

TEST_CASE("output into a regular file and into a slow pipe arrives whole", "[e2e][start]") {
    TempDir dir;
    dir.write("Procfile", "a: " + kTestchild + " lines 100000 A\nb: " + kTestchild +
                              " lines 100000 B sleep 30\n");
    const std::string procrun = "'" + procrun_binary() + "' start --no-timestamp";

    // A regular file cannot be waited on with epoll: it is written with plain writes.
    const RunResult file = run({"sh", "-c", procrun + " > out.txt"}, in_project(dir));
    CHECK(file.exit_code == 0);
    const RunResult count = run({"sh", "-c", "grep -c '^a\\.1 *| A ' out.txt"}, in_project(dir));
    CHECK(count.out == "100000\n");

    // A reader that starts late: procrun holds back (its buffer is bounded) and
    // nothing is lost.
    const RunResult slow =
        run({"sh", "-c", procrun + " | (sleep 1; grep -c '^a\\.1 *| A ')"}, in_project(dir));
    CHECK(slow.out == "100000\n");
}

TEST_CASE("SIGUSR1 and SIGUSR2 reach the programs that forward them and stop nothing",
          "[e2e][start]") {
    TempDir dir;
    dir.write(".procrun.yaml",
              "processes:\n  web: {forward_signals: [USR1, USR2]}\n"
              "  shell: {forward_signals: [USR1, USR2]}\n");
    // Run through `sh -c` like every command: the shell must not die of them.
    dir.write("Procfile", "web: " + kTestchild + " trap USR1 trap USR2 print ready sleep 30\n" +
                              "shell: trap 'echo shell got USR1' USR1; " + kTestchild +
                              " trap USR1 trap USR2 print ready2 sleep 30\n");
    Child c({procrun_binary(), "start", "--no-timestamp"}, in_project(dir));
    REQUIRE(c.wait_for_output("ready2", 10s));
    REQUIRE(c.wait_for_output("web.1   | ready", 10s));
    c.signal(SIGUSR1);
    REQUIRE(c.wait_for_output("web.1   | got SIGUSR1", 10s));
    REQUIRE(c.wait_for_output("shell.1 | got SIGUSR1", 10s));
    c.signal(SIGUSR2);
    REQUIRE(c.wait_for_output("web.1   | got SIGUSR2", 10s));
    c.signal(SIGINT);
    const RunResult r = c.wait(20s);
    CHECK(r.exit_code == 130);
    CHECK(has_line(r.out, "system", "forwarding SIGUSR1 to web.1, shell.1"));
    CHECK(r.out.find("terminated by SIGUSR") == std::string::npos);
}

TEST_CASE("a simple command is the process itself, a compound one runs under its shell",
          "[e2e][start]") {
    TempDir dir;
    // The script prints its own pid; exec'd, that is the pid procrun started.
    dir.write("pid.sh", "#!/bin/sh\necho pid=$$\nsleep 0.5\n", std::filesystem::perms::owner_all);
    dir.write("Procfile",
              "simple: ./pid.sh 2>&1\n"
              "compound: true && ./pid.sh\n");
    const RunResult r = run_procrun({"start", "--no-timestamp"}, in_project(dir));
    INFO(r.out << r.err);
    auto started = [&](const std::string& name) {
        for (const auto& l : lines_of(r.out, "system")) {
            const std::string prefix = name + " started with pid ";
            if (l.rfind(prefix, 0) == 0)
                return l.substr(prefix.size());
        }
        return std::string("?");
    };
    const auto simple = lines_of(r.out, "simple.1");
    const auto compound = lines_of(r.out, "compound.1");
    REQUIRE(simple.size() == 1);
    REQUIRE(compound.size() == 1);
    CHECK(simple[0] == "pid=" + started("simple.1"));
    CHECK(compound[0] != "pid=" + started("compound.1"));
    CHECK(r.exit_code == 0);
}
