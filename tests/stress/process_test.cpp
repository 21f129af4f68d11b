// No process left behind, on every path: procrun killed with SIGKILL, a
// process that leaves its group, a thousand instances, too few descriptors or
// processes, and procrun as PID 1 of a container reaping orphans.

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
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
using procrun::test::processes_with_env;
using procrun::test::procrun_binary;
using procrun::test::run;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::split_lines;
using procrun::test::TempDir;
using procrun::test::unique_marker;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Waits until `n` "started with pid" lines have been printed.
bool wait_started(Child& c, std::size_t n, std::chrono::milliseconds limit) {
    const auto start = Clock::now();
    while (Clock::now() - start < limit) {
        if (count_of(c.out(), " started with pid ") >= n)
            return true;
        c.wait_for_output("\x01never\x01", 50ms);
    }
    return count_of(c.out(), " started with pid ") >= n;
}

// Waits until at least `n` processes carry `marker`.
bool wait_processes(const std::string& marker, std::size_t n, std::chrono::milliseconds limit) {
    const auto start = Clock::now();
    while (Clock::now() - start < limit) {
        if (processes_with_env(marker).size() >= n)
            return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

// Waits until no process carries `marker`; returns how long that took, or -1.
long long wait_none(const std::string& marker, std::chrono::milliseconds limit) {
    const auto start = Clock::now();
    while (Clock::now() - start < limit) {
        if (processes_with_env(marker).empty())
            return ms_since(start);
        std::this_thread::sleep_for(10ms);
    }
    return -1;
}

// Whatever a failed test left running, so that it does not disturb the next.
void kill_marked(const std::string& marker) {
    for (pid_t pid : processes_with_env(marker))
        ::kill(pid, SIGKILL);
}

bool runs(const std::vector<std::string>& argv) {
    return run(argv).exit_code == 0;
}

}  // namespace

TEST_CASE("procrun killed with SIGKILL leaves nothing running", "[stress]") {
    TempDir dir;
    const std::string marker = unique_marker("PROCRUN_STRESS_MARK");
    dir.write(".env", marker + "\n");
    // Each instance: its shell, a background grandchild and a foreground child.
    dir.write("Procfile", "app: sleep 300 & sleep 301; echo never\n");
    constexpr std::size_t kInstances = 20;
    Child c({procrun_binary(), "start", "--no-timestamp", "-m", "app=20"}, in_project(dir));
    const bool started = wait_started(c, kInstances, 20s);
    INFO(c.out() << c.err());
    REQUIRE(started);
    REQUIRE(wait_processes(marker, 3 * kInstances, 10s));
    const std::size_t before = processes_with_env(marker).size();

    const auto killed = Clock::now();
    c.signal(SIGKILL);
    const long long gone_ms = wait_none(marker, 5s);
    const std::size_t survivors = processes_with_env(marker).size();
    std::cout << "SIGKILL of procrun: " << before << " processes (" << kInstances
              << " instances with a grandchild each); gone after " << gone_ms
              << " ms; survivors: " << survivors << " (" << ms_since(killed) << " ms)\n";
    kill_marked(marker);
    CHECK(survivors == 0);
    CHECK(gone_ms >= 0);
    CHECK(gone_ms < 1000);
}

TEST_CASE("a process that leaves its group is reported and not left running", "[stress]") {
    TempDir dir;
    const std::string marker = unique_marker("PROCRUN_STRESS_MARK");
    dir.write(".env", marker + "\n");
    // setsid -f: a new session in a forked child, whose parent exits at once.
    dir.write("Procfile", "app: setsid -f sleep 303; exec sleep 301\n");
    Child c({procrun_binary(), "start", "--no-timestamp"}, in_project(dir));
    const bool started = wait_started(c, 1, 10s);
    INFO(c.out() << c.err());
    REQUIRE(started);
    REQUIRE(wait_processes(marker, 2, 10s));
    pid_t escapee = -1;
    for (pid_t pid : processes_with_env(marker)) {
        if (::getsid(pid) == pid)
            escapee = pid;
    }
    REQUIRE(escapee > 0);
    c.signal(SIGTERM);
    const RunResult r = c.wait(30s);
    const bool none_at_exit = processes_with_env(marker).empty();
    const long long gone_ms = wait_none(marker, 3s);
    const std::size_t survivors = processes_with_env(marker).size();
    std::cout << "escapee pid " << escapee << ": gone " << gone_ms
              << " ms after procrun exited; survivors: " << survivors << "\n";
    kill_marked(marker);
    const std::string all = r.out + r.err;
    INFO(all);
    CHECK(all.find("pid " + std::to_string(escapee) + " (sleep 303) left its process group") !=
          std::string::npos);
    CHECK(survivors == 0);
    CHECK(none_at_exit);  // gone by the time procrun exits
}

TEST_CASE("a daemon found while running is stopped when procrun is killed with SIGKILL",
          "[stress]") {
    TempDir dir;
    const std::string marker = unique_marker("PROCRUN_STRESS_MARK");
    dir.write(".env", marker + "\n");
    // setsid -f forks; the forked child leads a new session and its parent
    // exits at once: a daemonizing double fork, as `redis-server --daemonize
    // yes` does. procrun reaps the parent and finds the daemon reparented to it.
    dir.write("Procfile", "daemon: setsid -f sleep 304\nweb: sleep 305\n");
    Child c({procrun_binary(), "start", "--no-timestamp", "--can-die", "daemon"}, in_project(dir));
    const bool exited = c.wait_for_output("daemon.1 exited with code 0", 10s);
    INFO(c.out() << c.err());
    REQUIRE(exited);
    REQUIRE(wait_processes(marker, 2, 10s));
    pid_t daemon = -1;
    for (pid_t pid : processes_with_env(marker)) {
        if (::getsid(pid) == pid)
            daemon = pid;
    }
    REQUIRE(daemon > 0);
    c.signal(SIGKILL);
    const long long gone_ms = wait_none(marker, 5s);
    const std::size_t survivors = processes_with_env(marker).size();
    std::cout << "daemon pid " << daemon << " after SIGKILL of procrun: gone after " << gone_ms
              << " ms; survivors: " << survivors << "\n";
    kill_marked(marker);
    CHECK(survivors == 0);
    CHECK(gone_ms >= 0);
}

TEST_CASE("a Ctrl-C during a start of 1500 instances stops it gracefully, at once", "[stress]") {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    REQUIRE((lim.rlim_max == RLIM_INFINITY || lim.rlim_max >= 8192));
    TempDir dir;
    const std::string marker = unique_marker("PROCRUN_STRESS_MARK");
    dir.write(".env", marker + "\n");
    dir.write("Procfile", "s: echo x; exec sleep 1000\n");
    constexpr std::size_t kInstances = 1500;
    Child c({procrun_binary(), "start", "--no-timestamp", "-m", "s=1500"}, in_project(dir));
    REQUIRE(c.wait_for_output(" started with pid ", 20s));
    c.wait_for_output("\x01never\x01", 200ms);
    // A control request is answered while it starts (`start NAME` of one not
    // started yet: its status, nothing changed).
    const auto asked = Clock::now();
    const RunResult status = run({procrun_binary(), "start", "s.1500"}, in_project(dir));
    const long long status_ms = ms_since(asked);
    const std::size_t started_before = count_of(c.out(), " started with pid ");
    const std::size_t lines_before = count_of(c.out(), "| x");
    // As a terminal's Ctrl-C: SIGINT to procrun's whole process group.
    const auto sent = Clock::now();
    ::kill(-c.pid(), SIGINT);
    const bool acted = c.wait_for_output("received SIGINT", 10s);
    const long long acted_ms = ms_since(sent);
    const RunResult r = c.wait(60s);
    const long long exit_ms = ms_since(sent);
    const bool none_at_exit = processes_with_env(marker).empty();
    const std::size_t survivors = processes_with_env(marker).size();
    kill_marked(marker);
    const std::size_t started = count_of(r.out, " started with pid ");
    const std::size_t terminated = count_of(r.out, " terminated by SIGTERM");
    std::cout << "Ctrl-C during a start of " << kInstances << ": " << started_before
              << " started and " << lines_before << " lines printed by then; acted on after "
              << acted_ms << " ms; " << started << " started in all, " << terminated
              << " terminated by SIGTERM; exit " << r.exit_code << " after " << exit_ms
              << " ms; survivors: " << survivors << "\n";
    std::cout << "procrun start s.1500 during the start: exit " << status.exit_code << " after "
              << status_ms << " ms\n";
    INFO(r.out.substr(0, 2000) << r.err << status.out << status.err);
    CHECK(status.exit_code == 0);
    CHECK(status.out.find("s.1500") != std::string::npos);
    CHECK(status_ms < 5000);
    CHECK(acted);
    CHECK(acted_ms < 1000);
    CHECK(started_before > 0);    // output reached the reader while starting
    CHECK(started < kInstances);  // the start was cut short
    CHECK(r.exit_code == 130);
    CHECK(count_of(r.out, "received SIGINT again") == 0);
    CHECK(count_of(r.out, "SIGKILL") == 0);
    CHECK(terminated == started);
    CHECK(count_of(r.out, "could not start") == 0);
    CHECK(survivors == 0);
    CHECK(none_at_exit);
}

TEST_CASE("1000 instances start and stop cleanly from a soft limit of 1024 descriptors",
          "[stress]") {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < 8192) {
        PROCRUN_SKIP("hard RLIMIT_NOFILE " << lim.rlim_max << " is below 8192");
    }
    if (!runs({"prlimit", "--version"}))
        PROCRUN_TOOL_MISSING("prlimit is not installed");
    TempDir dir;
    const std::string marker = unique_marker("PROCRUN_STRESS_MARK");
    dir.write(".env", marker + "\n");
    dir.write("Procfile", "s: sleep 300\n");
    constexpr std::size_t kInstances = 1000;
    const auto start = Clock::now();
    Child c({"prlimit", "--nofile=1024:", "--", procrun_binary(), "start", "--no-timestamp", "-m",
             "s=1000"},
            in_project(dir));
    const bool started = wait_started(c, kInstances, 60s);
    const long long start_ms = ms_since(start);
    const std::size_t running = processes_with_env(marker).size();
    const auto stop = Clock::now();
    c.signal(SIGTERM);
    const RunResult r = c.wait(60s);
    const long long stop_ms = ms_since(stop);
    const bool none_at_exit = processes_with_env(marker).empty();
    const std::size_t survivors = processes_with_env(marker).size();
    std::cout << kInstances << " instances: all started after " << start_ms << " ms (" << running
              << " running), stopped in " << stop_ms << " ms, exit code " << r.exit_code
              << "; survivors: " << survivors << "\n";
    kill_marked(marker);
    INFO(r.err);
    REQUIRE(started);
    CHECK(running == kInstances);
    CHECK(r.exit_code == 143);
    CHECK(count_of(r.out, "could not start") == 0);
    CHECK(survivors == 0);
    CHECK(none_at_exit);  // gone by the time procrun exits
}

