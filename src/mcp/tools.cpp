#include "mcp/tools.hpp"

#include <fmt/core.h>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <optional>
#include <vector>

#include "procrun/signal_name.hpp"

namespace procrun::mcp {

namespace bj = boost::json;

namespace {

enum class Names { none, optional, required };

struct Tool {
    std::string_view name;
    std::string_view title;
    std::string_view description;
    Names names;
    bool signal = false;  // takes `signal`
    bool read_only = false;
    bool destructive = false;
    bool idempotent = false;
    bool lines = false;   // takes `lines` (logs)
    bool counts = false;  // takes `counts` (scale)
};

constexpr std::string_view kNotRunningHint =
    " (start it in a shell: `procrun start -D` starts every process in the background and "
    "returns once they are up)";

// At most this many lines per process (or in all) for the logs tool.
constexpr std::int64_t kMaxToolLines = 10000;

// The largest count `scale` takes for one process type.
constexpr std::int64_t kMaxScale = 999;

const std::array<Tool, 8>& tools() {
    static const std::array<Tool, 8> table{{
        {"status", "Process status",
         "Show every process of the procrun running in this project: its instance name (web.1), "
         "pid, state (waiting, starting, running, ready, stopping, stopped, exited, backoff, "
         "failed), uptime, restarts, last exit and readiness. Read-only. Fails when no procrun "
         "runs here.",
         Names::none, false, true, false, true},
        {"restart", "Restart processes",
         "Restart processes of the running procrun: each named process type (every instance) or "
         "instance (web.2) is stopped with its stop signal (SIGKILL after its stop timeout) and "
         "started again; the other processes keep running. Use it after changing code a process "
         "does not reload by itself.",
         Names::required, false, false, false, false},
        {"stop", "Stop processes",
         "Stop processes of the running procrun and keep them stopped: each named process type "
         "(every instance) or instance gets its stop signal (SIGKILL after its stop timeout). "
         "procrun and the other processes keep running; `start` runs them again.",
         Names::required, false, false, true, true},
        {"start", "Start stopped processes",
         "Start processes of the running procrun that are stopped or have exited (by `stop`, a "
         "crash or a clean exit). It does not start procrun itself: when none runs, run "
         "`procrun start -D` in a shell first.",
         Names::required, false, false, false, true},
        {"signal", "Send a signal",
         "Send one signal to the processes of the named process types or instances of the "
         "running procrun, e.g. HUP to make a server reload its configuration, USR1 to reopen "
         "logs. `signal` is a name (HUP, SIGUSR1, TERM) or a number. Replies with the pids that "
         "got it. A signal that ends the process counts as its exit: what follows is its restart "
         "policy's (by default an exit stops everything).",
         Names::required, true, false, true, false},
        {"kill", "Stop everything",
         "Stop EVERYTHING and end the running procrun, like Ctrl-C in its terminal: every "
         "process gets its stop signal (SIGKILL after its stop timeout) and nothing keeps "
         "running. To stop single processes and keep the rest running, use `stop` instead.",
         Names::none, false, false, true, true},
        {"logs", "Recent output",
         "Show the recent output of the processes of the running procrun, from its output "
         "memory: the last `lines` lines (default 100) of each named process type or instance "
         "(web, web.2), merged in time order, or without `names` the last lines of everything, "
         "procrun's own lines (starts, exits, restarts) included. Each line: its time, the "
         "instance and what it printed. Read-only; lines of a process that restarted or exited "
         "are kept until newer ones push them out.",
         Names::optional, false, true, false, true, true},
        {"scale", "Change how many instances run",
         "Set how many instances of each process type the running procrun runs, e.g. "
         "{\"web\": 3, \"worker\": 0}: the missing instances start (web.3 gets its PORT as at "
         "start), the highest-numbered ones above the count stop with their stop signal. A type "
         "that was not started can be scaled up. Replies with each instance of those types.",
         Names::none, false, false, false, true, false, true},
    }};
    return table;
}

const Tool* find_tool(std::string_view name) {
    for (const Tool& t : tools()) {
        if (t.name == name)
            return &t;
    }
    return nullptr;
}

bj::object input_schema(const Tool& t) {
    bj::object properties;
    bj::array required;
    if (t.signal) {
        properties["signal"] = {
            {"type", "string"},
            {"description", "A signal name (HUP, SIGUSR1, TERM, INT, QUIT...) or number (1-64)"}};
        required.emplace_back("signal");
    }
    if (t.lines) {
        properties["lines"] = {
            {"type", "integer"},
            {"minimum", 1},
            {"maximum", kMaxToolLines},
            {"description", "How many of the last lines: of each name, or of everything (100)"}};
    }
    if (t.counts) {
        properties["counts"] = {
            {"type", "object"},
            {"minProperties", 1},
            {"additionalProperties", {{"type", "integer"}, {"minimum", 0}, {"maximum", kMaxScale}}},
            {"description", "How many instances of each process type, e.g. {\"web\": 3}"}};
        required.emplace_back("counts");
    }
    if (t.names != Names::none) {
        bj::object names{
            {"type", "array"},
            {"items", {{"type", "string"}, {"minLength", 1}}},
            {"description",
             "Process types (web: every instance of it) or instance names (web.2), as in the "
             "Procfile and `status`"}};
        if (t.names == Names::required) {
            names["minItems"] = 1;
            required.emplace_back("names");
        }
        properties["names"] = std::move(names);
    }
    bj::object schema{{"type", "object"}, {"properties", std::move(properties)}};
    if (!required.empty())
        schema["required"] = std::move(required);
    schema["additionalProperties"] = false;
    return schema;
}

// ---- arguments ---------------------------------------------------------------

struct Arguments {
    std::vector<std::string> names;
    std::vector<std::string> counts;  // "TYPE=N", as `procrun scale` takes them
    int signal = 0;
    std::size_t lines = kDefaultLogLines;
};

std::string allowed_keys(const Tool& t) {
    std::vector<std::string> keys;
    if (t.signal)
        keys.emplace_back("signal");
    if (t.lines)
        keys.emplace_back("lines");
    if (t.counts)
        keys.emplace_back("counts");
    if (t.names != Names::none)
        keys.emplace_back("names");
    if (keys.empty())
        return "it takes none";
    std::string out = "expected: ";
    for (std::size_t i = 0; i < keys.size(); ++i)
        out += (i == 0 ? "" : ", ") + keys[i];
    return out;
}

std::optional<std::string> read_names(const Tool& t, const bj::object& in, Arguments& out) {
    const bj::value* v = in.if_contains("names");
    if (v == nullptr) {
        if (t.names == Names::required)
            return "missing argument 'names': the process types or instances to " +
                   std::string(t.name) + ", e.g. [\"web\"] or [\"web.2\"]";
        return std::nullopt;
    }
    if (const bj::string* one = v->if_string()) {
        out.names.emplace_back(*one);  // one name given as a string: taken as a list of one
    } else if (const bj::array* list = v->if_array()) {
        for (const bj::value& n : *list) {
            if (!n.is_string())
                return "argument 'names' must be an array of strings, got " + bj::serialize(n) +
                       " in it";
            out.names.emplace_back(n.get_string());
        }
    } else {
        return "argument 'names' must be an array of strings, e.g. [\"web\"]";
    }
    for (const std::string& n : out.names) {
        if (n.empty())
            return std::string("argument 'names' holds an empty name");
    }
    if (out.names.empty() && t.names == Names::required)
        return "argument 'names' is empty: name at least one process type or instance";
    return std::nullopt;
}

std::optional<std::string> read_signal(const bj::object& in, Arguments& out) {
    const bj::value* v = in.if_contains("signal");
    if (v == nullptr)
        return std::string("missing argument 'signal': a name such as HUP or USR1, or a number");
    std::string text;
    if (v->is_string())
        text = std::string(v->get_string());
    else if (v->is_int64())
        text = std::to_string(v->get_int64());
    else
        return "argument 'signal' must be a string such as \"HUP\", got " + bj::serialize(*v);
    const std::optional<int> sig = parse_signal(text);
    if (!sig)
        return "unknown signal '" + text + "': a name such as USR1, SIGHUP, TERM or a number " +
               "from 1 to 64";
    out.signal = *sig;
    return std::nullopt;
}

std::optional<std::string> read_lines(const bj::object& in, Arguments& out) {
    const bj::value* v = in.if_contains("lines");
    if (v == nullptr)
        return std::nullopt;
    if (!v->is_int64() || v->get_int64() < 1 || v->get_int64() > kMaxToolLines)
        return fmt::format("argument 'lines' must be an integer from 1 to {}, got {}",
                           kMaxToolLines, bj::serialize(*v));
    out.lines = static_cast<std::size_t>(v->get_int64());
    return std::nullopt;
}

std::optional<std::string> read_counts(const bj::object& in, Arguments& out) {
    const bj::value* v = in.if_contains("counts");
    if (v == nullptr)
        return std::string(
            "missing argument 'counts': instances per process type, e.g. "
            "{\"web\": 3}");
    const bj::object* counts = v->if_object();
    if (counts == nullptr || counts->empty())
        return "argument 'counts' must be an object of process types and counts, e.g. "
               "{\"web\": 3}, got " +
               bj::serialize(*v);
    for (const auto& kv : *counts) {
        if (!kv.value().is_int64() || kv.value().get_int64() < 0 ||
            kv.value().get_int64() > kMaxScale)
            return fmt::format("the count of '{}' must be an integer from 0 to {}, got {}",
                               std::string_view(kv.key()), kMaxScale, bj::serialize(kv.value()));
        out.counts.push_back(
            fmt::format("{}={}", std::string_view(kv.key()), kv.value().get_int64()));
    }
    return std::nullopt;
}

std::optional<std::string> read_arguments(const Tool& t, const bj::object& in, Arguments& out) {
    for (const auto& kv : in) {
        const std::string_view key = kv.key();
        const bool known = (key == "names" && t.names != Names::none) ||
                           (key == "signal" && t.signal) || (key == "lines" && t.lines) ||
                           (key == "counts" && t.counts);
        if (!known)
            return "unknown argument '" + std::string(key) + "' (" + allowed_keys(t) + ")";
    }
    if (t.signal) {
        if (auto error = read_signal(in, out))
            return error;
    }
    if (t.lines) {
        if (auto error = read_lines(in, out))
            return error;
    }
    if (t.counts) {
        if (auto error = read_counts(in, out))
            return error;
    }
    return read_names(t, in, out);
}

// ---- replies as text -----------------------------------------------------------

std::string instance_lines(const ControlReply& reply) {
    std::size_t width = 0;
    for (const auto& s : reply.instances)
        width = std::max(width, s.name.size());
    std::string out;
    for (const auto& s : reply.instances) {
        out += fmt::format("{:<{}}  {}{}\n", s.name, width, s.state.empty() ? "-" : s.state,
                           s.pid > 0 ? fmt::format(" (pid {})", s.pid) : std::string());
    }
    return out;
}

std::string signalled_lines(int signal, const ControlReply& reply) {
    std::size_t width = 0;
    for (const auto& s : reply.instances)
        width = std::max(width, s.name.size());
    std::string out;
    for (const auto& s : reply.instances) {
        std::string pids;
        for (int pid : s.signalled)
            pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
        if (pids.empty())
            out += fmt::format("{:<{}}  not running: nothing sent\n", s.name, width);
        else
            out += fmt::format("{:<{}}  {} sent to pid{} {}\n", s.name, width, signal_name(signal),
                               s.signalled.size() == 1 ? "" : "s", pids);
    }
    return out;
}

std::string reply_text(const Tool& t, const Arguments& args, const ControlReply& reply) {
    if (t.name == "status") {
        return fmt::format("procrun (pid {}):\n{}", reply.pid,
                           render_status_table(reply.instances));
    }
    if (t.name == "signal")
        return signalled_lines(args.signal, reply);
    if (t.name == "kill")
        return fmt::format("procrun (pid {}) is stopping every process and exiting\n", reply.pid);
    return instance_lines(reply);
}

// The lines of a logs reply as text: "HH:MM:SS.mmm web.1 | what it printed",
// the pieces of a long line joined back.
std::string log_text(const std::vector<std::string>& lines) {
    std::string out;
    bool open = false;
    for (const std::string& json : lines) {
        const Decoded<LogLine> line = decode_log_line(json);
        if (!line.ok())
            continue;
        const LogLine& l = *line.value;
        if (l.continued && open) {
            out.pop_back();
            out += l.line + "\n";
            continue;
        }
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(l.time.time_since_epoch())
                .count();
        const std::time_t secs = static_cast<std::time_t>(ms / 1000);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        out += fmt::format("{:02}:{:02}:{:02}.{:03}Z {} | {}\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
                           ms % 1000, l.process, l.line);
        open = true;
    }
    return out.empty() ? std::string("(no output yet)\n") : out;
}

std::optional<ControlRequest> make_request(const Tool& t, const Arguments& args) {
    const std::optional<ControlCommand> command = parse_control_command(t.name);
    if (!command)
        return std::nullopt;
    ControlRequest request;
    request.command = *command;
    request.targets = t.counts ? args.counts : args.names;
    request.signal = args.signal;
    if (t.lines)
        request.lines = args.lines;
    return request;
}

}  // namespace

bj::array tool_definitions() {
    bj::array out;
    for (const Tool& t : tools()) {
        out.push_back(bj::object{
            {"name", t.name},
            {"title", t.title},
            {"description", t.description},
            {"inputSchema", input_schema(t)},
            {"annotations",
             {{"title", t.title},
              {"readOnlyHint", t.read_only},
              {"destructiveHint", t.destructive},
              {"idempotentHint", t.idempotent},
              {"openWorldHint", false}}},
        });
    }
    return out;
}

bool is_tool(std::string_view name) {
    return find_tool(name) != nullptr;
}

ToolResult call_tool(Control& control, std::string_view name, const bj::object& arguments) {
    const Tool* t = find_tool(name);
    if (t == nullptr)
        return {"unknown tool '" + std::string(name) + "'", true};
    Arguments args;
    if (auto error = read_arguments(*t, arguments, args))
        return {std::string(t->name) + ": " + *error, true};
    try {
        const std::optional<ControlRequest> request = make_request(*t, args);
        if (!request)
            return {std::string(t->name) + ": this procrun has no such request", true};
        if (t->lines) {
            const Control::Logs logs = control.logs(*request);
            if (!logs.reply.ok)
                return {std::string(t->name) + ": " + logs.reply.error, true};
            return {log_text(logs.lines), false};
        }
        const ControlReply reply = control.request(*request);
        if (!reply.ok)
            return {std::string(t->name) + ": " + reply.error, true};
        return {reply_text(*t, args, reply), false};
    } catch (const NotRunning& e) {
        return {std::string(e.what()) + std::string(kNotRunningHint), true};
    } catch (const ControlError& e) {
        return {e.what(), true};
    }
}

}  // namespace procrun::mcp
