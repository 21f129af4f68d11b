// The control socket: the wire format, target resolution, the status table,
// the private directory, and a real ControlServer on a real Unix socket served
// by an io_context on a thread, with a fake handler.

#include <fcntl.h>
#include <poll.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "procrun/control.hpp"
#include "skip.hpp"
#include "socket_support.hpp"

using namespace procrun;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr uid_t kNobody = 65534;

// A directory of our own (mode 0700), removed on destruction.
class ScratchDir {
  public:
    ScratchDir() {
        std::string tmpl = (fs::temp_directory_path() / "procrun-ctl-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path_ = fs::canonical(tmpl);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    [[nodiscard]] const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

InstanceStatus instance(std::string name, std::string state, int pid) {
    InstanceStatus s;
    s.type = name.substr(0, name.find('.'));
    s.name = std::move(name);
    s.state = std::move(state);
    s.pid = pid;
    return s;
}

Instance plan_instance(const std::string& type, int index) {
    Instance i;
    i.type = type;
    i.index = index;
    i.name = type + "." + std::to_string(index);
    return i;
}

// A root and its control paths inside a scratch directory, as XDG_RUNTIME_DIR.
struct Fixture {
    ScratchDir runtime;
    ScratchDir project;
    ControlPaths paths;
    Fixture() {
        Environment env{{"XDG_RUNTIME_DIR", runtime.path().string()}};
        paths = control_paths(project.path(), env);
    }
};

// Answers status with two instances and records every request.
class FakeHandler final : public ControlHandler {
  public:
    ControlReply handle(const ControlRequest& request) override {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            seen_.push_back(request);
        }
        if (throw_next_) {
            throw_next_ = false;
            throw std::runtime_error("the policy fell over");
        }
        ControlReply reply;
        if (request.command == ControlCommand::status) {
            reply.instances = {instance("web.1", "running", 101),
                               instance("worker.1", "ready", 102)};
        } else if (request.targets == std::vector<std::string>{"nope"}) {
            return ControlReply::failure("unknown process 'nope' (valid names: web, web.1)");
        } else {
            for (const auto& t : request.targets)
                reply.instances.push_back(instance(t, "stopping", 0));
        }
        return reply;
    }
    std::vector<ControlRequest> seen() {
        const std::lock_guard<std::mutex> lock(mutex_);
        return seen_;
    }
    void throw_next() { throw_next_ = true; }

  private:
    std::mutex mutex_;
    std::vector<ControlRequest> seen_;
    std::atomic<bool> throw_next_{false};
};

// The server's loop on its own thread, as the supervisor would run it.
class LoopThread {
  public:
    LoopThread() : work_(boost::asio::make_work_guard(io)), thread_([this] { io.run(); }) {}
    ~LoopThread() { stop(); }
    LoopThread(const LoopThread&) = delete;
    LoopThread& operator=(const LoopThread&) = delete;
    void stop() {
        work_.reset();
        io.stop();
        if (thread_.joinable())
            thread_.join();
    }
    boost::asio::io_context io;

  private:
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::thread thread_;
};

// Runs `body` on the loop's thread and waits for it: the server is created
// and destroyed there, like in the supervisor.
template <class F>
void on_loop(LoopThread& loop, F body) {
    std::promise<void> done;
    boost::asio::post(loop.io, [&] {
        try {
            body();
            done.set_value();
        } catch (...) {
            done.set_exception(std::current_exception());
        }
    });
    done.get_future().get();
}

int connect_raw(const fs::path& socket) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    return fd;
}

void write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        REQUIRE(n > 0);
        done += static_cast<std::size_t>(n);
    }
}

// Reads until `lines` newlines arrived, EOF, or 5 s.
std::string read_lines(int fd, int lines, bool* eof = nullptr) {
    return procrun::test::receive_lines(fd, lines, eof, 5s);
}

bool closed_by_peer(int fd) {
    return procrun::test::peer_gone(fd);
}

ControlReply decode_ok(const std::string& line) {
    Decoded<ControlReply> d = decode_reply(line);
    INFO(line << " -> " << d.error);
    REQUIRE(d.ok());
    return *d.value;
}

}  // namespace

// ---- Wire format -----------------------------------------------------------

