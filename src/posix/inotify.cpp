#include "procrun/posix/inotify.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace procrun::posix {

namespace {

constexpr std::uint32_t kFolderMask = IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                                      IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

std::string proc_value(const char* path) {
    std::ifstream in(path);
    std::string value;
    if (!(in >> value))
        return "?";
    return value;
}

InotifyEvent::Kind kind_of(std::uint32_t mask) {
    using K = InotifyEvent::Kind;
    if ((mask & IN_Q_OVERFLOW) != 0)
        return K::overflow;
    if ((mask & IN_IGNORED) != 0)
        return K::gone;
    if ((mask & IN_MOVED_FROM) != 0)
        return K::moved_from;
    if ((mask & IN_MOVED_TO) != 0)
        return K::moved_to;
    if ((mask & IN_DELETE) != 0)
        return K::deleted;
    if ((mask & IN_CREATE) != 0)
        return K::created;
    return K::written;
}

}  // namespace

std::string inotify_limit_advice(int error) {
    if (error == ENOSPC) {
        const std::string value = proc_value("/proc/sys/fs/inotify/max_user_watches");
        // In a user namespace (a container) its own limit may be lower.
        const std::string own = proc_value("/proc/sys/user/max_inotify_watches");
        const std::string here =
            own != value && own != "?"
                ? ", " + own + " in this user namespace (/proc/sys/user/max_inotify_watches)"
                : "";
        return "the limit of inotify watches per user is reached "
               "(/proc/sys/fs/inotify/max_user_watches = " +
               value + here +
               "; one watch per folder watched); raise it with `sudo sysctl "
               "fs.inotify.max_user_watches=524288` (add the line to /etc/sysctl.conf to keep "
               "it), or watch fewer folders (watch: paths, exclude)";
    }
    if (error == EMFILE) {
        const std::string value = proc_value("/proc/sys/fs/inotify/max_user_instances");
        return "the limit of inotify instances per user is reached "
               "(/proc/sys/fs/inotify/max_user_instances = " +
               value +
               "; other programs watching files use them too); raise it with `sudo sysctl "
               "fs.inotify.max_user_instances=1024` (add the line to /etc/sysctl.conf to keep "
               "it)";
    }
    return {};
}

Fd inotify_open() {
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        const std::string advice = inotify_limit_advice(error);
        throw std::system_error(error, std::generic_category(),
                                advice.empty() ? "inotify_init1" : "inotify_init1: " + advice);
    }
    return Fd(fd);
}

int inotify_watch_folder(int fd, const std::string& path) {
    const int wd = ::inotify_add_watch(fd, path.c_str(), kFolderMask);
    return wd >= 0 ? wd : -errno;
}

void inotify_unwatch(int fd, int wd) {
    ::inotify_rm_watch(fd, wd);  // EINVAL: already gone with its folder
}

bool inotify_read(int fd, std::vector<InotifyEvent>& out) {
    alignas(struct inotify_event) std::array<char, 64 * 1024> buf;
    const ssize_t n = read_some(fd, buf.data(), buf.size());
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return false;
        throw std::system_error(errno, std::generic_category(), "read (inotify)");
    }
    std::size_t at = 0;
    const auto size = static_cast<std::size_t>(n);
    while (at + sizeof(struct inotify_event) <= size) {
        struct inotify_event header {};
        std::memcpy(&header, buf.data() + at, sizeof header);
        InotifyEvent e;
        e.kind = kind_of(header.mask);
        e.wd = header.wd;
        e.is_dir = (header.mask & IN_ISDIR) != 0;
        if (header.len > 0) {
            const char* name = buf.data() + at + sizeof header;
            e.name.assign(name, ::strnlen(name, header.len));
        }
        out.push_back(std::move(e));
        at += sizeof header + header.len;
    }
    return n > 0;
}

int list_folder(const std::string& path, std::vector<FolderEntry>& out) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno;
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
        const int error = errno;
        ::close(fd);
        return error;
    }
    while (const struct dirent* d = ::readdir(dir)) {
        const std::string_view name = d->d_name;
        if (name == "." || name == "..")
            continue;
        bool is_dir = d->d_type == DT_DIR;
        if (d->d_type == DT_UNKNOWN) {
            struct stat st {};
            is_dir = ::fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        out.push_back(FolderEntry{std::string(name), is_dir});
    }
    ::closedir(dir);
    return 0;
}

}  // namespace procrun::posix
