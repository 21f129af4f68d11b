// The control protocol's values as JSON lines (Boost.JSON).

// Boost.JSON is used header-only: its definitions are compiled here, once.
#include <boost/json/src.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "procrun/control.hpp"

namespace procrun {

namespace bj = boost::json;

namespace {

// Whether a command takes targets.
enum class Targets { none, optional, required };

// One row per command: its name, its targets, the other keys it takes
// (space-separated), and the one it needs.
struct CommandSpec {
    ControlCommand command;
    std::string_view name;
    Targets targets;
    std::string_view keys;
    std::string_view required;
};

constexpr std::array<CommandSpec, 9> kCommands{{
    {ControlCommand::status, "status", Targets::none, "", ""},
    {ControlCommand::restart, "restart", Targets::optional, "", ""},
    {ControlCommand::stop, "stop", Targets::optional, "", ""},
    {ControlCommand::start, "start", Targets::optional, "", ""},
    {ControlCommand::kill, "kill", Targets::none, "", ""},
    {ControlCommand::signal, "signal", Targets::required, "signal", "signal"},
    {ControlCommand::logs, "logs", Targets::optional, "lines follow", ""},
    {ControlCommand::connect, "connect", Targets::required, "", ""},
    {ControlCommand::scale, "scale", Targets::required, "", ""},
}};

// The highest signal number Linux has (SIGRTMAX).
constexpr int kMaxSignal = 64;

const CommandSpec& spec_of(ControlCommand command) {
    for (const auto& spec : kCommands) {
        if (spec.command == command)
            return spec;
    }
    return kCommands.front();
}

bool takes_key(const CommandSpec& spec, std::string_view key) {
    std::string_view keys = spec.keys;
    while (!keys.empty()) {
        const std::size_t space = keys.find(' ');
        if (keys.substr(0, space) == key)
            return true;
        keys = space == std::string_view::npos ? std::string_view() : keys.substr(space + 1);
    }
    return false;
}

std::string command_list() {
    std::string out;
    for (const auto& spec : kCommands) {
        if (!out.empty())
            out += ", ";
        out += spec.name;
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

std::string decode_sources(const bj::value& v, std::vector<LogSource>& out) {
    if (!v.is_array())
        return expected("sources", "an array", v);
    for (const bj::value& item : v.get_array()) {
        const bj::object* o = item.if_object();
        const bj::value* name = o != nullptr ? o->if_contains("name") : nullptr;
        const bj::value* colour = o != nullptr ? o->if_contains("colour") : nullptr;
        const std::optional<int> n = colour != nullptr ? as_int(*colour) : std::nullopt;
        if (name == nullptr || !name->is_string() || !n)
            return "\"sources\" must hold objects with a \"name\" and a \"colour\"";
        out.push_back(LogSource{std::string(name->get_string()), *n});
    }
    return {};
}

// "2026-11-24T10:00:00.123Z" (what the JSON output writes), in UTC.
std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text) {
    if (text.size() != 24 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':' || text[19] != '.' || text[23] != 'Z')
        return std::nullopt;
    const auto number = [&](std::size_t at, std::size_t digits) -> std::optional<int> {
        int n = 0;
        for (std::size_t i = at; i < at + digits; ++i) {
            if (text[i] < '0' || text[i] > '9')
                return std::nullopt;
            n = n * 10 + (text[i] - '0');
        }
        return n;
    };
    const auto y = number(0, 4), mo = number(5, 2), d = number(8, 2), h = number(11, 2),
               mi = number(14, 2), s = number(17, 2), ms = number(20, 3);
    if (!y || !mo || !d || !h || !mi || !s || !ms)
        return std::nullopt;
    const std::chrono::year_month_day date{std::chrono::year(*y),
                                           std::chrono::month(static_cast<unsigned>(*mo)),
                                           std::chrono::day(static_cast<unsigned>(*d))};
    if (!date.ok() || *h > 23 || *mi > 59 || *s > 60)
        return std::nullopt;
    return std::chrono::sys_days(date) + std::chrono::hours(*h) + std::chrono::minutes(*mi) +
           std::chrono::seconds(*s) + std::chrono::milliseconds(*ms);
}

}  // namespace

std::string_view to_string(ControlCommand command) {
    for (const auto& spec : kCommands) {
        if (spec.command == command)
            return spec.name;
    }
    return "unknown";
}

std::optional<ControlCommand> parse_control_command(std::string_view text) {
    for (const auto& spec : kCommands) {
        if (spec.name == text)
            return spec.command;
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
    if (request.lines)
        o["lines"] = *request.lines;
    if (request.follow)
        o["follow"] = true;
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
    if (!reply.sources.empty()) {
        bj::array sources;
        for (const auto& source : reply.sources)
            sources.emplace_back(bj::object{{"name", source.name}, {"colour", source.colour}});
        o["sources"] = std::move(sources);
    }
    if (reply.ok) {
        bj::array instances;
        for (const auto& s : reply.instances)
            instances.emplace_back(encode_instance(s));
        o["instances"] = std::move(instances);
    }
    return bj::serialize(o) + "\n";
}

namespace {

// Reads one key's value into the request; returns an error or "".
using KeyReader = std::string (*)(std::string_view key, const bj::value& v, ControlRequest& out);

std::string read_targets(std::string_view key, const bj::value& v, ControlRequest& out) {
    if (!v.is_array())
        return expected(key, "an array of names", v);
    for (const bj::value& t : v.get_array()) {
        if (!t.is_string())
            return fmt::format("\"targets\" must hold names (strings), not {}", kind_name(t));
        out.targets.emplace_back(t.get_string());
    }
    return {};
}

std::string read_signal(std::string_view key, const bj::value& v, ControlRequest& out) {
    const std::optional<int> n = as_int(v);
    const std::string what = fmt::format("a signal number from 1 to {}", kMaxSignal);
    if (!n)
        return expected(key, what, v);
    if (*n < 1 || *n > kMaxSignal)
        return fmt::format("\"signal\" must be {}, not {}", what, *n);
    out.signal = *n;
    return {};
}

std::string read_lines(std::string_view key, const bj::value& v, ControlRequest& out) {
    const std::optional<std::int64_t> n = as_int64(v);
    if (!n || *n < 0)
        return expected(key, "a number of lines (0 or more)", v);
    out.lines = static_cast<std::size_t>(*n);
    return {};
}

std::string read_follow(std::string_view key, const bj::value& v, ControlRequest& out) {
    if (!v.is_bool())
        return expected(key, "true or false", v);
    out.follow = v.get_bool();
    return {};
}

constexpr std::array<std::pair<std::string_view, KeyReader>, 4> kKeys{{
    {"targets", read_targets},
    {"signal", read_signal},
    {"lines", read_lines},
    {"follow", read_follow},
}};

std::string key_list() {
    std::string out = "\"command\"";
    for (std::size_t i = 0; i < kKeys.size(); ++i)
        out += fmt::format("{}\"{}\"", i + 1 == kKeys.size() ? " and " : ", ", kKeys[i].first);
    return out;
}

// What the command makes of the keys it was given (`given`: their names).
std::string check_keys(const ControlRequest& request, const std::vector<std::string_view>& given) {
    const CommandSpec& spec = spec_of(request.command);
    const auto has = [&](std::string_view key) {
        return std::find(given.begin(), given.end(), key) != given.end();
    };
    if (has("targets") && spec.targets == Targets::none)
        return fmt::format("\"{}\" takes no targets", spec.name);
    if (!spec.required.empty() && !has(spec.required))
        return fmt::format("\"{}\" needs \"{}\": a signal number", spec.name, spec.required);
    if (spec.targets == Targets::required && request.targets.empty()) {
        if (spec.command == ControlCommand::scale)
            return "\"scale\" needs \"targets\": TYPE=COUNT for each type";
        return fmt::format("\"{}\" needs \"targets\": the processes to {}", spec.name, spec.name);
    }
    for (const std::string_view key : given) {
        if (key != "targets" && !takes_key(spec, key))
            return fmt::format("\"{}\" takes no \"{}\"", spec.name, key);
    }
    return {};
}

}  // namespace

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
    std::vector<std::string_view> given;
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
            continue;
        }
        const auto reader =
            std::find_if(kKeys.begin(), kKeys.end(), [&](const auto& k) { return k.first == key; });
        if (reader == kKeys.end()) {
            return {std::nullopt,
                    fmt::format("unknown key \"{}\" (a request has {})", key, key_list())};
        }
        if (std::string error = reader->second(key, v, request); !error.empty())
            return {std::nullopt, std::move(error)};
        given.push_back(reader->first);
    }
    if (!has_command)
        return {std::nullopt, "missing \"command\" (one of: " + command_list() + ")"};
    if (request.command == ControlCommand::connect && request.targets.size() != 1)
        return {std::nullopt, "\"connect\" needs \"targets\": exactly one process"};
    if (std::string error = check_keys(request, given); !error.empty())
        return {std::nullopt, std::move(error)};
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
    if (const bj::value* sources = o.if_contains("sources")) {
        if (std::string error = decode_sources(*sources, reply.sources); !error.empty())
            return {std::nullopt, std::move(error)};
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

Decoded<LogLine> decode_log_line(std::string_view line) {
    Decoded<bj::value> parsed = parse_line(line, false);
    if (!parsed.ok())
        return {std::nullopt, std::move(parsed.error)};
    const bj::object* o = parsed.value->if_object();
    if (o == nullptr)
        return {std::nullopt,
                fmt::format("a log line must be a JSON object, not {}", kind_name(*parsed.value))};
    LogLine out;
    for (const char* key : {"ts", "process", "stream", "line"}) {
        const bj::value* v = o->if_contains(key);
        if (v == nullptr || !v->is_string())
            return {std::nullopt, fmt::format("a log line needs \"{}\": a string", key)};
        const std::string_view text = v->get_string();
        if (key == std::string_view("ts")) {
            const auto time = parse_utc(text);
            if (!time)
                return {std::nullopt, fmt::format("\"ts\" must be a UTC time such as "
                                                  "2026-11-24T10:00:00.123Z, not \"{}\"",
                                                  text)};
            out.time = *time;
        } else if (key == std::string_view("process")) {
            out.process = text;
        } else if (key == std::string_view("stream")) {
            out.stream = text;
        } else {
            out.line = text;
        }
    }
    if (const bj::value* continued = o->if_contains("continued"))
        out.continued = continued->is_bool() && continued->get_bool();
    return {std::move(out), {}};
}

}  // namespace procrun
