// OutputWriter: procrun's standard output during `start`, written without
// blocking the loop, with back-pressure, failures reported once, and the
// shared descriptor left as it was.

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdio>
#include <string>

#include "procrun/output.hpp"
#include "procrun/output/writer.hpp"
#include "procrun/posix/fd.hpp"
#include "procrun/posix/pty.hpp"

using procrun::OutputBuffer;
using procrun::OutputStyle;
using procrun::OutputWriter;

namespace {

OutputBuffer plain_buffer() {
    OutputStyle style;
    style.prefix = false;
    return OutputBuffer(style, 0);
}

std::string read_all(int fd) {
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

// SIGPIPE ignored for the scope, as procrun has it (a closed reader is EPIPE).
struct IgnoreSigpipe {
    IgnoreSigpipe() : old(::signal(SIGPIPE, SIG_IGN)) {}
    ~IgnoreSigpipe() { ::signal(SIGPIPE, old); }
    IgnoreSigpipe(const IgnoreSigpipe&) = delete;
    IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;
    void (*old)(int);
};

}  // namespace

TEST_CASE("writer: everything reaches a pipe whose reader keeps up", "[writer]") {
    boost::asio::io_context io;
    procrun::posix::Pipe pipe = procrun::posix::make_pipe(true);
    OutputBuffer buffer = plain_buffer();
    buffer.append(0, "one");
    buffer.append(0, "two");
    {
        OutputWriter writer(io, pipe.write.get());
        CHECK_FALSE(writer.is_terminal());
        writer.flush(buffer);
        CHECK(buffer.empty());
        CHECK_FALSE(writer.waiting());
        CHECK(writer.error() == 0);
    }
    pipe.write.reset();
    CHECK(read_all(pipe.read.get()) == "one\ntwo\n");
}

TEST_CASE("writer: a full pipe makes it wait in the loop, without blocking, and go on",
          "[writer]") {
    boost::asio::io_context io;
    procrun::posix::Pipe pipe = procrun::posix::make_pipe(true);
    ::fcntl(pipe.write.get(), F_SETPIPE_SZ, 4096);
    const int original_flags = ::fcntl(pipe.write.get(), F_GETFL);
    OutputBuffer buffer = plain_buffer();
    const std::string line(999, 'x');
    for (int i = 0; i < 1000; ++i)
        buffer.append(0, line);  // about 1 MB: far more than the pipe holds
    const std::size_t total = buffer.size();
    OutputWriter writer(io, pipe.write.get());
    int progress = 0;
    writer.on_progress([&] { ++progress; });
    writer.flush(buffer);  // returns although the pipe is full
    CHECK(writer.waiting());
    CHECK(buffer.size() > 0);
    CHECK(buffer.size() < total);
    // The descriptor the shell shares never becomes non-blocking.
    CHECK(::fcntl(pipe.write.get(), F_GETFL) == original_flags);
    std::string got;
    while (!buffer.empty()) {
        got += read_all(pipe.read.get());
        io.run_one();
    }
    got += read_all(pipe.read.get());
    CHECK(progress > 0);
    CHECK(got.size() == total);
    CHECK(got.substr(0, 1000) == line + "\n");
}

TEST_CASE("writer: a reader that went away is reported once, and output is dropped after",
          "[writer]") {
    const IgnoreSigpipe ignore;
    boost::asio::io_context io;
    procrun::posix::Pipe pipe = procrun::posix::make_pipe(true);
    pipe.read.reset();
    OutputBuffer buffer = plain_buffer();
    OutputWriter writer(io, pipe.write.get());
    int errors = 0;
    int reported = 0;
    writer.on_error([&](int err) {
        ++errors;
        reported = err;
    });
    buffer.append(0, "lost");
    writer.flush(buffer);
    CHECK(errors == 1);
    CHECK(reported == EPIPE);
    CHECK(writer.error() == EPIPE);
    CHECK(buffer.empty());
    buffer.append(0, "also lost");
    writer.flush(buffer);
    CHECK(buffer.empty());
    CHECK(errors == 1);
}

TEST_CASE("writer: a regular file is written with plain writes", "[writer]") {
    boost::asio::io_context io;
    FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    const int fd = ::fileno(file);
    OutputBuffer buffer = plain_buffer();
    for (int i = 0; i < 10000; ++i)
        buffer.append(0, "line " + std::to_string(i));
    const std::size_t total = buffer.size();
    {
        OutputWriter writer(io, fd);
        writer.flush(buffer);
        CHECK(buffer.empty());
        CHECK_FALSE(writer.waiting());
    }
    CHECK(::lseek(fd, 0, SEEK_CUR) == static_cast<off_t>(total));
    std::fclose(file);
}

TEST_CASE("writer: a socket's flags are given back when the writer goes", "[writer]") {
    boost::asio::io_context io;
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    procrun::posix::Fd ours(sv[0]);
    procrun::posix::Fd peer(sv[1]);
    const int flags = ::fcntl(ours.get(), F_GETFL);
    REQUIRE((flags & O_NONBLOCK) == 0);
    {
        OutputWriter writer(io, ours.get());
        OutputBuffer buffer = plain_buffer();
        buffer.append(0, "hello");
        writer.flush(buffer);
        CHECK(buffer.empty());
    }
    CHECK(::fcntl(ours.get(), F_GETFL) == flags);
    char buf[16] = {};
    CHECK(::read(peer.get(), buf, sizeof buf) == 6);
    CHECK(std::string(buf) == "hello\n");
}

TEST_CASE("writer: knows a terminal", "[writer]") {
    boost::asio::io_context io;
    procrun::posix::PtyChannel pty = procrun::posix::open_pty();
    OutputWriter writer(io, pty.slave.get());
    CHECK(writer.is_terminal());
}
