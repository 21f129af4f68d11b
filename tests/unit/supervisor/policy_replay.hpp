#pragma once

// Replays histories through the policy: a fake launcher carries out its
// actions on fake processes, with a fake clock; no process, signal or timer.

#include <signal.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "procrun/policy.hpp"

namespace policy_replay {

using namespace procrun;
using namespace std::chrono_literals;

// How a fake process reacts to SIGTERM.
enum class OnTerm {
    exits,        // its whole group exits
    ignores,      // nothing happens; only SIGKILL ends it
    leader_only,  // the leader exits, a grandchild in its group lingers
};

inline Instance instance(std::string name, Lifecycle lc = {}) {
    Instance inst;
    const auto dot = name.rfind('.');
    inst.type = name.substr(0, dot);
    if (dot != std::string::npos)
        inst.index = std::stoi(name.substr(dot + 1));
    inst.name = std::move(name);
    inst.lifecycle = std::move(lc);
    return inst;
}

inline std::vector<Instance> instances_of(std::initializer_list<const char*> names) {
    std::vector<Instance> out;
    for (const char* n : names)
        out.push_back(instance(n));
    return out;
}

// Plays the runtime: carries out the policy's actions on fake processes and
// feeds back what they would cause. Everything it does is logged in order.
class FakeLauncher {
  public:
    FakeLauncher(std::initializer_list<const char*> names, std::chrono::milliseconds timeout)
        : FakeLauncher(instances_of(names), timeout) {}
    FakeLauncher(std::vector<Instance> instances, std::chrono::milliseconds timeout)
        : instances_(std::move(instances)), policy_(instances_, timeout) {
        for (const auto& i : instances_)
            names_.push_back(i.name);
    }

    std::set<std::size_t> fail_spawn;
    // Whose stop command fails (else it stops the process as SIGTERM would).
    std::set<std::size_t> failing_stop_command;
    std::map<std::size_t, OnTerm> on_term;  // default: exits
    // What FindEscapees finds; each ignores SIGTERM when listed in stubborn_escapees.
    std::vector<EscapedProcess> escapees;
    std::set<int> stubborn_escapees;
    // Spawns wait for complete_spawn() instead of succeeding at once.
    bool defer_spawns = false;
    void complete_spawn() {
        REQUIRE(deferred_.has_value());
        const std::size_t id = *deferred_;
        deferred_.reset();
        leader_alive_[id] = true;
        group_alive_[id] = true;
        send(event::Started{id, 100 + static_cast<int>(id)});
    }
    [[nodiscard]] bool spawn_pending() const { return deferred_.has_value(); }

    void start() { run(policy_.start(now_)); }
    // Before start(): instance `id` waits for a request.
    void leave_unstarted(std::size_t id) { policy_.leave_unstarted(id); }
    // An instance joins while it runs (not started); returns its id.
    std::size_t add(const std::string& name) {
        added_.push_back(instance(name));
        names_.push_back(name);
        return policy_.add_instance(added_.back());
    }
    void send(Event e) {
        queue_.push_back(std::move(e));
        run({});
    }
    // The fake clock: moves on; the deadline timer fires if it is due.
    void advance(std::chrono::milliseconds d) {
        now_ += d;
        if (deadline_ && now_ >= *deadline_) {
            deadline_.reset();
            send(event::DeadlineReached{});
        }
    }
    // A process exits by itself (leader and group).
    void exit(std::size_t id, ExitStatus status) {
        leader_alive_[id] = false;
        send(event::Exited{id, status});
        group_alive_[id] = false;
        send(event::GroupEmpty{id});
    }

    [[nodiscard]] const std::vector<std::string>& log() const { return log_; }
    [[nodiscard]] std::optional<int> finished() const { return finished_; }
    [[nodiscard]] std::optional<TimePoint> deadline() const { return deadline_; }
    [[nodiscard]] TimePoint now() const { return now_; }
    [[nodiscard]] bool logged(const std::string& line) const {
        for (const auto& l : log_) {
            if (l == line)
                return true;
        }
        return false;
    }
    [[nodiscard]] std::size_t count_prefix(const std::string& prefix) const {
        std::size_t n = 0;
        for (const auto& l : log_)
            n += l.rfind(prefix, 0) == 0 ? 1 : 0;
        return n;
    }
    void clear_log() { log_.clear(); }
    [[nodiscard]] const Policy& policy() const { return policy_; }
    [[nodiscard]] bool running(std::size_t id) const {
        auto it = leader_alive_.find(id);
        return it != leader_alive_.end() && it->second;
    }

  private:
    void run(std::vector<Action> actions) {
        for (;;) {
            for (const auto& a : actions)
                apply(a);
            if (queue_.empty())
                return;
            Event e = queue_.front();
            queue_.pop_front();
            actions = policy_.handle(e, now_);
        }
    }

