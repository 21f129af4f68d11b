// The control protocol's values as JSON lines (Boost.JSON).

// Boost.JSON is used header-only: its definitions are compiled here, once.
#include <boost/json/src.hpp>

#include <fmt/core.h>

#include <array>
#include <limits>
#include <utility>

#include "procrun/control.hpp"

namespace procrun {

namespace bj = boost::json;

namespace {

constexpr std::array<std::pair<ControlCommand, std::string_view>, 7> kCommands{{
    {ControlCommand::status, "status"},
    {ControlCommand::restart, "restart"},
    {ControlCommand::stop, "stop"},
    {ControlCommand::start, "start"},
    {ControlCommand::kill, "kill"},
    {ControlCommand::signal, "signal"},
    {ControlCommand::connect, "connect"},
}};

// The highest signal number Linux has (SIGRTMAX).
constexpr int kMaxSignal = 64;

std::string command_list() {
    std::string out;
    for (const auto& [command, name] : kCommands) {
        if (!out.empty())
            out += ", ";
        out += name;
    }
    return out;
}

// Parses exactly one JSON value from `line`; the error names the byte offset.
// A request is at most kMaxControlLine; a reply (the status of thousands of
// instances) is bounded by the client's own reading limit instead.
Decoded<bj::value> parse_line(std::string_view line, bool request) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (request && line.size() > kMaxControlLine) {
        return {std::nullopt, fmt::format("request too long: {} bytes (at most {})", line.size(),
                                          kMaxControlLine)};
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos)
        return {std::nullopt,
                "empty request: expected a JSON object such as {\"command\":\"status\"}"};
    bj::stream_parser parser;
    bj::error_code ec;
    const std::size_t used = parser.write_some(line.data(), line.size(), ec);
    if (!ec && parser.done() && used < line.size()) {
        // Only whitespace may follow the value.
        if (line.substr(used).find_first_not_of(" \t") != std::string_view::npos) {
            return {
                std::nullopt,
                fmt::format("malformed JSON at byte {}: extra text after the object", used + 1)};
        }
    }
    if (!ec)
        parser.finish(ec);
    if (ec) {
        return {std::nullopt, fmt::format("malformed JSON at byte {}: {}",
                                          std::min(used, line.size()) + 1, ec.message())};
    }
    return {parser.release(), {}};
}

const char* kind_name(const bj::value& v) {
    switch (v.kind()) {
        case bj::kind::null:
            return "null";
        case bj::kind::bool_:
            return "a boolean";
        case bj::kind::int64:
        case bj::kind::uint64:
        case bj::kind::double_:
            return "a number";
        case bj::kind::string:
            return "a string";
        case bj::kind::array:
            return "an array";
        case bj::kind::object:
            return "an object";
    }
    return "a value";
}

std::string expected(std::string_view key, std::string_view what, const bj::value& got) {
    return fmt::format("\"{}\" must be {}, not {}", key, what, kind_name(got));
}

std::optional<std::int64_t> as_int64(const bj::value& v) {
    if (v.is_int64())
        return v.get_int64();
    if (v.is_uint64() &&
        v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(v.get_uint64());
    return std::nullopt;
}

std::optional<int> as_int(const bj::value& v) {
    const std::optional<std::int64_t> n = as_int64(v);
    if (!n || *n < std::numeric_limits<int>::min() || *n > std::numeric_limits<int>::max())
        return std::nullopt;
    return static_cast<int>(*n);
}

bj::object encode_instance(const InstanceStatus& s) {
    bj::object o;
    o["name"] = s.name;
    o["type"] = s.type;
    o["pid"] = s.pid;
    o["state"] = s.state;
    if (s.uptime_ms)
        o["uptime_ms"] = *s.uptime_ms;
    else
        o["uptime_ms"] = nullptr;
    o["restarts"] = s.restarts;
    o["last_exit"] = s.last_exit;
    o["readiness"] = s.readiness;
    if (!s.signalled.empty()) {
        bj::array pids;
        for (int pid : s.signalled)
            pids.emplace_back(pid);
        o["signalled"] = std::move(pids);
    }
    return o;
}

// Fills `out` from `o`; returns an error or "".
std::string decode_instance(const bj::object& o, InstanceStatus& out) {
    for (const auto& field : o) {
        const std::string_view key = field.key();
        const bj::value& v = field.value();
        if (key == "name" || key == "type" || key == "state" || key == "last_exit" ||
            key == "readiness") {
            if (!v.is_string())
                return expected(key, "a string", v);
            const std::string text(v.get_string());
            if (key == "name")
                out.name = text;
            else if (key == "type")
                out.type = text;
            else if (key == "state")
                out.state = text;
            else if (key == "last_exit")
                out.last_exit = text;
            else
                out.readiness = text;
        } else if (key == "pid" || key == "restarts") {
            const std::optional<int> n = as_int(v);
            if (!n)
                return expected(key, "an integer", v);
            (key == "pid" ? out.pid : out.restarts) = *n;
        } else if (key == "signalled") {
            if (!v.is_array())
                return expected(key, "an array of pids", v);
            for (const bj::value& pid : v.get_array()) {
                const std::optional<int> n = as_int(pid);
                if (!n)
                    return expected(key, "an array of pids", v);
                out.signalled.push_back(*n);
            }
        } else if (key == "uptime_ms") {
            if (v.is_null()) {
                out.uptime_ms.reset();
            } else {
                const std::optional<std::int64_t> n = as_int64(v);
                if (!n)
                    return expected(key, "an integer or null", v);
                out.uptime_ms = *n;
            }
        }
    }
    if (out.name.empty())
        return "an instance without a \"name\"";
    return {};
}

}  // namespace

std::string_view to_string(ControlCommand command) {
    for (const auto& [c, name] : kCommands) {
        if (c == command)
            return name;
    }
    return "unknown";
}

std::optional<ControlCommand> parse_control_command(std::string_view text) {
    for (const auto& [c, name] : kCommands) {
        if (name == text)
            return c;
    }
    return std::nullopt;
}

ControlReply ControlReply::failure(std::string error) {
    ControlReply reply;
    reply.ok = false;
    reply.error = std::move(error);
    return reply;
}

std::string encode_request(const ControlRequest& request) {
    bj::object o;
    o["command"] = to_string(request.command);
    if (!request.targets.empty()) {
        bj::array targets;
        for (const auto& t : request.targets)
            targets.emplace_back(t);
        o["targets"] = std::move(targets);
    }
    if (request.command == ControlCommand::signal)
        o["signal"] = request.signal;
    return bj::serialize(o) + "\n";
}

std::string encode_reply(const ControlReply& reply) {
    bj::object o;
    o["ok"] = reply.ok;
    if (!reply.ok)
        o["error"] = reply.error;
    if (reply.pid != 0)
        o["pid"] = reply.pid;
    if (reply.stream)
        o["stream"] = true;
    if (reply.ok) {
        bj::array instances;
        for (const auto& s : reply.instances)
            instances.emplace_back(encode_instance(s));
        o["instances"] = std::move(instances);
    }
    return bj::serialize(o) + "\n";
}

Decoded<ControlRequest> decode_request(std::string_view line) {
    Decoded<bj::value> parsed = parse_line(line, true);
    if (!parsed.ok())
        return {std::nullopt, std::move(parsed.error)};
    const bj::value& doc = *parsed.value;
    if (!doc.is_object()) {
        return {std::nullopt, fmt::format("a request must be a JSON object such as "
                                          "{{\"command\":\"status\"}}, not {}",
                                          kind_name(doc))};
    }
    ControlRequest request;
    bool has_command = false;
    bool has_targets = false;
    bool has_signal = false;
    for (const auto& field : doc.get_object()) {
        const std::string_view key = field.key();
        const bj::value& v = field.value();
        if (key == "command") {
            if (!v.is_string())
                return {std::nullopt, expected(key, "a string", v)};
            const std::string_view name = v.get_string();
            const std::optional<ControlCommand> command = parse_control_command(name);
            if (!command) {
                return {std::nullopt, fmt::format("unknown command \"{}\" (expected one of: {})",
                                                  name, command_list())};
            }
            request.command = *command;
            has_command = true;
        } else if (key == "targets") {
            if (!v.is_array())
                return {std::nullopt, expected(key, "an array of names", v)};
            for (const bj::value& t : v.get_array()) {
                if (!t.is_string()) {
                    return {std::nullopt, fmt::format("\"targets\" must hold names (strings), "
                                                      "not {}",
                                                      kind_name(t))};
                }
                request.targets.emplace_back(t.get_string());
            }
            has_targets = true;
        } else if (key == "signal") {
            const std::optional<int> n = as_int(v);
            const std::string what = fmt::format("a signal number from 1 to {}", kMaxSignal);
            if (!n)
                return {std::nullopt, expected(key, what, v)};
            if (*n < 1 || *n > kMaxSignal)
                return {std::nullopt, fmt::format("\"signal\" must be {}, not {}", what, *n)};
            request.signal = *n;
            has_signal = true;
        } else {
            return {std::nullopt,
                    fmt::format("unknown key \"{}\" (a request has \"command\", \"targets\" "
                                "and \"signal\")",
                                key)};
        }
    }
    if (!has_command)
        return {std::nullopt, "missing \"command\" (one of: " + command_list() + ")"};
    if (has_targets &&
        (request.command == ControlCommand::status || request.command == ControlCommand::kill)) {
        return {std::nullopt, fmt::format("\"{}\" takes no targets", to_string(request.command))};
    }
    if (request.command == ControlCommand::connect && request.targets.size() != 1)
        return {std::nullopt, "\"connect\" needs \"targets\": exactly one process"};
    if (request.command == ControlCommand::signal) {
        if (!has_signal)
            return {std::nullopt, "\"signal\" needs \"signal\": a signal number"};
        if (request.targets.empty())
            return {std::nullopt, "\"signal\" needs \"targets\": the processes to signal"};
    } else if (has_signal) {
        return {std::nullopt,
                fmt::format("\"{}\" takes no \"signal\"", to_string(request.command))};
    }
    return {std::move(request), {}};
}

Decoded<ControlReply> decode_reply(std::string_view line) {
    Decoded<bj::value> parsed = parse_line(line, false);
    if (!parsed.ok())
        return {std::nullopt, std::move(parsed.error)};
    const bj::value& doc = *parsed.value;
    if (!doc.is_object())
        return {std::nullopt, fmt::format("a reply must be a JSON object, not {}", kind_name(doc))};
    const bj::object& o = doc.get_object();
    ControlReply reply;
    const bj::value* ok = o.if_contains("ok");
    if (ok == nullptr || !ok->is_bool())
        return {std::nullopt, "a reply needs \"ok\": true or false"};
    reply.ok = ok->get_bool();
    if (const bj::value* pid = o.if_contains("pid")) {
        const std::optional<int> n = as_int(*pid);
        if (!n)
            return {std::nullopt, expected("pid", "an integer", *pid)};
        reply.pid = *n;
    }
    if (const bj::value* stream = o.if_contains("stream")) {
        if (!stream->is_bool())
            return {std::nullopt, expected("stream", "a boolean", *stream)};
        reply.stream = stream->get_bool();
    }
    if (!reply.ok) {
        const bj::value* error = o.if_contains("error");
        if (error == nullptr || !error->is_string())
            return {std::nullopt, "a failed reply needs \"error\": a string"};
        reply.error = error->get_string();
        return {std::move(reply), {}};
    }
    if (const bj::value* instances = o.if_contains("instances")) {
        if (!instances->is_array())
            return {std::nullopt, expected("instances", "an array", *instances)};
        for (const bj::value& item : instances->get_array()) {
            if (!item.is_object()) {
                return {std::nullopt,
                        fmt::format("\"instances\" must hold objects, not {}", kind_name(item))};
            }
            InstanceStatus s;
            std::string error = decode_instance(item.get_object(), s);
            if (!error.empty())
                return {std::nullopt, "in \"instances\": " + error};
            reply.instances.push_back(std::move(s));
        }
    }
    return {std::move(reply), {}};
}

std::string encode_stream_end(std::string_view reason, std::string_view message) {
    bj::object o;
    o["end"] = reason;
    o["message"] = message;
    return bj::serialize(o) + "\n";
}

std::optional<ControlClientStream::End> decode_stream_end(std::string_view line) {
    // Cheap refusal of the common case, a line that is not an end line.
    if (line.find("\"end\"") == std::string_view::npos)
        return std::nullopt;
    Decoded<bj::value> parsed = parse_line(line, false);
    if (!parsed.ok() || !parsed.value->is_object())
        return std::nullopt;
    const bj::object& o = parsed.value->get_object();
    const bj::value* reason = o.if_contains("end");
    if (reason == nullptr || !reason->is_string())
        return std::nullopt;
    ControlClientStream::End end;
    end.reason = reason->get_string();
    if (const bj::value* message = o.if_contains("message"); message && message->is_string())
        end.message = message->get_string();
    return end;
}

}  // namespace procrun
