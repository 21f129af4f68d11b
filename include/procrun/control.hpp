#pragma once

// Control of a running `procrun start` from another terminal: `procrun status`,
// `restart`, `stop`, `start NAMES`, `signal` and `kill` talk to the supervisor over a
// Unix stream socket private to the user, one JSON object per line each way.
// The wire format and the files are described in docs/control.md.
//
//   - Pure parts: the request and reply values, their JSON encoding, target
//     resolution, the status table, the socket's name (a hash of the root).
//   - ControlServer: lives in the supervisor's io_context; holds the
//     single-instance lock and the socket for its lifetime.
//   - control_request(): the blocking client of the other commands.
//   `procrun signal SIG NAME...` sends one signal to the named processes.

#include <sys/types.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/environment.hpp"
#include "procrun/plan.hpp"

namespace procrun {

// ---- Requests and replies --------------------------------------------------

enum class ControlCommand {
    status,   // report every instance
    restart,  // stop the targets (their stop signal, then SIGKILL) and start them again
    stop,     // stop the targets; they stay stopped, the others keep running
    start,    // start stopped targets again
    kill,     // stop everything and exit, like Ctrl-C
    signal,   // send `signal` to the targets' processes (see forward_to_group)
    connect,  // join one instance: its output, typed input (include/procrun/connect.hpp)
    logs,     // the targets' recent output (`lines`), then with `follow` a stream of it
    scale,    // targets "TYPE=COUNT": instances 1..COUNT of each type run, the others stop
};

std::string_view to_string(ControlCommand command);
std::optional<ControlCommand> parse_control_command(std::string_view text);

struct ControlRequest {
    ControlCommand command = ControlCommand::status;
    // Process types (every instance of the type) or instance names ("web.2").
    // Empty: every instance. status and kill take none; signal needs some.
    std::vector<std::string> targets;
    int signal = 0;  // signal: the signal number (1 to 64)
    // logs: how many of the last lines (per target, or of everything without
    // targets); unset: kDefaultLogLines. follow: then a stream of new lines.
    std::optional<std::size_t> lines = std::nullopt;
    bool follow = false;

    friend bool operator==(const ControlRequest&, const ControlRequest&) = default;
};

struct InstanceStatus {
    std::string name;  // "web.2"
    std::string type;  // "web"
    int pid = 0;       // 0 when it has no process
    // "waiting", "starting", "running", "ready", "stopping", "stopped",
    // "exited", "backoff", "failed"
    std::string state;
    std::optional<std::int64_t> uptime_ms;  // since its current process started
    int restarts = 0;
    std::string last_exit;       // describe(ExitStatus) of its last exit; "" before any
    std::string readiness;       // "", "pending", "ready", "failed"
    std::vector<int> signalled;  // signal: the pids that got the signal

    friend bool operator==(const InstanceStatus&, const InstanceStatus&) = default;
};

// logs: how many lines when a request does not say.
inline constexpr std::size_t kDefaultLogLines = 100;

// logs: a source of lines, with its colour in the main output's palette
// (-1: procrun's own), so that a client formats them as the main output does.
struct LogSource {
    std::string name;
    int colour = -1;

    friend bool operator==(const LogSource&, const LogSource&) = default;
};

struct ControlReply {
    bool ok = true;
    std::string error;                      // why, when !ok
    std::vector<InstanceStatus> instances;  // status: every one; others: the targets
    int pid = 0;                            // the supervisor's pid (set by ControlServer)
    // More lines follow on this connection (set by ControlServer when the
    // handler kept it open: see ControlStream).
    bool stream = false;
    std::vector<LogSource> sources = {};  // logs: every source it may send lines of

    static ControlReply failure(std::string error);

