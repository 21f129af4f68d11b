#pragma once

#include <chrono>
#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace procrun {

// The longest line procrun prints in one piece. A longer line is printed as
// several pieces, every piece after the first marked as a continuation.
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

// Splits one process's byte stream into lines. Complete lines are handed out
// straight from the caller's buffer; only an unterminated tail is copied and
// held until its newline (or finish()) arrives. Bytes are never altered: `\r`
// and invalid UTF-8 pass through. A line longer than `max_line` is cut into
// pieces of at most `max_line` bytes (never inside a UTF-8 sequence when one
// ends within 3 bytes of the cut); `continued` is true for every piece after
// the first of a line.
//
// With `strip_cr` (for a pseudo-terminal, whose ONLCR turns every `\n` into
// `\r\n`), one `\r` right before a `\n` is dropped as part of the line end,
// also when the `\r` ends one read and the `\n` starts the next. Any other
// `\r` is kept (a progress bar's), and so is the first of `\r\r\n` (what a
// program writing `\r\n` itself sends through ONLCR).
class LineSplitter {
  public:
    explicit LineSplitter(std::size_t max_line = kMaxLineBytes, bool strip_cr = false)
        : max_(max_line < 4 ? 4 : max_line), strip_cr_(strip_cr) {}

    // Turns the CRLF stripping above on or off (between lines).
    void set_strip_cr(bool strip_cr) { strip_cr_ = strip_cr; }
    [[nodiscard]] bool strip_cr() const { return strip_cr_; }

    // emit(std::string_view line, bool continued) for each complete line or
    // piece in `bytes` (without the newline).
    template <class Emit>
    void feed(std::string_view bytes, Emit&& emit);

    // End of stream: emits the held partial line, if any.
    template <class Emit>
    void finish(Emit&& emit);

    // Emits the held partial line now (a prompt waiting for its answer, a
    // progress bar's `\r` update); the rest of that line, when it comes, is
    // emitted as continued pieces. A `\r` held to see whether a `\n` follows
    // stays held.
    template <class Emit>
    void flush_partial(Emit&& emit);

    [[nodiscard]] bool has_partial() const { return !partial_.empty() || pending_cr_; }

  private:
    // Where to cut `piece` (longer than max_) so that a UTF-8 sequence is not split.
    [[nodiscard]] std::size_t cut_point(std::string_view piece) const;

    // Appends `bytes` (no newline) to the partial line, emitting full-size pieces.
    template <class Emit>
    void hold(std::string_view bytes, Emit& emit);
    // The newline of the partial line arrived: emits it.
    template <class Emit>
    void end_partial(Emit& emit);

    std::string partial_;
    bool continuing_ = false;  // the next piece continues a line already partly emitted
    std::size_t max_;
    bool strip_cr_ = false;
    bool pending_cr_ = false;  // strip_cr_: the last byte fed was a `\r`, not yet in partial_
};

// How lines are printed: `text` for people, `json` for log shippers (one
// object per line, see OutputBuffer).
enum class OutputFormat { text, json };

// How lines are decorated. `colour`, `timestamp` and `prefix` apply to the
// text format only: a JSON line always has every field and no colour.
struct OutputStyle {
    bool colour = false;
    bool timestamp = true;  // "HH:MM:SS " in local time
    bool prefix = true;     // false: lines exactly as the process wrote them
    OutputFormat format = OutputFormat::text;
};

// The fixed palette, one entry per process type by its Procfile position
// (wrapping around), as SGR parameters ("36" is cyan).
const std::vector<std::string_view>& colour_palette();

// Formats lines into one growing buffer that the writer drains. After warm-up
// appending a line allocates nothing: prefixes are built once per source and
// the timestamp once per second.
//
//   12:00:00 web.1  | a line
//   12:00:00 web.1  + the rest of a line longer than kMaxLineBytes
//   12:00:00 system | web.1 started with pid 4242
//
// With colour, a line holding an escape sequence ends with a reset of the
// terminal's attributes, so that a colour it leaves open does not spill into
// the prefix of the next line.
//
// The JSON format writes one object per line (RFC 8259; the time in UTC with
// milliseconds; bytes that are not UTF-8 become U+FFFD):
//
//   {"ts":"2026-11-24T10:00:00.123Z","process":"web.1","stream":"stdout","line":"a line"}
//   {"ts":"...","process":"web.1","stream":"stdout","line":"the rest","continued":true}
//   {"ts":"...","process":"system","stream":"system","line":"web.1 started with pid 4242"}
class OutputBuffer {
  public:
    // `name_width`: the longest name expected (names are padded to at least
    // the width of "system"). A source added later with a longer name widens
    // the column for every line appended after it.
    OutputBuffer(OutputStyle style, std::size_t name_width);

    // Registers a source; returns its id. Source 0 is always `system`.
    // `colour`: index into the palette, or -1 for procrun's own colour.
    std::size_t add_source(std::string_view name, int colour);

