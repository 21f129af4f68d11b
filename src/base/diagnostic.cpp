#include "procrun/diagnostic.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace procrun {

std::string_view to_string(Severity severity) {
    switch (severity) {
        case Severity::error:
            return "error";
        case Severity::warning:
            return "warning";
        case Severity::note:
            return "note";
    }
    return "error";
}

Diagnostic make_error(Location where, std::string code, std::string message,
                      std::string source_line, std::string hint) {
    return Diagnostic{Severity::error,    std::move(where), std::move(code),
                      std::move(message), std::move(hint),  std::move(source_line)};
}

Diagnostic make_warning(Location where, std::string code, std::string message,
                        std::string source_line, std::string hint) {
    return Diagnostic{Severity::warning,  std::move(where), std::move(code),
                      std::move(message), std::move(hint),  std::move(source_line)};
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::error; });
}

std::size_t count(const std::vector<Diagnostic>& diagnostics, Severity severity) {
    return static_cast<std::size_t>(
        std::count_if(diagnostics.begin(), diagnostics.end(),
                      [severity](const Diagnostic& d) { return d.severity == severity; }));
}

namespace {

constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kRed = "\x1b[1;31m";
constexpr std::string_view kMagenta = "\x1b[1;35m";
constexpr std::string_view kCyan = "\x1b[1;36m";
constexpr std::string_view kGreen = "\x1b[1;32m";
constexpr std::string_view kReset = "\x1b[0m";

std::string_view severity_colour(Severity s) {
    switch (s) {
        case Severity::error:
            return kRed;
        case Severity::warning:
            return kMagenta;
        case Severity::note:
            return kCyan;
    }
    return kRed;
}

// The length of the UTF-8 sequence at `at` (1 to 4), or 0 when the bytes there
// are not one (a stray continuation byte, a truncated or overlong sequence).
std::size_t utf8_length(std::string_view s, std::size_t at) {
    const auto u = static_cast<unsigned char>(s[at]);
    std::size_t len = 0;
    if (u < 0x80) {
        return 1;
    } else if (u >= 0xC2 && u <= 0xDF) {
        len = 2;
    } else if (u >= 0xE0 && u <= 0xEF) {
        len = 3;
    } else if (u >= 0xF0 && u <= 0xF4) {
        len = 4;
    } else {
        return 0;
    }
    if (at + len > s.size())
        return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if ((static_cast<unsigned char>(s[at + k]) & 0xC0) != 0x80)
            return 0;
    }
    const auto u1 = static_cast<unsigned char>(s[at + 1]);
    if ((u == 0xE0 && u1 < 0xA0) || (u == 0xF0 && u1 < 0x90) || (u == 0xF4 && u1 > 0x8F))
        return 0;  // overlong, or past U+10FFFF
    return len;
}

// A C1 control character (U+0080..U+009F): some terminals act on them.
bool is_c1(std::string_view s, std::size_t at, std::size_t len) {
    return len == 2 && static_cast<unsigned char>(s[at]) == 0xC2 &&
           static_cast<unsigned char>(s[at + 1]) < 0xA0;
}

bool is_bom(std::string_view s, std::size_t at, std::size_t len) {
    return len == 3 && s.substr(at, 3) == "\xEF\xBB\xBF";
}

// One character of a source line as shown: what is printed and how many
// columns it takes. Tabs become a space and anything that is not printable
// UTF-8 a '?', so the caret line stays aligned and the terminal safe; a BOM
// (U+FEFF, zero width) is not shown.
struct Cell {
    std::string_view text;
    std::size_t bytes = 1;  // of the source line it stands for
    std::size_t width = 1;
};

Cell cell_at(std::string_view line, std::size_t at) {
    const char c = line[at];
    const auto u = static_cast<unsigned char>(c);
    if (c == '\t')
        return {" ", 1, 1};
    if (u < 0x20 || u == 0x7f)
        return {"?", 1, 1};
    const std::size_t len = utf8_length(line, at);
    if (len == 0)
        return {"?", 1, 1};
    if (is_c1(line, at, len))
        return {"?", len, 1};
    if (is_bom(line, at, len))
        return {"", len, 0};
    return {line.substr(at, len), len, 1};
}

// At most this many columns of a source line are shown, around the caret.
constexpr std::size_t kWindow = 100;
constexpr std::string_view kCut = "...";

// Where the caret goes: the columns before byte `caret_byte` and all of them.
struct Columns {
    std::size_t caret = 0;
    std::size_t total = 0;
};

