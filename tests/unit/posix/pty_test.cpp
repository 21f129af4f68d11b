// Pseudo-terminals for `procrun start --pty`: LineSplitter's CRLF stripping,
// and real children on a pty opened by open_pty and started by spawn_shell.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "procrun/posix/spawn.hpp"  // first: it includes what Boost.Process needs

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "procrun/output.hpp"
#include "procrun/posix/fd.hpp"
#include "procrun/posix/process_group.hpp"
#include "procrun/posix/pty.hpp"
#include "skip.hpp"

using namespace procrun;
using posix::WindowSize;
using Clock = std::chrono::steady_clock;

namespace {

struct Piece {
    std::string text;
    bool continued;
    friend bool operator==(const Piece&, const Piece&) = default;
};

// Feeds `chunks` one by one, then finishes.
std::vector<Piece> split(const std::vector<std::string_view>& chunks, bool strip_cr,
                         std::size_t max = kMaxLineBytes) {
    LineSplitter s(max, strip_cr);
    std::vector<Piece> out;
    auto emit = [&](std::string_view line, bool continued) {
        out.push_back({std::string(line), continued});
    };
    for (auto c : chunks)
        s.feed(c, emit);
    s.finish(emit);
    return out;
}

std::vector<std::string> texts(const std::vector<Piece>& pieces) {
    std::vector<std::string> out;
    for (const auto& p : pieces)
        out.push_back(p.text);
    return out;
}

// Every way of cutting `input` into two reads gives `want`.
void check_every_cut(std::string_view input, bool strip_cr, const std::vector<Piece>& want,
                     std::size_t max = kMaxLineBytes) {
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
        INFO("cut at " << cut);
        CHECK(split({input.substr(0, cut), input.substr(cut)}, strip_cr, max) == want);
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i)
        bytes.push_back(input.substr(i, 1));
    INFO("one byte per read");
    CHECK(split(bytes, strip_cr, max) == want);
}

WindowSize window(unsigned short rows, unsigned short cols) {
    WindowSize ws{};
    ws.ws_row = rows;
    ws.ws_col = cols;
    return ws;
}

// This process's environment, without `name` when one is given.
std::vector<std::string> environment_without(std::string_view name = {}) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view entry(*e);
        if (name.empty() || entry.substr(0, entry.find('=')) != name)
            env.emplace_back(entry);
    }
    return env;
}

bool have_python() {
    return std::system("python3 -c pass >/dev/null 2>&1") == 0;
}

// A child on a pty (or, with `use_pipe`, on a pipe), its output read as
// procrun's runtime reads it: non-blocking reads when poll says readable,
// until EOF or EIO.
class PtyRun {
  public:
    explicit PtyRun(const std::string& command, WindowSize ws = window(24, 80),
                    std::vector<std::string> env = environment_without(), bool use_pipe = false)
        : dev_null_(posix::open_dev_null()) {
        posix::SpawnOptions options;
        options.command = command;
        options.env = std::move(env);
        options.stdin_fd = dev_null_.get();
        posix::Fd child_end;
        if (use_pipe) {
            posix::Pipe pipe = posix::make_pipe(true);
            read_end_ = std::move(pipe.read);
            child_end = std::move(pipe.write);
            options.output_fd = child_end.get();
        } else {
            posix::PtyChannel pty = posix::open_pty(ws);
            read_end_ = std::move(pty.master);
            child_end = std::move(pty.slave);
            options.pty_slave = child_end.get();
        }
        posix::Spawned spawned = posix::spawn_shell(io_.get_executor(), options);
        pid_ = spawned.pid;
        // procrun's copy of the child's end goes at once: the end of the output
        // is when every copy is closed.
        child_end.reset();
    }
    PtyRun(const PtyRun&) = delete;
    PtyRun& operator=(const PtyRun&) = delete;
    ~PtyRun() {
        if (!reaped_) {
            posix::signal_group(pid_, SIGKILL);
            wait();
        }
    }

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] int master() const { return read_end_.get(); }
    [[nodiscard]] const std::string& output() const { return output_; }
    [[nodiscard]] bool ended() const { return ended_; }
    [[nodiscard]] int end_errno() const { return end_errno_; }

    // Reads until the end of the output or until `limit` has passed; true at the end.
    bool read_for(std::chrono::milliseconds limit) {
        const auto until = Clock::now() + limit;
        std::vector<char> buf(64 * 1024);
        while (!ended_) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
            if (left.count() <= 0)
                return false;
            pollfd p{read_end_.get(), POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno != EINTR)
                FAIL("poll: " << std::strerror(errno));
            if (ready <= 0)
                continue;
            const ssize_t n = ::read(read_end_.get(), buf.data(), buf.size());
            if (n > 0) {
                output_.append(buf.data(), static_cast<std::size_t>(n));
            } else if (n == 0) {
                ended_ = true;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                ended_ = true;
                end_errno_ = errno;
            }
        }
        return true;
    }

    // Reaps the child; its wait status.
    int wait() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        reaped_ = true;
        return status;
    }

  private:
    boost::asio::io_context io_;
    posix::Fd dev_null_;
    posix::Fd read_end_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    std::string output_;
    bool ended_ = false;
    int end_errno_ = 0;
};

