#pragma once

#include <sys/resource.h>

#include <cstddef>
#include <optional>
#include <string>

namespace procrun::posix {

struct FdLimit {
    rlim_t original_soft = 0;  // the soft RLIMIT_NOFILE procrun was started with
    rlim_t soft = 0;           // now
    rlim_t hard = 0;
};

// Raises procrun's soft RLIMIT_NOFILE to its hard limit (capped at what the
// kernel accepts, fs.nr_open), so that a large formation is not cut short by a
// low default. Children get `original_soft` back before exec
// (SpawnOptions::nofile_soft): programs using select() misbehave with
// descriptors above FD_SETSIZE. A refused raise leaves the limit as it was.
FdLimit raise_fd_limit();

// Descriptors procrun holds for each running instance: its output pipe (or
// pty), the write end of its stdin pipe, the pidfd of its process handle and,
// once it has exited, a pidfd per member of its group still alive; one more
// with a log file.
inline constexpr std::size_t kFdsPerInstance = 4;
// Descriptors procrun needs besides: standard streams, the event loop, its
// signal pipe and timers, /dev/null, the guardian's pipe, a spawn's transient
// pipes, probes' sockets, its own log file.
inline constexpr std::size_t kFdsFixed = 32;

// About how many descriptors `instances` running instances need, with
// `already_open` descriptors open now.
std::size_t fds_needed(std::size_t instances, bool log_files, std::size_t already_open);

// How many descriptors this process has open now (from /proc/self/fd).
std::size_t open_fd_count();

// The error to report before starting anything when `limit` descriptors are
// not enough: "1000 instances need about 4040 file descriptors; the limit is
// 1024 (ulimit -n)" with a hint; nullopt when they are.
std::optional<std::string> check_fd_budget(std::size_t instances, bool log_files,
                                           std::size_t already_open, rlim_t limit);

// What execve accepts here: at most `max_string` bytes in one argument or
// environment string (MAX_ARG_STRLEN, 32 pages), at most `max_total` in all
// (ARG_MAX); 0 where the system does not say.
struct ArgLimits {
    std::size_t max_string = 0;
    std::size_t max_total = 0;
};
ArgLimits exec_arg_limits();

// For a child between fork and exec (async-signal-safe): sets its soft
// RLIMIT_NOFILE to `soft` (0: leaves it). Returns false with errno set.
bool restore_fd_limit(rlim_t soft);

}  // namespace procrun::posix
