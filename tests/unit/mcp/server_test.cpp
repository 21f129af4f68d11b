// procrun mcp's JSON-RPC side against a fake control: the handshake, the tool
// list, arguments checked, refusals and an absent procrun as tool errors.

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "procrun/mcp.hpp"

using namespace procrun;
namespace bj = boost::json;

namespace {

class FakeControl : public mcp::Control {
  public:
    std::vector<ControlRequest> requests;
    bool running = true;
    ControlReply reply;

    ControlReply request(const ControlRequest& request) override {
        requests.push_back(request);
        if (!running)
            throw NotRunning("no procrun is running in /app");
        return reply;
    }

    std::vector<std::string> log_lines;
    Logs logs(const ControlRequest& request) override {
        requests.push_back(request);
        if (!running)
            throw NotRunning("no procrun is running in /app");
        return {reply, log_lines};
    }
};

bj::object call(mcp::Server& server, const std::string& line) {
    const std::optional<std::string> out = server.handle(line);
    REQUIRE(out);
    return bj::parse(*out).as_object();
}

bj::object tool_call(mcp::Server& server, const std::string& name, const std::string& args) {
    return call(server, R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":")" +
                            name + R"(","arguments":)" + args + "}}");
}

std::string text_of(const bj::object& reply) {
    return std::string(reply.at("result").at("content").at(0).at("text").as_string());
}

bool is_error(const bj::object& reply) {
    return reply.at("result").at("isError").as_bool();
}

}  // namespace