// The output read through LineSplitter as the runtime does with --pty.
std::vector<std::string> pty_lines(std::string_view output) {
    return texts(split({output}, true));
}

}  // namespace

// ---- LineSplitter: CRLF -------------------------------------------------------------------

TEST_CASE("LineSplitter strip_cr: CRLF ends a line, across any read boundary", "[pty][crlf]") {
    check_every_cut("one\r\ntwo\r\n\r\nthree\r\n", true,
                    {{"one", false}, {"two", false}, {"", false}, {"three", false}});
}

TEST_CASE("LineSplitter strip_cr: a lone CR is kept (progress bars)", "[pty][crlf]") {
    check_every_cut("10%\r50%\r100%\r\ndone\r\n", true,
                    {{"10%\r50%\r100%", false}, {"done", false}});
    check_every_cut("a\rb\n", true, {{"a\rb", false}});
    check_every_cut("\r\r\r\n", true, {{"\r\r", false}});
}

TEST_CASE("LineSplitter strip_cr: only one CR before LF is stripped", "[pty][crlf]") {
    // A program writing "\r\n" itself sends "\r\r\n" through ONLCR: one `\r`
    // remains, as it would through a pipe.
    check_every_cut("dos\r\r\n", true, {{"dos\r", false}});
}

TEST_CASE("LineSplitter strip_cr: a CR at the end of the stream is the line's", "[pty][crlf]") {
    check_every_cut("tail\r", true, {{"tail\r", false}});
    check_every_cut("line\r\ntail\r", true, {{"line", false}, {"tail\r", false}});
    check_every_cut("\r", true, {{"\r", false}});

    LineSplitter s(kMaxLineBytes, true);
    std::vector<std::string> got;
    auto emit = [&](std::string_view line, bool) { got.emplace_back(line); };
    s.feed("x\r", emit);
    CHECK(s.has_partial());
    s.feed("\n", emit);
    CHECK_FALSE(s.has_partial());
    s.feed("\r", emit);
    CHECK(s.has_partial());  // held: a `\n` may follow
    s.finish(emit);
    CHECK_FALSE(s.has_partial());
    CHECK(got == std::vector<std::string>{"x", "\r"});
}

TEST_CASE("LineSplitter without strip_cr passes CR through unchanged", "[pty][crlf]") {
    check_every_cut("one\r\ntwo\r\n", false, {{"one\r", false}, {"two\r", false}});
    LineSplitter s;
    CHECK_FALSE(s.strip_cr());
    s.set_strip_cr(true);
    CHECK(s.strip_cr());
}

TEST_CASE("LineSplitter strip_cr: the CR of a line end never counts towards max_line",
          "[pty][crlf]") {
    // A line of exactly max_line bytes is one piece through a pipe ("xxxx\n")
    // and through a pty ("xxxx\r\n") alike.
    check_every_cut("abcd\r\n", true, {{"abcd", false}}, 4);
    check_every_cut("abcd\n", false, {{"abcd", false}}, 4);
    // One byte more is cut into two pieces, the `\r` of the line end dropped.
    check_every_cut("abcde\r\nf\r\n", true, {{"abcd", false}, {"e", true}, {"f", false}}, 4);
    // A `\r` that is not a line end counts like any byte.
    check_every_cut("abcd\re\r\n", true, {{"abcd", false}, {"\re", true}}, 4);
}

TEST_CASE("LineSplitter strip_cr: whole lines come straight from the caller's buffer",
          "[pty][crlf]") {
    LineSplitter s(kMaxLineBytes, true);
    const std::string input = "first\r\nsecond\r\n";
    std::vector<const char*> starts;
    s.feed(input, [&](std::string_view line, bool) { starts.push_back(line.data()); });
    REQUIRE(starts.size() == 2);
    CHECK(starts[0] == input.data());
    CHECK(starts[1] == input.data() + 7);
    CHECK_FALSE(s.has_partial());
}

// ---- open_pty and the window size ---------------------------------------------------------