    friend bool operator==(const ControlReply&, const ControlReply&) = default;
};

// ---- Wire format: one JSON object per line ----------------------------------

// A request line longer than this (newline excluded) is refused.
inline constexpr std::size_t kMaxControlLine = 64 * 1024;

template <class T>
struct Decoded {
    std::optional<T> value;
    std::string error;  // set when value is empty
    [[nodiscard]] bool ok() const { return value.has_value(); }
};

// One line each, newline included.
std::string encode_request(const ControlRequest& request);
std::string encode_reply(const ControlReply& reply);
// `line` without its newline (a trailing '\r' is ignored). Unknown keys are an
// error in a request and ignored in a reply.
Decoded<ControlRequest> decode_request(std::string_view line);
Decoded<ControlReply> decode_reply(std::string_view line);

// One line of `logs`: the object `procrun start --output json` writes,
// {"ts":"2026-11-24T10:00:00.123Z","process":"web.1","stream":"stdout","line":"..."}
// with "continued":true on the pieces after the first of a long line.
struct LogLine {
    std::chrono::system_clock::time_point time;
    std::string process;  // "web.1", or "system" for procrun's own
    std::string stream;   // "stdout" or "system"
    std::string line;
    bool continued = false;
};
Decoded<LogLine> decode_log_line(std::string_view line);

// ---- Targets ---------------------------------------------------------------

struct ResolvedTargets {
    std::vector<std::size_t> instances;  // indices into the instances, in their order, no repeats
    std::string error;                   // unknown names, with every valid one listed
    [[nodiscard]] bool ok() const { return error.empty(); }
};

// Each target is a process type (all its instances) or an instance name;
// empty targets select every instance.
ResolvedTargets resolve_targets(const std::vector<std::string>& targets,
                                const std::vector<Instance>& instances);
// The same over instances held elsewhere: `count` of them, instance i being `at(i)`.
ResolvedTargets resolve_targets(const std::vector<std::string>& targets, std::size_t count,
                                const std::function<const Instance&(std::size_t)>& at);

// One target of `scale`: "TYPE=COUNT".
struct ScaleTarget {
    std::string type;
    int count = 0;
};
// Parses "TYPE=COUNT" (COUNT a whole number 0-999); nullopt with `error` set otherwise.
std::optional<ScaleTarget> parse_scale_target(std::string_view text, std::string* error);

// ---- Status table ----------------------------------------------------------

// "850ms", "42s", "3m07s", "2h05m", "3d04h".
std::string format_uptime(std::int64_t ms);
// The table `procrun status` prints: a header, then one row per instance;
// "-" for what is unknown.
std::string render_status_table(const std::vector<InstanceStatus>& instances);

// ---- Where the socket lives -------------------------------------------------

class ControlError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Nothing answers in that root.
class NotRunning : public ControlError {
  public:
    using ControlError::ControlError;
};

// Another procrun holds the root's lock: this one must not start.
class AlreadyRunning : public ControlError {
  public:
    AlreadyRunning(const std::string& message, pid_t pid) : ControlError(message), pid_(pid) {}
    // 0 when the lock file did not say.
    [[nodiscard]] pid_t pid() const { return pid_; }

  private:
    pid_t pid_;
};

// The root's lock can be taken nowhere (neither in the control directory nor
// in the root): this one must not start either, as it could not tell whether
// another procrun runs the same app. pid() is 0; the message says why.
class LockUnavailable : public AlreadyRunning {
  public:
    explicit LockUnavailable(const std::string& message) : AlreadyRunning(message, 0) {}
};

std::uint64_t fnv1a64(std::string_view bytes);
// The root with symlinks resolved (as far as it exists), absolute and normal.
std::filesystem::path canonical_root(const std::filesystem::path& root);
// 16 lowercase hex digits: fnv1a64 of canonical_root(root).
std::string root_hash(const std::filesystem::path& root);

struct ControlPaths {
    std::filesystem::path root;       // canonical
    std::filesystem::path directory;  // private to the user
    std::filesystem::path socket;     // directory/<hash>.sock
    std::filesystem::path lock;       // directory/<hash>.lock
    // root/.procrun.lock: the lock when the directory cannot be used (another
    // user created it first, say), so that one procrun per root still holds.
    std::filesystem::path root_lock;
};

// $XDG_RUNTIME_DIR/procrun when XDG_RUNTIME_DIR is an absolute path to a
// directory owned by the user without group or other permissions, else
// <tmp>/procrun-<uid> (tmp: $TMPDIR when absolute, else /tmp). Reads the disk,
// changes nothing.
std::filesystem::path control_directory(const Environment& env);
ControlPaths control_paths(const std::filesystem::path& root, const Environment& env);

// Throws ControlError unless `dir` is a directory (not a symlink) owned by the
// effective uid, with no group or other permissions.
void check_private_directory(const std::filesystem::path& dir);
// Creates `dir` with mode 0700 if missing (its parent must exist), then checks it.
void make_private_directory(const std::filesystem::path& dir);

// ---- Streams ---------------------------------------------------------------

// Bytes queued for one stream's client past which it is cut off.
inline constexpr std::size_t kMaxStreamQueue = 1024 * 1024;
// Streams open at once (they count against kMaxControlConnections too).
inline constexpr std::size_t kMaxControlStreams = 32;

// A connection kept open after its reply (docs/control.md, "Streams"): the
// supervisor pushes further lines to the client and hears the client's further
// lines. Used on the loop's thread only; it never blocks: lines are queued and
// written as the client takes them. Its callbacks are called on the loop's
// thread, never from inside one of its own calls.
class ControlStream {
  public:
    virtual ~ControlStream() = default;

