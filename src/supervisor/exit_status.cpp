#include "procrun/exit_status.hpp"

#include <sys/wait.h>

#include "procrun/signal_name.hpp"

namespace procrun {

ExitStatus ExitStatus::from_wait_status(int status) {
    if (WIFSIGNALED(status))
        return ExitStatus{0, WTERMSIG(status), WCOREDUMP(status) != 0};
    if (WIFEXITED(status))
        return exited(WEXITSTATUS(status));
    return exited(0);
}

std::string describe(const ExitStatus& status) {
    if (status.signal == 0)
        return "exited with code " + std::to_string(status.code);
    std::string s = "terminated by " + signal_name(status.signal);
    if (status.core_dumped)
        s += " (core dumped)";
    return s;
}

}  // namespace procrun
