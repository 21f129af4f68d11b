#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace procrun::posix {

// For a child between fork and exec: every signal back to its default
// disposition (an ignored SIGPIPE would otherwise survive exec) and an empty
// signal mask. Async-signal-safe.
void reset_signals_for_exec();

// procrun's own dispositions: SIGPIPE ignored (a closed stdout becomes EPIPE),
// SIGCHLD at its default (an ignored SIGCHLD makes the kernel reap children
// before procrun can read their status).
void set_supervisor_dispositions();

// Whether the signal's default action ends the process (with or without a
// core dump) and it can be caught: what procrun must catch so that no signal
// ends it without stopping its processes. The synchronous faults (SIGSEGV,
// SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS) and SIGABRT are not among them: a
// process cannot go on after those.
bool terminates_by_default(int signal);

// Every signal `procrun start` catches: each one terminates_by_default,
// SIGWINCH, and job control's SIGTSTP and SIGCONT.
std::vector<int> supervisor_signals();

// Every signal `procrun run` passes on to its command (as supervisor_signals,
// without SIGTSTP and SIGCONT: the command's own group gets those from the
// terminal).
std::vector<int> foreground_signals();

// Suspends every process of group `pgid` as a shell suspends a job: SIGTSTP,
// or SIGSTOP to a process that ignores SIGTSTP (a handler decides for itself).
// Returns how many processes were signalled.
int suspend_group(pid_t pgid);

// Stops procrun itself (SIGSTOP, which cannot be caught); returns once it has
// been continued.
void stop_self();

}  // namespace procrun::posix