    // Sets the clock used for timestamps: seconds since the epoch, or a
    // system_clock time with milliseconds (what the JSON format shows).
    void set_time(std::time_t now);
    void set_time(std::chrono::system_clock::time_point now);

    void append(std::size_t source, std::string_view line, bool continued = false);
    void append_system(std::string_view line) { append(0, line, false); }
    // Appends bytes as they are, outside any line (a terminal's reset sequence).
    void append_raw(std::string_view bytes) { buffer_.append(bytes); }

    [[nodiscard]] std::size_t size() const { return buffer_.size() - consumed_; }
    [[nodiscard]] bool empty() const { return size() == 0; }
    [[nodiscard]] std::string_view pending() const {
        return std::string_view(buffer_).substr(consumed_);
    }
    // Marks `n` bytes of pending() as written.
    void consume(std::size_t n);
    // Drops everything pending (the output is gone).
    void clear();

    [[nodiscard]] const OutputStyle& style() const { return style_; }

  private:
    struct Source {
        std::string name;
        std::string head;       // colour + padded name + " | " (after the timestamp);
                                // JSON: the fields between "ts" and "line"
        std::string head_cont;  // the same with " + "
    };
    void append_json(const Source& source, std::string_view line, bool continued);
    void pad_head(Source& s) const;  // head and head_cont at the current width
    void set_seconds(std::time_t now);

    OutputStyle style_;
    std::size_t width_;
    std::vector<Source> sources_;
    std::vector<std::string> colours_;  // SGR start sequence per source
    std::string buffer_;
    std::size_t consumed_ = 0;
    std::time_t time_ = -1;
    char stamp_[9] = {'0', '0', ':', '0', '0', ':', '0', '0', ' '};
    // JSON: "1970-01-01T00:00:00.000Z", the milliseconds rewritten per set_time().
    char utc_[24] = {'1', '9', '7', '0', '-', '0', '1', '-', '0', '1', 'T', '0',
                     '0', ':', '0', '0', ':', '0', '0', '.', '0', '0', '0', 'Z'};
};

// ---- template implementation ----

template <class Emit>
void LineSplitter::feed(std::string_view bytes, Emit&& emit) {
    if (pending_cr_ && !bytes.empty()) {
        // The `\r` that ended the last read: a line end if a `\n` follows.
        pending_cr_ = false;
        if (bytes.front() == '\n') {
            end_partial(emit);
            bytes.remove_prefix(1);
        } else {
            hold(std::string_view("\r", 1), emit);
        }
    }
    while (!bytes.empty()) {
        const void* nl = std::char_traits<char>::find(bytes.data(), bytes.size(), '\n');
        const std::size_t line_len =
            nl == nullptr ? bytes.size()
                          : static_cast<std::size_t>(static_cast<const char*>(nl) - bytes.data());
        // The line's own bytes: without a `\r` before its `\n`, or held back at
        // the end of the read until the next byte tells what it is.
        std::size_t keep = line_len;
        if (strip_cr_ && line_len > 0 && bytes[line_len - 1] == '\r') {
            --keep;
            pending_cr_ = nl == nullptr;
        }
        if (partial_.empty() && keep <= max_ && nl != nullptr) {
            // The common case: a whole line inside the caller's buffer.
            emit(bytes.substr(0, keep), continuing_);
            continuing_ = false;
            bytes.remove_prefix(line_len + 1);
            continue;
        }
        hold(bytes.substr(0, keep), emit);
        bytes.remove_prefix(line_len);
        if (nl != nullptr) {
            end_partial(emit);
            bytes.remove_prefix(1);
        }
    }
}

template <class Emit>
void LineSplitter::hold(std::string_view bytes, Emit& emit) {
    while (partial_.size() + bytes.size() > max_) {
        const std::size_t room = max_ - partial_.size();
        partial_.append(bytes.data(), room);
        bytes.remove_prefix(room);
        const std::size_t cut = cut_point(partial_);
        emit(std::string_view(partial_).substr(0, cut), continuing_);
        continuing_ = true;
        partial_.erase(0, cut);
    }
    partial_.append(bytes.data(), bytes.size());
}

template <class Emit>
void LineSplitter::end_partial(Emit& emit) {
    emit(std::string_view(partial_), continuing_);
    continuing_ = false;
    partial_.clear();
}

template <class Emit>
void LineSplitter::flush_partial(Emit&& emit) {
    if (partial_.empty())
        return;
    emit(std::string_view(partial_), continuing_);
    continuing_ = true;
    partial_.clear();
}

template <class Emit>
void LineSplitter::finish(Emit&& emit) {
    if (pending_cr_) {
        // A `\r` at the very end is the line's, not part of a line end.
        pending_cr_ = false;
        hold(std::string_view("\r", 1), emit);
    }
    if (!partial_.empty())
        emit(std::string_view(partial_), continuing_);
    partial_.clear();
    continuing_ = false;
}

}  // namespace procrun
