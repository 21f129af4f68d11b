// libFuzzer target for the output path of `procrun start`: LineSplitter cuts a
// child's byte stream into lines and pieces, OutputBuffer formats them.
//
// Input layout: byte 0 picks the longest piece (4..67 bytes, or kMaxLineBytes),
// byte 1 the palette colour (low 5 bits) and the pty's CRLF stripping (bit 7),
// bytes 2..9 the clock (seconds, taken modulo the years 1970..9999), byte 10
// the number K (0..7) of chunk sizes that follow; the rest is the stream, fed
// in chunks of those sizes (cycled; 0 means an empty feed). For every input:
//   - the pieces of each line, concatenated, are exactly that line of the
//     input, in order, nothing added or lost (with CRLF stripping, less one
//     `\r` right before its `\n`; an unterminated last line comes out of
//     finish(), whole);
//   - no piece holds a newline or exceeds the limit; the first piece of a line
//     is not a continuation, the others are and are never empty; a piece cut
//     before the limit was cut only to keep a UTF-8 sequence whole;
//   - has_partial() says whether bytes are held;
//   - each text style formats every piece as one line: the expected colour,
//     timestamp and padded name with " | " or " + ", then the piece, unchanged;
//     draining the buffer in uneven steps, with appends in between, yields the
//     same bytes;
//   - the JSON format writes one object per piece: the UTC time, the process,
//     the stream, the piece as a valid JSON string (exactly the piece when it
//     is valid UTF-8) and "continued" on continuations.

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
// With `strip_cr`, one `\r` right before a `\n` belongs to the line end.
std::vector<std::string_view> lines_of(std::string_view text, bool strip_cr) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) {
            if (start < text.size())
                lines.push_back(text.substr(start));
            break;
        }
        std::string_view line = text.substr(start, nl - start);
        if (strip_cr && !line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        lines.push_back(line);
        start = nl + 1;
    }
    return lines;
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t len = 1;
        std::uint32_t cp = b;
        if (b >= 0x80U) {
            if (b >= 0xC2U && b <= 0xDFU) {
                len = 2;
                cp = b & 0x1FU;
            } else if (b >= 0xE0U && b <= 0xEFU) {
                len = 3;
                cp = b & 0x0FU;
            } else if (b >= 0xF0U && b <= 0xF4U) {
                len = 4;
                cp = b & 0x07U;
            } else {
                return false;
            }
            if (i + len > s.size())
                return false;
            for (std::size_t k = 1; k < len; ++k) {
                const auto c = static_cast<unsigned char>(s[i + k]);
                if ((c & 0xC0U) != 0x80U)
                    return false;
                cp = (cp << 6U) | (c & 0x3FU);
            }
            if ((len == 3 && (cp < 0x800U || (cp >= 0xD800U && cp <= 0xDFFFU))) ||
                (len == 4 && (cp < 0x10000U || cp > 0x10FFFFU))) {
                return false;
            }
        }
        i += len;
    }
    return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80U) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800U) {
        out.push_back(static_cast<char>(0xC0U | (cp >> 6U)));
        out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else if (cp < 0x10000U) {
        out.push_back(static_cast<char>(0xE0U | (cp >> 12U)));
        out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
        out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else {
        out.push_back(static_cast<char>(0xF0U | (cp >> 18U)));
        out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU)));
        out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
        out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    }
}

