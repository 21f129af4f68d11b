#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/output.hpp"
#include "procrun/posix/fd.hpp"
#include "procrun/posix/nofollow.hpp"

namespace procrun {

struct LogOptions {
    std::filesystem::path dir;                  // created (0700) when missing
    OutputFormat format = OutputFormat::text;   // as on the terminal, never coloured
    std::uint64_t max_size = 10 * 1024 * 1024;  // rotate before a file would pass this; 0: never
    int keep = 5;                               // rotated files kept: NAME.1 ... NAME.<keep>
};

// The log files of `procrun start --log-dir DIR`: DIR/procrun.log gets every
// line (procrun's own included), DIR/NAME.log the lines of instance NAME.
// Lines are formatted like the terminal's (time and name always, no colour),
// or as JSON, once per line into a scratch buffer and copied into one pending
// buffer per file; flush() writes each file's batch with one write(2).
//
// Log lines can hold whatever an app prints, secrets included: the directory is
// created 0700 and the files 0600 (exactly, whatever the umask); an existing
// directory or file keeps its mode. The directory is opened once and every file
// is opened, rotated and removed relative to it without following symbolic
// links (posix::Dir): a link planted in the directory is refused ("it is a
// symbolic link"), as is anything that is not a regular file with one link.
// Files are opened O_APPEND | O_CLOEXEC and written with plain blocking writes
// (a regular file never makes a write wait for a reader). A file is rotated when the next line
// would take it past `max_size`: NAME.<keep-1> becomes NAME.<keep> (the oldest is replaced), ...,
// NAME becomes NAME.1, and NAME is opened anew. A line is never split between
// two files; a single line bigger than `max_size` fills a file by itself.
//
// When a file cannot be opened, written or rotated, the failure is reported
// once (the path and the errno text) and that file is written no more; the
// other files, the terminal output and the processes carry on.
class LogFiles {
  public:
    // Receives each error message (one line, without newline). Default: stderr.
    using Report = std::function<void(const std::string& message)>;

    // Creates the directory and opens DIR/procrun.log (source 0, `system`).
    // `name_width` pads names as on the terminal (see OutputBuffer).
    LogFiles(LogOptions options, std::size_t name_width, Report report = {});
    ~LogFiles();  // writes what is pending
    LogFiles(const LogFiles&) = delete;
    LogFiles& operator=(const LogFiles&) = delete;

    // Opens DIR/<name>.log; returns the source id, which is the same as
    // OutputBuffer::add_source's when both are given the same names in order.
    std::size_t add_source(std::string_view name);

    void set_time(std::chrono::system_clock::time_point now) { format_.set_time(now); }

    // Appends a line (or a piece of a long line) of `source` to procrun.log and
    // to the source's own file. Writes a file at once, or rotates it, only when
    // needed; otherwise the bytes wait for flush().
    void append(std::size_t source, std::string_view line, bool continued = false);
    void append_system(std::string_view line) { append(0, line, false); }

    // Writes every file's pending lines. The event loop calls this once per turn.
    void flush();

    [[nodiscard]] const std::filesystem::path& path(std::size_t source) const {
        return files_[source].path;
    }
    // Whether the source's file is still written (no error so far).
    [[nodiscard]] bool ok(std::size_t source) const { return !files_[source].failed; }

  private:
    struct File {
        std::string name;  // in the directory: "web.1.log"
        std::filesystem::path path;
        posix::Fd fd;
        std::uint64_t size = 0;  // bytes in the file now (as far as procrun wrote it)
        std::string pending;
        bool failed = false;
    };

    void open(File& f);
    void add(File& f, std::string_view record);
    void write_out(File& f);
    void rotate(File& f);
    void fail(File& f, std::string_view what, const std::string& reason);

    LogOptions options_;
    Report report_;
    OutputBuffer format_;  // scratch: each line is formatted here, copied out, cleared
    std::vector<File> files_;
    std::optional<posix::Dir> dir_;  // empty when the directory cannot be had
};

}  // namespace procrun
