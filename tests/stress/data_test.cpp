// Stress tests of what `procrun start` relays: the real binary, real
// processes (procrun-testchild), real pipes. Nothing a process writes is lost,
// reordered, torn or altered, whatever the volume, the line length, the bytes,
// the reader's pace or the order in which processes exit; a broken or full
// standard output stops the app cleanly.
//
// The volume is reproducible: every process writes a seeded RandomText stream
// (support/random_text.hpp) and the test regenerates it to compare byte for
// byte. PROCRUN_STRESS_LINES sets the lines per process of the fan-in case
// (default 1,000,000; 100,000 in sanitizer builds, to stay within the suite's
// time), PROCRUN_STRESS_SEED the seed (default 20261124).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "random_text.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using procrun::test::RandomText;
using procrun::test::TempDir;
using Clock = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// procrun's writer: past this much formatted output waiting, it stops reading
// its children (src/supervisor/runtime.cpp, kHighWater).
constexpr long kHighWaterKiB = 1024;
// The longest piece procrun prints (kMaxLineBytes).
constexpr std::size_t kMaxPiece = 64 * 1024;

long env_number(const char* name, long fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::atol(v) : fallback;
}

std::uint64_t master_seed() {
    return static_cast<std::uint64_t>(env_number("PROCRUN_STRESS_SEED", 20261124));
}

void report(const std::string& text) {
    std::printf("[stress data] %s\n", text.c_str());
    std::fflush(stdout);
}

// The value of a "VmHWM:" style field of /proc/PID/status, in KiB (0: gone).
long status_kib(pid_t pid, const char* field) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    const std::size_t n = std::strlen(field);
    while (std::getline(f, line)) {
        if (line.compare(0, n, field) == 0)
            return std::atol(line.c_str() + n);
    }
    return 0;
}

enum class Output { pipe, closed_pipe, dev_full };

struct Finished {
    int exit_code = -1;
    int signal = 0;
    double seconds = 0;
    double cpu_seconds = 0;  // procrun's user + system time (and its reaped children's)
    long hwm_kib = 0;        // procrun's peak RSS, sampled while it ran
    std::string err;
};

// procrun started by the test with its standard output on a pipe the test
// reads at its own pace (or on a closed pipe, or /dev/full).
class Procrun {
  public:
    Procrun(const std::vector<std::string>& args, const fs::path& cwd,
            const std::vector<std::string>& extra_env, Output output) {
        int out[2] = {-1, -1};
        int err[2] = {-1, -1};
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
            throw std::system_error(errno, std::generic_category(), "pipe2");
        int child_out = out[1];
        int full = -1;
        if (output == Output::closed_pipe) {
            ::close(out[0]);
            out[0] = -1;
        } else if (output == Output::dev_full) {
            full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
            if (full < 0)
                throw std::system_error(errno, std::generic_category(), "open /dev/full");
            child_out = full;
        }
        std::vector<std::string> env;
        for (char** e = environ; *e != nullptr; ++e)
            env.emplace_back(*e);
        env.insert(env.end(), extra_env.begin(), extra_env.end());
        std::vector<char*> envp;
        for (auto& e : env)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        std::vector<std::string> argv{procrun::test::procrun_binary()};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> argp;
        for (auto& a : argv)
            argp.push_back(a.data());
        argp.push_back(nullptr);
        const std::string dir = cwd.string();

        started_ = Clock::now();
        pid_ = ::fork();
        if (pid_ < 0)
            throw std::system_error(errno, std::generic_category(), "fork");
        if (pid_ == 0) {
            ::setpgid(0, 0);
            const int devnull = ::open("/dev/null", O_RDONLY);
            ::dup2(devnull, 0);
            ::dup2(child_out, 1);
            ::dup2(err[1], 2);
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            ::signal(SIGPIPE, SIG_DFL);
            if (::chdir(dir.c_str()) != 0)
                _exit(125);
            ::execve(argp[0], argp.data(), envp.data());
            _exit(127);
        }
        ::setpgid(pid_, pid_);
        ::close(out[1]);
        ::close(err[1]);
        if (full >= 0)
            ::close(full);
        out_fd_ = out[0];
        err_fd_ = err[0];
    }