// Decodes the JSON string (RFC 8259) at the start of `in`; returns how many
// bytes it took, or 0 when it is not a valid string.
std::size_t decode_json_string(std::string_view in, std::string& out) {
    if (in.empty() || in[0] != '"')
        return 0;
    std::size_t i = 1;
    const auto hex4 = [&](std::size_t at, std::uint32_t& v) {
        if (at + 4 > in.size())
            return false;
        v = 0;
        for (std::size_t k = at; k < at + 4; ++k) {
            const char c = in[k];
            v <<= 4U;
            if (c >= '0' && c <= '9')
                v |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<std::uint32_t>(c - 'A' + 10);
            else
                return false;
        }
        return true;
    };
    while (i < in.size()) {
        const auto c = static_cast<unsigned char>(in[i]);
        if (c == '"')
            return i + 1;
        if (c < 0x20U)
            return 0;
        if (c != '\\') {
            out.push_back(static_cast<char>(c));
            ++i;
            continue;
        }
        if (i + 1 >= in.size())
            return 0;
        const char e = in[i + 1];
        i += 2;
        switch (e) {
            case '"':
                out.push_back('"');
                break;
            case '\\':
                out.push_back('\\');
                break;
            case '/':
                out.push_back('/');
                break;
            case 'b':
                out.push_back('\b');
                break;
            case 'f':
                out.push_back('\f');
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case 'u': {
                std::uint32_t cp = 0;
                if (!hex4(i, cp))
                    return 0;
                i += 4;
                if (cp >= 0xD800U && cp <= 0xDBFFU) {
                    std::uint32_t low = 0;
                    if (i + 6 > in.size() || in[i] != '\\' || in[i + 1] != 'u' ||
                        !hex4(i + 2, low) || low < 0xDC00U || low > 0xDFFFU) {
                        return 0;
                    }
                    i += 6;
                    cp = 0x10000U + ((cp - 0xD800U) << 10U) + (low - 0xDC00U);
                } else if (cp >= 0xDC00U && cp <= 0xDFFFU) {
                    return 0;
                }
                append_utf8(out, cp);
                break;
            }
            default:
                return 0;
        }
    }
    return 0;
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

void check_pieces(const std::vector<Piece>& pieces, std::string_view stream, std::size_t limit,
                  bool strip_cr) {
    const auto lines = lines_of(stream, strip_cr);
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
        // With a prefix and colour, a line holding an escape ends with a reset,
        // so a colour it leaves open does not colour the next prefix.
        if (style.prefix && style.colour && p.text.find('\x1b') != std::string::npos)
            out += reset;
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

void check_json(const std::vector<Piece>& pieces, std::time_t now) {
    procrun::OutputStyle style;
    style.format = procrun::OutputFormat::json;
    procrun::OutputBuffer buffer(style, 8);
    const std::size_t source = buffer.add_source("web.1", 0);
    buffer.set_time(now);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.000Z\"",
                  utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                  utc.tm_sec);
    const std::string head =
        std::string(stamp) + ",\"process\":\"web.1\",\"stream\":\"stdout\",\"line\":";
    for (const Piece& p : pieces)
        buffer.append(source, p.text, p.continued);
    std::string_view out = buffer.pending();
    std::string decoded;
    for (const Piece& p : pieces) {
        if (out.substr(0, head.size()) != head)
            fail();
        out.remove_prefix(head.size());
        decoded.clear();
        const std::size_t used = decode_json_string(out, decoded);
        if (used == 0)
            fail();
        out.remove_prefix(used);
        if (!valid_utf8(decoded))
            fail();
        if (valid_utf8(p.text) ? decoded != p.text
                               : decoded.find("\xEF\xBF\xBD") == std::string::npos)
            fail();
        const std::string_view end = p.continued ? ",\"continued\":true}\n" : "}\n";
        if (out.substr(0, end.size()) != end)
            fail();
        out.remove_prefix(end.size());
    }
    if (!out.empty())
        fail();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < kHeader)
        return 0;
    const std::size_t limit = data[0] >= 0xF0 ? procrun::kMaxLineBytes : 4 + data[0] % 64;
    const int colour = data[1] % 32;
    const bool strip_cr = (data[1] & 0x80U) != 0;
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

    procrun::LineSplitter splitter(limit, strip_cr);
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
    std::size_t terminated = 0;
    if (last_nl != std::string_view::npos) {
        for (std::string_view line : lines_of(stream.substr(0, last_nl + 1), strip_cr))
            terminated += line.size();
    }
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

    check_pieces(pieces, stream, limit, strip_cr);

    for (unsigned bits = 0; bits < 8; ++bits) {
        procrun::OutputStyle style;
        style.colour = (bits & 1U) != 0;
        style.timestamp = (bits & 2U) != 0;
        style.prefix = (bits & 4U) != 0;
        check_formatting(pieces, style, colour, now, steps);
    }
    check_json(pieces, now);
    return 0;
}
