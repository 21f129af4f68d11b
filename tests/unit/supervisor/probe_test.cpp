// Readiness probes against real listeners, HTTP servers and processes, in one
// io_context as under `procrun start`, with short intervals.

#include <signal.h>
#include <sys/types.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "procrun/line_pattern.hpp"
#include "procrun/posix/process_group.hpp"
#include "procrun/posix/reaper.hpp"
#include "supervisor/probe.hpp"

using namespace procrun;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// One loop with its reaper, as in `procrun start`.
struct Loop {
    asio::io_context io;
    posix::Reaper reaper{io};
    asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);

    // Runs the loop until `done()` or `limit`; returns done().
    template <class Pred>
    bool run_until(Pred done, std::chrono::milliseconds limit = 3000ms) {
        const auto end = Clock::now() + limit;
        while (!done() && Clock::now() < end)
            io.run_one_for(10ms);
        return done();
    }
    void run_for(std::chrono::milliseconds d) {
        const auto end = Clock::now() + d;
        while (Clock::now() < end)
            io.run_one_until(end);
    }
};

Readiness fast(ProbeKind kind) {
    Readiness r;
    r.kind = kind;
    r.interval = 20ms;
    r.timeout = 500ms;
    r.retries = 5;
    return r;
}

// A loopback port nothing listens on (it was free a moment ago).
unsigned short free_port() {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

// Collects the result of a probe.
struct Outcome {
    std::optional<ProbeResult> result;
    int calls = 0;
    Probe::Done callback() {
        return [this](ProbeResult r) {
            ++calls;
            result = std::move(r);
        };
    }
};

Probe make_probe(Loop& loop, const Readiness& r, int port = 0) {
    return Probe(loop.io, r, port, {"PATH=/usr/bin:/bin"}, std::filesystem::temp_directory_path(),
                 loop.reaper);
}

std::unique_ptr<Probe> new_probe(Loop& loop, const Readiness& r, int port = 0) {
    return std::make_unique<Probe>(loop.io, r, port, std::vector<std::string>{"PATH=/usr/bin:/bin"},
                                   std::filesystem::temp_directory_path(), loop.reaper);
}

// An HTTP server in the loop. Connection n gets statuses[n] (the last one
// again after the list), or nothing at all when `answer` is false: it reads
// the request and keeps the connection open.
class HttpServer {
  public:
    HttpServer(asio::io_context& io, std::vector<std::string> statuses, bool answer = true)
        : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          statuses_(std::move(statuses)),
          answer_(answer) {
        accept();
    }
    [[nodiscard]] unsigned short port() const { return acceptor_.local_endpoint().port(); }
    [[nodiscard]] const std::vector<std::string>& requests() const { return requests_; }
    [[nodiscard]] int connections() const { return connections_; }
    // Connections the server holds open whose peer has closed them.
    [[nodiscard]] int closed_by_peer() const { return closed_by_peer_; }

  private:
    struct Conn {
        explicit Conn(tcp::socket s) : socket(std::move(s)) {}
        tcp::socket socket;
        asio::streambuf in;
        std::string out;
        char byte = 0;
    };

    void accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec)
                return;
            const std::size_t n = static_cast<std::size_t>(connections_++);
            auto conn = std::make_shared<Conn>(std::move(socket));
            const std::string status = statuses_.empty()      ? "200 OK"
                                       : n < statuses_.size() ? statuses_[n]
                                                              : statuses_.back();
            asio::async_read_until(
                conn->socket, conn->in, "\r\n\r\n",
                [this, conn, status](boost::system::error_code e, std::size_t size) {
                    if (e)
                        return;
                    requests_.emplace_back(
                        asio::buffers_begin(conn->in.data()),
                        asio::buffers_begin(conn->in.data()) + static_cast<std::ptrdiff_t>(size));
                    if (!answer_) {
                        watch_close(conn);
                        return;
                    }
                    conn->out = "HTTP/1.1 " + status +
                                "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
                    asio::async_write(conn->socket, asio::buffer(conn->out),
                                      [conn](boost::system::error_code, std::size_t) {
                                          boost::system::error_code ignored;
                                          conn->socket.shutdown(tcp::socket::shutdown_both,
                                                                ignored);
                                      });
                });
            accept();
        });
    }
    void watch_close(const std::shared_ptr<Conn>& conn) {
        conn->socket.async_read_some(asio::buffer(&conn->byte, 1),
                                     [this, conn](boost::system::error_code e, std::size_t) {
                                         if (e) {
                                             ++closed_by_peer_;
                                             return;
                                         }
                                         watch_close(conn);
                                     });
    }

    tcp::acceptor acceptor_;
    std::vector<std::string> statuses_;
    bool answer_;
    int connections_ = 0;
    int closed_by_peer_ = 0;
    std::vector<std::string> requests_;
};

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::string text;
    std::getline(in, text);
    return text;
}