    ~Procrun() {
        if (!reaped_) {
            ::kill(-pid_, SIGKILL);
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        for (int fd : {out_fd_, err_fd_}) {
            if (fd >= 0)
                ::close(fd);
        }
    }
    Procrun(const Procrun&) = delete;
    Procrun& operator=(const Procrun&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }

    // The reader goes away: procrun's next write fails with EPIPE.
    void close_output() {
        if (out_fd_ >= 0)
            ::close(out_fd_);
        out_fd_ = -1;
    }

    // Reads procrun's stdout until end of file (or `timeout`), handing each
    // chunk to `on_data`; takes at most `chunk` bytes per read and pauses
    // `pause` after each read (a slow reader). `on_tick` runs between reads.
    // Returns false on timeout.
    bool relay(const std::function<void(std::string_view)>& on_data, std::size_t chunk,
               std::chrono::microseconds pause, std::chrono::milliseconds timeout,
               const std::function<void()>& on_tick = {}) {
        const auto deadline = Clock::now() + timeout;
        std::vector<char> buf(chunk);
        while (out_fd_ >= 0 || err_fd_ >= 0) {
            if (Clock::now() >= deadline)
                return false;
            sample();
            if (on_tick)
                on_tick();
            pollfd fds[2];
            nfds_t n = 0;
            if (out_fd_ >= 0)
                fds[n++] = {out_fd_, POLLIN, 0};
            if (err_fd_ >= 0)
                fds[n++] = {err_fd_, POLLIN, 0};
            if (::poll(fds, n, 100) <= 0)
                continue;
            for (nfds_t i = 0; i < n; ++i) {
                if (fds[i].revents == 0)
                    continue;
                const ssize_t r = ::read(fds[i].fd, buf.data(), buf.size());
                if (r < 0 && errno == EINTR)
                    continue;
                if (r <= 0) {
                    int& fd = fds[i].fd == out_fd_ ? out_fd_ : err_fd_;
                    ::close(fd);
                    fd = -1;
                    continue;
                }
                const std::string_view data(buf.data(), static_cast<std::size_t>(r));
                if (fds[i].fd == out_fd_) {
                    on_data(data);
                    if (pause.count() > 0)
                        std::this_thread::sleep_for(pause);
                } else {
                    err_.append(data);
                }
            }
        }
        return true;
    }

    Finished wait(std::chrono::milliseconds timeout) {
        Finished f;
        const auto deadline = Clock::now() + timeout;
        int status = 0;
        rusage usage{};
        while (!reaped_) {
            sample();
            const pid_t w = ::wait4(pid_, &status, WNOHANG, &usage);
            if (w == pid_) {
                reaped_ = true;
                break;
            }
            if (Clock::now() >= deadline) {
                ::kill(-pid_, SIGKILL);
                ::kill(pid_, SIGKILL);
            }
            std::this_thread::sleep_for(5ms);
        }
        f.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
        f.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
        if (WIFEXITED(status))
            f.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status))
            f.signal = WTERMSIG(status);
        f.hwm_kib = hwm_kib_;
        f.err = err_;
        return f;
    }

  private:
    void sample() {
        const auto now = Clock::now();
        if (now - last_sample_ < 10ms)
            return;
        last_sample_ = now;
        hwm_kib_ = std::max(hwm_kib_, status_kib(pid_, "VmHWM:"));
    }

    pid_t pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    bool reaped_ = false;
    std::string err_;
    long hwm_kib_ = 0;
    Clock::time_point started_;
    Clock::time_point last_sample_{};
};

// One line of procrun's output (--no-timestamp --no-color), split into the
// padded name, whether it continues the previous line (" + ") and the text.
struct OutputLine {
    std::string_view name;
    bool continued = false;
    std::string_view text;
};

// Cuts procrun's stdout into lines across reads and parses each one's prefix.
class OutputParser {
  public:
    explicit OutputParser(std::size_t name_width) : width_(std::max<std::size_t>(name_width, 6)) {}

