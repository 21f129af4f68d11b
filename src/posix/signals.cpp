#include "procrun/posix/signals.hpp"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "procrun/posix/process_group.hpp"
#include "procrun/signal_name.hpp"

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

bool terminates_by_default(int signal) {
    switch (signal) {
        case SIGHUP:
        case SIGINT:
        case SIGQUIT:
        case SIGTERM:
        case SIGUSR1:
        case SIGUSR2:
        case SIGALRM:
        case SIGVTALRM:
        case SIGPROF:
        case SIGXCPU:
        case SIGXFSZ:
        case SIGPWR:
        case SIGSTKFLT:
        case SIGIO:
            return true;
        default:
            // The real-time signals end a process that does not catch them.
            return signal >= SIGRTMIN && signal <= SIGRTMAX;
    }
}

std::vector<int> foreground_signals() {
    std::vector<int> out;
    for (int sig = 1; sig < NSIG; ++sig) {
        if (terminates_by_default(sig) || sig == SIGWINCH)
            out.push_back(sig);
    }
    return out;
}

std::vector<int> supervisor_signals() {
    std::vector<int> out = foreground_signals();
    out.push_back(SIGTSTP);
    out.push_back(SIGCONT);
    return out;
}

namespace {

// Whether `pid` ignores `signal` (SigIgn of /proc/PID/status).
bool ignores(pid_t pid, int signal) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
    FILE* f = std::fopen(path, "re");
    if (f == nullptr)
        return false;
    bool ignored = false;
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
        unsigned long long mask = 0;
        if (std::sscanf(line, "SigIgn: %llx", &mask) == 1) {
            ignored = ((mask >> (signal - 1)) & 1ULL) != 0;
            break;
        }
    }
    std::fclose(f);
    return ignored;
}

}  // namespace

int suspend_group(pid_t pgid) {
    int sent = 0;
    for (pid_t pid : live_group_members(pgid)) {
        if (::kill(pid, ignores(pid, SIGTSTP) ? SIGSTOP : SIGTSTP) == 0)
            ++sent;
    }
    return sent;
}

void stop_self() {
    ::kill(::getpid(), SIGSTOP);
}

}  // namespace procrun::posix
