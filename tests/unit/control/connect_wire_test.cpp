// The messages of `procrun connect`: base64 and the JSON lines each way.

#include <catch2/catch.hpp>

#include <string>

#include "procrun/connect.hpp"

using namespace procrun;

namespace {

std::string all_bytes() {
    std::string s;
    for (int i = 0; i < 256; ++i)
        s += static_cast<char>(i);
    return s;
}

}  // namespace

TEST_CASE("base64 matches RFC 4648's test vectors", "[connect]") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("foob") == "Zm9vYg==");
    CHECK(base64_encode("fooba") == "Zm9vYmE=");
    CHECK(base64_encode("foobar") == "Zm9vYmFy");
    CHECK(base64_decode("Zm9vYmE=") == std::optional<std::string>("fooba"));
    CHECK(base64_decode("Zg==") == std::optional<std::string>("f"));
}

TEST_CASE("base64 carries every byte value both ways", "[connect]") {
    const std::string bytes = all_bytes();
    for (std::size_t len = 0; len <= bytes.size(); len += 37) {
        const std::string part = bytes.substr(bytes.size() - len);
        CHECK(base64_decode(base64_encode(part)) == std::optional<std::string>(part));
    }
    CHECK(base64_decode(base64_encode(bytes)) == std::optional<std::string>(bytes));
}

TEST_CASE("base64 refuses what it would not write", "[connect]") {
    CHECK_FALSE(base64_decode("Zg="));       // length not a multiple of 4
    CHECK_FALSE(base64_decode("Zg=a"));      // padding in the middle
    CHECK_FALSE(base64_decode("Zg==Zg=="));  // padding before the end
    CHECK_FALSE(base64_decode("Z g="));      // whitespace
    CHECK_FALSE(base64_decode("Zh=="));      // bits left over: not the one encoding of "f"
    CHECK_FALSE(base64_decode("Zm9v\n"));    // a newline
    CHECK_FALSE(base64_decode("Zm9-"));      // the URL alphabet
    CHECK(base64_decode("") == std::optional<std::string>(""));
}

TEST_CASE("connect events round-trip, with any bytes as output", "[connect]") {
    ConnectEvent connected;
    connected.kind = ConnectEvent::Kind::connected;
    connected.name = "web.1";
    connected.pid = 4242;
    connected.terminal = true;
    connected.state = "running";
    ConnectEvent output;
    output.kind = ConnectEvent::Kind::output;
    const char raw[] = "\x1b[31m(Pdb) \xff\xfe\0tail";
    output.data = std::string(raw, sizeof raw - 1) + all_bytes();
    ConnectEvent started;
    started.kind = ConnectEvent::Kind::started;
    started.pid = 7;
    ConnectEvent exited;
    exited.kind = ConnectEvent::Kind::exited;
    exited.text = "exited with code 3";
    exited.state = "backoff";
    exited.restarting = true;
    for (const ConnectEvent& e : {connected, output, started, exited}) {
        const std::string line = encode_connect_event(e);
        REQUIRE(line.back() == '\n');
        REQUIRE(line.find('\n') == line.size() - 1);
        const Decoded<ConnectEvent> back = decode_connect_event(line.substr(0, line.size() - 1));
        REQUIRE(back.ok());
        CHECK(*back.value == e);
    }
    CHECK(encode_connect_event(output).find("(Pdb)") == std::string::npos);
    CHECK(encode_connect_event(exited) ==
          "{\"event\":\"exited\",\"text\":\"exited with code 3\",\"state\":\"backoff\","
          "\"restarting\":true}\n");
}

