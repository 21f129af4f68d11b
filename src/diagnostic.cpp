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

// Replaces control characters so a caret line stays aligned and the terminal safe.
std::string printable(std::string_view line) {
    std::string out;
    out.reserve(line.size());
    for (char c : line) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\t') {
            out += ' ';
        } else if (u < 0x20 || u == 0x7f) {
            out += '?';
        } else {
            out += c;
        }
    }
    return out;
}

// Display width of the first `bytes` bytes: UTF-8 continuation bytes take no column.
std::size_t display_columns(std::string_view line, std::size_t bytes) {
    std::size_t cols = 0;
    for (std::size_t i = 0; i < bytes && i < line.size(); ++i) {
        if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80)
            ++cols;
    }
    return cols;
}

}  // namespace

std::string format_human(const Diagnostic& d, bool colour) {
    auto paint = [colour](std::string_view c, std::string_view text) {
        return colour ? fmt::format("{}{}{}", c, text, kReset) : std::string(text);
    };
    std::string where = d.where.file;
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
        paint(kBold, d.message));
    if (d.where.line > 0 && !d.source_line.empty()) {
        const std::string number = std::to_string(d.where.line);
        const std::string gutter(number.size(), ' ');
        out += fmt::format(" {} | {}\n", number, printable(d.source_line));
        if (d.where.column > 0) {
            const std::size_t col =
                display_columns(d.source_line, static_cast<std::size_t>(d.where.column - 1));
            out += fmt::format(" {} | {}{}\n", gutter, std::string(col, ' '), paint(kGreen, "^"));
        }
    }
    if (!d.hint.empty())
        out += fmt::format("{} {}\n", paint(kCyan, "hint:"), d.hint);
    return out;
}

std::string_view line_at(std::string_view text, int line) {
    if (line < 1)
        return {};
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
