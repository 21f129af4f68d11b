#pragma once

// Pseudo-terminals for `procrun start --pty`: the child's stdout and stderr are
// the terminal side (the slave), procrun reads the other side (the master), so
// the child line-buffers and keeps its colours as it would at a terminal.

#include <sys/ioctl.h>

#include "procrun/posix/fd.hpp"

namespace procrun::posix {

using WindowSize = struct winsize;

// The size a pseudo-terminal gets when procrun's own terminal size is unknown.
inline constexpr unsigned short kDefaultColumns = 80;
inline constexpr unsigned short kDefaultRows = 24;

// The window size of procrun's terminal: that of the first of stdout, stderr
// and stdin that is a terminal reporting a non-zero size (TIOCGWINSZ); 80x24
// when none is (output to a file or a pipe, a serial line reporting 0x0).
WindowSize terminal_window_size();

// One child's pseudo-terminal.
//   master: procrun's side, close-on-exec and non-blocking. Reading it yields
//           the child's output; once the child and every process that inherited
//           the terminal have closed it, read() fails with EIO (not 0) after the
//           last byte: that is the end of the output.
//   slave:  the child's terminal, close-on-exec, opened without becoming
//           procrun's controlling terminal. Give it to spawn_shell as
//           SpawnOptions::pty_slave, then close it in procrun at once: while
//           procrun holds it, the master never reports the end.
struct PtyChannel {
    Fd master;
    Fd slave;
};

// Opens a pseudo-terminal pair (posix_openpt, grantpt, unlockpt, then the
// slave through TIOCGPTPEER, or its ptsname_r path on kernels before 4.13),
// sets its window size to `window` and the slave's modes to a terminal's
// usual output processing with no echo: OPOST|ONLCR on (a `\n` the child
// writes arrives as `\r\n`, so read it with LineSplitter's strip_cr), ECHO off,
// no other output translation. Throws std::system_error naming the call.
PtyChannel open_pty(const WindowSize& window);
PtyChannel open_pty();  // with terminal_window_size()

// Sets the window size of a pseudo-terminal through its master; the kernel
// sends SIGWINCH to the terminal's foreground process group (the child's) when
// the size changes. Returns false with errno set on failure (a master already
// closed is EBADF).
bool set_window_size(int master, const WindowSize& window);

// The window size of a pseudo-terminal, through its master.
WindowSize window_size(int master);

}  // namespace procrun::posix
