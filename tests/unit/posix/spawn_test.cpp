// spawn_detached and spawn_shell against real children: what a child starts
// with (its own process group, default signals, no descriptor but 0, 1 and 2),
// a failure before exec reported to the caller, and many spawns in a row.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procrun/posix/spawn.hpp"  // first: it includes what Boost.Process needs

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "procrun/posix/fd.hpp"

namespace posix = procrun::posix;

namespace {

// The environment of this process, for a child.
std::vector<std::string> own_environment() {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e)
        env.emplace_back(*e);
    return env;
}

std::string read_to_end(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return out;
        out.append(buf, static_cast<std::size_t>(n));
    }
}

struct Ran {
    pid_t pid = -1;
    pid_t pgid_at_return = -1;  // the child's group when spawn_detached returned
    std::string output;
    int wait_status = 0;
};

// Runs `command` through spawn_detached with its output on a pipe; waits for it.
Ran run(const std::string& command, const std::filesystem::path& cwd = {}) {
    posix::Pipe pipe = posix::make_pipe(false);
    posix::SpawnOptions options;
    options.command = command;
    options.env = own_environment();
    options.cwd = cwd;
    options.output_fd = pipe.write.get();
    Ran ran;
    ran.pid = posix::spawn_detached(options);
    ran.pgid_at_return = ::getpgid(ran.pid);
    pipe.write.reset();
    ran.output = read_to_end(pipe.read.get());
    REQUIRE(::waitpid(ran.pid, &ran.wait_status, 0) == ran.pid);
    return ran;
}

// The value of `key` (e.g. "SigBlk") in a /proc/PID/status text.
std::string status_field(const std::string& status, const std::string& key) {
    const auto at = status.find("\n" + key + ":");
    REQUIRE(at != std::string::npos);
    const auto start = status.find_first_not_of(" \t", at + key.size() + 2);
    return status.substr(start, status.find('\n', start) - start);
}

// Blocks `sig` and ignores SIGPIPE for its lifetime, as procrun does.
struct ParentSignals {
    ParentSignals() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        ::sigprocmask(SIG_BLOCK, &set, &old_mask);
        old_pipe = ::signal(SIGPIPE, SIG_IGN);
    }
    ~ParentSignals() {
        ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
        ::signal(SIGPIPE, old_pipe);
    }
    ParentSignals(const ParentSignals&) = delete;
    ParentSignals& operator=(const ParentSignals&) = delete;
    sigset_t old_mask{};
    sighandler_t old_pipe{};
};

}  // namespace

TEST_CASE("spawn: the child leads its own process group as soon as spawn returns", "[spawn]") {
    const Ran ran = run("exit 3");
    CHECK(ran.pgid_at_return == ran.pid);
    CHECK(WIFEXITED(ran.wait_status));
    CHECK(WEXITSTATUS(ran.wait_status) == 3);
}

TEST_CASE("spawn: the program starts with no signal blocked or ignored", "[spawn]") {
    const ParentSignals parent;
    const Ran ran = run("cat /proc/self/status");
    CHECK(status_field(ran.output, "SigBlk") == "0000000000000000");
    CHECK(status_field(ran.output, "SigIgn") == "0000000000000000");
}

TEST_CASE("spawn: no descriptor of procrun's but 0, 1 and 2 reaches the child", "[spawn]") {
    // A descriptor without close-on-exec, as a library might leave one.
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const posix::Fd a(fds[0]);
    const posix::Fd b(fds[1]);
    const std::string probe = "for fd in " + std::to_string(fds[0]) + " " + std::to_string(fds[1]) +
                              "; do if [ -e /proc/$$/fd/$fd ]; then echo leaked $fd; fi; done; "
                              "echo done";
    const Ran ran = run(probe);
    CHECK(ran.output == "done\n");
}

TEST_CASE("spawn: the command runs in the directory given", "[spawn]") {
    const Ran ran = run("pwd", "/");
    CHECK(ran.output == "/\n");
}

TEST_CASE("spawn: a failure before exec is an error naming the directory", "[spawn]") {
    posix::SpawnOptions options;
    options.command = "true";
    options.env = own_environment();
    options.cwd = "/nonexistent/procrun-spawn-test";
    try {
        (void)posix::spawn_detached(options);
        FAIL("spawn_detached did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code().value() == ENOENT);
        CHECK(std::string(e.what()).find("/nonexistent/procrun-spawn-test") != std::string::npos);
    }
}

TEST_CASE("spawn: a pty excludes an output descriptor", "[spawn]") {
    posix::SpawnOptions options;
    options.command = "true";
    options.pty_slave = 0;
    options.output_fd = 1;
    CHECK_THROWS_AS(posix::spawn_detached(options), std::invalid_argument);
}

TEST_CASE("spawn: hundreds in a row, each with its own output, none mixed up", "[spawn]") {
    constexpr int kChildren = 300;
    std::vector<posix::Pipe> pipes;
    std::vector<pid_t> pids;
    for (int i = 0; i < kChildren; ++i) {
        pipes.push_back(posix::make_pipe(false));
        posix::SpawnOptions options;
        options.command = "echo child " + std::to_string(i);
        options.env = own_environment();
        options.output_fd = pipes.back().write.get();
        pids.push_back(posix::spawn_detached(options));
        pipes.back().write.reset();
    }
    for (int i = 0; i < kChildren; ++i) {
        CHECK(read_to_end(pipes[static_cast<std::size_t>(i)].read.get()) ==
              "child " + std::to_string(i) + "\n");
        int status = 0;
        REQUIRE(::waitpid(pids[static_cast<std::size_t>(i)], &status, 0) > 0);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
}

TEST_CASE("spawn: spawn_shell's handle waits for the child in the loop", "[spawn]") {
    boost::asio::io_context io;
    posix::SpawnOptions options;
    options.command = "exit 5";
    options.env = own_environment();
    posix::Spawned spawned = posix::spawn_shell(io.get_executor(), options);
    int code = -1;
    spawned.handle.async_wait([&](boost::system::error_code ec, int status) {
        REQUIRE_FALSE(ec);
        code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    });
    io.run();
    CHECK(code == 5);
}
