// The instances' stdin: a pipe whose write end procrun holds (blocking read
// end, non-blocking write end), and waiting_for_input read from the kernel
// with real children.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procrun/posix/spawn.hpp"  // first: it includes what Boost.Process needs

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "procrun/posix/fd.hpp"
#include "procrun/posix/input.hpp"

using namespace procrun;
using namespace std::chrono_literals;

namespace {

// A child in a group of its own running `command` with `stdin_fd` as its stdin.
pid_t start(const char* command, int stdin_fd) {
    posix::SpawnOptions options;
    options.command = command;
    options.env = {"PATH=/usr/bin:/bin"};
    options.stdin_fd = stdin_fd;
    return posix::spawn_detached(options);
}

void stop(pid_t pid) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

// Asks until `want` or 10 s: the child needs a moment to reach its read.
bool becomes(pid_t pid, int writer, bool terminal, bool want) {
    for (int i = 0; i < 200; ++i) {
        if (posix::waiting_for_input(pid, writer, terminal) == want)
            return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

}  // namespace

TEST_CASE("input pipe: the child's end blocks, procrun's end never does", "[input]") {
    posix::Pipe p = posix::make_input_pipe();
    CHECK((::fcntl(p.read.get(), F_GETFL) & O_NONBLOCK) == 0);
    CHECK((::fcntl(p.write.get(), F_GETFL) & O_NONBLOCK) != 0);
    CHECK((::fcntl(p.read.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(p.write.get(), F_GETFD) & FD_CLOEXEC) != 0);
    // A full pipe: EAGAIN, not a block.
    std::string chunk(65536, 'x');
    ssize_t n = 0;
    while ((n = ::write(p.write.get(), chunk.data(), chunk.size())) > 0) {
    }
    CHECK(errno == EAGAIN);
}

TEST_CASE("waiting_for_input: a reader blocked on its stdin pipe, and not one that sleeps",
          "[input]") {
    posix::Pipe reader_in = posix::make_input_pipe();
    const pid_t reader = start("exec cat", reader_in.read.get());
    reader_in.read.reset();
    posix::Pipe sleeper_in = posix::make_input_pipe();
    const pid_t sleeper = start("exec sleep 30", sleeper_in.read.get());
    sleeper_in.read.reset();

    CHECK(becomes(reader, reader_in.write.get(), false, true));
    // Another pipe is not its stdin.
    CHECK_FALSE(posix::waiting_for_input(reader, sleeper_in.write.get(), false));
    std::this_thread::sleep_for(200ms);
    CHECK_FALSE(posix::waiting_for_input(sleeper, sleeper_in.write.get(), false));
    CHECK_FALSE(posix::waiting_for_input(999999999, reader_in.write.get(), false));
    stop(reader);
    stop(sleeper);
}

TEST_CASE("waiting_for_input: a process of the group other than its leader", "[input]") {
    posix::Pipe in = posix::make_input_pipe();
    // The shell waits in wait4; its child cat reads.
    const pid_t sh = start("cat; echo done", in.read.get());
    in.read.reset();
    CHECK(becomes(sh, in.write.get(), false, true));
    stop(sh);
}