TEST_CASE("open_pty: close-on-exec, non-blocking master, ECHO off, ONLCR on", "[pty]") {
    posix::PtyChannel pty = posix::open_pty(window(33, 101));
    REQUIRE(pty.master.valid());
    REQUIRE(pty.slave.valid());
    CHECK((::fcntl(pty.master.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(pty.slave.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(pty.master.get(), F_GETFL) & O_NONBLOCK) != 0);
    CHECK(::isatty(pty.slave.get()) == 1);

    termios modes{};
    REQUIRE(::tcgetattr(pty.slave.get(), &modes) == 0);
    CHECK((modes.c_lflag & ECHO) == 0);
    CHECK((modes.c_oflag & OPOST) != 0);
    CHECK((modes.c_oflag & ONLCR) != 0);
    CHECK((modes.c_oflag & OCRNL) == 0);

    const WindowSize ws = posix::window_size(pty.master.get());
    CHECK(ws.ws_row == 33);
    CHECK(ws.ws_col == 101);
    REQUIRE(posix::set_window_size(pty.master.get(), window(40, 120)));
    WindowSize seen{};
    REQUIRE(::ioctl(pty.slave.get(), TIOCGWINSZ, &seen) == 0);
    CHECK(seen.ws_row == 40);
    CHECK(seen.ws_col == 120);

    // Nothing to read yet: the master does not block.
    char c;
    CHECK(::read(pty.master.get(), &c, 1) == -1);
    CHECK(errno == EAGAIN);
    CHECK_FALSE(posix::set_window_size(-1, ws));
}

TEST_CASE("terminal_window_size: procrun's terminal, else 80x24", "[pty]") {
    // In a child whose 0, 1 and 2 are chosen here; it reports through its exit code.
    auto probe = [](int out_fd, int rows, int cols) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            const int null_fd = ::open("/dev/null", O_RDWR);
            ::dup2(null_fd, 0);
            ::dup2(out_fd >= 0 ? out_fd : null_fd, 1);
            ::dup2(null_fd, 2);
            const WindowSize ws = posix::terminal_window_size();
            ::_exit(ws.ws_row == rows && ws.ws_col == cols ? 0 : 1);
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    };
    CHECK(probe(-1, posix::kDefaultRows, posix::kDefaultColumns));
    posix::PtyChannel pty = posix::open_pty(window(50, 132));
    CHECK(probe(pty.slave.get(), 50, 132));
    // A terminal reporting 0x0 (a serial line) does not count.
    REQUIRE(posix::set_window_size(pty.master.get(), window(0, 0)));
    CHECK(probe(pty.slave.get(), posix::kDefaultRows, posix::kDefaultColumns));
}

// ---- real children on a pty -----------------------------------------------------------------

TEST_CASE("pty: 100,000 lines, then exit: every line read from the master, in order",
          "[pty][process]") {
    PtyRun run("seq 1 100000");
    REQUIRE(run.read_for(std::chrono::seconds(60)));
    const int status = run.wait();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    // The end of a pty's output is EIO once every slave is closed, not EOF.
    CHECK(run.end_errno() == EIO);
    // ONLCR: every line arrives as "...\r\n".
    CHECK(run.output().substr(0, 6) == "1\r\n2\r\n");
    const auto lines = pty_lines(run.output());
    REQUIRE(lines.size() == 100000);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i] != std::to_string(i + 1))
            ++wrong;
    }
    CHECK(wrong == 0);
}

TEST_CASE("pty: what a child wrote before it exited is read after it is reaped", "[pty][process]") {
    // As the runtime drains a process's output once it has been reaped: the
    // child writes less than the terminal buffers, exits, is reaped, and only
    // then is the master read, until EAGAIN or the end.
    PtyRun run("seq 1 2000; printf 'no newline'");
    const int status = run.wait();
    CHECK(WIFEXITED(status));
    REQUIRE(run.read_for(std::chrono::seconds(10)));
    CHECK(run.end_errno() == EIO);
    const auto lines = pty_lines(run.output());
    REQUIRE(lines.size() == 2001);
    CHECK(lines.front() == "1");
    CHECK(lines[1999] == "2000");
    CHECK(lines.back() == "no newline");
}

TEST_CASE("pty: the child's stdout and stderr are a terminal, stdin is not", "[pty][process]") {
    if (!have_python()) {
        PROCRUN_TOOL_MISSING("python3 is not installed");
    }
    PtyRun run(
        "python3 -c 'import sys; print(sys.stdout.isatty(), sys.stderr.isatty(), "
        "sys.stdin.isatty())'");
    REQUIRE(run.read_for(std::chrono::seconds(30)));
    CHECK(pty_lines(run.output()) == std::vector<std::string>{"True True False"});
}

