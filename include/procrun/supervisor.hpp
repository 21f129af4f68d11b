#pragma once

// `procrun start` and `procrun run`. The policy that `start` follows is in
// procrun/policy.hpp; how a process ended in procrun/exit_status.hpp.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/environment.hpp"
#include "procrun/exit_status.hpp"
#include "procrun/glob.hpp"
#include "procrun/output.hpp"
#include "procrun/plan.hpp"

namespace procrun {

// ---- procrun start ---------------------------------------------------------

// Told how the start-up goes (`procrun start -D`'s waiting command).
class StartupObserver {
  public:
    virtual ~StartupObserver() = default;
    // A line procrun announced before the start-up was decided.
    virtual void announced(std::string_view text) = 0;
    // Once: whether every process started (and passed its readiness probe
    // where it has one). After a failure everything is stopped.
    virtual void decided(bool up) = 0;
};

struct StartOptions {
    OutputStyle style;               // style.format: text or JSON lines (--output)
    std::vector<std::string> quiet;  // process types whose output is hidden
    int output_fd = 1;
    // --log-dir: DIR/procrun.log and DIR/NAME.log per instance (docs/logs.md).
    std::optional<std::filesystem::path> log_dir;
    std::uint64_t log_max_size = 10 * 1024 * 1024;  // rotate past this many bytes; 0: never
    int log_keep = 5;                               // rotated files kept per log file
    // start --watch (true) or --no-watch (false); unset: the `watch:` settings.
    std::optional<bool> watch;
    // The root's .gitignore patterns, left out of the watches that use them.
    std::vector<PathPattern> gitignore;
    // `--interactive NAME` or a type's `interactive: true`: the instance
    // (web.1) whose stdin is procrun's own stdin (docs/interactive.md).
    std::optional<std::string> interactive;
    StartupObserver* startup = nullptr;  // -D: told when everything is up
    // The output memory `procrun logs` and `attach` read (docs/logs.md): lines
    // and bytes kept per instance (and of procrun's own); 0 lines: none.
    std::size_t log_memory = 1000;
    std::size_t log_memory_bytes = 1024 * 1024;
    // The process types named on the command line: a type with `autostart:
    // false` is started only when named (or when a started type depends on it).
    std::vector<std::string> named;
};

// Runs every instance of `plan` under the policy (procrun/policy.hpp) in one Boost.Asio
// event loop until they have all stopped; returns procrun's exit code.
int run_start(const Plan& plan, const StartOptions& options);

// ---- procrun run ----------------------------------------------------------

struct ForegroundOptions {
    std::string command;        // for `/bin/sh -c`
    Environment env;            // the whole environment
    std::filesystem::path cwd;  // empty: the current directory
};

// Runs one command in the foreground with procrun's stdin, stdout, stderr and
// terminal, forwarding signals; returns its exit code (128 + signal if killed).
int run_foreground(const ForegroundOptions& options);

}  // namespace procrun
