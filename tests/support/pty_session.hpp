#pragma once

// A program (the real procrun binary, usually) run on a fresh pseudo-terminal
// that is its controlling terminal, as in a terminal window: the test types
// into it, reads what it shows, changes its window size and signals it.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

namespace procrun::test {

class PtySession {
  public:
    // Starts `argv` (PATH searched) as the leader of a new session whose
    // controlling terminal is the slave of a new pseudo-terminal of `rows` x
    // `cols`, in canonical mode with echo, as a shell leaves a terminal. The
    // environment and directory come from `options` (stdin_data and timeout
    // are not used); TERM is set to "xterm" unless `options` sets it.
    PtySession(const std::vector<std::string>& argv, const RunOptions& options,
               unsigned short rows = 24, unsigned short cols = 80);
    ~PtySession();  // SIGKILL to its process group if it still runs
    PtySession(const PtySession&) = delete;
    PtySession& operator=(const PtySession&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }

    // Writes `bytes` to the terminal, as typed (blocking until all is written).
    void write(std::string_view bytes);
    // A line typed and Enter.
    void type_line(std::string_view line) { write(std::string(line) + "\r"); }
    // Control keys, typed: the terminal's line discipline turns them into
    // signals (Ctrl-C: SIGINT, Ctrl-Z: SIGTSTP to the foreground group) or
    // end-of-file (Ctrl-D at the start of a line).
    void ctrl_c() { write("\x03"); }
    void ctrl_d() { write("\x04"); }
    void ctrl_z() { write("\x1a"); }

    // Reads until everything shown since the start contains `text` after
    // position `from` (default: anywhere), or `timeout`. Returns whether it did.
    bool wait_for(std::string_view text, std::chrono::milliseconds timeout, std::size_t from = 0);
    // Reads whatever arrives within `duration`.
    void settle(std::chrono::milliseconds duration);
    // Everything the terminal showed so far (its "\r\n" as the program's line
    // discipline wrote them).
    [[nodiscard]] const std::string& output() const { return output_; }
    // Counts the occurrences of `text` in output().
    [[nodiscard]] std::size_t count(std::string_view text) const;

    // Sets the terminal's window size (the kernel sends SIGWINCH to its
    // foreground process group).
    void resize(unsigned short rows, unsigned short cols);
    // `sig` to the process (not its group).
    void signal(int sig) const;

    // Waits for the process to exit, reading its output meanwhile. Returns
    // the exit code, or 128 + the signal that killed it, or -1 on timeout
    // (the process is left running).
    int wait_exit(std::chrono::milliseconds timeout);
    [[nodiscard]] bool exited() const { return reaped_; }

  private:
    bool pump(std::chrono::milliseconds budget);
    bool reap(bool block);

    pid_t pid_ = -1;
    int master_ = -1;
    std::string output_;
    bool reaped_ = false;
    int status_ = 0;
};

}  // namespace procrun::test
