#pragma once

// `procrun start -D`: procrun goes on in the background while the command that
// started it waits until the start is decided, and exits with its outcome.
//
// daemonize() forks twice: the first child starts a new session and forks the
// background procrun (which, not leading its session, can never acquire a
// controlling terminal), then exits. The background procrun has /dev/null on
// standard input and output, and on standard error the write end of a pipe
// whose read end the waiting command holds: what procrun reports on stderr
// while starting reaches the user's terminal. Records on that pipe are lines
// starting with a NUL byte, which no message of procrun's does:
//
//   \0pid N      the background procrun's pid
//   \0say TEXT   a line procrun announced; shown only if the start fails
//   \0up         everything started: the waiting command exits 0
//   \0failed     the start failed; everything is being stopped
//   \0exit N     the background procrun ends with exit code N
//
// Once up (or if the waiting command is gone), the background procrun's
// stderr becomes `log`. After `\0failed` the waiting command reads on until
// `\0exit` or end-of-file, so that when it returns nothing is left running.
// A fork happens before any thread or io_context exists: call daemonize()
// first thing after the files are loaded.

#include <sys/types.h>

#include <cstddef>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "procrun/posix/fd.hpp"

namespace procrun::posix {

// The background procrun's end of the pipe.
class DaemonReport {
  public:
    DaemonReport() = default;  // inactive: every call is a no-op
    DaemonReport(Fd pipe, Fd log) : pipe_(std::move(pipe)), log_(std::move(log)) {}

    [[nodiscard]] bool waiting() const { return pipe_.valid(); }
    void pid(pid_t pid);
    void announced(std::string_view text);
    // Everything is up: stderr becomes the log, the waiting command exits 0.
    void up();
    void failed();
    // procrun is about to exit with `code`: the last record.
    void exit(int code);

  private:
    void record(std::string_view text);
    void to_log();

    Fd pipe_;  // a duplicate of stderr while someone waits: the records go through it
    Fd log_;
};

// What the waiting command learnt. Lines the background procrun wrote to
// stderr meanwhile were copied to the waiting command's stderr as they came.
struct DaemonOutcome {
    pid_t pid = 0;                 // 0 when it never said (it could not start)
    bool up = false;               // everything started
    bool failed = false;           // the start failed
    std::optional<int> exit_code;  // how the background procrun ended, when it did
    std::deque<std::string> said;  // the last kMaxSaid lines it announced
    bool fork_failed = false;      // the intermediate child could not fork
};

inline constexpr std::size_t kMaxSaid = 200;

struct Daemonized {
    std::optional<DaemonOutcome> waited;  // set in the waiting command only
    DaemonReport report;                  // the background procrun's
};

// Forks as described above. `log` (opened for appending, created 0600,
// truncated) receives the background procrun's stderr once it is up; when it
// cannot be opened, /dev/null does. Throws std::system_error (pipe2, fork)
// before forking.
Daemonized daemonize(const std::filesystem::path& log);

}  // namespace procrun::posix
