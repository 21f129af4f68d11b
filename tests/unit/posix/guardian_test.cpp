// The guardian, escaped-process listing, parent-death signal and descriptor
// limits against real processes. Each scenario that lets a "procrun" die runs
// inside a forked subreaper, so that what it leaves behind is reaped there and
// this test process stays as it was.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "procrun/posix/guardian.hpp"
#include "procrun/posix/limits.hpp"

using namespace procrun::posix;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// Runs `body` in a forked child subreaper that reaps everything reparented to
// it; returns the body's exit code (or 200 + signal).
int in_subreaper(const std::function<int()>& body) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
            ::_exit(99);
        ::_exit(body());
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

bool group_exists(pid_t pgid) {
    return ::kill(-pgid, 0) == 0;
}

// For a forked child that will not exec: what exec would do for it here
// (Catch2's handlers and the inherited descriptors, the guardian's pipe among
// them, would otherwise stay).
void as_if_exec(int keep = -1) {
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    for (int fd = 3; fd < 1024; ++fd) {
        if (fd != keep)
            ::close(fd);
    }
}

// A process group of a leader and a child of it, both paused; `ignore_term`
// makes both ignore SIGTERM. Returns the group id once both exist.
pid_t make_group(bool ignore_term) {
    int ready[2];
    if (::pipe(ready) != 0)
        ::_exit(98);
    const pid_t leader = ::fork();
    if (leader == 0) {
        as_if_exec(ready[1]);
        ::setpgid(0, 0);
        if (ignore_term)
            ::signal(SIGTERM, SIG_IGN);
        if (::fork() == 0) {
            as_if_exec();
            for (;;)
                ::pause();
        }
        ::close(ready[1]);  // "ready": the group exists, both members forked
        for (;;)
            ::pause();
    }
    ::setpgid(leader, leader);
    ::close(ready[1]);
    char c;
    while (::read(ready[0], &c, 1) > 0) {
    }
    ::close(ready[0]);
    return leader;
}

// What the stand-in for procrun does after tracking its group.
enum class Untrack {
    no,
    now,
    deferred,            // defer_untracks: sent once the loop has run
    deferred_then_again  // deferred, then the same number tracked again before the loop runs
};

struct Outcome {
    long long gone_after_ms = -1;  // -1: still there after the limit
    long long guardian_exit_ms = -1;
};

// In a subreaper: a stand-in for procrun starts a guardian and a group, tracks
// it, optionally untracks it or finishes, and dies without a clean exit. Then
// measures how long the group takes to vanish (up to `limit`; what is left
// is killed) and when the guardian exits.
Outcome procrun_dies(bool ignore_term, bool finish, Untrack untrack,
                     std::chrono::milliseconds timeout, std::chrono::milliseconds limit) {
    int result[2];
    REQUIRE(::pipe(result) == 0);
    const int code = in_subreaper([&]() -> int {
        ::close(result[0]);
        int report[2];
        if (::pipe(report) != 0)
            return 90;
        const pid_t procrun = ::fork();
        if (procrun == 0) {
            ::close(report[0]);
            ::close(result[1]);
            Guardian guardian = Guardian::start();
            const pid_t pgid = make_group(ignore_term);
            guardian.track_group(pgid, SIGTERM, timeout);
            boost::asio::io_context io;
            if (untrack == Untrack::deferred || untrack == Untrack::deferred_then_again)
                guardian.defer_untracks(io);
            if (untrack != Untrack::no)
                guardian.untrack(pgid);
            if (untrack == Untrack::deferred_then_again)
                guardian.track_group(pgid, SIGTERM, timeout);
            io.poll();
            const pid_t ids[2] = {pgid, guardian.pid()};
            if (finish)
                guardian.finish();
            if (::write(report[1], ids, sizeof ids) != sizeof ids)
                ::_exit(97);
            ::_exit(0);  // no destructor: as if killed
        }
        ::close(report[1]);
        pid_t ids[2] = {-1, -1};
        if (::read(report[0], ids, sizeof ids) != sizeof ids)
            return 91;
        if (::waitpid(procrun, nullptr, 0) != procrun)
            return 92;
        Outcome out;
        const auto start = Clock::now();
        bool guardian_gone = false;
        bool group_gone = false;
        while (Clock::now() - start < limit && !(guardian_gone && group_gone)) {
            pid_t r;
            while ((r = ::waitpid(-1, nullptr, WNOHANG)) > 0) {
                if (r == ids[1]) {
                    guardian_gone = true;
                    out.guardian_exit_ms =
                        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)
                            .count();
                }
            }
            if (!group_gone && !group_exists(ids[0])) {
                group_gone = true;
                out.gone_after_ms =
                    std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)
                        .count();
            }
            std::this_thread::sleep_for(2ms);
        }
        ::kill(-ids[0], SIGKILL);
        if (::write(result[1], &out, sizeof out) != sizeof out)
            return 93;
        return 0;
    });
    ::close(result[1]);
    Outcome out;
    const ssize_t n = ::read(result[0], &out, sizeof out);
    ::close(result[0]);
    REQUIRE(code == 0);
    REQUIRE(n == static_cast<ssize_t>(sizeof out));
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::string s;
    std::getline(in, s, '\0');
    return s;
}

}  // namespace

