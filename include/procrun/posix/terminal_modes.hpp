#pragma once

// The modes of the terminal `procrun connect` runs in: raw while it is joined
// to a process on a pseudo-terminal, line by line (with one more key that ends
// a line) while joined to one on a pipe, and put back as they were on every
// way out.

#include <termios.h>

#include <optional>

#include "procrun/posix/pty.hpp"

namespace procrun::posix {

class TerminalModes {
  public:
    // Saves the modes of the terminal on `fd`; nothing to do (active() false)
    // when `fd` is not a terminal.
    explicit TerminalModes(int fd);
    ~TerminalModes();  // restore()
    TerminalModes(const TerminalModes&) = delete;
    TerminalModes& operator=(const TerminalModes&) = delete;

    [[nodiscard]] bool active() const { return saved_.has_value(); }

    // Raw, as ssh sets it: every key a byte as typed (Ctrl-C, Ctrl-Z, Ctrl-D
    // included), no echo, no line editing, output written as is. Returns
    // false (errno set) when the terminal refuses.
    bool make_raw();
    // Line by line, as saved (echo, line editing, Ctrl-C a signal), with
    // `key` ending a line too: a read returns what was typed up to it, `key`
    // included, at once.
    bool end_lines_with(char key);
    // The saved modes back (TCSADRAIN: after what was written), if changed.
    void restore();
    // The modes set last, again (after a stop and `fg`, the shell has its own).
    void reapply();

  private:
    int fd_;
    std::optional<termios> saved_;
    std::optional<termios> applied_;  // what make_raw or end_lines_with set
    bool changed_ = false;            // the terminal has `applied_` now
};

// The window size of the terminal on `fd` (TIOCGWINSZ); nullopt when `fd` is
// not a terminal or reports 0 rows or columns.
std::optional<WindowSize> window_size_of(int fd);

}  // namespace procrun::posix
