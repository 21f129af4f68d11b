#include "output/logs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "output/writer.hpp"

namespace procrun {

namespace {

// A file's pending lines are written at once past this size, so that a busy
// turn of the loop does not hold megabytes per file.
constexpr std::size_t kFileFlushAt = 64 * 1024;

void report_to_stderr(const std::string& message) {
    write_stderr(message + "\n");
}

// mkdir -p with mode 0755 (before the umask) for every directory created.
// Returns 0 or the errno of the first failure.
int make_directories(const std::filesystem::path& dir) {
    std::filesystem::path at;
    for (const auto& part : dir) {
        at /= part;
        if (::mkdir(at.c_str(), 0755) == 0 || errno == EEXIST)
            continue;
        return errno;
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

std::filesystem::path numbered(const std::filesystem::path& path, int n) {
    std::filesystem::path p = path;
    p += "." + std::to_string(n);
    return p;
}

}  // namespace

LogFiles::LogFiles(LogOptions options, std::size_t name_width, Report report)
    : options_(std::move(options)),
      report_(report ? std::move(report) : Report(report_to_stderr)),
      format_(OutputStyle{false, true, true, options_.format}, name_width) {
    if (options_.keep < 0)
        options_.keep = 0;
    if (const int err = make_directories(options_.dir); err != 0) {
        dir_failed_ = true;
        report_("procrun: cannot create log directory " + options_.dir.string() + ": " +
                std::strerror(err) + "; no log files are written");
    }
    File combined;
    combined.path = options_.dir / "procrun.log";
    files_.push_back(std::move(combined));
    open(files_.back());
}

LogFiles::~LogFiles() {
    flush();
}

std::size_t LogFiles::add_source(std::string_view name) {
    const std::size_t id = format_.add_source(name, -1);
    File f;
    f.path = options_.dir / (std::string(name) + ".log");
    files_.push_back(std::move(f));
    open(files_.back());
    return id;
}

void LogFiles::open(File& f) {
    if (dir_failed_) {
        f.failed = true;
        return;
    }
    // O_NONBLOCK only so that a FIFO in the file's place cannot block the open;
    // it does nothing to a regular file.
    const int fd = ::open(f.path.c_str(),
                          O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
    if (fd < 0) {
        fail(f, "open", std::strerror(errno));
        return;
    }
    f.fd.reset(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        fail(f, "open", std::strerror(errno));
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        fail(f, "open", "not a regular file");
        return;
    }
    f.size = static_cast<std::uint64_t>(st.st_size);
}

void LogFiles::append(std::size_t source, std::string_view line, bool continued) {
    format_.append(source, line, continued);
    const std::string_view record = format_.pending();
    add(files_[0], record);
    if (source != 0)
        add(files_[source], record);
    format_.clear();
}

void LogFiles::add(File& f, std::string_view record) {
    if (f.failed)
        return;
    const std::uint64_t would_have = f.size + f.pending.size();
    if (options_.max_size > 0 && would_have > 0 && would_have + record.size() > options_.max_size) {
        write_out(f);
        if (!f.failed)
            rotate(f);
        if (f.failed)
            return;
    }
    f.pending.append(record);
    if (f.pending.size() >= kFileFlushAt)
        write_out(f);
}

void LogFiles::flush() {
    for (File& f : files_) {
        if (!f.pending.empty())
            write_out(f);
    }
}

void LogFiles::write_out(File& f) {
    if (f.failed) {
        f.pending.clear();
        return;
    }
    std::size_t done = 0;
    while (done < f.pending.size()) {
        const ssize_t n = ::write(f.fd.get(), f.pending.data() + done, f.pending.size() - done);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            f.size += static_cast<std::uint64_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        fail(f, "write", n < 0 ? std::strerror(errno) : "nothing written");
        return;
    }
    f.pending.clear();
}

void LogFiles::rotate(File& f) {
    // NAME.<keep-1> -> NAME.<keep> (replacing the oldest), ..., NAME.1 -> NAME.2.
    for (int i = options_.keep - 1; i >= 1; --i) {
        const auto from = numbered(f.path, i);
        if (::rename(from.c_str(), numbered(f.path, i + 1).c_str()) != 0 && errno != ENOENT) {
            fail(f, "rotate", from.string() + ": " + std::strerror(errno));
            return;
        }
    }
    const int moved = options_.keep >= 1 ? ::rename(f.path.c_str(), numbered(f.path, 1).c_str())
                                         : ::unlink(f.path.c_str());
    if (moved != 0 && errno != ENOENT) {
        fail(f, "rotate", std::strerror(errno));
        return;
    }
    f.fd.reset();
    f.size = 0;
    open(f);
}

void LogFiles::fail(File& f, std::string_view what, const std::string& reason) {
    f.failed = true;
    f.fd.reset();
    f.pending.clear();
    f.pending.shrink_to_fit();
    report_("procrun: cannot " + std::string(what) + " log file " + f.path.string() + ": " +
            reason + "; nothing more is written to it");
}

}  // namespace procrun
