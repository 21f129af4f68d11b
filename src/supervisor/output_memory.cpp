#include "supervisor/output_memory.hpp"

#include <algorithm>
#include <utility>

namespace procrun {

namespace {

constexpr std::size_t kMaxChunk = 64 * 1024;

// A first-in first-out queue in one vector used as a ring: it allocates
// nothing until its first element and then grows by doubling, so a quiet
// source costs a few records (a std::deque allocates a map and a 512-byte
// block as soon as it exists, and keeps them).
template <typename T>
class Fifo {
  public:
    [[nodiscard]] bool empty() const { return size_ == 0; }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] T& operator[](std::size_t i) { return buf_[(head_ + i) % buf_.size()]; }
    [[nodiscard]] const T& operator[](std::size_t i) const {
        return buf_[(head_ + i) % buf_.size()];
    }
    [[nodiscard]] T& front() { return (*this)[0]; }
    [[nodiscard]] T& back() { return (*this)[size_ - 1]; }

    void push_back(T value) {
        if (size_ == buf_.size())
            grow();
        (*this)[size_] = std::move(value);
        ++size_;
    }
    // The element leaves the queue; `T` keeps what it owns until overwritten.
    T take_front() {
        T out = std::move(buf_[head_]);
        head_ = (head_ + 1) % buf_.size();
        --size_;
        return out;
    }
    void pop_front() { (void)take_front(); }

  private:
    void grow() {
        std::vector<T> bigger;
        bigger.reserve(std::max<std::size_t>(1, buf_.size() * 2));
        for (std::size_t i = 0; i < size_; ++i)
            bigger.push_back(std::move((*this)[i]));
        bigger.resize(bigger.capacity());
        buf_ = std::move(bigger);
        head_ = 0;
    }

    std::vector<T> buf_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

}  // namespace

// One source's lines: their text in chunks of `chunk` bytes, appended in
// order and dropped from the front, and one record per line. A chunk grows
// as lines come (a quiet instance holds little); a dropped chunk is kept as
// the spare for the next, so a busy instance allocates nothing in the steady
// state. Nothing is allocated before the first line.
class OutputMemory::Ring {
  public:
    explicit Ring(std::size_t chunk) : chunk_(chunk) {}

    struct Entry {
        std::uint64_t seq;
        std::chrono::system_clock::time_point time;
        std::uint64_t chunk;  // absolute chunk number
        std::uint32_t offset;
        std::uint32_t size;
        bool continued;
        bool truncated;
    };

    void add(const OutputMemoryLimits& limits, const Entry& head, std::string_view text) {
        if (chunks_.empty() || chunks_.back().size() + text.size() > chunk_)
            new_chunk(limits);
        std::string& chunk = chunks_.back();
        Entry e = head;
        e.chunk = first_chunk_ + chunks_.size() - 1;
        e.offset = static_cast<std::uint32_t>(chunk.size());
        e.size = static_cast<std::uint32_t>(text.size());
        chunk.append(text);
        entries_.push_back(e);
        while (entries_.size() > limits.lines || held() > limits.bytes)
            drop_oldest();
    }

    [[nodiscard]] std::size_t size() const { return entries_.size(); }
    [[nodiscard]] const Entry& at(std::size_t i) const { return entries_[i]; }
    [[nodiscard]] std::string_view text(const Entry& e) const {
        return std::string_view(chunks_[e.chunk - first_chunk_]).substr(e.offset, e.size);
    }
    // What it holds: its chunks and its records.
    [[nodiscard]] std::size_t held() const {
        return chunks_.size() * chunk_ + entries_.size() * sizeof(Entry);
    }

  private:
    // Makes room for a chunk (dropping whole chunks of the oldest lines), then adds it.
    void new_chunk(const OutputMemoryLimits& limits) {
        while (!chunks_.empty() && held() + chunk_ > limits.bytes)
            drop_chunk();
        if (has_spare_) {
            chunks_.push_back(std::move(spare_));
            spare_ = std::string();
            has_spare_ = false;
        } else {
            // The first chunk grows with its lines (a quiet instance holds
            // little); the later ones, of a busy instance, are made whole.
            chunks_.push_back(std::string());
            if (first_chunk_ > 0 || chunks_.size() > 1)
                chunks_.back().reserve(chunk_);
        }
    }