TEST_CASE("connect events: what a client refuses and what it ignores", "[connect]") {
    CHECK(decode_connect_event("{\"event\":\"output\",\"data\":\"aGk=\",\"new\":1}").ok());
    CHECK(decode_connect_event("{\"event\":\"started\",\"pid\":5}\r").value->pid == 5);
    CHECK(decode_connect_event("{\"event\":\"telepathy\"}").error == "unknown event \"telepathy\"");
    CHECK(decode_connect_event("{\"event\":\"output\",\"data\":\"a\"}").error ==
          "an \"output\" event needs \"data\": base64 bytes");
    CHECK(decode_connect_event("{\"event\":\"connected\"}").error ==
          "a \"connected\" event needs \"name\"");
    CHECK(decode_connect_event("{\"event\":\"started\",\"pid\":-1}").error ==
          "\"pid\" must be a non-negative integer");
    CHECK(decode_connect_event("[1]").error == "an event must be a JSON object");
    CHECK(decode_connect_event("{").error.rfind("malformed JSON in an event", 0) == 0);
    CHECK(decode_connect_event("{}").error == "an event needs \"event\": a string");
}

TEST_CASE("connect input: bytes and window sizes round-trip", "[connect]") {
    ConnectInput typed;
    typed.input = "p 6*7\n\x03\x1b[A";
    ConnectInput resized;
    resized.resize = ConnectWindow{40, 120};
    ConnectInput both;
    both.input = std::string("\0\xff", 2);
    both.resize = ConnectWindow{65535, 1};
    for (const ConnectInput& in : {typed, resized, both, ConnectInput{}}) {
        const std::string line = encode_connect_input(in);
        const Decoded<ConnectInput> back = decode_connect_input(line.substr(0, line.size() - 1));
        REQUIRE(back.ok());
        CHECK(*back.value == in);
    }
    CHECK(encode_connect_input(resized) == "{\"resize\":{\"rows\":40,\"cols\":120}}\n");
    CHECK(encode_connect_input(typed) == "{\"input\":\"cCA2KjcKAxtbQQ==\"}\n");
}

TEST_CASE("connect input: what the server refuses", "[connect]") {
    CHECK(decode_connect_input("{\"input\":\"p 6*7\"}").error == "\"input\" must be base64 bytes");
    CHECK(decode_connect_input("{\"input\":5}").error == "\"input\" must be base64 bytes");
    CHECK(decode_connect_input("{\"resize\":{\"rows\":0,\"cols\":80}}").error ==
          "\"resize\" must be {\"rows\":R,\"cols\":C}, each from 1 to 65535");
    CHECK_FALSE(decode_connect_input("{\"resize\":{\"rows\":24,\"cols\":65536}}").ok());
    CHECK_FALSE(decode_connect_input("{\"resize\":{\"rows\":24}}").ok());
    CHECK_FALSE(decode_connect_input("{\"resize\":{\"rows\":24,\"cols\":80,\"x\":1}}").ok());
    CHECK(decode_connect_input("{\"detach\":true}").error ==
          "unknown key \"detach\" (a connect message has \"input\" and \"resize\")");
    const std::string big(kMaxConnectInput + 1, 'x');
    CHECK(decode_connect_input("{\"input\":\"" + base64_encode(big) + "\"}").error ==
          "\"input\" too long: 16385 bytes (at most 16384)");
    const std::string huge(kMaxConnectLine + 1, ' ');
    CHECK(decode_connect_input(huge).error ==
          "a connect message too long: 262145 bytes (at "
          "most 262144)");
    CHECK_FALSE(decode_connect_input("null").ok());
}

TEST_CASE("the connect request names exactly one process", "[connect]") {
    const Decoded<ControlRequest> one =
        decode_request("{\"command\":\"connect\",\"targets\":[\"web.1\"]}");
    REQUIRE(one.ok());
    CHECK(one.value->command == ControlCommand::connect);
    CHECK(encode_request(*one.value) == "{\"command\":\"connect\",\"targets\":[\"web.1\"]}\n");
    CHECK(decode_request("{\"command\":\"connect\"}").error ==
          "\"connect\" needs \"targets\": exactly one process");
    CHECK(decode_request("{\"command\":\"connect\",\"targets\":[\"a\",\"b\"]}").error ==
          "\"connect\" needs \"targets\": exactly one process");
}
