#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

#include "posix/signals.hpp"
#include "procrun/supervisor.hpp"

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
    std::string s = "terminated by " + posix::signal_name(status.signal);
    if (status.core_dumped)
        s += " (core dumped)";
    return s;
}

namespace {

std::string processes(std::size_t n) {
    return std::to_string(n) + (n == 1 ? " process" : " processes");
}

}  // namespace

Supervisor::Supervisor(std::vector<std::string> names, std::chrono::milliseconds timeout)
    : names_(std::move(names)), states_(names_.size(), State::pending), timeout_(timeout) {}

std::vector<Action> Supervisor::start(TimePoint /*now*/) {
    std::vector<Action> out;
    if (phase_ != Phase::idle)
        return out;
    if (names_.empty()) {
        phase_ = Phase::finished;
        out.emplace_back(action::Finish{0});
        return out;
    }
    // One at a time: the next spawn follows the previous one's result, so a
    // failure stops the remaining ones from starting.
    phase_ = Phase::starting;
    out.emplace_back(action::Spawn{0});
    return out;
}

std::vector<Action> Supervisor::handle(const Event& event, TimePoint now) {
    std::vector<Action> out;
    if (phase_ == Phase::finished)
        return out;
    std::visit([&](const auto& e) { on(e, now, out); }, event);
    return out;
}

void Supervisor::on(const event::Started& e, TimePoint /*now*/, std::vector<Action>& out) {
    if (e.process >= states_.size())
        return;
    states_[e.process] = State::running;
    out.emplace_back(
        action::Announce{names_[e.process] + " started with pid " + std::to_string(e.pid)});
    if (phase_ == Phase::starting) {
        if (e.process + 1 < names_.size()) {
            out.emplace_back(action::Spawn{e.process + 1});
        } else {
            phase_ = Phase::running;
        }
    } else if (stopping()) {
        // Started while stopping (not by this policy's order): stop it too.
        out.emplace_back(action::SignalGroups{SIGTERM, {e.process}});
    }
}

void Supervisor::on(const event::SpawnFailed& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= states_.size())
        return;
    states_[e.process] = State::gone;
    out.emplace_back(action::Announce{names_[e.process] + " could not start: " + e.reason});
    stop(kExitSupervisorFailed, now, out);
    finish_if_done(out);
}

void Supervisor::on(const event::Exited& e, TimePoint now, std::vector<Action>& out) {
    if (e.process >= states_.size() || states_[e.process] != State::running)
        return;
    states_[e.process] = State::exited;
    out.emplace_back(action::Announce{names_[e.process] + " " + describe(e.status)});
    stop(e.status.shell_code(), now, out);
}

void Supervisor::on(const event::GroupEmpty& e, TimePoint /*now*/, std::vector<Action>& out) {
    if (e.process >= states_.size() || states_[e.process] != State::exited)
        return;
    states_[e.process] = State::gone;
    finish_if_done(out);
}

void Supervisor::on(const event::SignalReceived& e, TimePoint now, std::vector<Action>& out) {
    const int sig = e.signal;
    if (sig == SIGUSR1 || sig == SIGUSR2) {
        const auto targets = alive();
        if (targets.empty())
            return;
        out.emplace_back(action::Announce{"forwarding " + posix::signal_name(sig) + " to " +
                                          processes(targets.size())});
        out.emplace_back(action::ForwardSignal{sig, targets});
        return;
    }
    if (sig != SIGINT && sig != SIGTERM && sig != SIGHUP)
        return;
    if (phase_ == Phase::stopping) {
        // A second SIGINT or SIGTERM: the user does not want to wait.
        if (sig == SIGHUP)
            return;
        out.emplace_back(action::Announce{"received " + posix::signal_name(sig) + " again"});
        kill_remaining(out);
        return;
    }
    if (phase_ == Phase::killing)
        return;
    out.emplace_back(action::Announce{"received " + posix::signal_name(sig)});
    stop(128 + sig, now, out);
}

void Supervisor::on(const event::DeadlineReached& /*e*/, TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::stopping || !deadline_armed_ || now < deadline_)
        return;
    deadline_armed_ = false;
    kill_remaining(out);
}

void Supervisor::on(const event::OutputFailed& e, TimePoint now, std::vector<Action>& out) {
    stop(e.error == EPIPE ? kExitOutputClosed : kExitSupervisorFailed, now, out);
}

void Supervisor::stop(int exit_code, TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::starting && phase_ != Phase::running)
        return;
    phase_ = Phase::stopping;
    exit_code_ = exit_code;
    for (auto& s : states_) {
        if (s == State::pending)
            s = State::gone;
    }
    const auto targets = alive();
    if (!targets.empty()) {
        out.emplace_back(action::Announce{"sending SIGTERM to all processes"});
        out.emplace_back(action::SignalGroups{SIGTERM, targets});
        out.emplace_back(action::SignalGroups{SIGCONT, targets});
        deadline_ = now + timeout_;
        deadline_armed_ = true;
        out.emplace_back(action::ArmDeadline{deadline_});
    }
    finish_if_done(out);
}

void Supervisor::kill_remaining(std::vector<Action>& out) {
    phase_ = Phase::killing;
    if (deadline_armed_) {
        deadline_armed_ = false;
        out.emplace_back(action::CancelDeadline{});
    }
    const auto targets = alive();
    if (targets.empty())
        return;
    out.emplace_back(
        action::Announce{"sending SIGKILL to " + processes(targets.size()) + " that did not stop"});
    out.emplace_back(action::SignalGroups{SIGKILL, targets});
}

void Supervisor::finish_if_done(std::vector<Action>& out) {
    if (!stopping() || !alive().empty())
        return;
    phase_ = Phase::finished;
    if (deadline_armed_) {
        deadline_armed_ = false;
        out.emplace_back(action::CancelDeadline{});
    }
    out.emplace_back(action::Finish{exit_code_});
}

std::vector<std::size_t> Supervisor::alive() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < states_.size(); ++i) {
        if (states_[i] == State::running || states_[i] == State::exited)
            out.push_back(i);
    }
    return out;
}

}  // namespace procrun