    void drop_chunk() {
        while (!entries_.empty() && entries_.front().chunk == first_chunk_)
            entries_.pop_front();
        release_front();
    }

    void drop_oldest() {
        entries_.pop_front();
        const std::uint64_t needed =
            entries_.empty() ? first_chunk_ + chunks_.size() - 1 : entries_.front().chunk;
        while (first_chunk_ < needed)
            release_front();
    }

    void release_front() {
        std::string freed = chunks_.take_front();
        ++first_chunk_;
        freed.clear();
        if (!has_spare_) {
            spare_ = std::move(freed);
            has_spare_ = true;
        }
    }

    std::size_t chunk_;
    Fifo<Entry> entries_;
    Fifo<std::string> chunks_;
    std::uint64_t first_chunk_ = 0;  // the number of chunks_.front()
    std::string spare_;              // a dropped chunk kept for the next one, when has_spare_
    bool has_spare_ = false;
};

OutputMemory::OutputMemory(OutputMemoryLimits limits)
    : limits_(limits), chunk_(std::clamp<std::size_t>(limits.bytes / 8, 256, kMaxChunk)) {
    limits_.bytes = std::max(limits_.bytes, kMinLogMemoryBytes);
}

OutputMemory::~OutputMemory() = default;

OutputMemory::Ring* OutputMemory::ring(std::size_t source) {
    if (source == kSystem) {
        if (!system_)
            system_ = std::make_unique<Ring>(chunk_);
        return system_.get();
    }
    if (source >= rings_.size())
        rings_.resize(source + 1);
    if (!rings_[source])
        rings_[source] = std::make_unique<Ring>(chunk_);
    return rings_[source].get();
}

const OutputMemory::Ring* OutputMemory::find(std::size_t source) const {
    if (source == kSystem)
        return system_.get();
    return source < rings_.size() ? rings_[source].get() : nullptr;
}

void OutputMemory::add(std::size_t source, std::string_view text, bool continued) {
    const bool truncated = text.size() > chunk_;
    if (truncated)
        text = text.substr(0, chunk_);
    RememberedLine line{++seq_, source, now_, continued, truncated, text};
    if (limits_.lines > 0) {
        Ring* r = ring(source);
        r->add(limits_, Ring::Entry{line.seq, now_, 0, 0, 0, continued, truncated}, text);
    }
    if (listener_)
        listener_(line);
}

std::vector<RememberedLine> OutputMemory::last(const std::vector<std::size_t>& sources,
                                               std::size_t n) const {
    std::vector<RememberedLine> out;
    for (const std::size_t source : sources) {
        const Ring* r = find(source);
        if (r == nullptr)
            continue;
        const std::size_t from = r->size() > n ? r->size() - n : 0;
        for (std::size_t i = from; i < r->size(); ++i) {
            const Ring::Entry& e = r->at(i);
            out.push_back(
                RememberedLine{e.seq, source, e.time, e.continued, e.truncated, r->text(e)});
        }
    }
    std::sort(out.begin(), out.end(),
              [](const RememberedLine& a, const RememberedLine& b) { return a.seq < b.seq; });
    out.erase(std::unique(
                  out.begin(), out.end(),
                  [](const RememberedLine& a, const RememberedLine& b) { return a.seq == b.seq; }),
              out.end());
    if (out.size() > n)
        out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(n));
    return out;
}

std::size_t OutputMemory::lines(std::size_t source) const {
    const Ring* r = find(source);
    return r == nullptr ? 0 : r->size();
}

std::size_t OutputMemory::bytes(std::size_t source) const {
    const Ring* r = find(source);
    return r == nullptr ? 0 : r->held();
}

}  // namespace procrun
