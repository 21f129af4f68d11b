// The SIGCHLD reaper against real forked children.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <vector>

#include "procrun/posix/reaper.hpp"

using procrun::posix::Reaper;
using namespace std::chrono_literals;

namespace {

// A child that exits with `code` after `delay`.
pid_t fork_exiting(int code, std::chrono::milliseconds delay = 0ms) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (delay.count() > 0)
            ::usleep(static_cast<useconds_t>(delay.count() * 1000));
        ::_exit(code);
    }
    REQUIRE(pid > 0);
    return pid;
}

// Runs the loop until `done()` or `limit`; returns done().
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < end)
        io.run_for(10ms);
    return done();
}

// Whether `pid` is still a zombie child of this process (not reaped yet).
bool is_zombie(pid_t pid) {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pid;
}

}  // namespace

TEST_CASE("reaper: a watched child's exit status reaches its callback", "[reaper]") {
    boost::asio::io_context io;
    Reaper reaper(io);
    const pid_t pid = fork_exiting(7, 20ms);
    int got = -1;
    reaper.watch(pid, [&](int status) { got = status; });
    CHECK(reaper.watched() == 1);
    REQUIRE(run_until(io, [&] { return got != -1; }));
    CHECK(WIFEXITED(got));
    CHECK(WEXITSTATUS(got) == 7);
    CHECK(reaper.watched() == 0);
    CHECK(reaper.orphans_reaped() == 0);
}

TEST_CASE("reaper: a signal death is reported as such", "[reaper]") {
    boost::asio::io_context io;
    Reaper reaper(io);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::pause();
        ::_exit(0);
    }
    int got = -1;
    reaper.watch(pid, [&](int status) { got = status; });
    ::kill(pid, SIGKILL);
    REQUIRE(run_until(io, [&] { return got != -1; }));
    CHECK(WIFSIGNALED(got));
    CHECK(WTERMSIG(got) == SIGKILL);
}

TEST_CASE("reaper: a child that exited before watch() is still delivered", "[reaper]") {
    boost::asio::io_context io;
    Reaper reaper(io);
    const pid_t pid = fork_exiting(3);
    // Let it exit (and its SIGCHLD arrive) before it is watched; the loop has
    // not run, so it is a zombie still.
    for (int i = 0; i < 500 && !is_zombie(pid); ++i)
        ::usleep(2000);
    REQUIRE(is_zombie(pid));
    int got = -1;
    reaper.watch(pid, [&](int status) { got = status; });
    REQUIRE(run_until(io, [&] { return got != -1; }));
    CHECK(WEXITSTATUS(got) == 3);
    CHECK(reaper.orphans_reaped() == 0);
}

TEST_CASE("reaper: many children exiting at once are all reaped with their own status",
          "[reaper]") {
    boost::asio::io_context io;
    Reaper reaper(io);
    constexpr int kChildren = 100;
    std::map<pid_t, int> expected;
    std::map<pid_t, int> got;
    for (int i = 0; i < kChildren; ++i) {
        const pid_t pid = fork_exiting(i % 100, 10ms);
        expected[pid] = i % 100;
        reaper.watch(pid, [&got, pid](int status) { got[pid] = WEXITSTATUS(status); });
    }
    REQUIRE(run_until(io, [&] { return got.size() == expected.size(); }));
    CHECK(got == expected);
    CHECK(reaper.watched() == 0);
    for (const auto& [pid, code] : expected)
        CHECK_FALSE(is_zombie(pid));
}

TEST_CASE("reaper: an unwatched or forgotten child is reaped as an orphan", "[reaper]") {
    boost::asio::io_context io;
    Reaper reaper(io);
    std::vector<pid_t> orphans;
    reaper.on_orphan([&](pid_t pid, int status) {
        orphans.push_back(pid);
        CHECK(WIFEXITED(status));
    });
    const pid_t unknown = fork_exiting(0, 10ms);
    const pid_t forgotten = fork_exiting(1, 10ms);
    bool called = false;
    reaper.watch(forgotten, [&](int) { called = true; });
    reaper.forget(forgotten);
    CHECK_FALSE(reaper.watching(forgotten));
    REQUIRE(run_until(io, [&] { return reaper.orphans_reaped() == 2; }));
    CHECK_FALSE(called);
    CHECK(orphans.size() == 2);
    CHECK_FALSE(is_zombie(unknown));
    CHECK_FALSE(is_zombie(forgotten));
}

TEST_CASE("reaper: a callback may spawn and watch a replacement", "[reaper]") {
    boost::asio::io_context io;
    Reaper reaper(io);
    int generations = 0;
    std::function<void(int)> again = [&](int status) {
        CHECK(WEXITSTATUS(status) == generations);
        ++generations;
        if (generations < 5) {
            // Exits at once: it may be collected by this same reap() pass.
            reaper.watch(fork_exiting(generations), again);
        }
    };
    reaper.watch(fork_exiting(0), again);
    REQUIRE(run_until(io, [&] { return generations == 5; }));
    CHECK(reaper.watched() == 0);
    CHECK(reaper.orphans_reaped() == 0);
}

TEST_CASE("reaper: reap() collects without a SIGCHLD turn of the loop", "[reaper]") {
    boost::asio::io_context io;
    Reaper reaper(io);
    const pid_t pid = fork_exiting(9);
    int got = -1;
    reaper.watch(pid, [&](int status) { got = status; });
    for (int i = 0; i < 500 && !is_zombie(pid); ++i)
        ::usleep(2000);
    reaper.reap();  // the loop never ran
    CHECK(WEXITSTATUS(got) == 9);
}

TEST_CASE("reaper: as a child subreaper it reaps reparented grandchildren", "[reaper]") {
    // In a forked helper, so that this test process does not become a subreaper.
    const pid_t helper = ::fork();
    REQUIRE(helper >= 0);
    if (helper == 0) {
        if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
            ::_exit(10);
        boost::asio::io_context io;
        Reaper reaper(io);
        // A child that starts three grandchildren and exits at once: they are
        // reparented to this helper and exit later.
        const pid_t middle = ::fork();
        if (middle == 0) {
            for (int i = 0; i < 3; ++i) {
                if (::fork() == 0) {
                    ::usleep(50000);
                    ::_exit(0);
                }
            }
            ::_exit(0);
        }
        int middle_status = -1;
        reaper.watch(middle, [&](int status) { middle_status = status; });
        const auto end = std::chrono::steady_clock::now() + 5s;
        while ((middle_status == -1 || reaper.orphans_reaped() < 3) &&
               std::chrono::steady_clock::now() < end) {
            io.run_for(10ms);
            io.restart();
        }
        if (middle_status == -1)
            ::_exit(11);
        if (reaper.orphans_reaped() != 3)
            ::_exit(12);
        // Nothing left to reap: no zombie of ours remains.
        siginfo_t info{};
        if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) == 0 || errno != ECHILD)
            ::_exit(13);
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(helper, &status, 0) == helper);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);  // 10: prctl, 11: middle lost, 12: orphans, 13: zombies
}
