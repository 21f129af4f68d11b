#pragma once

// What the tests of a real ControlServer share: a private root and its control
// paths, the server's loop on a thread, raw client sockets.

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "procrun/control.hpp"

namespace procrun::test {

// A directory of our own (mode 0700), removed on destruction.
class PrivateDir {
  public:
    PrivateDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "procrun-stream-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path_ = std::filesystem::canonical(tmpl);
    }
    ~PrivateDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    PrivateDir(const PrivateDir&) = delete;
    PrivateDir& operator=(const PrivateDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// A root and its control paths, with a private XDG_RUNTIME_DIR.
struct ControlRoot {
    PrivateDir runtime;
    PrivateDir project;
    ControlPaths paths;
    ControlRoot() {
        Environment env{{"XDG_RUNTIME_DIR", runtime.path().string()}};
        paths = control_paths(project.path(), env);
    }
};

// The server's loop on its own thread, as the supervisor would run it.
class ServerLoop {
  public:
    ServerLoop() : work_(boost::asio::make_work_guard(io)), thread_([this] { io.run(); }) {}
    ~ServerLoop() { stop(); }
    ServerLoop(const ServerLoop&) = delete;
    ServerLoop& operator=(const ServerLoop&) = delete;
    void stop() {
        work_.reset();
        io.stop();
        if (thread_.joinable())
            thread_.join();
    }
    // Runs `body` on the loop's thread and waits for it.
    template <class F>
    void run(F body) {
        std::promise<void> done;
        boost::asio::post(io, [&] {
            try {
                body();
                done.set_value();
            } catch (...) {
                done.set_exception(std::current_exception());
            }
        });
        done.get_future().get();
    }
    boost::asio::io_context io;

  private:
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::thread thread_;
};

inline int connect_socket(const std::filesystem::path& socket) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    return fd;
}

inline void send_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        REQUIRE(n > 0);
        done += static_cast<std::size_t>(n);
    }
}

// Reads until `lines` newlines arrived, EOF, or `wait`.
inline std::string receive_lines(int fd, long lines, bool* eof = nullptr,
                                 std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    std::string in;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::count(in.begin(), in.end(), '\n') < lines) {
        pollfd p{fd, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            break;
        char buf[65536];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) {
            if (eof != nullptr)
                *eof = true;
            break;
        }
        in.append(buf, static_cast<std::size_t>(n));
    }
    return in;
}

// Whether the peer closed `fd` within 10 s (reading and dropping anything left).
inline bool peer_gone(int fd) {
    bool eof = false;
    receive_lines(fd, 1L << 40, &eof);
    return eof;
}

}  // namespace procrun::test
