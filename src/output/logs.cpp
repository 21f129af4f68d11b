#include "procrun/output/logs.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "procrun/output/writer.hpp"

namespace procrun {

namespace {

// A file's pending lines are written at once past this size, so that a busy
// turn of the loop does not hold megabytes per file.
constexpr std::size_t kFileFlushAt = 64 * 1024;

void report_to_stderr(const std::string& message) {
    write_stderr(message + "\n");
}

std::string numbered(const std::string& name, int n) {
    return name + "." + std::to_string(n);
}

}  // namespace

LogFiles::LogFiles(LogOptions options, std::size_t name_width, Report report)
    : options_(std::move(options)),
      report_(report ? std::move(report) : Report(report_to_stderr)),
      format_(OutputStyle{false, true, true, options_.format}, name_width) {
    if (options_.keep < 0)
        options_.keep = 0;
    int err = posix::make_directories(options_.dir, 0700);
    if (err == 0) {
        try {
            dir_.emplace(options_.dir);
        } catch (const std::system_error& e) {
            err = e.code().value();
        }
    }
    if (err != 0) {
        report_("procrun: cannot create log directory " + options_.dir.string() + ": " +
                std::strerror(err) + "; no log files are written");
    }
    File combined;
    combined.name = "procrun.log";
    combined.path = options_.dir / combined.name;
    files_.push_back(std::move(combined));
    open(files_.back());
}

LogFiles::~LogFiles() {
    flush();
}

std::size_t LogFiles::add_source(std::string_view name) {
    const std::size_t id = format_.add_source(name, -1);
    File f;
    f.name = std::string(name) + ".log";
    f.path = options_.dir / f.name;
    files_.push_back(std::move(f));
    open(files_.back());
    return id;
}

void LogFiles::open(File& f) {
    if (!dir_) {
        f.failed = true;
        return;
    }
    if (f.name.find('/') != std::string::npos) {
        fail(f, "open", "the name holds a '/'");
        return;
    }
    // O_NONBLOCK only so that a FIFO in the file's place cannot block the open;
    // it does nothing to a regular file.
    const int fd = dir_->open(f.name, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK, 0600);
    if (fd < 0) {
        const int error = errno;
        fail(f, "open",
             posix::is_link_error(error)
                 ? std::string("it is a symbolic link (log files are never written through one)")
                 : std::string(std::strerror(error)));
        return;
    }
    f.fd.reset(fd);
    const std::optional<posix::Entry> st = posix::entry_of(fd);
    if (!st) {
        fail(f, "open", std::strerror(errno));
        return;
    }
    if (st->kind != posix::Entry::Kind::regular) {
        fail(f, "open", "not a regular file");
        return;
    }
    if (st->links > 1) {
        fail(f, "open",
             "it has " + std::to_string(st->links) + " hard links (a log file must have one)");
        return;
    }
    f.size = st->size;
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
    const int error = posix::write_all(f.fd.get(), f.pending, done);
    f.size += done;
    if (error != 0) {
        fail(f, "write", std::strerror(error));
        return;
    }
    f.pending.clear();
}

void LogFiles::rotate(File& f) {
    // NAME.<keep-1> -> NAME.<keep> (replacing the oldest), ..., NAME.1 -> NAME.2.
    // Renaming and unlinking act on the names themselves: a link planted at
    // one of them is moved or removed, never followed.
    for (int i = options_.keep - 1; i >= 1; --i) {
        const std::string from = numbered(f.name, i);
        if (!dir_->rename(from, numbered(f.name, i + 1)) && errno != ENOENT) {
            fail(f, "rotate", dir_->path_of(from).string() + ": " + std::strerror(errno));
            return;
        }
    }
    const bool moved =
        options_.keep >= 1 ? dir_->rename(f.name, numbered(f.name, 1)) : dir_->unlink(f.name);
    if (!moved && errno != ENOENT) {
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
