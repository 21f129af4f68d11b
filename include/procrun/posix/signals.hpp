#pragma once

namespace procrun::posix {

// For a child between fork and exec: every signal back to its default
// disposition (an ignored SIGPIPE would otherwise survive exec) and an empty
// signal mask. Async-signal-safe.
void reset_signals_for_exec();

// procrun's own dispositions: SIGPIPE ignored (a closed stdout becomes EPIPE),
// SIGCHLD at its default (an ignored SIGCHLD makes the kernel reap children
// before procrun can read their status).
void set_supervisor_dispositions();

}  // namespace procrun::posix
