#include "procrun/posix/signals.hpp"

#include <signal.h>

namespace procrun::posix {

void reset_signals_for_exec() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        ::sigaction(sig, &dfl, nullptr);  // EINVAL for the few reserved numbers: fine
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void set_supervisor_dispositions() {
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGCHLD, SIG_DFL);
}

}  // namespace procrun::posix