    // Queues one line for the client (a JSON value without its newline).
    // Past `stream_queue` bytes waiting for a client that does not read, the
    // client is cut off: the lines not yet written are dropped, it gets the end
    // line {"end":"overrun",...} and the connection closes. False once the
    // stream has ended (the line is dropped).
    virtual bool send(std::string_view line) = 0;
    // Ends the stream: the queued lines are written, then the end line
    // {"end":REASON,"message":MESSAGE}, and the connection closes.
    virtual void end(std::string_view reason, std::string_view message) = 0;
    [[nodiscard]] virtual bool open() const = 0;
    // Bytes waiting for the client.
    [[nodiscard]] virtual std::size_t queued() const = 0;

    // Each further line from the client, without its newline.
    virtual void on_line(std::function<void(std::string_view line)> callback) = 0;
    // Once, when the stream ends for any reason: "client" (it closed the
    // connection or its writing side), "overrun" (cut off), "too long" (a
    // line from the client over kMaxControlLine), "exiting" (the server shuts
    // down), "refused" (the request's reply was an error), or end()'s reason.
    virtual void on_end(std::function<void(std::string_view reason)> callback) = 0;
};

// The connection a request came on.
class ControlConnection {
  public:
    virtual ~ControlConnection() = default;
    // Keeps the connection open after this request's reply (which then says
    // "stream":true), as a stream; lines sent before the reply is written
    // follow it. Once a stream, every further line from the client goes to
    // the stream, and no idle timeout applies. Called again, the same stream.
    // Throws ControlError when `max_streams` are open (an error reply).
    virtual std::shared_ptr<ControlStream> keep_open() = 0;
};

// ---- Server ----------------------------------------------------------------

// What the supervisor does with a request; called on the io_context's thread.
// An exception becomes an error reply.
class ControlHandler {
  public:
    virtual ~ControlHandler() = default;
    virtual ControlReply handle(const ControlRequest& request) = 0;
    // What the server calls: a handler that streams overrides it and calls
    // connection.keep_open(); the default answers with handle(request). A
    // stream whose reply is an error ends at once ("refused").
    virtual ControlReply serve(const ControlRequest& request, ControlConnection& connection) {
        (void)connection;
        return handle(request);
    }
};

// A connection without a complete request for this long is closed.
inline constexpr std::chrono::milliseconds kControlIdleTimeout{5000};
// Connections served at once; a new one past this closes the oldest.
inline constexpr std::size_t kMaxControlConnections = 64;

struct ControlServerOptions {
    std::chrono::milliseconds idle_timeout = kControlIdleTimeout;
    std::size_t max_connections = kMaxControlConnections;
    std::size_t max_streams = kMaxControlStreams;
    std::size_t stream_queue = kMaxStreamQueue;
};

// Takes the root's lock (flock LOCK_EX|LOCK_NB on <hash>.lock, which then holds
// this pid), replaces a stale socket and listens on <hash>.sock (mode 0600).
// Connections are accepted and served on `io` asynchronously; a peer of another
// uid gets an error reply and is closed; a connection that sends no complete
// request for `idle_timeout` is closed (a stream is not); when
// `max_connections` are open, a new one closes the oldest that is not a stream,
// so a full house never locks out a request; at most `max_streams` of them are
// streams (keep_open() refuses one more). A stream cut off for not reading
// still gets `idle_timeout` to take its end line, then it is closed. A request
// whose client has closed the connection (it gave up waiting) is dropped, not
// carried out. Destroying it (before `io`) marks the lock file "exiting",
// writes to each stream what it can without waiting (its queued lines, then
// {"end":"exiting",...}), closes every connection and removes the socket and
// the lock file.
//
// When the control directory cannot be used (another user created it, a link,
// a mode open to others), the lock is taken on paths.root_lock instead and the
// server runs without a socket: unavailable() says why. A lock file in the root
// is also honoured when the directory is usable, so the two places agree.
//
// Throws AlreadyRunning when another procrun holds the lock, LockUnavailable
// when no lock can be taken.
class ControlServer {
  public:
    // Paths from control_paths(root, the process's environment).
    ControlServer(boost::asio::io_context& io, const std::filesystem::path& root,
                  ControlHandler& handler);
    ControlServer(boost::asio::io_context& io, const ControlPaths& paths, ControlHandler& handler,
                  ControlServerOptions options = {});
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    [[nodiscard]] const ControlPaths& paths() const;
    // Why there is no control socket (the lock is held all the same); "" when
    // it listens.
    [[nodiscard]] const std::string& unavailable() const;