TEST_CASE("control: requests round-trip through one JSON line", "[control]") {
    for (const ControlCommand c :
         {ControlCommand::status, ControlCommand::restart, ControlCommand::stop,
          ControlCommand::start, ControlCommand::kill}) {
        ControlRequest r;
        r.command = c;
        if (c != ControlCommand::status && c != ControlCommand::kill)
            r.targets = {"web", "worker.2", "ünïcode"};
        const std::string line = encode_request(r);
        REQUIRE(line.back() == '\n');
        REQUIRE(std::count(line.begin(), line.end(), '\n') == 1);
        const Decoded<ControlRequest> d = decode_request(line.substr(0, line.size() - 1));
        INFO(line);
        REQUIRE(d.ok());
        CHECK(*d.value == r);
    }
    CHECK(encode_request(ControlRequest{ControlCommand::status, {}}) ==
          "{\"command\":\"status\"}\n");
    CHECK(encode_request(ControlRequest{ControlCommand::restart, {"web.2"}}) ==
          "{\"command\":\"restart\",\"targets\":[\"web.2\"]}\n");
}

TEST_CASE("control: replies round-trip, with and without uptime", "[control]") {
    ControlReply reply;
    reply.pid = 4242;
    InstanceStatus a = instance("web.1", "running", 1234);
    a.uptime_ms = 90061;
    a.restarts = 3;
    a.last_exit = "exited with code 1";
    a.readiness = "ready";
    InstanceStatus b = instance("worker.1", "backoff", 0);
    b.last_exit = "terminated by SIGKILL";
    b.readiness = "pending";
    reply.instances = {a, b};
    const std::string line = encode_reply(reply);
    CHECK(line.find("\"uptime_ms\":null") != std::string::npos);
    CHECK(decode_ok(line.substr(0, line.size() - 1)) == reply);

    const ControlReply failure = ControlReply::failure("unknown process 'db'");
    const std::string failed = encode_reply(failure);
    CHECK(failed == "{\"ok\":false,\"error\":\"unknown process 'db'\"}\n");
    CHECK(decode_ok(failed) == failure);
}

TEST_CASE("control: the status of thousands of instances is a reply, not a too-long request",
          "[control]") {
    ControlReply reply;
    reply.pid = 4242;
    for (int i = 1; i <= 2000; ++i)
        reply.instances.push_back(instance("web." + std::to_string(i), "running", 1000 + i));
    const std::string line = encode_reply(reply);
    REQUIRE(line.size() > kMaxControlLine);
    CHECK(decode_ok(line.substr(0, line.size() - 1)) == reply);
    CHECK(decode_request(std::string(kMaxControlLine + 1, ' ')).error.find("request too long") ==
          0);
}

TEST_CASE("control: a reply tolerates unknown keys and a CRLF", "[control]") {
    const ControlReply r =
        decode_ok("{\"ok\":true,\"future\":[1,2],\"instances\":[{\"name\":\"web.1\",\"x\":1}]}\r");
    REQUIRE(r.instances.size() == 1);
    CHECK(r.instances[0].name == "web.1");
    CHECK_FALSE(r.instances[0].uptime_ms);
}

TEST_CASE("control: bad requests get a clear error, never a crash", "[control]") {
    struct Case {
        std::string line;
        std::string error;
    };
    const std::vector<Case> cases = {
        {"", "empty request: expected a JSON object such as {\"command\":\"status\"}"},
        {"  \t", "empty request: expected a JSON object such as {\"command\":\"status\"}"},
        {"status", "malformed JSON at byte 1: syntax error"},
        {"{\"command\":", "malformed JSON at byte 12: incomplete JSON"},
        {"{\"command\":\"status\"} {}", "malformed JSON at byte 22: extra text after the object"},
        {"[\"status\"]",
         "a request must be a JSON object such as {\"command\":\"status\"}, not an "
         "array"},
        {"{}",
         "missing \"command\" (one of: status, restart, stop, start, kill, signal, logs, connect, "
         "scale)"},
        {"{\"command\":5}", "\"command\" must be a string, not a number"},
        {"{\"command\":\"reboot\"}",
         "unknown command \"reboot\" (expected one of: status, restart, stop, start, kill, "
         "signal, logs, connect, scale)"},
        {"{\"command\":\"status\",\"verbose\":true}",
         "unknown key \"verbose\" (a request has \"command\", \"targets\", \"signal\", "
         "\"lines\" and \"follow\")"},
        {"{\"command\":\"status\",\"lines\":5}", "\"status\" takes no \"lines\""},
        {"{\"command\":\"logs\",\"lines\":-1}",
         "\"lines\" must be a number of lines (0 or more), not a number"},
        {"{\"command\":\"logs\",\"follow\":1}", "\"follow\" must be true or false, not a number"},
        {"{\"command\":\"logs\",\"signal\":1}", "\"logs\" takes no \"signal\""},
        {"{\"command\":\"stop\",\"targets\":\"web\"}",
         "\"targets\" must be an array of names, not a string"},
        {"{\"command\":\"stop\",\"targets\":[\"web\",null]}",
         "\"targets\" must hold names (strings), not null"},
        {"{\"command\":\"kill\",\"targets\":[\"web\"]}", "\"kill\" takes no targets"},
        {"{\"command\":\"st\xff\"}", "malformed JSON at byte 15: syntax error"},
    };
    for (const auto& c : cases) {
        const Decoded<ControlRequest> d = decode_request(c.line);
        INFO(c.line);
        CHECK_FALSE(d.ok());
        CHECK(d.error == c.error);
    }
    // Size and depth are bounded.
    const Decoded<ControlRequest> huge = decode_request(std::string(kMaxControlLine + 1, ' '));
    CHECK(huge.error == "request too long: 65537 bytes (at most 65536)");
    const Decoded<ControlRequest> deep =
        decode_request(std::string(100000 / 2, '[') + std::string(100000 / 2, ']'));
    CHECK_FALSE(deep.ok());
    const Decoded<ControlRequest> nested = decode_request(std::string(1000, '[') + "]");
    CHECK_FALSE(nested.ok());
    CHECK(nested.error.find("malformed JSON at byte") == 0);
}

