#include "supervisor/job_control.hpp"
#include "procrun/signal_name.hpp"

#include <signal.h>

#include <cerrno>
#include <cstring>

#include "procrun/posix/process_group.hpp"
#include "procrun/posix/signals.hpp"

namespace procrun {

bool JobControl::on_signal(int signal) {
    if (signal == SIGTSTP) {
        hooks_.announce(
            "received SIGTSTP: suspending every process and procrun (fg or SIGCONT resumes them)");
        for (pid_t pgid : hooks_.groups())
            posix::suspend_group(pgid);
        suspended_ = true;
        hooks_.flush();
        posix::stop_self();
        return true;
    }
    if (signal == SIGCONT) {
        // A SIGCONT procrun did not ask for (nothing was suspended) changes nothing.
        if (!suspended_)
            return true;
        suspended_ = false;
        for (pid_t pgid : hooks_.groups())
            posix::signal_group(pgid, SIGCONT);
        hooks_.announce("continued: resuming every process");
        return true;
    }
    return false;
}

void JobControl::on_child_stopped(const std::string& name, int signal) {
    if (signal == SIGTTIN || signal == SIGTTOU)
        hooks_.announce(terminal_stop_message(name, signal));
}

std::string stopped_state(int signal) {
    return "stopped(" + signal_name(signal) + ")";
}

std::string terminal_stop_message(const std::string& name, int signal) {
    const std::string what = signal == SIGTTIN ? "tried to read from the terminal"
                                               : "tried to change the terminal's settings";
    const std::string type = name.substr(0, name.rfind('.'));
    return name + " is stopped: it " + what + " (" + signal_name(signal) +
           "), which only the foreground job may do; a process under procrun start cannot "
           "prompt (use a non-interactive option such as `sudo -n` or `ssh -o BatchMode=yes`, "
           "or `procrun run " +
           type + "`); `procrun restart " + name + "` starts it again";
}

ControlReply signal_instances(int signal, const std::vector<std::size_t>& targets,
                              const std::function<std::vector<int>(std::size_t)>& send,
                              const std::function<InstanceStatus(std::size_t)>& status_of) {
    ControlReply reply;
    std::string not_running;
    bool any = false;
    for (std::size_t i : targets) {
        InstanceStatus st = status_of(i);
        st.signalled = send(i);
        if (st.signalled.empty()) {
            not_running += (not_running.empty() ? "" : ", ") + st.name;
        } else {
            any = true;
        }
        reply.instances.push_back(std::move(st));
    }
    if (!any) {
        return ControlReply::failure("no process got " + signal_name(signal) + ": " + not_running +
                                     (targets.size() == 1 ? " has" : " have") +
                                     " no running process");
    }
    return reply;
}

std::string_view terminal_restore_sequence() {
    return "\x1b[0m\x1b[?25h";
}

}  // namespace procrun
