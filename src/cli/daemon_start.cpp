#include "cli/daemon_start.hpp"

#include <fmt/core.h>

#include "cli/common.hpp"
#include "procrun/control.hpp"

namespace procrun::cli {

namespace {

// Where the background procrun's stderr goes once it is up: beside its control
// socket, <hash>.log. /dev/null when the control directory cannot be used.
std::filesystem::path daemon_log(const std::filesystem::path& root) {
    try {
        const ControlPaths paths = control_paths(root, Environment::from_process());
        make_private_directory(paths.directory);
        std::filesystem::path log = paths.socket;
        log.replace_extension(".log");
        return log;
    } catch (const std::exception&) {
        return "/dev/null";
    }
}

}  // namespace

DaemonStart::DaemonStart(const std::filesystem::path& root)
    : daemon_(posix::daemonize(daemon_log(root))) {}

void DaemonStart::decided(bool up) {
    if (up)
        daemon_.report.up();
    else
        daemon_.report.failed();
}

int DaemonStart::report_and_exit_code() const {
    const posix::DaemonOutcome& out = *daemon_.waited;
    if (out.up) {
        fmt::print(stderr,
                   "procrun: started in the background (pid {}); `procrun status`, `procrun "
                   "logs`, `procrun attach` and `procrun kill` reach it\n",
                   out.pid);
        return kExitOk;
    }
    for (const std::string& line : out.said)
        fmt::print(stderr, "procrun: {}\n", line);
    if (out.pid == 0) {
        fmt::print(stderr, "procrun: could not start in the background{}\n",
                   out.fork_failed ? " (fork failed)" : "");
        return kExitInvalid;
    }
    if (!out.exit_code) {
        fmt::print(stderr,
                   "procrun: the background procrun (pid {}) ended before everything had "
                   "started\n",
                   out.pid);
        return kExitInvalid;
    }
    fmt::print(stderr, "procrun: the start failed; nothing is left running\n");
    return *out.exit_code != 0 ? *out.exit_code : kExitInvalid;
}

}  // namespace procrun::cli
