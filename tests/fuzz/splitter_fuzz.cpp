// libFuzzer target for the output path of `procrun start`: LineSplitter cuts a
// child's byte stream into lines and pieces, OutputBuffer formats them.
//
// Input layout: byte 0 picks the longest piece (4..67 bytes, or kMaxLineBytes),
// byte 1 the palette colour, bytes 2..9 the clock (seconds, taken modulo the
// years 1970..9999), byte 10 the number K (0..7)
// of chunk sizes that follow; the rest is the stream, fed in chunks of those
// sizes (cycled; 0 means an empty feed). For every input:
//   - the pieces of each line, concatenated, are exactly that line of the
//     input, in order, nothing added or lost (an unterminated last line comes
//     out of finish());
//   - no piece holds a newline or exceeds the limit; the first piece of a line
//     is not a continuation, the others are and are never empty; a piece cut
//     before the limit was cut only to keep a UTF-8 sequence whole;
//   - has_partial() says whether bytes are held;
//   - each output style formats every piece as one line: the expected colour,
//     timestamp and padded name with " | " or " + ", then the piece, unchanged;
//     draining the buffer in uneven steps, with appends in between, yields the
//     same bytes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/output.hpp"

namespace {

struct Piece {
    std::string text;
    bool continued;
};

constexpr std::size_t kHeader = 11;

[[noreturn]] void fail() {
    std::abort();
}

// The input's lines: split at '\n'; a final empty segment (the input ends
// with a newline, or is empty) is not a line.
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) {
            if (start < text.size())
                lines.push_back(text.substr(start));
            break;
        }
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}

bool is_continuation_byte(unsigned char b) {
    return (b & 0xC0U) == 0x80U;
}

std::size_t sequence_length(unsigned char lead) {
    if (lead >= 0xF0U)
        return 4;
    if (lead >= 0xE0U)
        return 3;
    return 2;
}

// Whether `piece` ends inside a UTF-8 sequence whose lead byte is one of its
// last three bytes.
bool ends_inside_sequence(std::string_view piece) {
    for (std::size_t k = 1; k <= 3 && k < piece.size(); ++k) {
        const auto b = static_cast<unsigned char>(piece[piece.size() - k]);
        if (is_continuation_byte(b))
            continue;
        return (b & 0xC0U) == 0xC0U && sequence_length(b) > k;
    }
    return false;
}

void check_pieces(const std::vector<Piece>& pieces, std::string_view stream, std::size_t limit) {
    const auto lines = lines_of(stream);
    std::size_t line = 0;
    std::string joined;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        const Piece& p = pieces[i];
        if (p.text.size() > limit || p.text.find('\n') != std::string::npos)
            fail();
        if (i == 0 && p.continued)
            fail();
        if (p.continued && p.text.empty())
            fail();
        const bool last_of_line = i + 1 == pieces.size() || !pieces[i + 1].continued;
        if (!last_of_line) {
            // Cut at the limit, or at most 3 bytes before it to keep a UTF-8
            // sequence whole (the next piece then starts with its lead byte).
            if (p.text.size() + 3 < limit)
                fail();
            if (p.text.size() < limit) {
                const auto next = static_cast<unsigned char>(pieces[i + 1].text.front());
                if ((next & 0xC0U) != 0xC0U)
                    fail();
            } else if (ends_inside_sequence(p.text)) {
                fail();
            }
        }
        joined += p.text;
        if (last_of_line) {
            if (line >= lines.size() || joined != lines[line])
                fail();
            ++line;
            joined.clear();
        }
    }
    if (line != lines.size())
        fail();
}

// What OutputBuffer should print for `pieces` with `style`, derived from the
// documented format rather than from its code.
std::string expected_output(const std::vector<Piece>& pieces, const procrun::OutputStyle& style,
                            std::string_view name, std::size_t width, int colour, std::time_t now) {
    std::string out;
    std::string stamp;
    if (style.timestamp) {
        std::tm local{};
        ::localtime_r(&now, &local);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%02d:%02d:%02d ", local.tm_hour, local.tm_min,
                      local.tm_sec);
        stamp = buf;
        if (stamp.size() != 9)
            fail();
    }
    std::string padded(name);
    padded.resize(std::max(width, std::size_t{6}), ' ');
    std::string sgr;
    std::string reset;
    if (style.colour) {
        const auto& palette = procrun::colour_palette();
        sgr =
            "\x1b[" + std::string(palette[static_cast<std::size_t>(colour) % palette.size()]) + "m";
        reset = "\x1b[0m";
    }
    for (const Piece& p : pieces) {
        if (style.prefix) {
            out += sgr;
            out += stamp;
            out += padded;
            out += p.continued ? " + " : " | ";
            out += reset;
        }
        out += p.text;
        out += '\n';
    }
    return out;
}

