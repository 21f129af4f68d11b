#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <functional>
#include <optional>
#include <string_view>

#include "procrun/output.hpp"

namespace procrun {

// The only code that writes procrun's standard output during `start`.
//
// A regular file (or block device) cannot be waited on with epoll and a write
// to it does not block for long, so it is written with plain blocking writes.
// A pipe, terminal or socket is written without blocking: for a pipe or a
// terminal through a private file description opened on /proc/self/fd/1 with
// O_NONBLOCK (so the shell sharing the terminal never sees O_NONBLOCK); for a
// socket, or when /proc is missing, by setting O_NONBLOCK on a duplicate and
// restoring the flags afterwards. When the reader is slow the writer waits for
// writability in the event loop; the caller sees the buffer stay full and
// stops reading its children (back-pressure).
class OutputWriter {
  public:
    OutputWriter(boost::asio::io_context& io, int fd);
    ~OutputWriter();
    OutputWriter(const OutputWriter&) = delete;
    OutputWriter& operator=(const OutputWriter&) = delete;

    // Called after a write that completed once the output became writable
    // again; the buffer is smaller.
    void on_progress(std::function<void()> callback) { on_progress_ = std::move(callback); }
    // Called once when a write fails (EPIPE: the reader went away; ENOSPC...).
    // Everything pending and everything appended later is discarded.
    void on_error(std::function<void(int)> callback) { on_error_ = std::move(callback); }

    // Writes as much of `buffer` as the output takes now, without blocking
    // (except for regular files). If some is left, waits for writability in
    // the loop and continues from there.
    void flush(OutputBuffer& buffer);

    // Whether a write is waiting for the output to become writable.
    [[nodiscard]] bool waiting() const { return waiting_; }
    // errno of the failed write, 0 when none failed.
    [[nodiscard]] int error() const { return error_; }
    // Whether the output is a terminal.
    [[nodiscard]] bool is_terminal() const { return terminal_; }

  private:
    void wait_writable(OutputBuffer& buffer);
    void fail(OutputBuffer& buffer, int err);

    boost::asio::io_context& io_;
    int fd_ = -1;                       // what is written to
    bool owns_fd_ = false;              // fd_ is our own description or duplicate
    std::optional<int> restore_flags_;  // flags to put back on a shared description
    std::optional<boost::asio::posix::stream_descriptor> waiter_;
    bool waiting_ = false;
    bool terminal_ = false;
    int error_ = 0;
    std::function<void()> on_progress_;
    std::function<void(int)> on_error_;
};

// Writes `text` to standard error completely (retrying after EINTR and short
// writes); gives up silently if stderr is gone. For procrun's own messages
// while `start` runs.
void write_stderr(std::string_view text);

}  // namespace procrun
