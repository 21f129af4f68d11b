// Streams on a real ControlServer: a request that keeps its connection, lines
// pushed by the supervisor and sent by the client, the bounded queue that cuts
// off a client that does not read, the limits, the end, and the client.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "procrun/control.hpp"
#include "socket_support.hpp"

using namespace procrun;
using namespace procrun::test;
using namespace std::chrono_literals;

namespace {

// `start stream` keeps the connection: two lines go with the reply, each
// line from the client is echoed, "bye" ends the stream. Anything else is
// answered as usual.
class StreamingHandler final : public ControlHandler {
  public:
    ControlReply handle(const ControlRequest&) override { return {}; }
    ControlReply serve(const ControlRequest& request, ControlConnection& connection) override {
        if (request.targets == std::vector<std::string>{"once"}) {
            // Lines and the end, all while answering: they follow the reply.
            std::shared_ptr<ControlStream> stream = connection.keep_open();
            stream->send(R"({"n":1})");
            stream->end("done", "");
            CHECK_FALSE(stream->send(R"({"n":2})"));
            return {};
        }
        if (request.targets != std::vector<std::string>{"stream"}) {
            if (request.targets == std::vector<std::string>{"refuse"}) {
                connection.keep_open();
                return ControlReply::failure("no such thing");
            }
            return {};
        }
        std::shared_ptr<ControlStream> stream = connection.keep_open();
        stream->send(R"({"n":1})");
        stream->send(R"({"n":2})");
        ControlStream* raw = stream.get();
        stream->on_line([this, raw](std::string_view line) {
            heard.push_back(std::string(line));
            if (line == "bye")
                raw->end("done", "bye to you");
            else
                raw->send("{\"echo\":\"" + std::string(line) + "\"}");
        });
        stream->on_end([this](std::string_view reason) {
            const std::lock_guard<std::mutex> lock(mutex);
            ends.push_back(std::string(reason));
        });
        streams.push_back(std::move(stream));
        return {};
    }
    std::vector<std::string> ended() {
        const std::lock_guard<std::mutex> lock(mutex);
        return ends;
    }

    std::vector<std::shared_ptr<ControlStream>> streams;  // the loop's thread only
    std::vector<std::string> heard;                       // the loop's thread only

