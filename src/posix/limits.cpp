#include "procrun/posix/limits.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

namespace procrun::posix {

namespace {

// The most a process may ask for (fs.nr_open); a hard limit of RLIM_INFINITY
// cannot be used as a soft limit beyond it.
rlim_t kernel_max() {
    std::ifstream in("/proc/sys/fs/nr_open");
    unsigned long long value = 0;
    if (in >> value && value > 0)
        return static_cast<rlim_t>(value);
    return 1024 * 1024;
}

}  // namespace

FdLimit raise_fd_limit() {
    FdLimit out;
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return out;
    out.original_soft = lim.rlim_cur;
    out.soft = lim.rlim_cur;
    out.hard = lim.rlim_max;
    rlim_t target = lim.rlim_max;
    if (target == RLIM_INFINITY)
        target = kernel_max();
    if (target <= lim.rlim_cur)
        return out;
    rlimit raised{target, lim.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
        out.soft = target;
    return out;
}

std::size_t fds_needed(std::size_t instances, bool log_files, std::size_t already_open) {
    return already_open + kFdsFixed + instances * (kFdsPerInstance + (log_files ? 1 : 0));
}

std::size_t open_fd_count() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr)
        return 3;
    std::size_t n = 0;
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] != '.')
            ++n;
    }
    ::closedir(dir);
    return n > 0 ? n - 1 : 0;  // less the directory's own descriptor
}

std::optional<std::string> check_fd_budget(std::size_t instances, bool log_files,
                                           std::size_t already_open, rlim_t limit) {
    const std::size_t need = fds_needed(instances, log_files, already_open);
    if (limit == RLIM_INFINITY || need <= limit)
        return std::nullopt;
    return fmt::format(
        "{} {} about {} file descriptors; the limit is {} (ulimit -n)\n"
        "  hint: raise the hard limit (ulimit -Hn, LimitNOFILE= in systemd, --ulimit "
        "nofile= in docker) or start fewer instances",
        instances, instances == 1 ? "instance needs" : "instances need", need,
        static_cast<unsigned long long>(limit));
}

bool restore_fd_limit(rlim_t soft) {
    if (soft == 0)
        return true;
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return false;
    if (lim.rlim_cur == soft)
        return true;
    lim.rlim_cur = std::min(soft, lim.rlim_max);
    return ::setrlimit(RLIMIT_NOFILE, &lim) == 0;
}

ArgLimits exec_arg_limits() {
    ArgLimits limits;
    const long page = ::sysconf(_SC_PAGESIZE);
    const long arg_max = ::sysconf(_SC_ARG_MAX);
    if (page > 0)
        limits.max_string = 32 * static_cast<std::size_t>(page);  // linux/binfmts.h
    if (arg_max > 0)
        limits.max_total = static_cast<std::size_t>(arg_max);
    return limits;
}

}  // namespace procrun::posix