TEST_CASE("control: bad replies are errors", "[control]") {
    CHECK(decode_reply("{\"instances\":[]}").error == "a reply needs \"ok\": true or false");
    CHECK(decode_reply("{\"ok\":false}").error == "a failed reply needs \"error\": a string");
    CHECK(decode_reply("{\"ok\":true,\"instances\":[{\"name\":\"a\",\"pid\":\"1\"}]}").error ==
          "in \"instances\": \"pid\" must be an integer, not a string");
    CHECK(decode_reply("{\"ok\":true,\"instances\":[{\"pid\":1}]}").error ==
          "in \"instances\": an instance without a \"name\"");
    CHECK(
        decode_reply("{\"ok\":true,\"instances\":[{\"name\":\"a\",\"pid\":99999999999}]}").error ==
        "in \"instances\": \"pid\" must be an integer, not a number");
    CHECK(decode_reply("{\"ok\":true,\"instances\":[7]}").error ==
          "\"instances\" must hold objects, not a number");
}

// ---- Targets and the table ------------------------------------------------

TEST_CASE("control: targets are types or instances, in plan order, once each", "[control]") {
    const std::vector<Instance> plan = {plan_instance("web", 1), plan_instance("web", 2),
                                        plan_instance("worker", 1)};
    CHECK(resolve_targets({}, plan).instances == std::vector<std::size_t>{0, 1, 2});
    CHECK(resolve_targets({"web"}, plan).instances == std::vector<std::size_t>{0, 1});
    CHECK(resolve_targets({"web.2"}, plan).instances == std::vector<std::size_t>{1});
    CHECK(resolve_targets({"worker", "web.2", "web"}, plan).instances ==
          std::vector<std::size_t>{0, 1, 2});

    const ResolvedTargets bad = resolve_targets({"web.3", "web", "db", "db"}, plan);
    CHECK_FALSE(bad.ok());
    CHECK(bad.instances.empty());
    CHECK(bad.error ==
          "unknown process 'web.3', 'db' (valid names: web, worker, web.1, web.2, worker.1)");
    CHECK(resolve_targets({"web"}, {}).error == "unknown process 'web' (no instance runs)");
}

