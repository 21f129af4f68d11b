#pragma once

// Readiness probes of `procrun start`: Asio objects in the supervisor's one
// event loop that tell when an instance is ready (docs/readiness.md).

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/lifecycle.hpp"

namespace procrun {

namespace posix {
class Reaper;
}

struct ProbeResult {
    bool ready = false;
    int attempts = 0;    // attempts made (tcp, http, exec); 0 for none and log
    std::string detail;  // when not ready: the last failure, e.g. "connect to
                         // 127.0.0.1:5000: Connection refused after 60 attempts"
};

// One instance's readiness probe.
//
// tcp, http and exec: after `initial_delay`, one attempt; each failed attempt
// is followed, `interval` after it ended, by the next, until one succeeds
// (ready) or `retries` attempts have failed. An attempt that takes longer than
// `timeout` fails (an exec attempt's process group is killed).
// log: ready at the first output line given to feed_line() that matches
// `pattern`; never ready if none has matched `initial_delay + interval *
// retries` after start().
// none: ready as soon as it is started.
//
// `done` is always called from the loop (never from within start() or
// feed_line()), at most once per start(), and never after cancel() or
// destruction. Nothing a probe starts outlives it: cancel() and the destructor
// close its sockets and kill an exec attempt's process group.
class Probe {
  public:
    using Done = std::function<void(ProbeResult)>;

    // `instance_port` is the instance's $PORT (0: none), probed when
    // `readiness.port` is 0. `env` ("KEY=value") and `cwd` are those of an exec
    // probe's command; its exit is waited for through `reaper`. Throws
    // std::invalid_argument for a log pattern that is not an ECMAScript regex.
    Probe(boost::asio::io_context& io, const Readiness& readiness, int instance_port,
          std::vector<std::string> env, std::filesystem::path cwd, posix::Reaper& reaper);
    ~Probe();
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;

    // Starts probing (again: a running probe is cancelled first, so one Probe
    // serves every run of a restarted instance).
    void start(Done done);
    // Stops probing; `done` will not be called. Safe at any time, also from `done`.
    void cancel();

    // For a log probe: whether `line` (one output line without its line break,
    // searched in its first 1024 bytes) is the first to match. Only the first
    // match returns true; `done` then follows from the loop. False for other
    // kinds or when not running.
    bool feed_line(std::string_view line);

    // Running: started, neither done nor cancelled.
    [[nodiscard]] bool running() const;
    // Whether output lines should be given to feed_line() now.
    [[nodiscard]] bool wants_lines() const;
    [[nodiscard]] const Readiness& readiness() const;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace procrun
