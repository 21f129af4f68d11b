#include "procrun/posix/children.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

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

}  // namespace

std::vector<pid_t> own_children() {
    const std::string task = "/proc/" + std::to_string(::getpid()) + "/task";
    DIR* dir = ::opendir(task.c_str());
    if (dir == nullptr)
        return children_from_stat();
    std::vector<pid_t> out;
    bool listed = false;
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        std::ifstream in(task + "/" + e->d_name + "/children");
        if (!in)
            continue;
        listed = true;
        for (long pid = 0; in >> pid;)
            out.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(dir);
    return listed ? out : children_from_stat();
}

std::optional<LiveProcess> live_process(pid_t pid) {
    const std::string name = std::to_string(pid);
    const auto st = read_proc_stat(name.c_str());
    if (!st || st->state == 'Z' || st->state == 'X')
        return std::nullopt;
    return LiveProcess{st->pgrp, command_line(pid)};
}

}  // namespace procrun::posix