    void feed(std::string_view data, const std::function<void(const OutputLine&)>& on_line) {
        while (!data.empty()) {
            const void* nl = std::memchr(data.data(), '\n', data.size());
            if (nl == nullptr) {
                partial_.append(data);
                return;
            }
            const auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data());
            std::string_view line = data.substr(0, len);
            if (!partial_.empty()) {
                partial_.append(line);
                line = partial_;
            }
            on_line(parse(line));
            partial_.clear();
            data.remove_prefix(len + 1);
        }
    }
    [[nodiscard]] bool clean() const { return partial_.empty(); }
    [[nodiscard]] long malformed() const { return malformed_; }

  private:
    OutputLine parse(std::string_view line) {
        OutputLine out;
        const std::size_t head = width_ + 3;
        if (line.size() < head ||
            (line.substr(width_, 3) != " | " && line.substr(width_, 3) != " + ")) {
            ++malformed_;
            out.text = line;
            return out;
        }
        out.name = line.substr(0, width_);
        while (!out.name.empty() && out.name.back() == ' ')
            out.name.remove_suffix(1);
        out.continued = line[width_ + 1] == '+';
        out.text = line.substr(head);
        return out;
    }

    std::size_t width_;
    std::string partial_;
    long malformed_ = 0;
};

std::string testchild() {
    return procrun::test::testchild_binary();
}

// A unique environment marker, to find every process the app started.
std::string marker(const char* what) {
    return std::string("PROCRUN_STRESS_MARK=") + what + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(Clock::now().time_since_epoch().count());
}

