#pragma once

// inotify(7): the kernel's file change notifications, for `watch:`. One
// descriptor per `procrun start`, read in the loop; one watch per folder.

#include <cstdint>
#include <string>
#include <vector>

#include "procrun/posix/fd.hpp"

namespace procrun::posix {

// What happened to one name in a watched folder (or to the folder itself).
struct InotifyEvent {
    enum class Kind {
        written,     // a file opened for writing was closed (IN_CLOSE_WRITE)
        created,     // IN_CREATE
        deleted,     // IN_DELETE
        moved_from,  // IN_MOVED_FROM: moved away from this folder
        moved_to,    // IN_MOVED_TO: moved into it
        gone,        // the watch ended: the folder was deleted or unwatched (IN_IGNORED)
        overflow,    // the kernel's queue overflowed: events were lost (IN_Q_OVERFLOW)
    };
    Kind kind = Kind::written;
    int wd = -1;  // the watch (folder) it happened in; -1 for overflow
    bool is_dir = false;
    std::string name;  // within the folder; empty for the folder itself
};

// A non-blocking, close-on-exec inotify descriptor. Throws std::system_error
// naming inotify_init1; for EMFILE the message names the limit (limit_advice).
Fd inotify_open();

// Watches folder `path` (not through a link, folders only) for files written,
// created, deleted and moved: the watch descriptor, or -errno.
int inotify_watch_folder(int fd, const std::string& path);
void inotify_unwatch(int fd, int wd);

// Reads what is queued, without blocking, and appends it to `out`. Returns
// false when nothing more is there now; throws std::system_error on a read
// error.
bool inotify_read(int fd, std::vector<InotifyEvent>& out);

// For ENOSPC (watches) and EMFILE (instances): which limit was reached, its
// value, and how to raise it. Empty for any other error.
std::string inotify_limit_advice(int error);

// The entries of folder `path` that are folders themselves (links not
// followed), by name; 0, or the errno of opening it.
struct FolderEntry {
    std::string name;
    bool is_dir = false;
};
int list_folder(const std::string& path, std::vector<FolderEntry>& out);

}  // namespace procrun::posix
