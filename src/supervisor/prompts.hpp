#pragma once

// Prompts under `procrun start`: a partial line (`(Pdb) `, `Password: `,
// `Proceed? [y/N] `, a `\r` progress bar) is held by the instance's line
// splitter until its newline; once it has been held for kPromptDelay it is
// shown as it is. PartialLines keeps, for every instance holding a partial
// line, since when, in the order they began, so that one timer serves them
// all: it is armed only while some partial line waits, and never per byte.

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "procrun/policy.hpp"

namespace procrun {

// How long a partial line waits for the rest of its line before it is shown:
// long enough that a line written in a few pieces by a busy program arrives
// whole (the writes of one line come within microseconds of each other),
// short enough that a prompt appears to come at once.
inline constexpr std::chrono::milliseconds kPromptDelay{150};

class PartialLines {
  public:
    // Instance `id`'s bytes were split at `now`: whether its splitter holds a
    // partial line now. Returns the time to arm the timer at when it must be
    // armed (it was not armed), else nullopt.
    std::optional<TimePoint> fed(std::size_t id, bool holding, TimePoint now);
    // The timer fired at `now`: the instances whose partial line has waited
    // kPromptDelay, oldest first. Then next() tells when to arm it again.
    std::vector<std::size_t> due(TimePoint now);
    [[nodiscard]] std::optional<TimePoint> next() const;
    // Instance `id` ended its output or restarts: its partial line is gone.
    void forget(std::size_t id) { since_.erase(id); }

  private:
    struct Held {
        std::size_t id;
        TimePoint since;
    };
    std::map<std::size_t, TimePoint> since_;  // instances holding a partial line
    std::deque<Held> order_;  // the same, oldest first (entries no longer in since_ are skipped)
    bool armed_ = false;
};

}  // namespace procrun