TEST_CASE("too few descriptors for the formation: refused before anything starts", "[stress]") {
    if (!runs({"prlimit", "--version"}))
        PROCRUN_TOOL_MISSING("prlimit is not installed");
    TempDir dir;
    const std::string marker = unique_marker("PROCRUN_STRESS_MARK");
    dir.write(".env", marker + "\n");
    dir.write("Procfile", "s: sleep 300\n");
    const RunResult r = run({"prlimit", "--nofile=64:64", "--", procrun_binary(), "start",
                             "--no-timestamp", "-m", "s=100"},
                            in_project(dir));
    const std::size_t survivors = processes_with_env(marker).size();
    kill_marked(marker);
    INFO(r.out << r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("100 instances need about ") != std::string::npos);
    CHECK(r.err.find("file descriptors; the limit is 64 (ulimit -n)") != std::string::npos);
    CHECK(count_of(r.out, " started with pid ") == 0);
    CHECK(survivors == 0);
}

TEST_CASE("out of processes (EAGAIN): each failure reported, the others stopped cleanly",
          "[stress]") {
    // root is exempt from RLIMIT_NPROC: run procrun as nobody.
    if (!runs({"prlimit", "--version"}) || !runs({"setpriv", "--version"}))
        PROCRUN_TOOL_MISSING("prlimit or setpriv is not installed");
    if (::geteuid() != 0)
        PROCRUN_SKIP("not root: cannot run procrun as nobody");
    if (!runs({"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "true"}))
        PROCRUN_SKIP("setpriv cannot switch to nobody here");
    TempDir dir;
    std::filesystem::permissions(
        dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                        std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                        std::filesystem::perms::others_exec);
    const std::string marker = unique_marker("PROCRUN_STRESS_MARK");
    dir.write(".env", marker + "\n");
    dir.write("Procfile", "s: sleep 300\n");
    for (const char* f : {".env", "Procfile"})
        ::chmod((dir.path() / f).c_str(), 0644);
    // 12 processes for nobody: procrun, its guardian and about ten instances.
    const RunResult r =
        run({"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "prlimit",
             "--nproc=12", "--", procrun_binary(), "start", "--no-timestamp", "-m", "s=30"},
            in_project(dir));
    const bool none_at_exit = processes_with_env(marker).empty();
    const std::size_t survivors = processes_with_env(marker).size();
    kill_marked(marker);
    const std::size_t started = count_of(r.out, " started with pid ");
    const std::size_t failed = count_of(r.out, "could not start: ");
    std::cout << "RLIMIT_NPROC 12, 30 instances: " << started << " started, " << failed
              << " could not start, exit code " << r.exit_code << "; survivors: " << survivors
              << "\n";
    INFO(r.out << r.err);
    CHECK(r.exit_code != 0);
    CHECK(failed >= 1);
    CHECK(started + failed <= 30);
    CHECK(r.out.find("Resource temporarily unavailable") != std::string::npos);
    CHECK(survivors == 0);
    CHECK(none_at_exit);  // gone by the time procrun exits
}

TEST_CASE("as PID 1 of a pid namespace procrun reaps orphaned zombies", "[stress]") {
    if (!runs({"unshare", "--version"}))
        PROCRUN_TOOL_MISSING("unshare is not installed");
    if (::geteuid() != 0 || !runs({"unshare", "--pid", "--fork", "--mount-proc", "true"}))
        PROCRUN_SKIP("unshare --pid --fork --mount-proc is not permitted here");
    TempDir dir;
    // orphans: each turn a shell starts a short sleep in the background and
    // exits, so the sleep is reparented to PID 1 and becomes its zombie.
    // count: samples the zombies of the namespace a few times, then exits,
    // which stops everything.
    dir.write("orphans.sh",
              "n=0\n"
              "while true; do sh -c 'sleep 0.05 &'; n=$((n+1)); echo \"orphans=$n\"; sleep 0.05;"
              " done\n");
    dir.write("count.sh",
              "sleep 1.5\n"
              "for i in 1 2 3 4 5; do\n"
              "  z=0\n"
              "  for f in /proc/[0-9]*/stat; do\n"
              "    read -r pid comm state rest < \"$f\" 2>/dev/null || continue\n"
              "    [ \"$state\" = Z ] && z=$((z+1))\n"
              "  done\n"
              "  echo \"zombies=$z\"\n"
              "  sleep 0.1\n"
              "done\n");
    dir.write("Procfile", "orphans: sh orphans.sh\ncount: sh count.sh\n");
    const RunResult r = run(
        {"unshare", "--pid", "--fork", "--mount-proc", procrun_binary(), "start", "--no-timestamp"},
        in_project(dir));
    std::vector<int> samples;
    for (const auto& line : split_lines(r.out)) {
        const auto at = line.find("zombies=");
        if (at != std::string::npos)
            samples.push_back(std::stoi(line.substr(at + 8)));
    }
    INFO(r.out << r.err);
    REQUIRE(samples.size() == 5);
    const std::size_t orphans = count_of(r.out, "orphans=");
    const int fewest = *std::min_element(samples.begin(), samples.end());
    const int most = *std::max_element(samples.begin(), samples.end());
    std::cout << "PID 1: " << orphans << " orphans made; zombies sampled " << samples.size()
              << " times: min " << fewest << ", max " << most << "\n";
    CHECK(orphans >= 10);
    CHECK(fewest == 0);
    CHECK(most <= 2);  // one may be caught between its exit and the SIGCHLD turn
}