bool nothing_left(const std::string& mark) {
    for (int i = 0; i < 100; ++i) {
        if (procrun::test::processes_with_env(mark).empty())
            return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// Per-process check of a random-lines stream: each line is the next one the
// generator makes; anything else is a torn, lost or reordered line.
struct LineStream {
    explicit LineStream(std::uint64_t seed) : random(seed) {}
    RandomText random;
    std::string expected;
    long lines = 0;
    long torn = 0;
    long bytes = 0;
    long after_exit = 0;
    bool exited = false;
    std::string first_bad;

    void take(const OutputLine& l) {
        if (exited)
            ++after_exit;
        expected.clear();
        random.line(expected);
        ++lines;
        bytes += static_cast<long>(l.text.size());
        if (l.continued || l.text != expected) {
            ++torn;
            if (first_bad.empty()) {
                first_bad = "line " + std::to_string(lines) + ": got " +
                            std::to_string(l.text.size()) + " bytes, expected " +
                            std::to_string(expected.size());
            }
        }
    }
};

// Parses "NAME exited with code N" / "NAME terminated by SIG..." system lines.
std::string exited_name(std::string_view text) {
    for (std::string_view tail : {" exited with code ", " terminated by "}) {
        const auto at = text.find(tail);
        if (at != std::string_view::npos)
            return std::string(text.substr(0, at));
    }
    return {};
}

}  // namespace

TEST_CASE(
    "8 processes x random lines up to 4 KiB, random exit order: every byte in order, no "
    "line torn",
    "[stress]") {
    const long lines_each = env_number("PROCRUN_STRESS_LINES", kSanitized ? 100000 : 1000000);
    const std::uint64_t seed = master_seed();
    constexpr int kProcs = 8;
    TempDir dir;
    fs::create_directories(dir.path() / "barrier");
    std::mt19937_64 rng(seed);
    std::string procfile;
    std::vector<double> sleeps;
    for (int i = 1; i <= kProcs; ++i) {
        // Each writes its lines, waits until all have, then exits on its own
        // after a seeded delay; TERM (sent when the first one exits) is ignored.
        const double sleep = static_cast<double>(rng() % 600) / 1000.0;
        sleeps.push_back(sleep);
        procfile += "p" + std::to_string(i) + ": " + testchild() + " ignore TERM random-lines " +
                    std::to_string(lines_each) + " " + std::to_string(seed + i) + " barrier " +
                    (dir.path() / "barrier").string() + " " + std::to_string(kProcs) + " sleep " +
                    fixed(sleep, 3) + "\n";
    }
    dir.write("Procfile", procfile);

    std::map<std::string, LineStream> streams;
    for (int i = 1; i <= kProcs; ++i)
        streams.emplace("p" + std::to_string(i) + ".1", LineStream(seed + i));
    std::vector<std::string> exit_order;
    long unexpected = 0;
    OutputParser parser(4);
    const std::string mark = marker("fan-in");
    Procrun procrun({"start", "--no-timestamp", "--no-color", "--timeout", "20"}, dir.path(),
                    {mark}, Output::pipe);
    const bool done = procrun.relay(
        [&](std::string_view data) {
            parser.feed(data, [&](const OutputLine& l) {
                if (l.name == "system") {
                    const std::string name = exited_name(l.text);
                    if (auto it = streams.find(name); it != streams.end()) {
                        it->second.exited = true;
                        exit_order.push_back(name);
                    }
                    return;
                }
                auto it = streams.find(std::string(l.name));
                if (it == streams.end()) {
                    ++unexpected;
                    return;
                }
                it->second.take(l);
            });
        },
        256 * 1024, 0us, std::chrono::seconds(120 + lines_each / 2000));
    const Finished f = procrun.wait(30s);
    INFO("stderr: " << f.err);
    REQUIRE(done);

    long lines = 0;
    long bytes = 0;
    long torn = 0;
    for (const auto& [name, s] : streams) {
        INFO(name << ": " << s.first_bad);
        CHECK(s.lines == lines_each);
        CHECK(s.torn == 0);
        CHECK(s.after_exit == 0);
        CHECK(s.exited);
        lines += s.lines;
        bytes += s.bytes;
        torn += s.torn;
    }
    std::string order;
    for (const auto& n : exit_order)
        order += (order.empty() ? "" : " ") + n;
    report("fan-in: " + std::to_string(kProcs) + " x " + std::to_string(lines_each) +
           " lines (seed " + std::to_string(seed) + "): " + std::to_string(lines) +
           " lines relayed, " + std::to_string(bytes) + " bytes compared, " + std::to_string(torn) +
           " lines torn, exit order " + order + "; " + fixed(f.seconds, 2) + " s, " +
           fixed(static_cast<double>(bytes) / 1e6 / f.seconds, 0) + " MB/s, procrun peak RSS " +
           std::to_string(f.hwm_kib) + " KiB");
    CHECK(unexpected == 0);
    CHECK(parser.malformed() == 0);
    CHECK(parser.clean());
    CHECK(f.exit_code == 0);
    CHECK(exit_order.size() == static_cast<std::size_t>(kProcs));
    CHECK(nothing_left(mark));
}

TEST_CASE("A slow reader: everything arrives and procrun's memory stays bounded", "[stress]") {
    const std::uint64_t seed = master_seed() + 100;
    const long lines_each = kSanitized ? 10000 : 20000;  // ~20 or 40 MB per process
    constexpr int kProcs = 4;
    TempDir dir;

    // procrun's own peak with almost nothing to relay, the baseline.
    long baseline_kib = 0;
    {
        dir.write("Procfile", "idle: " + testchild() + " print ready sleep 0.3\n");
        Procrun idle({"start", "--no-timestamp", "--no-color"}, dir.path(), {}, Output::pipe);
        idle.relay([](std::string_view) {}, 65536, 0us, 60s);
        baseline_kib = idle.wait(10s).hwm_kib;
    }
    REQUIRE(baseline_kib > 0);

    std::string procfile;
    std::map<std::string, LineStream> streams;
    // They all write everything before the first exits (which stops the others).
    fs::create_directories(dir.path() / "barrier");
    for (int i = 1; i <= kProcs; ++i) {
        procfile += "s" + std::to_string(i) + ": " + testchild() + " random-lines " +
                    std::to_string(lines_each) + " " + std::to_string(seed + i) + " barrier " +
                    (dir.path() / "barrier").string() + " " + std::to_string(kProcs) + "\n";
        streams.emplace("s" + std::to_string(i) + ".1", LineStream(seed + i));
    }
    dir.write("Procfile", procfile);
    OutputParser parser(4);
    long system_lines = 0;
    long unexpected = 0;
    const std::string mark = marker("slow");
    Procrun procrun({"start", "--no-timestamp", "--no-color", "--timeout", "30"}, dir.path(),
                    {mark}, Output::pipe);
    // About 32 MB/s at most: 64 KiB, then 2 ms asleep.
    const bool done = procrun.relay(
        [&](std::string_view data) {
            parser.feed(data, [&](const OutputLine& l) {
                if (l.name == "system") {
                    ++system_lines;
                    return;
                }
                auto it = streams.find(std::string(l.name));
                if (it == streams.end()) {
                    ++unexpected;
                    return;
                }
                it->second.take(l);
            });
        },
        65536, 2000us, 300s);
    const Finished f = procrun.wait(30s);
    INFO("stderr: " << f.err);
    REQUIRE(done);
    long lines = 0;
    long bytes = 0;
    long torn = 0;
    for (const auto& [name, s] : streams) {
        INFO(name << ": " << s.first_bad);
        CHECK(s.lines == lines_each);
        CHECK(s.torn == 0);
        lines += s.lines;
        bytes += s.bytes;
        torn += s.torn;
    }
    const long growth = f.hwm_kib - baseline_kib;
    report("slow reader: " + std::to_string(lines) + " lines relayed, " + std::to_string(bytes) +
           " bytes compared, " + std::to_string(torn) + " lines torn in " + fixed(f.seconds, 2) +
           " s; procrun peak RSS " + std::to_string(f.hwm_kib) + " KiB, idle " +
           std::to_string(baseline_kib) + " KiB, growth " + std::to_string(growth) + " KiB");
    CHECK(unexpected == 0);
    CHECK(parser.malformed() == 0);
    CHECK(f.exit_code == 0);
    // Bounded by the high-water mark plus what one read formats into and the
    // rest of an exited process's pipe, with the string's growth (and, under
    // ASan, its allocator's quarantine): 16 MiB, a quarter of the data
    // relayed, which a buffer without back-pressure would mostly hold. Plus
    // the output memory `procrun logs` reads: 1 MiB per instance by default
    // (four times that allowed: its chunks in flight and, under ASan, the
    // quarantine of the chunks it frees).
    CHECK(growth < 16 * kHighWaterKiB + kProcs * 4096);
    CHECK(bytes > 4L * 16 * kHighWaterKiB * 1024);
    CHECK(nothing_left(mark));
}

TEST_CASE("A 100 MiB line arrives whole, as continuation pieces of 64 KiB", "[stress]") {
    const std::uint64_t seed = master_seed() + 200;
    constexpr std::size_t kSize = 100UL * 1024 * 1024;
    TempDir dir;
    dir.write("Procfile", "big: " + testchild() + " long-line " + std::to_string(kSize) + " " +
                              std::to_string(seed) + " print after\n");
    RandomText random(seed);
    std::string expected;
    std::size_t bytes = 0;
    long pieces = 0;
    long bad_pieces = 0;
    long bad_flags = 0;
    bool after = false;
    long after_before_end = 0;
    OutputParser parser(3);
    Procrun procrun({"start", "--no-timestamp", "--no-color"}, dir.path(), {}, Output::pipe);
    const bool done = procrun.relay(
        [&](std::string_view data) {
            parser.feed(data, [&](const OutputLine& l) {
                if (l.name != "big.1")
                    return;
                if (l.text == "after") {
                    after = true;
                    if (bytes != kSize)
                        ++after_before_end;
                    return;
                }
                if (l.continued != (pieces > 0))
                    ++bad_flags;
                ++pieces;
                const std::size_t want = std::min(kMaxPiece, kSize - bytes);
                expected.clear();
                random.printable(expected, want);
                if (l.text != expected)
                    ++bad_pieces;
                bytes += l.text.size();
            });
        },
        256 * 1024, 0us, 120s);
    const Finished f = procrun.wait(30s);
    INFO("stderr: " << f.err);
    REQUIRE(done);
    report("100 MiB line: " + std::to_string(pieces) + " pieces, " + std::to_string(bytes) +
           " bytes compared, " + std::to_string(bad_pieces) + " pieces differing in " +
           fixed(f.seconds, 2) + " s, procrun peak RSS " + std::to_string(f.hwm_kib) + " KiB");
    CHECK(bytes == kSize);
    CHECK(pieces == static_cast<long>(kSize / kMaxPiece));
    CHECK(bad_pieces == 0);
    CHECK(bad_flags == 0);
    CHECK(after);
    CHECK(after_before_end == 0);
    CHECK(f.exit_code == 0);
}

TEST_CASE("Binary garbage: every byte relayed unchanged", "[stress]") {
    const std::uint64_t seed = master_seed() + 300;
    constexpr long kBytes = 4L * 1024 * 1024;
    TempDir dir;
    fs::create_directories(dir.path() / "barrier");
    std::string procfile;
    for (int i = 1; i <= 2; ++i) {
        procfile += "bin" + std::to_string(i) + ": " + testchild() + " random-bytes " +
                    std::to_string(kBytes) + " " + std::to_string(seed + i) + " barrier " +
                    (dir.path() / "barrier").string() + " 2\n";
    }
    dir.write("Procfile", procfile);
    std::map<std::string, std::string> got{{"bin1.1", ""}, {"bin2.1", ""}};
    std::map<std::string, long> lines;
    OutputParser parser(4);
    Procrun procrun({"start", "--no-timestamp", "--no-color"}, dir.path(), {}, Output::pipe);
    const bool done = procrun.relay(
        [&](std::string_view data) {
            parser.feed(data, [&](const OutputLine& l) {
                auto it = got.find(std::string(l.name));
                if (it == got.end())
                    return;
                // Pieces of one line join directly; lines were separated by '\n'.
                if (!l.continued && lines[it->first]++ > 0)
                    it->second.push_back('\n');
                it->second.append(l.text);
            });
        },
        256 * 1024, 0us, 120s);
    const Finished f = procrun.wait(30s);
    INFO("stderr: " << f.err);
    REQUIRE(done);
    long compared = 0;
    for (int i = 1; i <= 2; ++i) {
        const std::string name = "bin" + std::to_string(i) + ".1";
        RandomText random(seed + static_cast<std::uint64_t>(i));
        std::string expected;
        random.bytes(expected, static_cast<std::size_t>(kBytes));
        if (!expected.empty() && expected.back() == '\n')
            expected.pop_back();  // a final newline ends the last line
        INFO(name);
        CHECK(got[name].size() == expected.size());
        CHECK(got[name] == expected);
        CHECK(std::count(expected.begin(), expected.end(), '\0') > 0);
        compared += static_cast<long>(got[name].size());
    }
    report("binary: " + std::to_string(lines["bin1.1"] + lines["bin2.1"]) + " lines relayed, " +
           std::to_string(compared) + " bytes compared (NUL, CR, ESC, invalid UTF-8 included)");
    CHECK(parser.malformed() == 0);
    CHECK(f.exit_code == 0);
}

TEST_CASE("A process that closes its output and keeps running is still supervised", "[stress]") {
    TempDir dir;
    dir.write("Procfile", "closer: " + testchild() +
                              " print before-close close-output sleep 1.5 exit 3\nother: " +
                              testchild() + " print other-up sleep 30\n");
    std::vector<std::string> lines;
    double closed_exit_at = 0;
    const auto start = Clock::now();
    OutputParser parser(8);
    const std::string mark = marker("close-output");
    Procrun procrun({"start", "--no-timestamp", "--no-color"}, dir.path(), {mark}, Output::pipe);
    const bool done = procrun.relay(
        [&](std::string_view data) {
            parser.feed(data, [&](const OutputLine& l) {
                lines.push_back(std::string(l.name) + "|" + std::string(l.text));
                if (l.text == "closer.1 exited with code 3")
                    closed_exit_at = std::chrono::duration<double>(Clock::now() - start).count();
            });
        },
        65536, 0us, 60s);
    const Finished f = procrun.wait(30s);
    INFO("stderr: " << f.err);
    REQUIRE(done);
    std::string all;
    for (const auto& l : lines)
        all += l + "\n";
    INFO(all);
    const auto index = [&](const std::string& l) {
        return std::find(lines.begin(), lines.end(), l) - lines.begin();
    };
    const auto n = static_cast<long>(lines.size());
    CHECK(index("closer.1|before-close") < n);
    CHECK(index("system|closer.1 exited with code 3") < n);
    CHECK(index("closer.1|before-close") < index("system|closer.1 exited with code 3"));
    CHECK(index("system|other.1 terminated by SIGTERM") < n);
    // procrun kept it running after its output ended: the exit came after the sleep.
    CHECK(closed_exit_at >= 1.4);
    CHECK(f.exit_code == 3);
    CHECK(nothing_left(mark));
}

TEST_CASE("A process that exits with output still in its pipe: all of it, before its exit line",
          "[stress]") {
    TempDir dir;
    fs::create_directories(dir.path() / "go");
    // ~50 KB of lines and an unterminated last line, written only once the
    // test has stopped procrun, so they are all in the pipe when it exits.
    dir.write("Procfile", "w: " + testchild() + " barrier " + (dir.path() / "go").string() +
                              " 2 lines 1000 W partial tail-without-newline exit 7\n");
    std::vector<std::string> lines;
    pid_t child = 0;
    bool stopped = false;
    bool continued = false;
    OutputParser parser(3);
    Procrun procrun({"start", "--no-timestamp", "--no-color"}, dir.path(), {}, Output::pipe);
    const auto zombie = [](pid_t pid) {
        const std::string s = procrun::test::read_proc(pid, "stat");
        const auto close = s.rfind(')');
        return close != std::string::npos && close + 2 < s.size() && s[close + 2] == 'Z';
    };
    const auto deadline = Clock::now() + 20s;
    const bool done = procrun.relay(
        [&](std::string_view data) {
            parser.feed(data, [&](const OutputLine& l) {
                lines.push_back(std::string(l.text));
                const std::string_view started = "w.1 started with pid ";
                if (l.name == "system" && l.text.substr(0, started.size()) == started)
                    child = std::atoi(std::string(l.text.substr(started.size())).c_str());
            });
        },
        65536, 0us, 60s,
        [&] {
            if (child > 0 && !stopped) {
                // Wait until the child waits at the barrier, then stop procrun.
                if (std::distance(fs::directory_iterator(dir.path() / "go"),
                                  fs::directory_iterator()) < 1) {
                    return;
                }
                ::kill(procrun.pid(), SIGSTOP);
                stopped = true;
                dir.write("go/test", "");
            }
            if (stopped && !continued && (zombie(child) || Clock::now() > deadline)) {
                ::kill(procrun.pid(), SIGCONT);
                continued = true;
            }
        });
    const Finished f = procrun.wait(30s);
    INFO("stderr: " << f.err);
    REQUIRE(done);
    REQUIRE(stopped);
    REQUIRE(continued);
    long w_lines = 0;
    long order_errors = 0;
    std::ptrdiff_t tail_at = -1;
    std::ptrdiff_t exit_at = -1;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind("W ", 0) == 0) {
            char want[32];
            std::snprintf(want, sizeof want, "W %08ld ", w_lines);
            if (lines[i].rfind(want, 0) != 0)
                ++order_errors;
            ++w_lines;
        }
        if (lines[i] == "tail-without-newline")
            tail_at = static_cast<std::ptrdiff_t>(i);
        if (lines[i] == "w.1 exited with code 7")
            exit_at = static_cast<std::ptrdiff_t>(i);
    }
    report("exit with a full pipe: " + std::to_string(w_lines) +
           " lines and the unterminated tail read after the exit, before its exit line");
    CHECK(w_lines == 1000);
    CHECK(order_errors == 0);
    CHECK(tail_at >= 0);
    CHECK(exit_at > tail_at);
    CHECK(f.exit_code == 7);
}

