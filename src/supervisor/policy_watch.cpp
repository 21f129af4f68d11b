// The policy's restart on change: debounce windows per watched type, the
// restart of its instances, and of the types that depend on it, each after
// what it waits for meets its condition again.

#include <algorithm>

#include "procrun/policy.hpp"
#include "supervisor/policy_text.hpp"

namespace procrun {

using policy_text::join;

namespace {

// Paths counted in one window: past this, "and many other files".
constexpr std::size_t kCountedPaths = 10000;

}  // namespace

std::vector<std::size_t> Policy::instances_of(const std::string& type) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < states_.size(); ++i) {
        if (states_[i].instance->type == type)
            out.push_back(i);
    }
    return out;
}

void Policy::on(const event::FilesChanged& e, TimePoint now, std::vector<Action>& /*out*/) {
    if (phase_ != Phase::running)
        return;
    const auto ids = instances_of(e.type);
    if (ids.empty())
        return;
    const auto& watch = lifecycle(ids.front()).watch;
    const Millis debounce = watch ? watch->debounce : kDefaultDebounce;
    auto [it, opened] = change_windows_.try_emplace(e.type);
    ChangeWindow& w = it->second;
    if (opened)
        w.due = now + debounce;
    for (const event::PathChange& change : e.paths) {
        const auto [at, fresh] = w.position.try_emplace(change.path, w.paths.size());
        if (fresh) {
            if (w.paths.size() >= kCountedPaths) {
                w.position.erase(at);
                w.more = true;
                continue;
            }
            w.paths.push_back(change);
            continue;
        }
        event::PathChange& seen = w.paths[at->second];
        seen.written = seen.written || change.written;
        seen.removed = change.removed;
    }
}

std::optional<TimePoint> Policy::change_window_due() const {
    std::optional<TimePoint> due;
    if (phase_ != Phase::running)
        return due;
    for (const auto& [type, w] : change_windows_) {
        if (!due || w.due < *due)
            due = w.due;
    }
    return due;
}

// Named: every path but those written and then gone within the window
// (temporary files renamed over the real ones); when that leaves none, every
// path.
std::string Policy::ChangeWindow::cause() const {
    std::vector<const std::string*> named;
    for (const event::PathChange& change : paths) {
        if (!(change.written && change.removed))
            named.push_back(&change.path);
    }
    if (named.empty()) {
        for (const event::PathChange& change : paths)
            named.push_back(&change.path);
    }
    if (named.empty() || named.front()->empty())
        return "files changed (too many at once to tell which)";
    const std::string& first = *named.front();
    const std::size_t others = named.size() - 1;
    if (more)
        return first + " and many other files changed";
    if (others == 0)
        return first + " changed";
    return first + " and " + std::to_string(others) +
           (others == 1 ? " other file changed" : " other files changed");
}