// Whether process `pid` is gone: reaped, or never existed.
bool gone(pid_t pid) {
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// A temporary file name for a pid, removed on destruction.
struct PidFile {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("procrun-probe-" + std::to_string(::getpid()) + "-" +
                                  std::to_string(Clock::now().time_since_epoch().count()));
    ~PidFile() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
    }
    [[nodiscard]] pid_t pid() const {
        const std::string text = read_file(path);
        return text.empty() ? -1 : static_cast<pid_t>(std::stol(text));
    }
};

}  // namespace

TEST_CASE("probe none: ready as soon as it is started", "[probe]") {
    Loop loop;
    Probe probe = make_probe(loop, fast(ProbeKind::none));
    Outcome out;
    probe.start(out.callback());
    CHECK(out.calls == 0);  // never from within start()
    CHECK(probe.running());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(out.result->ready);
    CHECK(out.result->attempts == 0);
    CHECK_FALSE(probe.running());
}

TEST_CASE("probe tcp: ready once a listener appears late on the instance's PORT", "[probe]") {
    Loop loop;
    const unsigned short port = free_port();
    Readiness r = fast(ProbeKind::tcp);
    r.port = 0;  // the instance's PORT
    r.retries = 50;
    Probe probe = make_probe(loop, r, port);
    Outcome out;
    probe.start(out.callback());

    // The listener opens after two intervals.
    std::optional<tcp::acceptor> listener;
    asio::steady_timer later(loop.io, 2 * r.interval + 10ms);
    later.async_wait([&](boost::system::error_code) {
        listener.emplace(loop.io);
        listener->open(tcp::v4());
        listener->set_option(tcp::acceptor::reuse_address(true));
        listener->bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        listener->listen();
    });
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(out.result->ready);
    CHECK(out.result->attempts >= 3);
    CHECK(out.result->detail.empty());
    CHECK(out.calls == 1);
}