Columns count_columns(std::string_view line, std::size_t caret_byte) {
    Columns c;
    for (std::size_t at = 0; at < line.size();) {
        const Cell cell = cell_at(line, at);
        if (at + cell.bytes <= caret_byte)
            c.caret += cell.width;
        c.total += cell.width;
        at += cell.bytes;
    }
    return c;
}

// The line as shown, cut to a window of kWindow columns around the caret with
// "..." on each cut side; `caret` becomes its column in what is returned.
std::string shown_line(std::string_view line, std::size_t& caret) {
    const Columns columns = count_columns(line, caret);
    caret = columns.caret;
    std::size_t first = 0;
    std::size_t last = columns.total;
    if (columns.total > kWindow) {
        first = columns.caret > kWindow / 2 ? columns.caret - kWindow / 2 : 0;
        first = std::min(first, columns.total - kWindow);
        last = first + kWindow;
    }
    std::string out;
    if (first > 0) {
        out += kCut;
        caret = caret - first + kCut.size();
    }
    std::size_t column = 0;
    for (std::size_t at = 0; at < line.size() && column < last;) {
        const Cell cell = cell_at(line, at);
        if (column >= first)
            out += cell.text;
        column += cell.width;
        at += cell.bytes;
    }
    if (last < columns.total)
        out += kCut;
    return out;
}

// Messages and hints longer than this are cut (the JSON report keeps them whole).
constexpr std::size_t kMaxText = 4096;

}  // namespace

std::string escape_control(std::string_view text, bool keep_newlines) {
    std::string out;
    out.reserve(std::min(text.size(), kMaxText) + 16);
    std::size_t at = 0;
    while (at < text.size() && out.size() < kMaxText) {
        const auto u = static_cast<unsigned char>(text[at]);
        const std::size_t len = utf8_length(text, at);
        if (text[at] == '\n' && keep_newlines) {
            out += '\n';
        } else if (u < 0x20 || u == 0x7f || len == 0) {
            out += fmt::format("\\x{:02X}", u);
        } else if (is_c1(text, at, len)) {
            out += fmt::format("\\u{:04X}", static_cast<unsigned char>(text[at + 1]));
        } else {
            out.append(text.substr(at, len));
        }
        at += std::max<std::size_t>(len, 1);
    }
    if (at < text.size())
        out += fmt::format("... ({} more bytes)", text.size() - at);
    return out;
}

std::string format_human(const Diagnostic& d, bool colour) {
    auto paint = [colour](std::string_view c, std::string_view text) {
        return colour ? fmt::format("{}{}{}", c, text, kReset) : std::string(text);
    };
    std::string where = escape_control(d.where.file);
    if (d.where.line > 0) {
        where += fmt::format(":{}", d.where.line);
        if (d.where.column > 0)
            where += fmt::format(":{}", d.where.column);
    }
    std::string out;
    if (!where.empty())
        out += fmt::format("{} ", paint(kBold, where + ":"));
    out += fmt::format(
        "{} {}\n", paint(severity_colour(d.severity), fmt::format("{}:", to_string(d.severity))),
        paint(kBold, escape_control(d.message)));
    if (d.where.line > 0 && !d.source_line.empty()) {
        const std::string number = std::to_string(d.where.line);
        const std::string gutter(number.size(), ' ');
        std::size_t caret = d.where.column > 0 ? static_cast<std::size_t>(d.where.column - 1) : 0;
        out += fmt::format(" {} | {}\n", number, shown_line(d.source_line, caret));
        if (d.where.column > 0)
            out += fmt::format(" {} | {}{}\n", gutter, std::string(caret, ' '), paint(kGreen, "^"));
    }
    if (!d.hint.empty())
        out += fmt::format("{} {}\n", paint(kCyan, "hint:"), escape_control(d.hint, true));
    return out;
}

std::string_view line_at(std::string_view text, int line) {
    if (line < 1)
        return {};
    // Every parser reads a file without its UTF-8 byte order mark and counts
    // columns after it; the line shown under a diagnostic is that text too.
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
        text.remove_prefix(3);
    std::size_t start = 0;
    for (int i = 1; i < line; ++i) {
        std::size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos)
            return {};
        start = nl + 1;
    }
    std::size_t end = text.find('\n', start);
    std::string_view l =
        text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
    if (!l.empty() && l.back() == '\r')
        l.remove_suffix(1);
    return l;
}

}  // namespace procrun
