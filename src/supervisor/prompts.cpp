#include "supervisor/prompts.hpp"

#include <algorithm>

#include "supervisor/runtime.hpp"

namespace procrun {

std::optional<TimePoint> PartialLines::fed(std::size_t id, bool holding, bool began,
                                           TimePoint now) {
    if (!holding) {
        held_.erase(id);
        return std::nullopt;
    }
    auto [it, inserted] = held_.try_emplace(id, Held{now, now});
    if (!inserted) {
        // A new partial line waits from now; its entry is queued again when
        // the timer reaches the old one.
        if (began)
            it->second = Held{now, now};
        return std::nullopt;
    }
    order_.push_back(Entry{id, now});
    if (armed_)
        return std::nullopt;
    armed_ = true;
    return now + kPromptDelay;
}

std::vector<PartialLines::Due> PartialLines::due(TimePoint now) {
    armed_ = false;
    std::vector<Due> out;
    // Each entry is looked at once per call: one queued again goes behind.
    for (std::size_t n = order_.size(); n > 0 && !order_.empty(); --n) {
        const Entry e = order_.front();
        const auto it = held_.find(e.id);
        if (it == held_.end()) {
            order_.pop_front();  // its line ended, or it was shown
            continue;
        }
        if (it->second.since != e.since) {
            order_.pop_front();
            order_.push_back(Entry{e.id, it->second.since});
            continue;
        }
        if (e.since + kPromptDelay > now)
            break;
        out.push_back(Due{e.id, it->second.began});
        held_.erase(it);
        order_.pop_front();
    }
    return out;
}

void PartialLines::wait_again(std::size_t id, TimePoint began, TimePoint now) {
    held_.insert_or_assign(id, Held{now, began});
    order_.push_back(Entry{id, now});
}

std::optional<TimePoint> PartialLines::next() const {
    if (order_.empty())
        return std::nullopt;
    TimePoint earliest = order_.front().since;
    for (const Entry& e : order_)
        earliest = std::min(earliest, e.since);
    return earliest + kPromptDelay;
}

// ---- the runtime's side ----------------------------------------------------------

// A partial line is shown once its process has stopped writing: nothing of
// it is left unread (reading may be paused for back-pressure) and, for up to
// kPromptPatience, no process of its group is running.
void Runtime::prompt_timer() {
    const TimePoint now = launcher_.now();
    sink_.stamp();
    for (const PartialLines::Due& d : partials_.due(now)) {
        const OutputActivity activity = launcher_.output_activity(d.id);
        const bool writing =
            paused_ || activity == OutputActivity::unread ||
            (activity == OutputActivity::running && now - d.began < kPromptPatience);
        if (writing)
            partials_.wait_again(d.id, d.began, now);
        else
            show_prompt(d.id);
    }
    if (auto at = partials_.next())
        launcher_.arm_prompt_timer(*at);
}

// Shows the partial line, then, if the instance now waits for input, says
// once for this prompt how to reach it.
void Runtime::show_prompt(std::size_t id) {
    outputs_[id].splitter.flush_partial(
        [this, id](std::string_view text, bool continued) { sink_.line(id, text, continued); });
    if (focus_ == id || !launcher_.waiting_for_input(id))
        return;
    const std::string& name = instances_[id].name;
    announce(name + " is waiting for input: procrun connect " + name);
}

}  // namespace procrun
