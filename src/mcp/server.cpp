// JSON-RPC 2.0 over newline-delimited standard input and output, as the Model
// Context Protocol's stdio transport has it: initialize (with the protocol
// revision negotiated), ping, tools/list and tools/call.

#include <boost/json.hpp>

#include <algorithm>
#include <istream>
#include <ostream>
#include <utility>

#include "mcp/tools.hpp"
#include "procrun/mcp.hpp"

namespace procrun::mcp {

namespace bj = boost::json;

namespace {

// JSON-RPC's error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;

constexpr std::string_view kInstructions =
    "procrun runs the processes of this project's Procfile (web servers, workers, watchers). "
    "These tools reach the procrun running in the project's root: `status` lists its "
    "processes, `restart`, `stop`, `start` and `signal` act on single process types or "
    "instances, `logs` shows their recent output, `kill` ends it all. When none runs, start one in "
    "a "
    "shell with `procrun start -D`.";

std::string error_reply(const bj::value& id, int code, std::string_view message) {
    return bj::serialize(bj::object{
        {"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

std::string result_reply(const bj::value& id, bj::value result) {
    return bj::serialize(bj::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

struct Failure {
    int code;
    std::string message;
};

const bj::object& params_of(const bj::object& message) {
    static const bj::object empty;
    const bj::value* p = message.if_contains("params");
    if (p != nullptr && p->is_object())
        return p->get_object();
    return empty;
}

bj::value tools_call(Control& control, const bj::object& params) {
    const bj::value* name = params.if_contains("name");
    if (name == nullptr || !name->is_string())
        throw Failure{kInvalidParams, "tools/call: params.name (a string) is missing"};
    const std::string_view tool = name->get_string();
    if (!is_tool(tool)) {
        std::string valid;
        for (const bj::value& t : tool_definitions())
            valid += (valid.empty() ? "" : ", ") + std::string(t.at("name").get_string());
        throw Failure{kInvalidParams,
                      "Unknown tool: " + std::string(tool) + " (tools: " + valid + ")"};
    }
    static const bj::object no_arguments;
    const bj::value* args = params.if_contains("arguments");
    if (args != nullptr && !args->is_object() && !args->is_null())
        throw Failure{kInvalidParams, "tools/call: params.arguments must be an object"};
    const ToolResult r = call_tool(
        control, tool, args != nullptr && args->is_object() ? args->get_object() : no_arguments);
    return bj::object{{"content", bj::array{bj::object{{"type", "text"}, {"text", r.text}}}},
                      {"isError", r.error}};
}

}  // namespace

const std::vector<std::string>& protocol_versions() {
    static const std::vector<std::string> versions{"2025-11-25", "2025-06-18", "2025-03-26",
                                                   "2024-11-05"};
    return versions;
}

Server::Server(Control& control, std::string version)
    : control_(control), version_(std::move(version)) {}

std::optional<std::string> Server::handle(std::string_view line) {
    bj::error_code ec;
    bj::value message = bj::parse(line, ec);
    if (ec)
        return error_reply(nullptr, kParseError, "Parse error: " + ec.message());
    if (message.is_array())
        return error_reply(nullptr, kInvalidRequest, "Invalid Request: batches are not supported");
    if (!message.is_object())
        return error_reply(nullptr, kInvalidRequest, "Invalid Request: expected a JSON object");
    const bj::object& m = message.get_object();
    const bj::value* id = m.if_contains("id");
    const bj::value* method = m.if_contains("method");
    if (method == nullptr) {
        // A response (to nothing this server asked) or garbage without an id: no reply.
        if (id == nullptr || m.contains("result") || m.contains("error"))
            return std::nullopt;
        return error_reply(*id, kInvalidRequest, "Invalid Request: no method");
    }
    const bj::value reply_id = id != nullptr ? *id : bj::value(nullptr);
    const bj::value* jsonrpc = m.if_contains("jsonrpc");
    if (jsonrpc == nullptr || !jsonrpc->is_string() || jsonrpc->get_string() != "2.0" ||
        !method->is_string() || (id != nullptr && !id->is_string() && !id->is_int64())) {
        if (id == nullptr)
            return std::nullopt;
        return error_reply(reply_id, kInvalidRequest,
                           "Invalid Request: expected jsonrpc \"2.0\", a string method and a "
                           "string or integer id");
    }
    const std::string_view name = method->get_string();
    if (id == nullptr)
        return std::nullopt;  // notifications: initialized, cancelled... nothing to do
    try {
        const bj::object& params = params_of(m);
        if (name == "initialize") {
            const bj::value* asked = params.if_contains("protocolVersion");
            const auto& versions = protocol_versions();
            protocol_version_ = versions.front();
            if (asked != nullptr && asked->is_string() &&
                std::find(versions.begin(), versions.end(), asked->get_string()) !=
                    versions.end()) {
                protocol_version_ = std::string(asked->get_string());
            }
            return result_reply(
                reply_id, bj::object{{"protocolVersion", protocol_version_},
                                     {"capabilities", {{"tools", {{"listChanged", false}}}}},
                                     {"serverInfo", {{"name", "procrun"}, {"version", version_}}},
                                     {"instructions", kInstructions}});
        }
        if (name == "ping")
            return result_reply(reply_id, bj::object{});
        if (name == "tools/list")
            return result_reply(reply_id, bj::object{{"tools", tool_definitions()}});
        if (name == "tools/call")
            return result_reply(reply_id, tools_call(control_, params));
        return error_reply(reply_id, kMethodNotFound,
                           "Method not found: " + std::string(name) +
                               " (this server offers tools only: initialize, ping, tools/list, "
                               "tools/call)");
    } catch (const Failure& f) {
        return error_reply(reply_id, f.code, f.message);
    }
}

void serve(Server& server, std::istream& in, std::ostream& out) {
    std::string line;
    bool too_long = false;
    const auto answer = [&](const std::optional<std::string>& reply) {
        if (reply) {
            out << *reply << '\n';
            out.flush();
        }
    };
    for (int c; (c = in.get()) != std::char_traits<char>::eof();) {
        if (c != '\n') {
            if (line.size() < kMaxMessage)
                line.push_back(static_cast<char>(c));
            else
                too_long = true;
            continue;
        }
        if (too_long) {
            answer(error_reply(
                nullptr, kInvalidRequest,
                "Invalid Request: message longer than " + std::to_string(kMaxMessage) + " bytes"));
        } else if (line.find_first_not_of(" \t\r") != std::string::npos) {
            answer(server.handle(line));
        }
        line.clear();
        too_long = false;
    }
    if (!too_long && line.find_first_not_of(" \t\r") != std::string::npos)
        answer(server.handle(line));
}

}  // namespace procrun::mcp