  private:
    std::mutex mutex;
    std::vector<std::string> ends;
};

const std::string kOpen = "{\"command\":\"start\",\"targets\":[\"stream\"]}\n";

// Waits up to 10 s for `pred` (checked on the test's thread).
template <class Pred>
bool eventually(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

}  // namespace

TEST_CASE("control streams: the reply, then lines both ways, then the end", "[control][stream]") {
    ControlRoot root;
    StreamingHandler handler;
    ServerLoop loop;
    std::unique_ptr<ControlServer> server;
    loop.run([&] { server = std::make_unique<ControlServer>(loop.io, root.paths, handler); });

    const int fd = connect_socket(root.paths.socket);
    send_all(fd, kOpen);
    const std::string first = receive_lines(fd, 3);
    const auto reply_end = first.find('\n');
    REQUIRE(reply_end != std::string::npos);
    const Decoded<ControlReply> reply = decode_reply(first.substr(0, reply_end));
    REQUIRE(reply.ok());
    CHECK(reply.value->ok);
    CHECK(reply.value->stream);
    CHECK(first.substr(reply_end + 1) == "{\"n\":1}\n{\"n\":2}\n");

    // Lines pushed later arrive; the client's lines reach the handler.
    loop.run([&] { CHECK(handler.streams.at(0)->send(R"({"n":3})")); });
    CHECK(receive_lines(fd, 1) == "{\"n\":3}\n");
    send_all(fd, "hello\r\n");
    CHECK(receive_lines(fd, 1) == "{\"echo\":\"hello\"}\n");
    send_all(fd, "bye\n");
    bool eof = false;
    CHECK(receive_lines(fd, 2, &eof) == "{\"end\":\"done\",\"message\":\"bye to you\"}\n");
    CHECK(peer_gone(fd));
    ::close(fd);
    CHECK(eventually([&] { return handler.ended() == std::vector<std::string>{"done"}; }));
    loop.run([&] {
        CHECK(handler.heard == std::vector<std::string>{"hello", "bye"});
        CHECK_FALSE(handler.streams.at(0)->open());
        CHECK_FALSE(handler.streams.at(0)->send("{}"));
        server.reset();
    });
}

TEST_CASE("control streams: the supervisor learns that the client went away", "[control][stream]") {
    ControlRoot root;
    StreamingHandler handler;
    ServerLoop loop;
    std::unique_ptr<ControlServer> server;
    loop.run([&] { server = std::make_unique<ControlServer>(loop.io, root.paths, handler); });
    SECTION("closed") {
        const int fd = connect_socket(root.paths.socket);
        send_all(fd, kOpen);
        receive_lines(fd, 3);
        ::close(fd);
    }
    SECTION("its writing side shut") {
        const int fd = connect_socket(root.paths.socket);
        send_all(fd, kOpen);
        receive_lines(fd, 3);
        ::shutdown(fd, SHUT_WR);
        CHECK(peer_gone(fd));
        ::close(fd);
    }
    CHECK(eventually([&] { return handler.ended() == std::vector<std::string>{"client"}; }));
    loop.run([&] {
        CHECK_FALSE(handler.streams.at(0)->open());
        server.reset();
    });
}

TEST_CASE("control streams: a client that does not read is cut off with an end line",
          "[control][stream]") {
    ControlRoot root;
    StreamingHandler handler;
    ServerLoop loop;
    std::unique_ptr<ControlServer> server;
    ControlServerOptions options;
    options.stream_queue = 64 * 1024;
    options.idle_timeout = 2s;
    loop.run(
        [&] { server = std::make_unique<ControlServer>(loop.io, root.paths, handler, options); });
    const int fd = connect_socket(root.paths.socket);
    send_all(fd, kOpen);
    receive_lines(fd, 3);
    // The supervisor pushes without ever waiting; the socket's buffers fill,
    // then the queue: the push that would pass the bound fails.
    const std::string line = "{\"text\":\"" + std::string(1000, 'x') + "\"}";
    long pushed = 0;
    loop.run([&] {
        while (handler.streams.at(0)->send(line) && pushed < 1000000)
            ++pushed;
        CHECK(pushed < 1000000);
        CHECK_FALSE(handler.streams.at(0)->open());
    });
    // The client reads late: whole lines, then the end line, then the end.
    bool eof = false;
    const std::string rest = receive_lines(fd, 1L << 40, &eof);
    CHECK(eof);
    REQUIRE(rest.size() > 100);
    CHECK(rest.back() == '\n');
    const auto last = rest.rfind('\n', rest.size() - 2);
    const std::optional<ControlClientStream::End> end = decode_stream_end(rest.substr(last + 1));
    REQUIRE(end);
    CHECK(end->reason == "overrun");
    CHECK(end->message == "cut off: the client did not read its stream (over 65536 bytes waiting)");
    const std::string body = rest.substr(0, last + 1);
    CHECK(static_cast<long>(body.size() / (line.size() + 1)) <= pushed);
    CHECK(body.size() % (line.size() + 1) == 0);  // whole lines only
    ::close(fd);
    CHECK(eventually([&] { return handler.ended() == std::vector<std::string>{"overrun"}; }));
    loop.run([&] { server.reset(); });
}

TEST_CASE("control streams: a client that never reads is closed after its grace",
          "[control][stream]") {
    ControlRoot root;
    StreamingHandler handler;
    ServerLoop loop;
    std::unique_ptr<ControlServer> server;
    ControlServerOptions options;
    options.stream_queue = 16 * 1024;
    options.idle_timeout = 300ms;
    loop.run(
        [&] { server = std::make_unique<ControlServer>(loop.io, root.paths, handler, options); });
    const int fd = connect_socket(root.paths.socket);
    send_all(fd, kOpen);
    receive_lines(fd, 3);
    const std::string line(4000, 'y');
    loop.run([&] {
        for (int i = 0; i < 1000000 && handler.streams.at(0)->send(line); ++i) {
        }
    });
    CHECK(eventually([&] { return handler.ended() == std::vector<std::string>{"overrun"}; }));
    // Nothing was read: the server has hung up all the same (POLLHUP comes
    // only once the server closed its end, whatever is left unread).
    CHECK(eventually([&] {
        pollfd p{fd, 0, 0};
        return ::poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) != 0;
    }));
    ::close(fd);
    loop.run([&] { server.reset(); });
}

TEST_CASE("control streams: no idle timeout, their own limit, never evicted by a full house",
          "[control][stream]") {
    ControlRoot root;
    StreamingHandler handler;
    ServerLoop loop;
    std::unique_ptr<ControlServer> server;
    ControlServerOptions options;
    options.idle_timeout = 200ms;
    options.max_connections = 6;
    options.max_streams = 2;
    loop.run(
        [&] { server = std::make_unique<ControlServer>(loop.io, root.paths, handler, options); });
    const int a = connect_socket(root.paths.socket);
    send_all(a, kOpen);
    receive_lines(a, 3);
    const int b = connect_socket(root.paths.socket);
    send_all(b, kOpen);
    receive_lines(b, 3);
    // A third stream is refused; the connection stays an ordinary one.
    const int c = connect_socket(root.paths.socket);
    send_all(c, kOpen);
    const Decoded<ControlReply> refused = decode_reply(receive_lines(c, 1));
    REQUIRE(refused.ok());
    CHECK_FALSE(refused.value->ok);
    CHECK(refused.value->error ==
          "start failed: too many streams: 2 are open (procrun logs -f, attach, connect); end "
          "one first");
    // A full house of silent connections evicts them, never a stream.
    std::vector<int> idle;
    for (int i = 0; i < 10; ++i)
        idle.push_back(connect_socket(root.paths.socket));
    CHECK(control_request(root.paths, ControlRequest{}, 5s).ok);
    // Past the idle timeout the silent ones are gone; the streams are not.
    std::this_thread::sleep_for(600ms);
    for (const int fd : idle) {
        CHECK(peer_gone(fd));
        ::close(fd);
    }
    CHECK(peer_gone(c));
    ::close(c);
    loop.run([&] {
        CHECK(handler.streams.at(0)->open());
        CHECK(handler.streams.at(1)->open());
        CHECK(handler.streams.at(0)->send(R"({"still":"here"})"));
    });
    CHECK(receive_lines(a, 1) == "{\"still\":\"here\"}\n");
    CHECK(handler.ended().empty());
    ::close(a);
    ::close(b);
    loop.run([&] { server.reset(); });
}