TEST_CASE("guardian: when procrun dies its groups get the stop signal", "[guardian]") {
    const Outcome out = procrun_dies(false, false, Untrack::no, 5000ms, 3000ms);
    CHECK(out.gone_after_ms >= 0);
    CHECK(out.gone_after_ms < 1000);
    CHECK(out.guardian_exit_ms >= 0);
}

TEST_CASE("guardian: a group that ignores the stop signal is killed after its timeout",
          "[guardian]") {
    const Outcome out = procrun_dies(true, false, Untrack::no, 300ms, 3000ms);
    REQUIRE(out.gone_after_ms >= 0);
    CHECK(out.gone_after_ms >= 250);
    CHECK(out.gone_after_ms < 1500);
    CHECK(out.guardian_exit_ms >= 0);
}

TEST_CASE("guardian: after a clean exit it signals nothing", "[guardian]") {
    const Outcome out = procrun_dies(false, true, Untrack::no, 100ms, 500ms);
    CHECK(out.gone_after_ms == -1);
    CHECK(out.guardian_exit_ms == -1);  // finish() already reaped it in procrun
}

TEST_CASE("guardian: an untracked group is left alone", "[guardian]") {
    const Untrack how = GENERATE(Untrack::now, Untrack::deferred);
    const Outcome out = procrun_dies(false, false, how, 100ms, 500ms);
    CHECK(out.gone_after_ms == -1);
    CHECK(out.guardian_exit_ms >= 0);  // it exits at once: nothing to stop
}

TEST_CASE("guardian: a number tracked again after a deferred untrack stays tracked", "[guardian]") {
    const Outcome out = procrun_dies(false, false, Untrack::deferred_then_again, 5000ms, 3000ms);
    CHECK(out.gone_after_ms >= 0);
    CHECK(out.gone_after_ms < 1000);
}

TEST_CASE("guardian: holds only its pipe and /dev/null, ignores terminal signals", "[guardian]") {
    // Opened without O_CLOEXEC, so only the guardian's own closing removes it.
    const int stray = ::open("/dev/zero", O_RDONLY);
    REQUIRE(stray >= 0);
    Guardian guardian = Guardian::start();
    ::close(stray);
    REQUIRE(guardian.active());
    const std::string proc = "/proc/" + std::to_string(guardian.pid());
    // The guardian sets itself up right after fork: give it a moment.
    for (int i = 0; i < 200 && read_file(proc + "/comm") != "procrun-guard\n"; ++i)
        std::this_thread::sleep_for(5ms);
    CHECK(read_file(proc + "/comm") == "procrun-guard\n");
    std::this_thread::sleep_for(20ms);
    std::vector<std::string> fds;
    for (const auto& e : std::filesystem::directory_iterator(proc + "/fd"))
        fds.push_back(e.path().filename().string() + "=" +
                      std::filesystem::read_symlink(e.path()).string());
    std::sort(fds.begin(), fds.end());
    REQUIRE(fds.size() == 4);
    CHECK(fds[0] == "0=/dev/null");
    CHECK(fds[1] == "1=/dev/null");
    CHECK(fds[2] == "2=/dev/null");
    CHECK(fds[3].rfind("3=pipe:", 0) == 0);
    CHECK(std::filesystem::read_symlink(proc + "/cwd") == "/");
    CHECK(::getpgid(guardian.pid()) == guardian.pid());  // its own group
    CHECK(::getsid(guardian.pid()) == guardian.pid());   // and session
    CHECK(::getsid(guardian.pid()) != ::getsid(0));

    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGUSR1, SIGUSR2})
        ::kill(guardian.pid(), sig);
    std::this_thread::sleep_for(50ms);
    const pid_t pid = guardian.pid();
    CHECK(::waitpid(pid, nullptr, WNOHANG) == 0);  // still running
    const std::string stat = read_file(proc + "/stat");
    CHECK(stat.find(") T ") == std::string::npos);  // and not stopped
    guardian.finish();
    CHECK(::kill(pid, 0) != 0);  // exited and reaped
    CHECK(guardian.healthy());
}

TEST_CASE("guardian: a dead guardian is noticed, records are dropped", "[guardian]") {
    const auto old = ::signal(SIGPIPE, SIG_IGN);
    Guardian guardian = Guardian::start();
    ::kill(guardian.pid(), SIGKILL);
    ::waitpid(guardian.pid(), nullptr, 0);
    guardian.track_group(12345, SIGTERM, 1000ms);
    CHECK_FALSE(guardian.healthy());
    CHECK(guardian.error() == EPIPE);
    guardian.finish();
    ::signal(SIGPIPE, old);
}

