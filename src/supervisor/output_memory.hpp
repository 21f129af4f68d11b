#pragma once

// The output memory of `procrun start`: the recent lines of every instance
// and procrun's own, each source in a ring bounded in lines and in bytes, for
// `procrun logs` and `procrun attach` (docs/logs.md). It is fed the lines the
// main output shows, with their time, and tells one listener of each new line.
// Lines of an instance that restarts or exits stay until newer ones push them
// out. Sources grow with the instances (an id past the last one adds rings).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace procrun {

// How much each source keeps (`log_memory`, `log_memory_bytes`).
struct OutputMemoryLimits {
    std::size_t lines = 1000;  // per source; 0: nothing is kept
    // Per source: the text and the bookkeeping of its lines (about 40 bytes
    // each). A line longer than an eighth of this (at most 64 KiB) is kept
    // cut, marked `truncated`.
    std::size_t bytes = 1024 * 1024;
};

// The smallest byte bound accepted.
inline constexpr std::size_t kMinLogMemoryBytes = 4096;

// One remembered line; `text` is valid until the next add().
struct RememberedLine {
    std::uint64_t seq = 0;  // the order of all lines, across sources
    std::size_t source = 0;
    std::chrono::system_clock::time_point time;
    bool continued = false;  // a piece after the first of a line over 64 KiB
    bool truncated = false;  // cut to the memory's line bound
    std::string_view text;
};

class OutputMemory {
  public:
    // procrun's own lines.
    static constexpr std::size_t kSystem = std::numeric_limits<std::size_t>::max();

    explicit OutputMemory(OutputMemoryLimits limits = {});
    ~OutputMemory();
    OutputMemory(const OutputMemory&) = delete;
    OutputMemory& operator=(const OutputMemory&) = delete;

    [[nodiscard]] const OutputMemoryLimits& limits() const { return limits_; }

    // The time of the lines added from now on.
    void set_time(std::chrono::system_clock::time_point now) { now_ = now; }
    // A line of `source` (an instance id, or kSystem), as the main output shows it.
    void add(std::size_t source, std::string_view text, bool continued = false);

    // Called with every line added (after it is kept, or not when lines == 0).
    void on_line(std::function<void(const RememberedLine&)> listener) {
        listener_ = std::move(listener);
    }

    // The last `n` lines of `sources` together (kSystem among them for
    // procrun's own), oldest first. Views into the memory: valid until the next add().
    [[nodiscard]] std::vector<RememberedLine> last(const std::vector<std::size_t>& sources,
                                                   std::size_t n) const;
    // Lines and bytes held by `source`, for tests and the figures.
    [[nodiscard]] std::size_t lines(std::size_t source) const;
    [[nodiscard]] std::size_t bytes(std::size_t source) const;

    class Ring;

  private:
    Ring* ring(std::size_t source);
    [[nodiscard]] const Ring* find(std::size_t source) const;

    OutputMemoryLimits limits_;
    std::size_t chunk_;                        // bytes per text chunk; the longest line kept whole
    std::deque<std::unique_ptr<Ring>> rings_;  // by instance id, made on first line
    std::unique_ptr<Ring> system_;
    std::uint64_t seq_ = 0;
    std::chrono::system_clock::time_point now_;
    std::function<void(const RememberedLine&)> listener_;
};

}  // namespace procrun