    struct State;

  private:
    std::shared_ptr<State> state_;
};

// ---- Client ----------------------------------------------------------------

inline constexpr std::chrono::milliseconds kControlTimeout{5000};

// Sends one request to the procrun running in `root` and waits for its reply.
// Throws NotRunning when none runs there ("no procrun is running in ROOT"),
// ControlError on a timeout, an unsafe directory or a malformed reply. A
// refused request is a reply with ok == false, not an exception.
//
// On a timeout after the request was sent, the connection is closed, which
// withdraws it: the server drops a request whose client has gone, so "did not
// answer" means it is not carried out. A connection closed without a reply
// while the lock file says "exiting" (or is gone) reports "procrun is exiting".
ControlReply control_request(const std::filesystem::path& root, const ControlRequest& request,
                             std::chrono::milliseconds timeout = kControlTimeout);
ControlReply control_request(const ControlPaths& paths, const ControlRequest& request,
                             std::chrono::milliseconds timeout = kControlTimeout);

// A request whose connection stays open (a stream, see ControlStream): sends
// it and waits for its reply like control_request (the same errors within
// `timeout`), then reads the further lines as they come, for as long as the
// caller wants. It runs its own io_context, on which the caller may wait for
// other things too (a signal_set, its terminal).
class ControlClientStream {
  public:
    ControlClientStream(const ControlPaths& paths, const ControlRequest& request,
                        std::chrono::milliseconds timeout = kControlTimeout);
    ~ControlClientStream();
    ControlClientStream(const ControlClientStream&) = delete;
    ControlClientStream& operator=(const ControlClientStream&) = delete;

    // The reply; when !reply().ok or !reply().stream, no line follows.
    [[nodiscard]] const ControlReply& reply() const;
    [[nodiscard]] boost::asio::io_context& io();

    // The next line from the server (without its newline), running io()
    // meanwhile; nullopt once the stream has ended (end() says how) or
    // interrupt() was called. An end line is not returned: it ends the stream.
    std::optional<std::string> next_line();
    // Whether next_line() has a line without waiting.
    [[nodiscard]] bool line_ready() const;
    // Queues one line for the server (a newline is added); written while
    // next_line() runs.
    void send_line(std::string_view line);
    // From a handler on io() (Ctrl-C): next_line() returns nullopt.
    void interrupt();

    struct End {
        // The end line's reason ("exiting", "overrun", ...); "closed" when the
        // connection ended without one; "interrupted" after interrupt().
        std::string reason;
        std::string message;  // for a person: "procrun in /srv/app has exited", ...
    };
    [[nodiscard]] const End& end() const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

// The end line of a stream: {"end":REASON,"message":MESSAGE}, newline included.
std::string encode_stream_end(std::string_view reason, std::string_view message);
// A line that ends a stream: its reason and message; nullopt for any other line.
std::optional<ControlClientStream::End> decode_stream_end(std::string_view line);

struct RunningSupervisor {
    pid_t pid = 0;  // from the lock file; 0 when unreadable
    std::filesystem::path socket;
};

// The procrun running in `root`, if one accepts connections on its socket.
std::optional<RunningSupervisor> find_running(const ControlPaths& paths);
std::optional<RunningSupervisor> find_running(const std::filesystem::path& root);

}  // namespace procrun
