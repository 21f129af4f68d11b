#pragma once

// Prompts under `procrun start`: a partial line (`(Pdb) `, `Password: `,
// `Proceed? [y/N] `, a `\r` progress bar) is held by the instance's line
// splitter until its newline; once it has been alone for kPromptDelay, and
// the process has stopped writing, it is shown as it is. PartialLines keeps,
// for every instance holding a partial line, since when, roughly oldest
// first, so that one timer serves them all: it is armed only while some
// partial line waits, and never per byte.

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
// A partial line whose process is still running (on a CPU, not blocked) waits
// on, up to this long since it began: a loaded machine may deschedule a writer
// between two writes of one line, and a busy progress bar is shown anyway.
inline constexpr std::chrono::milliseconds kPromptPatience{1000};

class PartialLines {
  public:
    // Instance `id`'s bytes were split at `now`: whether its splitter holds a
    // partial line now, and whether that partial line began in these bytes
    // (a line ended before it). Returns the time to arm the timer at when it
    // must be armed (it was not), else nullopt.
    std::optional<TimePoint> fed(std::size_t id, bool holding, bool began, TimePoint now);
    // The timer fired at `now`: the instances whose partial line has waited
    // kPromptDelay, each with when its partial line began. They are no longer
    // waiting: wait_again() puts one back. Then next() tells when to arm the timer.
    struct Due {
        std::size_t id;
        TimePoint began;
    };
    std::vector<Due> due(TimePoint now);
    // Instance `id`'s partial line (begun at `began`) waits kPromptDelay more.
    void wait_again(std::size_t id, TimePoint began, TimePoint now);
    [[nodiscard]] std::optional<TimePoint> next() const;
    // Instance `id` ended its output or restarts: its partial line is gone.
    void forget(std::size_t id) { held_.erase(id); }

  private:
    struct Held {
        TimePoint since;  // the start of its current wait
        TimePoint began;  // when the partial line began
    };
    struct Entry {
        std::size_t id;
        TimePoint since;
    };
    std::map<std::size_t, Held> held_;  // instances holding a partial line
    // The same, about oldest first: an entry whose `since` is no longer its
    // instance's is queued again with the new time, or dropped.
    std::deque<Entry> order_;
    bool armed_ = false;
};

}  // namespace procrun
