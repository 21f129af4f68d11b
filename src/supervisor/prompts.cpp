#include "supervisor/prompts.hpp"

#include "supervisor/runtime.hpp"

namespace procrun {

std::optional<TimePoint> PartialLines::fed(std::size_t id, bool holding, TimePoint now) {
    if (!holding) {
        since_.erase(id);
        return std::nullopt;
    }
    if (!since_.try_emplace(id, now).second)
        return std::nullopt;  // already waiting, since its first byte
    order_.push_back(Held{id, now});
    if (armed_)
        return std::nullopt;
    armed_ = true;
    return now + kPromptDelay;
}

std::vector<std::size_t> PartialLines::due(TimePoint now) {
    armed_ = false;
    std::vector<std::size_t> out;
    while (!order_.empty()) {
        const Held& h = order_.front();
        const auto it = since_.find(h.id);
        if (it == since_.end() || it->second != h.since) {
            order_.pop_front();  // its line ended, or it was shown already
            continue;
        }
        if (h.since + kPromptDelay > now)
            break;
        out.push_back(h.id);
        since_.erase(it);
        order_.pop_front();
    }
    armed_ = !order_.empty();
    return out;
}

std::optional<TimePoint> PartialLines::next() const {
    if (order_.empty())
        return std::nullopt;
    return order_.front().since + kPromptDelay;
}

// ---- the runtime's side ----------------------------------------------------------

void Runtime::prompt_timer() {
    sink_.stamp();
    for (const std::size_t id : partials_.due(launcher_.now()))
        show_prompt(id);
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
    const std::string& name = plan_.instances[id].name;
    announce(name + " is waiting for input: procrun connect " + name);
}

}  // namespace procrun
