#pragma once

#include <string>

namespace procrun {

// How a process ended.
struct ExitStatus {
    int code = 0;    // the exit code, when it exited
    int signal = 0;  // the signal that killed it; 0 when it exited
    bool core_dumped = false;

    static ExitStatus exited(int code) { return ExitStatus{code, 0, false}; }
    static ExitStatus killed(int signal) { return ExitStatus{0, signal, false}; }
    // From a waitpid() status (Boost.Process's native_exit_code()).
    static ExitStatus from_wait_status(int status);

    // The code a shell reports: the exit code, or 128 + the signal.
    [[nodiscard]] int shell_code() const { return signal != 0 ? 128 + signal : code; }

    friend bool operator==(const ExitStatus&, const ExitStatus&) = default;
};

// "exited with code 3", "terminated by SIGTERM", "terminated by SIGSEGV (core dumped)".
std::string describe(const ExitStatus& status);

// The exit code when a write to procrun's standard output fails because the
// reader went away (EPIPE): what a shell reports for a writer killed by SIGPIPE.
inline constexpr int kExitOutputClosed = 141;
// The exit code when procrun could not start a process, could not write its
// output, or a process could not start because its dependency can no longer
// meet its condition.
inline constexpr int kExitSupervisorFailed = 1;

}  // namespace procrun
