#pragma once

// procrun's own children, as the kernel lists them: the processes it spawned
// and, as a child subreaper, the orphans reparented to it (a daemon whose
// parent exited after forking it).

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace procrun::posix {

// The children of every thread of this process, zombies included, from
// /proc/self/task/TID/children (or, where the kernel lacks that file, from
// every /proc/PID/stat whose parent is this process).
std::vector<pid_t> own_children();

// The children of every thread of process `pid`, from
// /proc/PID/task/TID/children; nullopt when the kernel lacks that file (or
// the process is gone).
std::optional<std::vector<pid_t>> children_of(pid_t pid);

struct LiveProcess {
    pid_t pgid = -1;
    std::string command;  // its command line, arguments separated by spaces
};

// `pid`'s process group and command line while it runs; nullopt once it has
// exited (a zombie not yet reaped included) or is gone.
std::optional<LiveProcess> live_process(pid_t pid);

}  // namespace procrun::posix