TEST_CASE("control streams: an error reply ends the stream at once", "[control][stream]") {
    ControlRoot root;
    StreamingHandler handler;
    ServerLoop loop;
    std::unique_ptr<ControlServer> server;
    loop.run([&] { server = std::make_unique<ControlServer>(loop.io, root.paths, handler); });
    const int fd = connect_socket(root.paths.socket);
    send_all(fd, "{\"command\":\"start\",\"targets\":[\"refuse\"]}\n{\"command\":\"status\"}\n");
    const std::string two = receive_lines(fd, 2);
    const auto newline = two.find('\n');
    const Decoded<ControlReply> first = decode_reply(two.substr(0, newline));
    REQUIRE(first.ok());
    CHECK_FALSE(first.value->ok);
    CHECK_FALSE(first.value->stream);
    // The next line is a request again, answered as such.
    const Decoded<ControlReply> second = decode_reply(two.substr(newline + 1));
    REQUIRE(second.ok());
    CHECK(second.value->ok);
    ::close(fd);
    loop.run([&] { server.reset(); });
}

TEST_CASE("control streams: the client reads lines until the server ends", "[control][stream]") {
    ControlRoot root;
    StreamingHandler handler;
    ServerLoop loop;
    std::unique_ptr<ControlServer> server;
    loop.run([&] { server = std::make_unique<ControlServer>(loop.io, root.paths, handler); });

    ControlClientStream client(root.paths, ControlRequest{ControlCommand::start, {"stream"}});
    REQUIRE(client.reply().ok);
    CHECK(client.reply().stream);
    CHECK(client.next_line() == std::optional<std::string>("{\"n\":1}"));
    CHECK(client.next_line() == std::optional<std::string>("{\"n\":2}"));
    client.send_line("ping");
    CHECK(client.next_line() == std::optional<std::string>("{\"echo\":\"ping\"}"));
    loop.run([&] { handler.streams.at(0)->send(R"({"n":3})"); });
    CHECK(client.next_line() == std::optional<std::string>("{\"n\":3}"));

    SECTION("the server shuts down: what was queued, then the end line") {
        loop.run([&] {
            handler.streams.at(0)->send(R"({"n":4})");
            server.reset();
        });
        CHECK(client.next_line() == std::optional<std::string>("{\"n\":4}"));
        CHECK_FALSE(client.next_line());
        CHECK(client.end().reason == "exiting");
        CHECK(client.end().message == "procrun is exiting");
    }
    SECTION("interrupted from the client's own loop") {
        boost::asio::post(client.io(), [&] { client.interrupt(); });
        CHECK_FALSE(client.next_line());
        CHECK(client.end().reason == "interrupted");
        loop.run([&] { server.reset(); });
    }
}

TEST_CASE("control streams: an ordinary request is not a stream", "[control][stream]") {
    ControlRoot root;
    StreamingHandler handler;
    ServerLoop loop;
    std::unique_ptr<ControlServer> server;
    loop.run([&] { server = std::make_unique<ControlServer>(loop.io, root.paths, handler); });
    ControlClientStream client(root.paths, ControlRequest{});
    CHECK(client.reply().ok);
    CHECK_FALSE(client.reply().stream);
    CHECK_FALSE(client.next_line());
    loop.run([&] { server.reset(); });
}

TEST_CASE("control streams: a stream ended while answering follows its reply",
          "[control][stream]") {
    ControlRoot root;
    StreamingHandler handler;
    ServerLoop loop;
    std::unique_ptr<ControlServer> server;
    loop.run([&] { server = std::make_unique<ControlServer>(loop.io, root.paths, handler); });
    const int fd = connect_socket(root.paths.socket);
    send_all(fd, "{\"command\":\"start\",\"targets\":[\"once\"]}\n");
    bool eof = false;
    const std::string all = receive_lines(fd, 1L << 40, &eof);
    CHECK(eof);
    const auto newline = all.find('\n');
    REQUIRE(newline != std::string::npos);
    const Decoded<ControlReply> reply = decode_reply(all.substr(0, newline));
    REQUIRE(reply.ok());
    CHECK(reply.value->stream);
    CHECK(all.substr(newline + 1) == "{\"n\":1}\n{\"end\":\"done\",\"message\":\"\"}\n");
    ::close(fd);

    ControlClientStream client(root.paths, ControlRequest{ControlCommand::start, {"once"}});
    CHECK(client.next_line() == std::optional<std::string>("{\"n\":1}"));
    CHECK_FALSE(client.next_line());
    CHECK(client.end().reason == "done");
    loop.run([&] { server.reset(); });
}