    void apply(const Action& action) {
        if (const auto* a = std::get_if<action::Spawn>(&action)) {
            log_.push_back("spawn " + names_[a->process]);
            if (defer_spawns) {
                deferred_ = a->process;
            } else if (fail_spawn.count(a->process) != 0) {
                queue_.push_back(
                    event::SpawnFailed{a->process, "fork: Resource temporarily unavailable"});
            } else {
                leader_alive_[a->process] = true;
                group_alive_[a->process] = true;
                queue_.push_back(event::Started{a->process, 100 + static_cast<int>(a->process)});
            }
        } else if (const auto* s = std::get_if<action::SignalGroups>(&action)) {
            for (std::size_t id : s->processes) {
                log_.push_back("signal " + std::to_string(s->signal) + " " + names_[id]);
                deliver(id, s->signal);
            }
        } else if (const auto* fwd = std::get_if<action::ForwardSignal>(&action)) {
            for (std::size_t id : fwd->processes) {
                log_.push_back("forward " + std::to_string(fwd->signal) + " " + names_[id]);
            }
        } else if (const auto* say = std::get_if<action::Announce>(&action)) {
            log_.push_back("say " + say->text);
        } else if (const auto* arm = std::get_if<action::ArmDeadline>(&action)) {
            deadline_ = arm->at;
        } else if (std::holds_alternative<action::CancelDeadline>(action)) {
            deadline_.reset();
        } else if (const auto* probe = std::get_if<action::StartProbe>(&action)) {
            log_.push_back("probe " + names_[probe->process]);
        } else if (const auto* cancel = std::get_if<action::CancelProbe>(&action)) {
            log_.push_back("cancel probe " + names_[cancel->process]);
        } else if (const auto* kill = std::get_if<action::SignalProcesses>(&action)) {
            for (int pid : kill->pids) {
                log_.push_back("kill " + std::to_string(kill->signal) + " " + std::to_string(pid));
                if (kill->signal == SIGKILL ||
                    (kill->signal == SIGTERM && stubborn_escapees.count(pid) == 0))
                    queue_.push_back(event::EscapeeGone{pid});
            }
        } else if (std::holds_alternative<action::FindEscapees>(action)) {
            queue_.push_back(event::Escaped{escapees, true});
        } else if (const auto* cancel_spawn = std::get_if<action::CancelSpawn>(&action)) {
            log_.push_back("cancel spawn " + names_[cancel_spawn->process]);
            if (deferred_ == cancel_spawn->process)
                deferred_.reset();
        } else if (const auto* cmd = std::get_if<action::RunStopCommand>(&action)) {
            log_.push_back("stop command " + names_[cmd->process]);
            if (failing_stop_command.count(cmd->process) != 0)
                queue_.push_back(event::StopCommandFailed{cmd->process, "exited with code 1"});
            else
                deliver(cmd->process, SIGTERM);
        } else if (const auto* live = std::get_if<action::StartLiveness>(&action)) {
            log_.push_back("liveness " + names_[live->process]);
        } else if (const auto* unlive = std::get_if<action::CancelLiveness>(&action)) {
            log_.push_back("cancel liveness " + names_[unlive->process]);
        } else if (const auto* fin = std::get_if<action::Finish>(&action)) {
            REQUIRE_FALSE(finished_.has_value());
            finished_ = fin->exit_code;
            log_.push_back("finish " + std::to_string(fin->exit_code));
        }
    }

    void deliver(std::size_t id, int sig) {
        if (!group_alive_[id])
            return;  // ESRCH
        OnTerm reaction = on_term.count(id) != 0 ? on_term[id] : OnTerm::exits;
        if (sig == SIGKILL || (sig == SIGTERM && reaction == OnTerm::exits)) {
            if (leader_alive_[id]) {
                leader_alive_[id] = false;
                queue_.push_back(event::Exited{id, ExitStatus::killed(sig)});
            }
            group_alive_[id] = false;
            queue_.push_back(event::GroupEmpty{id});
        } else if (sig == SIGTERM && reaction == OnTerm::leader_only && leader_alive_[id]) {
            leader_alive_[id] = false;
            queue_.push_back(event::Exited{id, ExitStatus::killed(SIGTERM)});
        }
    }

    std::vector<Instance> instances_;
    std::deque<Instance> added_;  // stable addresses, as the runtime's table
    std::vector<std::string> names_;
    Policy policy_;
    TimePoint now_{};
    std::optional<TimePoint> deadline_;
    std::optional<int> finished_;
    std::deque<Event> queue_;
    std::optional<std::size_t> deferred_;
    std::map<std::size_t, bool> leader_alive_;
    std::map<std::size_t, bool> group_alive_;
    std::vector<std::string> log_;
};

inline Lifecycle restarting(RestartPolicy policy, int max_restarts = -1) {
    Lifecycle lc;
    lc.restart = policy;
    lc.max_restarts = max_restarts;
    lc.backoff = Backoff{1000ms, 8000ms, 2.0, 10000ms};
    return lc;
}

}  // namespace policy_replay