void check_formatting(const std::vector<Piece>& pieces, const procrun::OutputStyle& style,
                      int colour, std::time_t now, const std::vector<std::size_t>& steps) {
    constexpr std::string_view kName = "web.1";
    const std::size_t width = 8;
    procrun::OutputBuffer buffer(style, width);
    const std::size_t source = buffer.add_source(kName, colour);
    if (source != 1)
        fail();
    buffer.set_time(now);
    const std::string expected = expected_output(pieces, style, kName, width, colour, now);

    std::string drained;
    std::size_t step = 0;
    for (const Piece& p : pieces) {
        buffer.append(source, p.text, p.continued);
        // Write part of it, as a slow reader would take it.
        const std::size_t n = steps.empty() ? 0 : steps[step++ % steps.size()] * 7;
        const std::string_view pending = buffer.pending();
        if (pending.size() != buffer.size())
            fail();
        drained.append(pending.substr(0, n));
        buffer.consume(n);
        if (expected.compare(0, drained.size(), drained) != 0)
            fail();
    }
    drained.append(buffer.pending());
    buffer.consume(buffer.size() + 1);
    if (!buffer.empty() || drained != expected)
        fail();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < kHeader)
        return 0;
    const std::size_t limit = data[0] >= 0xF0 ? procrun::kMaxLineBytes : 4 + data[0] % 64;
    const int colour = data[1] % 32;
    std::int64_t clock = 0;
    std::memcpy(&clock, data + 2, sizeof clock);
    // A clock from 1970 to the end of year 9999 (time(2) does not go back, and
    // a timestamp has four digits for the year).
    constexpr std::int64_t kYear10000 = 253402300800;
    const auto now = static_cast<std::time_t>((clock % kYear10000 + kYear10000) % kYear10000);
    const std::size_t count = data[10] % 8;
    if (size < kHeader + count)
        return 0;
    std::vector<std::size_t> steps(data + kHeader, data + kHeader + count);
    const std::string_view stream(reinterpret_cast<const char*>(data) + kHeader + count,
                                  size - kHeader - count);

    procrun::LineSplitter splitter(limit);
    std::vector<Piece> pieces;
    auto emit = [&pieces](std::string_view text, bool continued) {
        pieces.push_back({std::string(text), continued});
    };
    std::size_t at = 0;
    std::size_t step = 0;
    std::size_t empty_feeds = 0;
    while (at < stream.size()) {
        std::size_t n = steps.empty() ? stream.size() : steps[step++ % steps.size()];
        if (n == 0 && ++empty_feeds > stream.size())
            n = 1;  // every size is 0: still make progress
        n = std::min(n, stream.size() - at);
        splitter.feed(stream.substr(at, n), emit);
        at += n;
    }
    // Every terminated line has been emitted whole; of the unterminated last
    // line, what was not emitted yet is held.
    std::size_t emitted = 0;
    for (const Piece& p : pieces)
        emitted += p.text.size();
    const std::size_t last_nl = stream.rfind('\n');
    const std::size_t terminated =
        last_nl == std::string_view::npos
            ? 0
            : last_nl + 1 -
                  static_cast<std::size_t>(
                      std::count(stream.begin(), stream.begin() + last_nl + 1, '\n'));
    const std::size_t tail =
        last_nl == std::string_view::npos ? stream.size() : stream.size() - last_nl - 1;
    if (emitted < terminated || emitted - terminated > tail)
        fail();
    const std::size_t held = tail - (emitted - terminated);
    if (splitter.has_partial() != (held > 0))
        fail();
    splitter.finish(emit);
    if (splitter.has_partial())
        fail();

    check_pieces(pieces, stream, limit);

    for (unsigned bits = 0; bits < 8; ++bits) {
        procrun::OutputStyle style;
        style.colour = (bits & 1U) != 0;
        style.timestamp = (bits & 2U) != 0;
        style.prefix = (bits & 4U) != 0;
        check_formatting(pieces, style, colour, now, steps);
    }
    return 0;
}
