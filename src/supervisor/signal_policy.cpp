// The policy's answer to a signal procrun received that may be passed on:
// forward_signals per process type (docs/config.md). A signal no type
// forwards goes to nobody: a bystander with the default disposition would die
// of it, and its exit would stop everything.

#include <signal.h>

#include <algorithm>

#include "procrun/policy.hpp"
#include "procrun/posix/signals.hpp"
#include "procrun/signal_name.hpp"

namespace procrun {

namespace {

std::string names_of(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        if (!out.empty())
            out += ", ";
        out += n;
    }
    return out;
}

}  // namespace

bool Policy::forward_signal(int signal, std::vector<Action>& out) {
    bool listed = false;
    std::vector<std::size_t> targets;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < states_.size(); ++i) {
        const auto& forwards = lifecycle(i).forward_signals;
        if (std::find(forwards.begin(), forwards.end(), signal) == forwards.end())
            continue;
        listed = true;
        if (alive(i)) {
            targets.push_back(i);
            names.push_back(name(i));
        }
    }
    const std::string name = signal_name(signal);
    if (listed) {
        if (targets.empty()) {
            out.emplace_back(
                action::Announce{"received " + name + "; no process to forward it to"});
            return true;
        }
        // Names while they fit on a line; a count for a big formation.
        const std::string whom =
            names.size() <= 4 ? names_of(names) : std::to_string(names.size()) + " processes";
        out.emplace_back(action::Announce{"forwarding " + name + " to " + whom});
        out.emplace_back(action::ForwardSignal{signal, std::move(targets)});
        return true;
    }
    if (signal == SIGWINCH)
        return true;
    if (signal == SIGUSR1 || signal == SIGUSR2) {
        const std::string word = name.substr(3);
        out.emplace_back(action::Announce{
            "received " + name + "; no process type forwards it (set `forward_signals: [" + word +
            "]` for a type in .procrun.yaml, or use `procrun signal " + word + " NAME`)"});
        return true;
    }
    return false;
}

}  // namespace procrun
