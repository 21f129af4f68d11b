// The seed app (examples/flask-blog) under the real procrun: gunicorn serves the
// blog on the assigned port, and SIGINT stops everything gracefully.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "harness.hpp"
#include "skip.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using procrun::test::Child;
using procrun::test::count_of;
using procrun::test::RunOptions;

// A port nobody listens on right now (the kernel's pick for an ephemeral bind).
int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// GET `path` over HTTP/1.0 on 127.0.0.1:port; the whole response, or "" when
// the connection fails.
std::string http_get(int port, const std::string& path) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return {};
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    std::string response;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
            char buf[4096];
            ssize_t n = 0;
            while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
                response.append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    ::close(fd);
    return response;
}

}  // namespace

TEST_CASE("seed app: the Flask blog serves / under procrun start and stops on SIGINT",
          "[e2e][seed]") {
    const fs::path app = procrun::test::source_dir() / "examples" / "flask-blog";
    REQUIRE(fs::exists(app / "Procfile"));

    // gunicorn --check-config imports the app: it fails when gunicorn or Flask is missing.
    RunOptions probe;
    probe.cwd = app;
    probe.set_env = {"PYTHONDONTWRITEBYTECODE=1"};
    probe.timeout = 30s;
    auto check = procrun::test::run({"sh", "-c", "gunicorn --check-config main:app"}, probe);
    if (check.exit_code != 0) {
        PROCRUN_TOOL_MISSING(
            "gunicorn with Flask is not installed (apt-get install gunicorn python3-flask)\n"
            << check.err);
    }

    procrun::test::TempDir dir;
    for (const char* name : {"Procfile", ".env", "main.py", "posts.py", "worker.py"}) {
        fs::copy_file(app / name, dir.path() / name);
    }

    const int port = free_port();
    const std::string marker =
        "PROCRUN_SEED_TEST=" + std::to_string(::getpid()) + "-" + std::to_string(port);
    RunOptions options;
    options.cwd = dir.path();
    options.set_env = {marker, "PYTHONDONTWRITEBYTECODE=1"};
    options.unset_env = {"PORT",     "WEB_CONCURRENCY", "BLOG_TITLE",
                         "NO_COLOR", "FORCE_COLOR",     "CLICOLOR_FORCE"};
    Child procrun({procrun::test::procrun_binary(), "start", "--port", std::to_string(port)},
                  options);

    const std::string listening = "Listening at: http://0.0.0.0:" + std::to_string(port);
    const bool listens = procrun.wait_for_output(listening, 60s);
    const bool worker_up = procrun.wait_for_output("worker for 'The procrun blog'", 30s);
    // Both gunicorn workers (WEB_CONCURRENCY=2 from .env) boot.
    for (int i = 0;
         i < 100 && count_of(procrun.out() + procrun.err(), "Booting worker with pid") < 2; ++i) {
        procrun.wait_for_output(listening + " (never printed)", 100ms);
    }
    INFO("procrun output so far:\n" << procrun.out() << procrun.err());
    REQUIRE(listens);
    REQUIRE(worker_up);
    REQUIRE(count_of(procrun.out() + procrun.err(), "Booting worker with pid") == 2);

    std::string response;
    for (int attempt = 0; attempt < 50 && response.empty(); ++attempt) {
        response = http_get(port, "/");
        if (response.empty())
            std::this_thread::sleep_for(100ms);
    }
    INFO("response:\n" << response);
    CHECK(response.rfind("HTTP/1.0 200", 0) == 0);
    CHECK(response.find("<h1>The procrun blog</h1>") != std::string::npos);
    CHECK(http_get(port, "/posts/no-such-post").rfind("HTTP/1.0 404", 0) == 0);

    // gunicorn's master and two workers, and the blog's worker (and any shells).
    CHECK(procrun::test::processes_with_env(marker).size() >= 4);

    procrun.signal(SIGINT);
    auto result = procrun.wait(60s);
    INFO("procrun output:\n" << result.out << "\nstderr:\n" << result.err);
    REQUIRE_FALSE(result.timed_out);
    CHECK(result.signal == 0);
    CHECK(result.exit_code == 130);

    const std::string all = result.out + result.err;
    CHECK(all.find("Handling signal: term") != std::string::npos);
    CHECK(count_of(all, "Worker exiting (pid:") == 2);
    CHECK(all.find("Shutting down: Master") != std::string::npos);
    CHECK(all.find("worker stopping on SIGTERM") != std::string::npos);
    CHECK(all.find("SIGKILL") == std::string::npos);

    CHECK(procrun::test::processes_with_env(marker).empty());
}