TEST_CASE("mcp: initialize agrees on the client's revision when known, else the newest", "[mcp]") {
    FakeControl control;
    mcp::Server server(control, "9.9.9");
    bj::object r = call(server, R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":)"
                                R"({"protocolVersion":"2025-03-26","capabilities":{},)"
                                R"("clientInfo":{"name":"t","version":"1"}}})");
    CHECK(r.at("id").as_int64() == 1);
    CHECK(r.at("result").at("protocolVersion").as_string() == "2025-03-26");
    CHECK(r.at("result").at("serverInfo").at("name").as_string() == "procrun");
    CHECK(r.at("result").at("serverInfo").at("version").as_string() == "9.9.9");
    CHECK(r.at("result").at("capabilities").at("tools").is_object());

    r = call(server, R"({"jsonrpc":"2.0","id":"a","method":"initialize","params":)"
                     R"({"protocolVersion":"1999-01-01"}})");
    CHECK(r.at("id").as_string() == "a");
    CHECK(r.at("result").at("protocolVersion").as_string() == mcp::protocol_versions().front());
    // The initialized notification gets no reply.
    CHECK_FALSE(server.handle(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
    CHECK(call(server, R"({"jsonrpc":"2.0","id":2,"method":"ping"})").at("result").is_object());
}

TEST_CASE("mcp: tools/list names every tool with a description and an object schema", "[mcp]") {
    FakeControl control;
    mcp::Server server(control, "1");
    const bj::object r = call(server, R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
    std::vector<std::string> names;
    for (const bj::value& t : r.at("result").at("tools").as_array()) {
        names.emplace_back(t.at("name").as_string());
        CHECK(t.at("description").as_string().size() > 40);
        CHECK(t.at("inputSchema").at("type").as_string() == "object");
    }
    CHECK(names == std::vector<std::string>{"status", "restart", "stop", "start", "signal", "kill",
                                            "logs", "scale"});
}

TEST_CASE("mcp: a tool call is one control request", "[mcp]") {
    FakeControl control;
    control.reply.pid = 42;
    control.reply.instances = {InstanceStatus{"web.1", "web", 4242, "stopping", {}, 0, "", "", {}}};
    mcp::Server server(control, "1");
    bj::object r = tool_call(server, "stop", R"({"names":["web"]})");
    CHECK_FALSE(is_error(r));
    CHECK(text_of(r) == "web.1  stopping (pid 4242)\n");
    REQUIRE(control.requests.size() == 1);
    CHECK(control.requests[0].command == ControlCommand::stop);
    CHECK(control.requests[0].targets == std::vector<std::string>{"web"});

    control.reply.instances[0].signalled = {4242, 4243};
    r = tool_call(server, "signal", R"({"signal":"hup","names":["web.1"]})");
    CHECK(text_of(r) == "web.1  SIGHUP sent to pids 4242, 4243\n");
    CHECK(control.requests.back().command == ControlCommand::signal);
    CHECK(control.requests.back().signal == 1);

    r = tool_call(server, "kill", "{}");
    CHECK(text_of(r) == "procrun (pid 42) is stopping every process and exiting\n");
    CHECK(control.requests.back().command == ControlCommand::kill);
}

TEST_CASE("mcp: bad arguments, refusals and no procrun are tool errors", "[mcp]") {
    FakeControl control;
    mcp::Server server(control, "1");
    bj::object r = tool_call(server, "restart", "{}");
    CHECK(is_error(r));
    CHECK(text_of(r).find("restart: missing argument 'names'") == 0);
    r = tool_call(server, "restart", R"({"names":["web"],"force":true})");
    CHECK(text_of(r) == "restart: unknown argument 'force' (expected: names)");
    r = tool_call(server, "signal", R"({"signal":"NOPE","names":["web"]})");
    CHECK(text_of(r).find("signal: unknown signal 'NOPE'") == 0);
    CHECK(control.requests.empty());

    control.reply = ControlReply::failure("unknown process 'db' (valid names: web, web.1)");
    r = tool_call(server, "restart", R"({"names":["db"]})");
    CHECK(is_error(r));
    CHECK(text_of(r) == "restart: unknown process 'db' (valid names: web, web.1)");

    control.running = false;
    r = tool_call(server, "status", "{}");
    CHECK(is_error(r));
    CHECK(text_of(r).find("no procrun is running in /app (start it") == 0);
}

TEST_CASE("mcp: protocol errors are JSON-RPC errors", "[mcp]") {
    FakeControl control;
    mcp::Server server(control, "1");
    CHECK(call(server, "{not json").at("error").at("code").as_int64() == -32700);
    CHECK(call(server, "[1]").at("error").at("code").as_int64() == -32600);
    CHECK(call(server, R"({"jsonrpc":"2.0","id":3,"method":"resources/list"})")
              .at("error")
              .at("code")
              .as_int64() == -32601);
    const bj::object r =
        call(server, R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"nope"}})");
    CHECK(r.at("error").at("code").as_int64() == -32602);
    CHECK(r.at("id").as_int64() == 4);
}

TEST_CASE("mcp: serve answers line by line and skips blank lines", "[mcp]") {
    FakeControl control;
    mcp::Server server(control, "1");
    std::istringstream in(
        "\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}");
    std::ostringstream out;
    mcp::serve(server, in, out);
    CHECK(out.str() ==
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n"
          "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n");
}

TEST_CASE("mcp: logs asks for the last lines of the names and shows them as text", "[mcp]") {
    FakeControl control;
    mcp::Server server(control, "1");
    control.log_lines = {
        R"({"ts":"2026-11-24T10:00:00.123Z","process":"web.1","stream":"stdout","line":"GET /"})",
        R"({"ts":"2026-11-24T10:00:01.000Z","process":"web.1","stream":"stdout","line":"ab"})",
        R"({"ts":"2026-11-24T10:00:01.000Z","process":"web.1","stream":"stdout","line":"cd",)"
        R"("continued":true})"};
    bj::object r = tool_call(server, "logs", R"({"names":["web"],"lines":2})");
    CHECK_FALSE(is_error(r));
    CHECK(text_of(r) == "10:00:00.123Z web.1 | GET /\n10:00:01.000Z web.1 | abcd\n");
    REQUIRE(control.requests.size() == 1);
    CHECK(control.requests[0].command == ControlCommand::logs);
    CHECK(control.requests[0].targets == std::vector<std::string>{"web"});
    CHECK(control.requests[0].lines == std::optional<std::size_t>(2));
    CHECK_FALSE(control.requests[0].follow);

    // Everything, the default count.
    control.log_lines.clear();
    r = tool_call(server, "logs", "{}");
    CHECK(text_of(r) == "(no output yet)\n");
    CHECK(control.requests[1].targets.empty());
    CHECK(control.requests[1].lines == std::optional<std::size_t>(kDefaultLogLines));

    r = tool_call(server, "logs", R"({"lines":0})");
    CHECK(is_error(r));
    CHECK(text_of(r).find("argument 'lines' must be an integer from 1 to 10000") !=
          std::string::npos);
    control.reply = ControlReply::failure("unknown process 'db' (valid names: web)");
    r = tool_call(server, "logs", R"({"names":["db"]})");
    CHECK(is_error(r));
    CHECK(text_of(r) == "logs: unknown process 'db' (valid names: web)");
    control.running = false;
    r = tool_call(server, "logs", "{}");
    CHECK(is_error(r));
    CHECK(text_of(r).find("no procrun is running in /app") != std::string::npos);
}