TEST_CASE("control: uptimes read like a clock", "[control]") {
    CHECK(format_uptime(-5) == "0ms");
    CHECK(format_uptime(850) == "850ms");
    CHECK(format_uptime(42'999) == "42s");
    CHECK(format_uptime(187'000) == "3m07s");
    CHECK(format_uptime(2 * 3600'000 + 5 * 60'000 + 59'000) == "2h05m");
    CHECK(format_uptime(3 * 86400'000LL + 4 * 3600'000) == "3d04h");
}

TEST_CASE("control: the status table", "[control]") {
    InstanceStatus web = instance("web.1", "ready", 4242);
    web.uptime_ms = 187'000;
    web.readiness = "ready";
    InstanceStatus worker = instance("worker.1", "backoff", 0);
    worker.restarts = 2;
    worker.last_exit = "exited with code 3";
    CHECK(render_status_table({web, worker}) ==
          "INSTANCE  PID   STATE    UPTIME  RESTARTS  LAST EXIT           READINESS\n"
          "web.1     4242  ready    3m07s   0         -                   ready\n"
          "worker.1  -     backoff  -       2         exited with code 3  -\n");
    CHECK(render_status_table({}) ==
          "INSTANCE  PID  STATE  UPTIME  RESTARTS  LAST EXIT  READINESS\n");
}

// ---- Paths -----------------------------------------------------------------

TEST_CASE("control: the socket's name is an FNV-1a hash of the canonical root", "[control]") {
    CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
    CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
    CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);

    ScratchDir dir;
    fs::create_directory(dir.path() / "app");
    fs::create_directory_symlink(dir.path() / "app", dir.path() / "link");
    const std::string hash = root_hash(dir.path() / "app");
    CHECK(hash.size() == 16);
    CHECK(hash.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(root_hash(dir.path() / "link") == hash);
    CHECK(root_hash(dir.path() / "app" / "") == hash);
    CHECK(root_hash(dir.path() / "app" / "." / ".." / "app") == hash);
    CHECK(root_hash(dir.path()) != hash);

    const Environment env{{"XDG_RUNTIME_DIR", dir.path().string()}};
    const ControlPaths paths = control_paths(dir.path() / "link", env);
    CHECK(paths.root == dir.path() / "app");
    CHECK(paths.directory == dir.path() / "procrun");
    CHECK(paths.socket == dir.path() / "procrun" / (hash + ".sock"));
    CHECK(paths.lock == dir.path() / "procrun" / (hash + ".lock"));
}

TEST_CASE("control: the directory is XDG_RUNTIME_DIR's only when it is private", "[control]") {
    ScratchDir xdg;
    ScratchDir tmp;
    const std::string uid = std::to_string(::geteuid());
    CHECK(control_directory({{"XDG_RUNTIME_DIR", xdg.path().string()}}) == xdg.path() / "procrun");
    // Not usable: relative, missing, or open to others. Then TMPDIR, then /tmp.
    const Environment relative{{"XDG_RUNTIME_DIR", "run/user"}, {"TMPDIR", tmp.path().string()}};
    CHECK(control_directory(relative) == tmp.path() / ("procrun-" + uid));
    const Environment missing{{"XDG_RUNTIME_DIR", (xdg.path() / "nope").string()}};
    CHECK(control_directory(missing) == fs::path("/tmp") / ("procrun-" + uid));
    fs::permissions(xdg.path(), fs::perms(0755));
    CHECK(control_directory({{"XDG_RUNTIME_DIR", xdg.path().string()}}) ==
          fs::path("/tmp") / ("procrun-" + uid));
    CHECK(control_directory({{"TMPDIR", "relative"}}) == fs::path("/tmp") / ("procrun-" + uid));
}

TEST_CASE("control: an unsafe control directory is refused", "[control]") {
    ScratchDir dir;
    const fs::path made = dir.path() / "made";
    const mode_t old_umask = ::umask(0);
    make_private_directory(made);
    ::umask(old_umask);
    CHECK(mode_of(made) == 0700);
    make_private_directory(made);  // exists already: fine

    const fs::path open_dir = dir.path() / "open";
    fs::create_directory(open_dir);
    fs::permissions(open_dir, fs::perms(0750));
    CHECK_THROWS_WITH(make_private_directory(open_dir),
                      "refusing the control directory " + open_dir.string() +
                          ": its mode 0750 gives group or other users access (chmod 700 it)");

    const fs::path link = dir.path() / "link";
    fs::create_directory_symlink(made, link);
    CHECK_THROWS_WITH(check_private_directory(link), Catch::Contains("it is a symbolic link"));

    const fs::path file = dir.path() / "file";
    {
        std::FILE* f = std::fopen(file.c_str(), "w");
        REQUIRE(f != nullptr);
        std::fclose(f);
    }
    CHECK_THROWS_WITH(check_private_directory(file), Catch::Contains("is not a directory"));

    if (::geteuid() != 0) {
        PROCRUN_SKIP("not root: the test of a directory owned by another uid");
    }
    const fs::path theirs = dir.path() / "theirs";
    fs::create_directory(theirs);
    fs::permissions(theirs, fs::perms(0700));
    REQUIRE(::chown(theirs.c_str(), kNobody, kNobody) == 0);
    CHECK_THROWS_WITH(make_private_directory(theirs),
                      Catch::Contains("it is owned by uid 65534, not by uid 0"));
}

// ---- Server and client -------------------------------------------------------

TEST_CASE("control: a client talks to a server with a fake handler", "[control]") {
    Fixture f;
    FakeHandler handler;
    LoopThread loop;
    std::unique_ptr<ControlServer> server;
    on_loop(loop, [&] { server = std::make_unique<ControlServer>(loop.io, f.paths, handler); });

    CHECK(mode_of(f.paths.directory) == 0700);
    CHECK(mode_of(f.paths.socket) == 0600);
    CHECK(fs::is_socket(f.paths.socket));
    const std::optional<RunningSupervisor> running = find_running(f.paths);
    REQUIRE(running);
    CHECK(running->pid == ::getpid());
    CHECK(running->socket == f.paths.socket);

    const ControlReply status = control_request(f.paths, ControlRequest{});
    REQUIRE(status.ok);
    CHECK(status.pid == ::getpid());
    REQUIRE(status.instances.size() == 2);
    CHECK(status.instances[1] == instance("worker.1", "ready", 102));

    const ControlReply restarted =
        control_request(f.paths, ControlRequest{ControlCommand::restart, {"web.2"}});
    REQUIRE(restarted.ok);
    CHECK(restarted.instances == std::vector<InstanceStatus>{instance("web.2", "stopping", 0)});

    const ControlReply refused =
        control_request(f.paths, ControlRequest{ControlCommand::stop, {"nope"}});
    CHECK_FALSE(refused.ok);
    CHECK(refused.error == "unknown process 'nope' (valid names: web, web.1)");

    handler.throw_next();
    const ControlReply failed = control_request(f.paths, ControlRequest{ControlCommand::kill, {}});
    CHECK_FALSE(failed.ok);
    CHECK(failed.error == "kill failed: the policy fell over");

    const std::vector<ControlRequest> seen = handler.seen();
    REQUIRE(seen.size() == 4);
    CHECK(seen[1] == ControlRequest{ControlCommand::restart, {"web.2"}});

    // The server goes: socket and lock go with it; the root is free again.
    on_loop(loop, [&] { server.reset(); });
    CHECK_FALSE(fs::exists(f.paths.socket));
    CHECK_FALSE(fs::exists(f.paths.lock));
    CHECK_FALSE(find_running(f.paths));
    CHECK_THROWS_AS(control_request(f.paths, ControlRequest{}), NotRunning);
    CHECK_THROWS_WITH(control_request(f.paths, ControlRequest{}),
                      "no procrun is running in " + f.paths.root.string());
}

TEST_CASE("control: garbage, pipelined and partial lines on the socket", "[control]") {
    Fixture f;
    FakeHandler handler;
    LoopThread loop;
    std::unique_ptr<ControlServer> server;
    on_loop(loop, [&] { server = std::make_unique<ControlServer>(loop.io, f.paths, handler); });

    SECTION("garbage gets an error reply and the connection stays usable") {
        const int fd = connect_raw(f.paths.socket);
        write_all(fd, std::string("\x01\x02garbage\xff\n", 11));
        const std::string first = read_lines(fd, 1);
        const ControlReply bad = decode_ok(first);
        CHECK_FALSE(bad.ok);
        CHECK(bad.error == "bad request: malformed JSON at byte 1: syntax error");
        // Two requests in one write, the second split across two writes.
        write_all(fd, "{\"command\":\"status\"}\n{\"command\":\"stop\",");
        write_all(fd, "\"targets\":[\"web\"]}\r\n");
        const std::string two = read_lines(fd, 2);
        const auto newline = two.find('\n');
        REQUIRE(newline != std::string::npos);
        CHECK(decode_ok(two.substr(0, newline)).instances.size() == 2);
        CHECK(decode_ok(two.substr(newline + 1, two.size() - newline - 2)).instances ==
              std::vector<InstanceStatus>{instance("web", "stopping", 0)});
        ::close(fd);
    }
    SECTION("a line over the limit gets an error and the connection is closed") {
        const int fd = connect_raw(f.paths.socket);
        write_all(fd, std::string(kMaxControlLine + 10, 'x'));
        const ControlReply reply = decode_ok(read_lines(fd, 1));
        CHECK(reply.error == "request too long: over 65536 bytes without a newline");
        CHECK(closed_by_peer(fd));
        ::close(fd);
    }
    SECTION("a line cut off by the end of the connection gets an error") {
        const int fd = connect_raw(f.paths.socket);
        write_all(fd, "{\"command\":\"sta");
        ::shutdown(fd, SHUT_WR);
        const ControlReply reply = decode_ok(read_lines(fd, 1));
        CHECK(reply.error == "incomplete request: the connection ended before a newline");
        CHECK(closed_by_peer(fd));
        ::close(fd);
    }
    SECTION("many connections that say nothing do not stop the others") {
        std::vector<int> idle;
        for (int i = 0; i < 80; ++i)
            idle.push_back(connect_raw(f.paths.socket));
        // A full house closes its oldest connections: a request is answered
        // at once, without any of the idle ones going away by itself.
        CHECK(control_request(f.paths, ControlRequest{}, 2s).ok);
        CHECK(closed_by_peer(idle.front()));
        for (const int fd : idle)
            ::close(fd);
    }
    SECTION("a client that shuts down its writing side still gets its reply") {
        const int fd = connect_raw(f.paths.socket);
        write_all(fd, "{\"command\":\"stop\",\"targets\":[\"web\"]}\n");
        ::shutdown(fd, SHUT_WR);
        CHECK(decode_ok(read_lines(fd, 1)).ok);
        ::close(fd);
        CHECK(handler.seen().back() == ControlRequest{ControlCommand::stop, {"web"}});
    }
    on_loop(loop, [&] { server.reset(); });
}

TEST_CASE("control: connections open at shutdown are closed", "[control]") {
    Fixture f;
    FakeHandler handler;
    LoopThread loop;
    std::unique_ptr<ControlServer> server;
    on_loop(loop, [&] { server = std::make_unique<ControlServer>(loop.io, f.paths, handler); });
    const int fd = connect_raw(f.paths.socket);
    write_all(fd, "{\"command\":\"status\"}\n");
    CHECK(decode_ok(read_lines(fd, 1)).ok);
    on_loop(loop, [&] { server.reset(); });
    CHECK(closed_by_peer(fd));
    ::close(fd);
    // The loop is not left with work of the server's.
    loop.stop();
}

TEST_CASE("control: a stale socket is replaced, a second server is refused", "[control]") {
    Fixture f;
    FakeHandler handler;
    // What a killed procrun leaves behind: a socket file nobody listens on.
    make_private_directory(f.paths.directory);
    {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, f.paths.socket.c_str(), sizeof(addr.sun_path) - 1);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        ::close(fd);
    }
    REQUIRE(fs::is_socket(f.paths.socket));
    CHECK_FALSE(find_running(f.paths));
    CHECK_THROWS_AS(control_request(f.paths, ControlRequest{}), NotRunning);

    LoopThread loop;
    std::unique_ptr<ControlServer> server;
    on_loop(loop, [&] { server = std::make_unique<ControlServer>(loop.io, f.paths, handler); });
    CHECK(control_request(f.paths, ControlRequest{}).ok);

    // Same root, even spelled through a symlink: refused, naming the pid.
    fs::create_directory_symlink(f.project.path(), f.runtime.path() / "alias");
    const ControlPaths again = control_paths(
        f.runtime.path() / "alias", Environment{{"XDG_RUNTIME_DIR", f.runtime.path().string()}});
    CHECK(again.socket == f.paths.socket);
    boost::asio::io_context other;
    try {
        ControlServer second(other, again, handler);
        FAIL("a second server started in the same root");
    } catch (const AlreadyRunning& e) {
        CHECK(e.pid() == ::getpid());
        CHECK(std::string(e.what()) ==
              fmt::format("procrun is already running in {} (pid {}, socket {})",
                          f.paths.root.string(), ::getpid(), f.paths.socket.string()));
    }
    // The refused one removed nothing.
    CHECK(control_request(f.paths, ControlRequest{}).ok);
    on_loop(loop, [&] { server.reset(); });
}

TEST_CASE("control: a server that never answers times out", "[control]") {
    Fixture f;
    make_private_directory(f.paths.directory);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, f.paths.socket.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(
        control_request(f.paths, ControlRequest{}, 300ms),
        "procrun in " + f.paths.root.string() +
            " did not answer: it took over 300 ms to reply; the request is withdrawn and will not "
            "be carried out");
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(took >= 300ms);
    CHECK(took < 3s);
    ::close(fd);
}

TEST_CASE("control: an unsafe directory is refused by the client, and the server keeps its lock",
          "[control]") {
    Fixture f;
    FakeHandler handler;
    fs::create_directory(f.paths.directory);
    fs::permissions(f.paths.directory, fs::perms(0777));
    boost::asio::io_context io;
    {
        const ControlServer server(io, f.paths, handler);
        CHECK_THAT(server.unavailable(), Catch::Contains("chmod 700 it"));
        CHECK_THAT(server.unavailable(),
                   Catch::EndsWith("; the one-procrun-per-root lock is held on " +
                                   f.paths.root_lock.string() + " instead"));
        CHECK(fs::exists(f.paths.root_lock));
        CHECK_THROWS_AS(ControlServer(io, f.paths, handler), AlreadyRunning);
        CHECK_THROWS_WITH(control_request(f.paths, ControlRequest{}),
                          Catch::Contains("chmod 700 it"));
    }
    CHECK_FALSE(fs::exists(f.paths.lock));
    CHECK_FALSE(fs::exists(f.paths.root_lock));
}

TEST_CASE("control: a control directory taken by another user keeps one procrun per root",
          "[control]") {
    if (::geteuid() != 0)
        PROCRUN_SKIP("not root: the test needs to create the directory as another uid");
    Fixture f;
    FakeHandler handler;
    // Another local user created the directory first.
    fs::create_directory(f.paths.directory);
    fs::permissions(f.paths.directory, fs::perms(0700));
    REQUIRE(::chown(f.paths.directory.c_str(), kNobody, kNobody) == 0);
    boost::asio::io_context io;
    auto first = std::make_unique<ControlServer>(io, f.paths, handler);
    CHECK_THAT(first->unavailable(),
               Catch::StartsWith("refusing the control directory " + f.paths.directory.string() +
                                 ": it is owned by uid 65534, not by uid 0"));
    // A second one in the same root, whether it sees the same directory or a
    // usable one of its own, is refused.
    try {
        ControlServer second(io, f.paths, handler);
        FAIL("a second server started in the same root");
    } catch (const AlreadyRunning& e) {
        CHECK(e.pid() == ::getpid());
        CHECK(std::string(e.what()) ==
              fmt::format("procrun is already running in {} (pid {}, lock {})",
                          f.paths.root.string(), ::getpid(), f.paths.root_lock.string()));
    }
    ScratchDir other_runtime;
    const ControlPaths elsewhere = control_paths(
        f.project.path(), Environment{{"XDG_RUNTIME_DIR", other_runtime.path().string()}});
    CHECK_THROWS_AS(ControlServer(io, elsewhere, handler), AlreadyRunning);
    CHECK_FALSE(fs::exists(elsewhere.lock));

    // Once it is gone, the root is free again and the lock file with it.
    first.reset();
    CHECK_FALSE(fs::exists(f.paths.root_lock));
    const ControlServer again(io, elsewhere, handler);
    CHECK(again.unavailable().empty());
}

TEST_CASE("control: no lock anywhere means no start", "[control]") {
    Fixture f;
    FakeHandler handler;
    fs::create_directory(f.paths.directory);
    fs::permissions(f.paths.directory, fs::perms(0777));
    fs::create_symlink(f.runtime.path() / "elsewhere", f.paths.root_lock);
    boost::asio::io_context io;
    try {
        ControlServer server(io, f.paths, handler);
        FAIL("started without a lock");
    } catch (const LockUnavailable& e) {
        CHECK_THAT(std::string(e.what()),
                   Catch::StartsWith("cannot take the one-procrun-per-root lock of " +
                                     f.paths.root.string() + ": refusing the control directory"));
        CHECK_THAT(std::string(e.what()),
                   Catch::EndsWith("and cannot lock " + f.paths.root_lock.string() +
                                   ": it is a symbolic link; not starting, as another procrun "
                                   "could be running the same app"));
    }
    CHECK_FALSE(fs::exists(f.runtime.path() / "elsewhere"));
}

TEST_CASE("control: an idle connection is closed after the idle timeout", "[control]") {
    Fixture f;
    FakeHandler handler;
    LoopThread loop;
    std::unique_ptr<ControlServer> server;
    on_loop(loop, [&] {
        server = std::make_unique<ControlServer>(loop.io, f.paths, handler,
                                                 ControlServerOptions{300ms, 64});
    });
    const auto started = std::chrono::steady_clock::now();
    const int silent = connect_raw(f.paths.socket);
    const int partial = connect_raw(f.paths.socket);
    write_all(partial, "{\"command\":");
    // One that asks in time is answered, and its idle time starts again.
    const int busy = connect_raw(f.paths.socket);
    write_all(busy, "{\"command\":\"status\"}\n");
    CHECK(decode_ok(read_lines(busy, 1)).ok);
    CHECK(closed_by_peer(silent));
    CHECK(closed_by_peer(partial));
    CHECK(closed_by_peer(busy));
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(took >= 300ms);
    CHECK(took < 3s);
    for (const int fd : {silent, partial, busy})
        ::close(fd);
    on_loop(loop, [&] { server.reset(); });
}

TEST_CASE("control: a request the client gave up on is not carried out", "[control]") {
    Fixture f;
    FakeHandler handler;
    LoopThread loop;
    std::unique_ptr<ControlServer> server;
    on_loop(loop, [&] { server = std::make_unique<ControlServer>(loop.io, f.paths, handler); });
    // The supervisor's loop is busy for longer than the client waits.
    boost::asio::post(loop.io, [] { std::this_thread::sleep_for(800ms); });
    CHECK_THROWS_WITH(control_request(f.paths, ControlRequest{ControlCommand::kill, {}}, 200ms),
                      "procrun in " + f.paths.root.string() + " (pid " +
                          std::to_string(::getpid()) +
                          ") did not answer: it took over 200 ms to reply; the request is "
                          "withdrawn and will not be carried out");
    // Once the loop is free, the next request is answered; the kill never was.
    CHECK(control_request(f.paths, ControlRequest{}).ok);
    const std::vector<ControlRequest> seen = handler.seen();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].command == ControlCommand::status);
    on_loop(loop, [&] { server.reset(); });
}

TEST_CASE("control: a connection lost while procrun exits says it is exiting", "[control]") {
    Fixture f;
    FakeHandler handler;
    LoopThread loop;
    std::unique_ptr<ControlServer> server;
    on_loop(loop, [&] { server = std::make_unique<ControlServer>(loop.io, f.paths, handler); });
    // The loop is busy, then the server goes while the request waits.
    boost::asio::post(loop.io, [&] {
        std::this_thread::sleep_for(300ms);
        server.reset();
    });
    CHECK_THROWS_WITH(control_request(f.paths, ControlRequest{}),
                      Catch::StartsWith("procrun in " + f.paths.root.string()) &&
                          Catch::EndsWith(" is exiting: it closed the connection before replying"));
    CHECK(handler.seen().empty());
}

TEST_CASE("control: a connection closed without a reply and no exit says so", "[control]") {
    Fixture f;
    make_private_directory(f.paths.directory);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, f.paths.socket.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    for (const bool exiting : {false, true}) {
        std::ofstream(f.paths.lock) << "4242\n" << (exiting ? "exiting\n" : "");
        std::thread server([fd] {
            const int conn = ::accept(fd, nullptr, nullptr);
            if (conn >= 0)
                ::close(conn);
        });
        try {
            control_request(f.paths, ControlRequest{});
            FAIL("a reply out of nothing");
        } catch (const ControlError& e) {
            const std::string root = f.paths.root.string();
            const std::string what = e.what();
            if (exiting) {
                CHECK(what == "procrun in " + root +
                                  " (pid 4242) is exiting: it closed the connection before "
                                  "replying");
            } else {
                CHECK_THAT(what, Catch::StartsWith("procrun in " + root +
                                                   " closed the connection without a reply"));
            }
        }
        server.join();
    }
    ::close(fd);
}

TEST_CASE("control: a peer of another uid is refused", "[control]") {
    if (::geteuid() != 0) {
        PROCRUN_SKIP("not root: the peer uid test needs to switch to uid 65534");
    }
    Fixture f;
    FakeHandler handler;
    LoopThread loop;
    std::unique_ptr<ControlServer> server;
    on_loop(loop, [&] { server = std::make_unique<ControlServer>(loop.io, f.paths, handler); });

    // The child connects as another uid and writes what it got (or "connect: errno") to a pipe.
    // keep_fs_root: path permissions are still checked as root (fsuid 0), so
    // only the server's SO_PEERCRED check stands between it and the handler.
    auto run_child = [&](bool keep_fs_root) {
        int out[2];
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(out[0]);
            const int dropped =
                keep_fs_root ? ::setresuid(static_cast<uid_t>(-1), kNobody, static_cast<uid_t>(-1))
                             : ::setresuid(kNobody, kNobody, kNobody);
            if (dropped != 0)
                ::_exit(90);
            if (keep_fs_root)
                ::setfsuid(0);
            const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            std::strncpy(addr.sun_path, f.paths.socket.c_str(), sizeof(addr.sun_path) - 1);
            if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
                const char* msg = "connect failed\n";
                (void)!::write(out[1], msg, std::strlen(msg));
                ::_exit(0);
            }
            const char* req = "{\"command\":\"kill\"}\n";
            (void)!::send(fd, req, std::strlen(req), MSG_NOSIGNAL);
            char buf[1024];
            ssize_t n = 0;
            while ((n = ::read(fd, buf, sizeof buf)) > 0)
                (void)!::write(out[1], buf, static_cast<std::size_t>(n));
            ::_exit(0);
        }
        ::close(out[1]);
        bool eof = false;
        std::string got = read_lines(out[0], 1000, &eof);
        ::close(out[0]);
        int status = 0;
        ::waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        return got;
    };

    // With every uid dropped, the private directory keeps it out.
    CHECK(run_child(false) == "connect failed\n");
    // Past the directory, the server checks the peer's credentials.
    const std::string got = run_child(true);
    INFO(got);
    REQUIRE(!got.empty());
    const ControlReply reply = decode_ok(got.substr(0, got.find('\n')));
    CHECK_FALSE(reply.ok);
    CHECK(reply.error ==
          "permission denied: this procrun runs as uid 0; uid 65534 may not "
          "control it");
    CHECK(handler.seen().empty());
    on_loop(loop, [&] { server.reset(); });
}