TEST_CASE("pty: a program that colours only a terminal keeps its colours", "[pty][process]") {
    if (!have_python()) {
        PROCRUN_TOOL_MISSING("python3 is not installed");
    }
    const std::string command =
        "python3 -c \"import sys; "
        "print('\\x1b[31mred\\x1b[0m' if sys.stdout.isatty() else 'plain')\"";
    PtyRun on_pty(command);
    REQUIRE(on_pty.read_for(std::chrono::seconds(30)));
    CHECK(pty_lines(on_pty.output()) == std::vector<std::string>{"\x1b[31mred\x1b[0m"});

    PtyRun on_pipe(command, window(24, 80), environment_without(), true);
    REQUIRE(on_pipe.read_for(std::chrono::seconds(30)));
    CHECK(on_pipe.output() == "plain\n");
}

TEST_CASE("pty: the child sees the window size that was set, and a new one with SIGWINCH",
          "[pty][process]") {
    // `stty size` reads stdin (/dev/null here): ask the controlling terminal.
    PtyRun run("stty size < /dev/tty", window(37, 113));
    REQUIRE(run.read_for(std::chrono::seconds(30)));
    CHECK(pty_lines(run.output()) == std::vector<std::string>{"37 113"});
    CHECK(WEXITSTATUS(run.wait()) == 0);

    if (!have_python()) {
        PROCRUN_TOOL_MISSING("python3 is not installed: the SIGWINCH part is skipped");
    }
    PtyRun resized(
        "python3 -c \"import os, signal, sys, time\n"
        "signal.signal(signal.SIGWINCH, lambda *a: (print(*os.get_terminal_size(1)), "
        "sys.exit(0)))\n"
        "print('ready', flush=True)\n"
        "for _ in range(300): time.sleep(0.1)\"",
        window(24, 80));
    const auto until = Clock::now() + std::chrono::seconds(30);
    while (resized.output().find("ready\r\n") == std::string::npos && Clock::now() < until)
        REQUIRE_FALSE(resized.read_for(std::chrono::milliseconds(100)));
    REQUIRE(resized.output() == "ready\r\n");
    REQUIRE(posix::set_window_size(resized.master(), window(45, 150)));
    REQUIRE(resized.read_for(std::chrono::seconds(30)));
    CHECK(pty_lines(resized.output()) == std::vector<std::string>{"ready", "150 45"});
}

TEST_CASE("pty: a python child is line-buffered (PYTHONUNBUFFERED unset)", "[pty][process]") {
    if (!have_python()) {
        PROCRUN_TOOL_MISSING("python3 is not installed");
    }
    const std::string command = "python3 -c 'import time; print(\"hello\"); time.sleep(5)'";
    {
        PtyRun run(command, window(24, 80), environment_without("PYTHONUNBUFFERED"));
        run.read_for(std::chrono::seconds(1));
        CHECK(run.output() == "hello\r\n");
    }
    {
        // The control: through a pipe, python buffers the line until it exits.
        PtyRun run(command, window(24, 80), environment_without("PYTHONUNBUFFERED"), true);
        run.read_for(std::chrono::seconds(1));
        CHECK(run.output().empty());
    }
}

TEST_CASE("pty: the child leads its session and group, owns the terminal, has only 0 1 2",
          "[pty][process]") {
    if (!have_python()) {
        PROCRUN_TOOL_MISSING("python3 is not installed");
    }
    // A compound command: the shell is the process started, python its child.
    PtyRun run(
        "python3 -c \"import os; "
        "print(os.getsid(0), os.getpgrp(), os.tcgetpgrp(1)); "
        "print(*sorted(int(f) for f in os.listdir('/proc/self/fd') if int(f) > 2 and "
        "os.path.exists('/proc/self/fd/' + f)))\"");
    REQUIRE(run.read_for(std::chrono::seconds(30)));
    const std::string pid = std::to_string(run.pid());
    const auto lines = pty_lines(run.output());
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == pid + " " + pid + " " + pid);
    CHECK(lines[1].empty());  // no descriptor above 2 (listdir's own is gone once it is done)
}

TEST_CASE("pty: signalling the group -pid reaches the child", "[pty][process]") {
    PtyRun run("sleep 30");
    REQUIRE(posix::signal_group(run.pid(), SIGTERM));
    const int status = run.wait();
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
    REQUIRE(run.read_for(std::chrono::seconds(10)));
    CHECK(run.end_errno() == EIO);
}

TEST_CASE("pty: spawn_shell rejects a pty together with output_fd or foreground_tty", "[pty]") {
    boost::asio::io_context io;
    posix::PtyChannel pty = posix::open_pty(window(24, 80));
    posix::SpawnOptions options;
    options.command = "true";
    options.pty_slave = pty.slave.get();
    options.output_fd = 1;
    CHECK_THROWS_AS(posix::spawn_shell(io.get_executor(), options), std::invalid_argument);
    options.output_fd = -1;
    options.foreground_tty = 0;
    CHECK_THROWS_AS(posix::spawn_shell(io.get_executor(), options), std::invalid_argument);
}
