#pragma once

#include <sys/types.h>
#include <termios.h>

#include <string_view>

namespace procrun::posix {

// procrun's hold on the terminal during `procrun run`: when its stdin is the
// terminal it is in the foreground of, the child's group is given the
// terminal and procrun takes it, and its modes, back at the end.
class TerminalHandover {
  public:
    TerminalHandover();
    ~TerminalHandover();
    TerminalHandover(const TerminalHandover&) = delete;
    TerminalHandover& operator=(const TerminalHandover&) = delete;

    // The terminal to hand to the child (0), or -1 when procrun holds none.
    [[nodiscard]] int tty() const { return active_ ? 0 : -1; }

    void take_back();

    // The child stopped: take the terminal, stop procrun itself; once
    // continued in the foreground, give the terminal back and continue the
    // child. Only when procrun runs in a terminal's foreground: elsewhere
    // nobody would be there to continue it.
    void suspend(pid_t child);

  private:
    bool active_ = false;
    termios modes_{};
};

// Whether `pid`, a child of procrun, is stopped now (waitid WSTOPPED|WNOHANG:
// the stop is consumed, the child is not reaped).
bool is_stopped_now(pid_t pid);

// Writes `text` whole to `fd`, ignoring errors: a last message on stderr.
void write_message(int fd, std::string_view text);

}  // namespace procrun::posix