void Policy::end_change_windows(TimePoint now, std::vector<Action>& out) {
    if (phase_ != Phase::running) {
        change_windows_.clear();
        return;
    }
    std::vector<std::pair<std::string, std::string>> due;  // type, cause
    for (auto it = change_windows_.begin(); it != change_windows_.end();) {
        if (it->second.due <= now) {
            due.emplace_back(it->first, it->second.cause());
            it = change_windows_.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& [type, cause] : due) {
        const auto ids = instances_of(type);
        if (ids.empty())
            continue;
        const auto& watch = lifecycle(ids.front()).watch;
        if (watch && watch->restart_dependents)
            wait_for_restart(type, cause);
    }
    // What dependents wait for is tracked from now: has it gone down since?
    for (const auto& [dependent, waiting] : waiting_restarts_) {
        for (const auto& type : waiting.after) {
            for (std::size_t i : instances_of(type))
                restarted_down_[i] = false;
        }
    }
    for (const auto& [type, cause] : due) {
        // A dependent of another type restarted now waits for it instead.
        if (waiting_restarts_.count(type) != 0)
            continue;
        for (std::size_t i : instances_of(type)) {
            if (!restart_for_change(i, name(i) + " restarting: " + cause, now, out))
                restarted_down_.erase(i);
        }
    }
    spawn_next(out);
}

// Every type that depends on `type`, and on those, waits for what it depends
// on among them.
void Policy::wait_for_restart(const std::string& type, const std::string& cause) {
    std::vector<std::string> todo{type};
    std::set<std::string> seen{type};
    while (!todo.empty()) {
        const std::string upstream = todo.back();
        todo.pop_back();
        for (const auto& s : states_) {
            const std::string& dependent = s.instance->type;
            const auto& deps = s.instance->lifecycle->depends_on;
            const bool depends = std::any_of(
                deps.begin(), deps.end(), [&](const Dependency& d) { return d.type == upstream; });
            if (!depends || dependent == upstream)
                continue;
            WaitingRestart& w = waiting_restarts_[dependent];
            if (std::find(w.after.begin(), w.after.end(), upstream) == w.after.end())
                w.after.push_back(upstream);
            if (w.cause.empty())
                w.cause = cause;
            if (seen.insert(dependent).second)
                todo.push_back(dependent);
        }
    }
}

// As a control restart: the stop signal, then a new start once its group is
// gone. One that is in backoff or has ended starts again; one stopped by
// request stays stopped. Returns whether it restarts (or already does).
bool Policy::restart_for_change(std::size_t i, const std::string& why, TimePoint now,
                                std::vector<Action>& out) {
    InstanceState& s = states_[i];
    switch (s.state) {
        case State::running:
        case State::exited:
            if (s.stop_requested)
                return s.then == Then::respawn;
            out.emplace_back(action::Announce{why});
            s.stop_requested = true;
            s.then = Then::respawn;
            ++s.restarts;
            stop_one(i, now, out);
            return true;
        case State::backoff:
        case State::done:
            if (!s.started_once)
                return false;
            out.emplace_back(action::Announce{why});
            make_pending(i);
            s.stop_requested = false;
            s.consecutive = 0;
            s.probe_failed = false;
            ++s.restarts;
            return true;
        case State::pending:
        case State::spawning:
            return true;  // it starts from the files as they are now
        case State::stopped:
            return false;
    }
    return false;
}

namespace {

const char* again(DependencyCondition c) {
    switch (c) {
        case DependencyCondition::started:
            return "start";
        case DependencyCondition::ready:
            return "become ready";
        case DependencyCondition::completed_successfully:
            return "complete successfully";
    }
    return "start";
}

}  // namespace

void Policy::restart_waiting_dependents(TimePoint now, std::vector<Action>& out) {
    if (waiting_restarts_.empty())
        return;
    if (phase_ != Phase::running) {
        waiting_restarts_.clear();
        restarted_down_.clear();
        return;
    }
    for (auto& [i, down] : restarted_down_)
        down = down || states_[i].state != State::running;
    std::set<std::string> dropped;
    for (bool progress = true; progress;) {
        progress = false;
        for (auto it = waiting_restarts_.begin(); it != waiting_restarts_.end();) {
            const std::string& dependent = it->first;
            const auto ids = instances_of(dependent);
            bool met = true;
            std::string failed;
            for (const auto& upstream : it->second.after) {
                const auto& deps = lifecycle(ids.front()).depends_on;
                const auto d = std::find_if(deps.begin(), deps.end(), [&](const Dependency& x) {
                    return x.type == upstream;
                });
                const DependencyCondition c =
                    d == deps.end() ? DependencyCondition::started : d->condition;
                if (dropped.count(upstream) != 0) {
                    failed = upstream + " was not restarted";
                    break;
                }
                for (const auto& [i, down] : restarted_down_) {
                    const InstanceState& s = states_[i];
                    if (s.instance->type != upstream)
                        continue;
                    const bool ok_exit =
                        s.last_exit && s.last_exit->signal == 0 && s.last_exit->code == 0;
                    const bool is_met =
                        down && (c == DependencyCondition::completed_successfully
                                     ? s.state == State::done && ok_exit
                                     : s.state == State::running &&
                                           (c == DependencyCondition::started || s.ready));
                    if (is_met)
                        continue;
                    met = false;
                    const bool ended = s.state == State::done || s.state == State::stopped;
                    if (down && (ended || (c == DependencyCondition::ready && s.probe_failed)))
                        failed = s.instance->name + " did not " + again(c) + " again";
                }
            }
            if (!failed.empty()) {
                out.emplace_back(action::Announce{dependent + " is not restarted: " + failed});
                dropped.insert(dependent);
                for (std::size_t i : ids)
                    restarted_down_.erase(i);
                it = waiting_restarts_.erase(it);
                progress = true;
            } else if (met) {
                const std::string why = " restarting: " + join(it->second.after, " and ") +
                                        " restarted (" + it->second.cause + ")";
                for (std::size_t i : ids) {
                    if (!restart_for_change(i, name(i) + why, now, out))
                        restarted_down_.erase(i);
                }
                it = waiting_restarts_.erase(it);
                progress = true;
            } else {
                ++it;
            }
        }
    }
    if (waiting_restarts_.empty())
        restarted_down_.clear();
    spawn_next(out);
}

}  // namespace procrun
