// The `logs` request and its lines on the wire: the request's keys, the
// reply's sources, a line of output decoded from the JSON the output writes.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "procrun/control.hpp"

using namespace procrun;

TEST_CASE("control logs: the request round-trips with its lines and follow", "[control][logs]") {
    ControlRequest r;
    r.command = ControlCommand::logs;
    r.targets = {"web", "worker.1"};
    r.lines = 250;
    r.follow = true;
    const std::string line = encode_request(r);
    CHECK(line ==
          "{\"command\":\"logs\",\"targets\":[\"web\",\"worker.1\"],\"lines\":250,\"follow\":"
          "true}\n");
    const Decoded<ControlRequest> d = decode_request(line.substr(0, line.size() - 1));
    REQUIRE(d.ok());
    CHECK(*d.value == r);

    const Decoded<ControlRequest> bare = decode_request("{\"command\":\"logs\"}");
    REQUIRE(bare.ok());
    CHECK_FALSE(bare.value->lines);
    CHECK_FALSE(bare.value->follow);
    CHECK(bare.value->targets.empty());
}

TEST_CASE("control logs: a reply carries its sources and whether a stream follows",
          "[control][logs]") {
    ControlReply reply;
    reply.pid = 42;
    reply.stream = true;
    reply.sources = {LogSource{"system", -1}, LogSource{"web.1", 0}, LogSource{"wörker.1", 1}};
    const std::string line = encode_reply(reply);
    CHECK(line.find("\"stream\":true") != std::string::npos);
    const Decoded<ControlReply> d = decode_reply(line.substr(0, line.size() - 1));
    REQUIRE(d.ok());
    CHECK(*d.value == reply);
    CHECK(decode_reply("{\"ok\":true,\"sources\":[{\"name\":1}]}").error ==
          "\"sources\" must hold objects with a \"name\" and a \"colour\"");
    CHECK(decode_reply("{\"ok\":true,\"stream\":1}").error ==
          "\"stream\" must be a boolean, not a number");
}

TEST_CASE("control logs: a line of output decodes from the JSON output's object",
          "[control][logs]") {
    const Decoded<LogLine> d = decode_log_line(
        R"({"ts":"2026-11-24T10:00:01.123Z","process":"web.1","stream":"stdout","line":"a \u001b[31mred\u001b[0m \"line\"","continued":true})");
    REQUIRE(d.ok());
    CHECK(d.value->process == "web.1");
    CHECK(d.value->stream == "stdout");
    CHECK(d.value->line == "a \x1b[31mred\x1b[0m \"line\"");
    CHECK(d.value->continued);
    using namespace std::chrono;
    const sys_days day = year(2026) / November / 24;
    CHECK(d.value->time == day + hours(10) + seconds(1) + milliseconds(123));

    CHECK(decode_log_line(R"({"ts":"yesterday","process":"a","stream":"s","line":""})").error ==
          "\"ts\" must be a UTC time such as 2026-11-24T10:00:00.123Z, not \"yesterday\"");
    CHECK(decode_log_line(R"({"ts":"2026-11-24T10:00:01.123Z","process":"a","line":""})").error ==
          "a log line needs \"stream\": a string");
    CHECK_FALSE(decode_log_line("[1]").ok());
    CHECK_FALSE(
        decode_log_line(R"({"ts":"2026-02-30T10:00:01.123Z","process":"a","stream":"s","line":""})")
            .ok());
}

TEST_CASE("control logs: an end line is told from a line of output", "[control][logs]") {
    const auto end = decode_stream_end(encode_stream_end("overrun", "cut off"));
    REQUIRE(end);
    CHECK(end->reason == "overrun");
    CHECK(end->message == "cut off");
    CHECK_FALSE(decode_stream_end(
        R"({"ts":"2026-11-24T10:00:01.123Z","process":"web.1","stream":"stdout","line":"the \"end\""})"));
    CHECK_FALSE(decode_stream_end("not json \"end\""));
}
