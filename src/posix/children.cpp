#include "procrun/posix/children.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>

#include "procrun/posix/guardian.hpp"
#include "procrun/posix/process_group.hpp"

namespace procrun::posix {

namespace {

// Every /proc/PID/stat whose parent is this process.
std::vector<pid_t> children_from_stat() {
    std::vector<pid_t> out;
    const pid_t self = ::getpid();
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr)
        return out;
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        const auto st = read_proc_stat(e->d_name);
        if (st && st->ppid == self)
            out.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    }
    ::closedir(dir);
    return out;
}

// Appends the numbers of the file at `path` (separated by spaces); false
// when it cannot be opened.
bool read_pids(const std::string& path, std::vector<pid_t>& out) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[4096];
    long value = 0;
    bool in_number = false;
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; ++i) {
            const char c = buf[i];
            if (c >= '0' && c <= '9') {
                value = value * 10 + (c - '0');
                in_number = true;
            } else if (in_number) {
                out.push_back(static_cast<pid_t>(value));
                value = 0;
                in_number = false;
            }
        }
    }
    if (in_number)
        out.push_back(static_cast<pid_t>(value));
    ::close(fd);
    return true;
}

}  // namespace

std::optional<std::vector<pid_t>> children_of(pid_t pid) {
    const std::string task = "/proc/" + std::to_string(pid) + "/task";
    DIR* dir = ::opendir(task.c_str());
    if (dir == nullptr)
        return std::nullopt;
    std::vector<pid_t> out;
    bool listed = false;
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        listed = read_pids(task + "/" + e->d_name + "/children", out) || listed;
    }
    ::closedir(dir);
    if (!listed)
        return std::nullopt;
    return out;
}

std::vector<pid_t> own_children() {
    auto listed = children_of(::getpid());
    return listed ? std::move(*listed) : children_from_stat();
}

std::optional<LiveProcess> live_process(pid_t pid) {
    const std::string name = std::to_string(pid);
    const auto st = read_proc_stat(name.c_str());
    if (!st || st->state == 'Z' || st->state == 'X')
        return std::nullopt;
    return LiveProcess{st->pgrp, command_line(pid)};
}

}  // namespace procrun::posix