TEST_CASE("escaped_processes: finds a process that left its group", "[guardian]") {
    // leader (own group) -> child that calls setsid and execs sleep.
    const pid_t leader = ::fork();
    REQUIRE(leader >= 0);
    if (leader == 0) {
        as_if_exec();
        ::setpgid(0, 0);
        const pid_t escapee = ::fork();
        if (escapee == 0) {
            as_if_exec();
            ::setsid();
            ::execlp("sleep", "sleep", "30", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (;;)
            ::pause();
    }
    ::setpgid(leader, leader);
    std::vector<Escapee> found;
    for (int i = 0; i < 200; ++i) {
        found = escaped_processes({leader}, {});
        if (!found.empty() && found[0].command == "sleep 30")
            break;
        std::this_thread::sleep_for(5ms);
    }
    REQUIRE(found.size() == 1);
    CHECK(found[0].command == "sleep 30");
    CHECK(found[0].pgid == found[0].pid);  // its own session and group
    CHECK(::getpgid(found[0].pid) == found[0].pid);
    // Excluded by pid, or its group known: not listed.
    CHECK(escaped_processes({leader}, {leader}).empty());
    CHECK(escaped_processes({leader, found[0].pgid}, {}).empty());
    // Without the leader's group known, both show.
    CHECK(escaped_processes({}, {}).size() == 2);
    ::kill(found[0].pid, SIGKILL);
    ::kill(-leader, SIGKILL);
    ::waitpid(leader, nullptr, 0);
}

TEST_CASE("set_parent_death_signal: the child gets the signal when its parent dies", "[guardian]") {
    int result[2];
    REQUIRE(::pipe(result) == 0);
    const int code = in_subreaper([&]() -> int {
        ::close(result[0]);
        const pid_t parent = ::fork();
        if (parent == 0) {
            const pid_t self = ::getpid();
            const pid_t child = ::fork();
            if (child == 0) {
                as_if_exec();
                if (!set_parent_death_signal(SIGTERM, self))
                    ::_exit(1);
                for (;;)
                    ::pause();
            }
            if (::write(result[1], &child, sizeof child) != sizeof child)
                ::_exit(2);
            ::usleep(50000);  // the child has set it by now
            ::_exit(0);
        }
        ::waitpid(parent, nullptr, 0);
        // The child is reparented here; it must die of SIGTERM, soon.
        int status = 0;
        const auto start = Clock::now();
        while (Clock::now() - start < 2s) {
            const pid_t r = ::waitpid(-1, &status, WNOHANG);
            if (r > 0)
                return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? 0 : 3;
            std::this_thread::sleep_for(2ms);
        }
        return 4;
    });
    ::close(result[1]);
    CHECK(code == 0);
    ::close(result[0]);

    // A parent already gone: refused with ESRCH.
    errno = 0;
    CHECK_FALSE(set_parent_death_signal(0, -2));
    CHECK(errno == ESRCH);
    ::prctl(PR_SET_PDEATHSIG, 0);
}

TEST_CASE("limits: the soft descriptor limit is raised and given back to children", "[limits]") {
    const int code = in_subreaper([]() -> int {
        rlimit lim{};
        ::getrlimit(RLIMIT_NOFILE, &lim);
        if (lim.rlim_max < 512)
            return 0;  // nothing to raise to
        rlimit low{256, lim.rlim_max};
        if (::setrlimit(RLIMIT_NOFILE, &low) != 0)
            return 1;
        const FdLimit raised = raise_fd_limit();
        if (raised.original_soft != 256 || raised.hard != lim.rlim_max)
            return 2;
        ::getrlimit(RLIMIT_NOFILE, &lim);
        if (lim.rlim_cur != raised.soft || raised.soft <= 256)
            return 3;
        if (!restore_fd_limit(raised.original_soft))
            return 4;
        ::getrlimit(RLIMIT_NOFILE, &lim);
        return lim.rlim_cur == 256 ? 0 : 5;
    });
    CHECK(code == 0);
}

TEST_CASE("limits: a formation that cannot fit is refused with figures", "[limits]") {
    CHECK(fds_needed(1000, false, 5) == 5 + kFdsFixed + 1000 * kFdsPerInstance);
    CHECK(fds_needed(10, true, 0) == kFdsFixed + 10 * (kFdsPerInstance + 1));
    CHECK_FALSE(check_fd_budget(10, false, 3, 1024).has_value());
    CHECK_FALSE(check_fd_budget(1000, false, 3, RLIM_INFINITY).has_value());
    const auto error = check_fd_budget(1000, false, 8, 1024);
    REQUIRE(error.has_value());
    CHECK(*error ==
          "1000 instances need about 4040 file descriptors; the limit is 1024 (ulimit -n)\n"
          "  hint: raise the hard limit (ulimit -Hn, LimitNOFILE= in systemd, --ulimit "
          "nofile= in docker) or start fewer instances");
    CHECK(check_fd_budget(1, false, 0, 8)->rfind("1 instance needs about", 0) == 0);
    const std::size_t open = open_fd_count();
    const int extra = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(open_fd_count() == open + 1);
    ::close(extra);
}