TEST_CASE("probe tcp: a host name is resolved", "[probe]") {
    Loop loop;
    tcp::acceptor listener(loop.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    Readiness r = fast(ProbeKind::tcp);
    r.host = "localhost";
    r.port = listener.local_endpoint().port();
    Probe probe = make_probe(loop, r, 1);  // an explicit port wins over PORT
    Outcome out;
    probe.start(out.callback());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(out.result->ready);
    CHECK(out.result->attempts == 1);
}

TEST_CASE("probe tcp: fails after its retries, naming the last failure", "[probe]") {
    Loop loop;
    const unsigned short port = free_port();
    Readiness r = fast(ProbeKind::tcp);
    r.port = port;
    r.retries = 3;
    Probe probe = make_probe(loop, r);
    Outcome out;
    const auto began = Clock::now();
    probe.start(out.callback());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK_FALSE(out.result->ready);
    CHECK(out.result->attempts == 3);
    CHECK(out.result->detail ==
          "connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused after 3 attempts");
    // Two intervals between three attempts.
    CHECK(Clock::now() - began >= 2 * r.interval);
    loop.run_for(3 * r.interval);
    CHECK(out.calls == 1);
}

TEST_CASE("probe tcp: no port to probe", "[probe]") {
    Loop loop;
    Probe probe = make_probe(loop, fast(ProbeKind::tcp), 0);
    Outcome out;
    probe.start(out.callback());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK_FALSE(out.result->ready);
    CHECK(out.result->attempts == 0);
    CHECK(out.result->detail ==
          "no port to probe: the readiness port is 0 and the instance has no PORT");
}

TEST_CASE("probe http: 200 is ready", "[probe]") {
    Loop loop;
    HttpServer server(loop.io, {"200 OK"});
    Readiness r = fast(ProbeKind::http);
    r.path = "/health?full=1";
    Probe probe = make_probe(loop, r, server.port());
    Outcome out;
    probe.start(out.callback());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(out.result->ready);
    CHECK(out.result->attempts == 1);
    REQUIRE(server.requests().size() == 1);
    const std::string& request = server.requests()[0];
    CHECK(request.rfind("GET /health?full=1 HTTP/1.1\r\n", 0) == 0);
    CHECK(request.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n") !=
          std::string::npos);
}

TEST_CASE("probe http: 503 then 200 is ready on the second attempt", "[probe]") {
    Loop loop;
    HttpServer server(loop.io, {"503 Service Unavailable", "200 OK"});
    Probe probe = make_probe(loop, fast(ProbeKind::http), server.port());
    Outcome out;
    probe.start(out.callback());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(out.result->ready);
    CHECK(out.result->attempts == 2);
    CHECK(server.connections() == 2);
}

TEST_CASE("probe http: a redirect is ready", "[probe]") {
    Loop loop;
    HttpServer server(loop.io, {"302 Found"});
    Probe probe = make_probe(loop, fast(ProbeKind::http), server.port());
    Outcome out;
    probe.start(out.callback());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(out.result->ready);
}

TEST_CASE("probe http: 404 fails with the status in the detail", "[probe]") {
    Loop loop;
    HttpServer server(loop.io, {"404 Not Found"});
    Readiness r = fast(ProbeKind::http);
    r.path = "/missing";
    r.retries = 2;
    Probe probe = make_probe(loop, r, server.port());
    Outcome out;
    probe.start(out.callback());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK_FALSE(out.result->ready);
    CHECK(out.result->attempts == 2);
    CHECK(out.result->detail == "GET http://127.0.0.1:" + std::to_string(server.port()) +
                                    "/missing: 404 Not Found after 2 attempts");
}

TEST_CASE("probe http: a server that never answers fails each attempt at its timeout", "[probe]") {
    Loop loop;
    HttpServer server(loop.io, {}, false);
    Readiness r = fast(ProbeKind::http);
    r.timeout = 50ms;
    r.retries = 2;
    Probe probe = make_probe(loop, r, server.port());
    Outcome out;
    const auto began = Clock::now();
    probe.start(out.callback());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(Clock::now() - began >= 2 * r.timeout + r.interval);
    CHECK_FALSE(out.result->ready);
    CHECK(out.result->detail == "GET http://127.0.0.1:" + std::to_string(server.port()) +
                                    "/: no answer within 50 ms after 2 attempts");
    CHECK(server.requests().size() == 2);
    // Each timed-out attempt closed its connection.
    CHECK(loop.run_until([&] { return server.closed_by_peer() == 2; }, 1000ms));
}

TEST_CASE("probe exec: exit 0 is ready, in the given environment", "[probe]") {
    Loop loop;
    Readiness r = fast(ProbeKind::exec);
    r.command = "test \"$PROBE_VALUE\" = yes";
    Probe probe(loop.io, r, 0, {"PATH=/usr/bin:/bin", "PROBE_VALUE=yes"},
                std::filesystem::temp_directory_path(), loop.reaper);
    Outcome out;
    probe.start(out.callback());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(out.result->ready);
    CHECK(out.result->attempts == 1);
    CHECK(loop.reaper.watched() == 0);
}

TEST_CASE("probe exec: a failing command, with its last output line in the detail", "[probe]") {
    Loop loop;
    Readiness r = fast(ProbeKind::exec);
    r.retries = 2;

    SECTION("false") {
        r.command = "false";
        Probe probe = make_probe(loop, r);
        Outcome out;
        probe.start(out.callback());
        REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
        CHECK_FALSE(out.result->ready);
        CHECK(out.result->attempts == 2);
        CHECK(out.result->detail == "`false` exited with code 1 after 2 attempts");
    }
    SECTION("output") {
        r.command = "echo starting; echo 'database not up yet' >&2; exit 3";
        Probe probe = make_probe(loop, r);
        Outcome out;
        probe.start(out.callback());
        REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
        CHECK_FALSE(out.result->ready);
        CHECK(out.result->detail == "`" + r.command +
                                        "` exited with code 3 (output: database not up yet) "
                                        "after 2 attempts");
    }
    CHECK(loop.reaper.watched() == 0);
}

TEST_CASE("probe exec: an attempt past its timeout has its process group killed", "[probe]") {
    Loop loop;
    PidFile pidfile;
    Readiness r = fast(ProbeKind::exec);
    r.timeout = 100ms;
    r.retries = 1;
    // A shell with a background and a foreground child, all in one group.
    r.command = "echo $$ > " + pidfile.path.string() + "; sleep 30 & sleep 30";
    Probe probe = make_probe(loop, r);
    Outcome out;
    const auto began = Clock::now();
    probe.start(out.callback());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(Clock::now() - began < 2s);
    CHECK_FALSE(out.result->ready);
    CHECK(out.result->detail == "`" + r.command +
                                    "` did not exit within 100 ms (process group killed) "
                                    "after 1 attempt");
    const pid_t pgid = pidfile.pid();
    REQUIRE(pgid > 0);
    CHECK(loop.run_until([&] { return posix::live_group_members(pgid).empty(); }, 2000ms));
    // The shell itself was reaped through the reaper.
    CHECK(loop.run_until([&] { return gone(pgid) && loop.reaper.watched() == 0; }, 2000ms));
}

TEST_CASE("probe log: the first matching line makes it ready", "[probe]") {
    Loop loop;
    Readiness r = fast(ProbeKind::log);
    r.pattern = R"(listening on port \d+)";
    Probe probe = make_probe(loop, r);
    CHECK_FALSE(probe.feed_line("listening on port 1"));  // not started
    Outcome out;
    probe.start(out.callback());
    CHECK(probe.wants_lines());
    CHECK_FALSE(probe.feed_line("booting"));
    CHECK_FALSE(probe.feed_line("listening on port"));
    CHECK(probe.feed_line("[web] listening on port 5000 (pid 7)"));
    CHECK(out.calls == 0);  // never from within feed_line()
    CHECK_FALSE(probe.wants_lines());
    CHECK_FALSE(probe.feed_line("listening on port 5001"));
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(out.result->ready);
    loop.run_for(r.interval * r.retries + 20ms);  // past the deadline: nothing more
    CHECK(out.calls == 1);
}

TEST_CASE("probe log: a long line is searched in its first 1024 bytes", "[probe]") {
    Loop loop;
    Readiness r = fast(ProbeKind::log);
    r.pattern = ".*ready";
    Probe probe = make_probe(loop, r);
    Outcome out;
    probe.start(out.callback());
    // Past 1024 bytes: not seen (and no deep recursion over 64 KiB).
    CHECK_FALSE(probe.feed_line(std::string(64 * 1024, 'x') + " ready"));
    CHECK(probe.feed_line(std::string(1000, 'x') + " ready"));
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(out.result->ready);
}

TEST_CASE("probe log: a pattern that backtracks without bound fails at once, not freezing the loop",
          "[probe]") {
    Loop loop;
    Readiness r = fast(ProbeKind::log);
    r.pattern = "^(a+)+$";
    Probe probe = make_probe(loop, r);
    Outcome out;
    probe.start(out.callback());
    const auto began = Clock::now();
    CHECK_FALSE(probe.feed_line(std::string(29, 'a') + "b"));  // 2^29 steps for std::regex
    CHECK(Clock::now() - began < 1s);
    CHECK_FALSE(probe.wants_lines());
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK_FALSE(out.result->ready);
    CHECK(out.result->detail.find("the log pattern needs too much work") == 0);
    CHECK(LinePattern("^(a+)+$").search(std::string(1024, 'a') + "b") ==
          LinePattern::Found::too_complex);
    CHECK(LinePattern("^(a+)+$").search("aaaa") == LinePattern::Found::yes);
    CHECK_THROWS_AS(LinePattern("(unclosed"), std::invalid_argument);
}

TEST_CASE("probe log: no matching line by initial_delay + interval * retries fails", "[probe]") {
    Loop loop;
    Readiness r = fast(ProbeKind::log);
    r.pattern = "ready";
    r.initial_delay = 20ms;
    r.retries = 3;
    Probe probe = make_probe(loop, r);
    Outcome out;
    const auto began = Clock::now();
    probe.start(out.callback());
    CHECK_FALSE(probe.feed_line("Ready? not yet"));  // case-sensitive
    REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
    CHECK(Clock::now() - began >= 80ms);
    CHECK_FALSE(out.result->ready);
    CHECK(out.result->detail == "no output line matched /ready/ within 80 ms");
    CHECK_FALSE(probe.feed_line("ready"));
}

TEST_CASE("probe cancel: during an attempt nothing is reported and nothing is left", "[probe]") {
    Loop loop;

    SECTION("http") {
        HttpServer server(loop.io, {}, false);
        Probe probe = make_probe(loop, fast(ProbeKind::http), server.port());
        Outcome out;
        probe.start(out.callback());
        REQUIRE(loop.run_until([&] { return server.requests().size() == 1; }));
        probe.cancel();
        CHECK_FALSE(probe.running());
        CHECK(loop.run_until([&] { return server.closed_by_peer() == 1; }, 1000ms));
        loop.run_for(600ms);  // past the attempt's timeout
        CHECK(out.calls == 0);
        CHECK(server.connections() == 1);
    }
    SECTION("exec") {
        PidFile pidfile;
        Readiness r = fast(ProbeKind::exec);
        r.timeout = 5000ms;
        r.command = "echo $$ > " + pidfile.path.string() + "; sleep 30";
        Probe probe = make_probe(loop, r);
        Outcome out;
        probe.start(out.callback());
        REQUIRE(loop.run_until([&] { return pidfile.pid() > 0; }));
        const pid_t pgid = pidfile.pid();
        probe.cancel();
        CHECK(loop.run_until([&] { return gone(pgid) && loop.reaper.watched() == 0; }, 2000ms));
        // The shell's child dies of the same SIGKILL, a moment later.
        CHECK(loop.run_until([&] { return posix::live_group_members(pgid).empty(); }, 2000ms));
        loop.run_for(100ms);
        CHECK(out.calls == 0);
    }
    SECTION("cancel and restart from within done") {
        tcp::acceptor listener(loop.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        Probe probe = make_probe(loop, fast(ProbeKind::tcp), listener.local_endpoint().port());
        int runs = 0;
        std::function<void(ProbeResult)> again = [&](ProbeResult result) {
            CHECK(result.ready);
            probe.cancel();  // harmless: it has finished
            if (++runs < 3)
                probe.start(again);
        };
        probe.start(again);
        CHECK(loop.run_until([&] { return runs == 3; }));
        loop.run_for(50ms);
        CHECK(runs == 3);
    }
}

TEST_CASE("probe destroyed while pending: no handler runs on it, nothing is left", "[probe]") {
    Loop loop;
    Outcome out;

    SECTION("waiting for its initial delay") {
        Readiness r = fast(ProbeKind::tcp);
        r.initial_delay = 30ms;
        auto probe = new_probe(loop, r, 1);
        probe->start(out.callback());
        probe.reset();
        loop.run_for(60ms);
        CHECK(out.calls == 0);
    }
    SECTION("in an http attempt") {
        HttpServer server(loop.io, {}, false);
        auto probe = new_probe(loop, fast(ProbeKind::http), server.port());
        probe->start(out.callback());
        REQUIRE(loop.run_until([&] { return server.requests().size() == 1; }));
        probe.reset();
        CHECK(loop.run_until([&] { return server.closed_by_peer() == 1; }, 1000ms));
        loop.run_for(50ms);
        CHECK(out.calls == 0);
    }
    SECTION("in an exec attempt") {
        PidFile pidfile;
        Readiness r = fast(ProbeKind::exec);
        r.command = "echo $$ > " + pidfile.path.string() + "; exec sleep 30";
        auto probe = new_probe(loop, r);
        probe->start(out.callback());
        REQUIRE(loop.run_until([&] { return pidfile.pid() > 0; }));
        const pid_t pid = pidfile.pid();
        probe.reset();
        CHECK(loop.run_until([&] { return gone(pid) && loop.reaper.watched() == 0; }, 2000ms));
        CHECK(out.calls == 0);
    }
    SECTION("from within its own done") {
        tcp::acceptor listener(loop.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        auto probe = new_probe(loop, fast(ProbeKind::tcp), listener.local_endpoint().port());
        probe->start([&](ProbeResult r) {
            out.result = r;
            ++out.calls;
            probe.reset();
        });
        REQUIRE(loop.run_until([&] { return out.result.has_value(); }));
        CHECK(probe == nullptr);
        CHECK(out.result->ready);
        loop.run_for(50ms);
        CHECK(out.calls == 1);
    }
    SECTION("a log probe with its done posted") {
        Readiness r = fast(ProbeKind::log);
        r.pattern = "up";
        auto probe = new_probe(loop, r);
        probe->start(out.callback());
        CHECK(probe->feed_line("up"));
        probe.reset();
        loop.run_for(150ms);
        CHECK(out.calls == 0);
    }
}
