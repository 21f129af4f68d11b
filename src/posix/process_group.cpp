#include "procrun/posix/process_group.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace procrun::posix {

bool signal_group(pid_t pgid, int signal) {
    if (pgid <= 0)
        return true;
    if (::kill(-pgid, signal) == 0)
        return true;
    return errno == ESRCH;
}

bool group_exists(pid_t pgid) {
    return pgid > 0 && (::kill(-pgid, 0) == 0 || errno != ESRCH);
}

bool signal_process(pid_t pid, int signal) {
    return pid > 0 && ::kill(pid, signal) == 0;
}

std::optional<ProcStat> read_proc_stat(const char* pid) {
    const std::string path = std::string("/proc/") + pid + "/stat";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0)
        return std::nullopt;
    buf[n] = '\0';
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const char* close = std::strrchr(buf, ')');
    if (close == nullptr)
        return std::nullopt;
    ProcStat st;
    int ppid = 0;
    int pgrp = 0;
    if (std::sscanf(close + 1, " %c %d %d", &st.state, &ppid, &pgrp) != 3)
        return std::nullopt;
    st.ppid = ppid;
    st.pgrp = pgrp;
    return st;
}

std::vector<pid_t> live_group_members(pid_t pgid) {
    std::vector<pid_t> out;
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr)
        return out;
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        const auto st = read_proc_stat(e->d_name);
        if (!st || st->pgrp != pgid || st->state == 'Z' || st->state == 'X')
            continue;
        out.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    }
    ::closedir(dir);
    return out;
}

namespace {

std::string exe_of(pid_t pid) {
    char link[64];
    std::snprintf(link, sizeof link, "/proc/%d/exe", static_cast<int>(pid));
    char target[4096];
    const ssize_t n = ::readlink(link, target, sizeof target - 1);
    return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
}

const std::string& shell_exe() {
    static const std::string exe = [] {
        char resolved[4096];
        return ::realpath("/bin/sh", resolved) != nullptr ? std::string(resolved) : std::string();
    }();
    return exe;
}

// Whether `pid` catches or ignores `signal` (SigCgt / SigIgn of /proc/PID/status).
bool handles(pid_t pid, int signal) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
    FILE* f = std::fopen(path, "re");
    if (f == nullptr)
        return false;
    bool handled = false;
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
        unsigned long long mask = 0;
        if (std::sscanf(line, "SigCgt: %llx", &mask) == 1 ||
            std::sscanf(line, "SigIgn: %llx", &mask) == 1) {
            if ((mask >> (signal - 1)) & 1ULL)
                handled = true;
        }
    }
    std::fclose(f);
    return handled;
}

}  // namespace

int forward_to_group(pid_t pgid, int signal, std::vector<pid_t>* sent_to) {
    const std::vector<pid_t> members = live_group_members(pgid);
    const bool others =
        std::any_of(members.begin(), members.end(), [pgid](pid_t p) { return p != pgid; });
    int sent = 0;
    for (pid_t pid : members) {
        if (pid == pgid && others && !shell_exe().empty() && exe_of(pid) == shell_exe() &&
            !handles(pid, signal)) {
            continue;
        }
        if (::kill(pid, signal) == 0) {
            ++sent;
            if (sent_to != nullptr)
                sent_to->push_back(pid);
        }
    }
    return sent;
}

void GroupWatch::start(pid_t pgid, std::function<void()> on_empty) {
    pgid_ = pgid;
    on_empty_ = std::move(on_empty);
    active_ = true;
    scan();
}

void GroupWatch::cancel() {
    active_ = false;
    ++generation_;
    retry_.cancel();
    pidfds_.clear();
    pending_ = 0;
}

void GroupWatch::scan() {
    if (!active_)
        return;
    ++generation_;
    pidfds_.clear();
    pending_ = 0;
    // kill(-pgid, 0) fails with ESRCH for a group without any process, zombies included.
    std::vector<pid_t> members;
    if (::kill(-pgid_, 0) == 0 || errno != ESRCH)
        members = live_group_members(pgid_);
    if (members.empty()) {
        active_ = false;
        boost::asio::post(io_, [cb = std::move(on_empty_)] { cb(); });
        return;
    }
    bool watched_all = true;
    for (pid_t pid : members) {
        const long fd = ::syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0) {
            if (errno != ESRCH)
                watched_all = false;  // ESRCH: it just exited
            continue;
        }
        auto d = std::make_unique<boost::asio::posix::stream_descriptor>(io_, static_cast<int>(fd));
        d->async_wait(boost::asio::posix::descriptor_base::wait_read,
                      [this, gen = generation_](const boost::system::error_code& ec) {
                          if (ec || !active_ || gen != generation_)
                              return;
                          if (--pending_ == 0)
                              scan();
                      });
        pidfds_.push_back(std::move(d));
        ++pending_;
    }
    if (!watched_all) {
        // No pidfd for some member (ENOSYS under valgrind, EMFILE): look again soon.
        for (auto& d : pidfds_)
            d->cancel();
        pidfds_.clear();
        pending_ = 0;
        retry_.expires_after(std::chrono::milliseconds(50));
        retry_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec)
                scan();
        });
        return;
    }
    if (pending_ == 0) {
        boost::asio::post(io_, [this, gen = generation_] {
            if (gen == generation_)
                scan();
        });
    }
}

}  // namespace procrun::posix
