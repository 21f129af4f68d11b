#pragma once

// The stdin of a process under `procrun start`: a pipe whose write end procrun
// holds for as long as the process runs, so that the process never reads
// end-of-file unless procrun closes it, and a read with nothing to read waits.

#include <sys/types.h>

#include "procrun/posix/fd.hpp"

namespace procrun::posix {

// A close-on-exec pipe for a child's stdin: the read end (the child's) stays
// blocking, the write end (procrun's) is non-blocking. Throws
// std::system_error naming the call.
Pipe make_input_pipe();

// Whether `fd` is a terminal whose foreground process group is not procrun's
// (procrun runs in the background of it: a read would stop it with SIGTTIN).
bool in_terminal_background(int fd);

// Whether `fd`, a terminal, is no longer one procrun can read (it hung up:
// it has no foreground process group any more).
bool terminal_hung_up(int fd);

// How many bytes wait to be read from `fd` (FIONREAD); 0 when it cannot tell.
int unread_bytes(int fd);

// Whether a process of group `pgid` is running or runnable now (state R in
// /proc/PID/stat), rather than blocked or stopped.
bool group_running(pid_t pgid);

// The end-of-file character (VEOF, usually Ctrl-D) of the terminal whose
// pseudo-terminal master is `master`; 0x04 when it cannot be read.
char terminal_eof_char(int master);

// Whether a process of group `pgid` is blocked reading its stdin now, as the
// kernel tells it: /proc/PID/syscall shows it inside read(2), readv(2) or
// pread64(2) on descriptor 0, and that descriptor is the pipe whose write
// end is `stdin_writer` (with `terminal`: a terminal, the pseudo-terminal
// procrun gave it). The group's leader is looked at first, then the other
// members (from /proc). False when it cannot tell (no /proc, a process
// another user's).
bool waiting_for_input(pid_t pgid, int stdin_writer, bool terminal);

}  // namespace procrun::posix