TEST_CASE("procrun's stdout a closed pipe: the app is stopped, exit 141, no spin", "[stress]") {
    TempDir dir;
    dir.write("Procfile", "web: " + testchild() + " print hello sleep 30\n");
    const std::string mark = marker("epipe");
    Procrun procrun({"start"}, dir.path(), {mark}, Output::closed_pipe);
    procrun.relay([](std::string_view) {}, 65536, 0us, 60s);
    const Finished f = procrun.wait(30s);
    INFO("stderr: " << f.err);
    report("stdout closed from the start: exit " + std::to_string(f.exit_code) + " after " +
           fixed(f.seconds, 2) + " s, " + fixed(f.cpu_seconds, 3) + " s CPU");
    CHECK(f.exit_code == 141);
    CHECK(f.err.find("cannot write to standard output: Broken pipe") != std::string::npos);
    CHECK(f.seconds < 10);
    CHECK(nothing_left(mark));
}

TEST_CASE(
    "The reader goes away while a process ignores SIGTERM: exit 141 after the timeout, "
    "no spin",
    "[stress]") {
    TempDir dir;
    // Once the reader has seen both processes up it closes the pipe; web's
    // next line then fails to write. `stubborn` ignores SIGTERM, so procrun
    // waits out --timeout with nowhere to write, and must not spin meanwhile.
    dir.write("Procfile", "stubborn: " + testchild() + " ignore TERM print up sleep 30\nweb: " +
                              testchild() + " print hello sleep 0.3 lines 1000 L sleep 30\n");
    const std::string mark = marker("epipe-late");
    std::string seen;
    Procrun procrun({"start", "--no-timestamp", "--timeout", "2"}, dir.path(), {mark},
                    Output::pipe);
    const auto start = Clock::now();
    double closed_at = 0;
    procrun.relay(
        [&](std::string_view data) {
            seen.append(data);
            if (closed_at == 0 && seen.find("stubborn.1 | up\n") != std::string::npos &&
                seen.find("web.1      | hello\n") != std::string::npos) {
                procrun.close_output();
                closed_at = std::chrono::duration<double>(Clock::now() - start).count();
            }
        },
        65536, 0us, 60s);
    const Finished f = procrun.wait(30s);
    INFO("stderr: " << f.err << "\nstdout: " << seen);
    REQUIRE(closed_at > 0);
    const double after_close = f.seconds - closed_at;
    report("reader gone, a process ignoring SIGTERM: exit " + std::to_string(f.exit_code) + " " +
           fixed(after_close, 2) + " s after the close (--timeout 2), " + fixed(f.cpu_seconds, 3) +
           " s CPU in all");
    CHECK(f.exit_code == 141);
    CHECK(f.err.find("cannot write to standard output: Broken pipe") != std::string::npos);
    CHECK(after_close >= 1.9);
    CHECK(after_close < 10);
    // Start-up and stopping only: a loop spinning through the 2 s wait would use 2 s.
    CHECK(f.cpu_seconds < 1.0);
    CHECK(nothing_left(mark));
}

TEST_CASE("procrun's stdout is /dev/full: a clear message, exit 1, the app stopped", "[stress]") {
    TempDir dir;
    dir.write("Procfile", "web: " + testchild() + " print hello sleep 30\nworker: " + testchild() +
                              " lines 10000 X sleep 30\n");
    const std::string mark = marker("enospc");
    Procrun procrun({"start"}, dir.path(), {mark}, Output::dev_full);
    procrun.relay([](std::string_view) {}, 65536, 0us, 60s);
    const Finished f = procrun.wait(30s);
    INFO("stderr: " << f.err);
    report("stdout /dev/full: exit " + std::to_string(f.exit_code) + " after " +
           fixed(f.seconds, 2) + " s, " + fixed(f.cpu_seconds, 3) + " s CPU");
    CHECK(f.exit_code == 1);
    CHECK(f.err.find("cannot write to standard output: No space left on device") !=
          std::string::npos);
    CHECK(f.seconds < 10);
    CHECK(nothing_left(mark));
}
