// procrun's own children as the kernel lists them, against real forked children.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "procrun/posix/children.hpp"
#include "procrun/posix/process_group.hpp"

using namespace std::chrono_literals;

namespace {

bool contains(const std::vector<pid_t>& pids, pid_t pid) {
    return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// Waits until `pid` shows as a zombie in /proc.
bool wait_zombie(pid_t pid) {
    const std::string name = std::to_string(pid);
    for (int i = 0; i < 500; ++i) {
        const auto st = procrun::posix::read_proc_stat(name.c_str());
        if (st && st->state == 'Z')
            return true;
        std::this_thread::sleep_for(2ms);
    }
    return false;
}

}  // namespace

TEST_CASE("own_children lists a running child with its group and command line", "[children]") {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        ::execlp("sleep", "sleep", "30", nullptr);
        ::_exit(127);
    }
    REQUIRE(pid > 0);
    ::setpgid(pid, pid);
    std::optional<procrun::posix::LiveProcess> live;
    for (int i = 0; i < 500 && (!live || live->command != "sleep 30"); ++i) {
        live = procrun::posix::live_process(pid);
        std::this_thread::sleep_for(2ms);
    }
    CHECK(contains(procrun::posix::own_children(), pid));
    REQUIRE(live);
    CHECK(live->pgid == pid);
    CHECK(live->command == "sleep 30");
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    CHECK_FALSE(contains(procrun::posix::own_children(), pid));
    CHECK_FALSE(procrun::posix::live_process(pid));
}

TEST_CASE("a zombie child is listed but not live", "[children]") {
    const pid_t pid = ::fork();
    if (pid == 0)
        ::_exit(0);
    REQUIRE(pid > 0);
    REQUIRE(wait_zombie(pid));
    // It has exited and is not reaped yet: still procrun's child, but no
    // process that could have left its group.
    CHECK(contains(procrun::posix::own_children(), pid));
    CHECK_FALSE(procrun::posix::live_process(pid));
    ::waitpid(pid, nullptr, 0);
}
