#include "procrun/output.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "procrun/json.hpp"

namespace procrun {

namespace {

constexpr std::string_view kSystemName = "system";
constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kSystemColour = "\x1b[1m";  // bold, the terminal's own colour

constexpr std::string_view kJsonStart = "{\"ts\":\"";
constexpr std::string_view kJsonEnd = "}\n";
constexpr std::string_view kJsonContinuedEnd = ",\"continued\":true}\n";

// Whether `line` can be copied into a JSON string as it is: printable ASCII
// without '"' or a backslash (what most log lines are).
bool json_plain(std::string_view line) {
    for (const char ch : line) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            return false;
    }
    return true;
}

}  // namespace

std::size_t LineSplitter::cut_point(std::string_view piece) const {
    const std::size_t size = piece.size();
    for (std::size_t k = 1; k <= 3 && k < size; ++k) {
        const auto b = static_cast<unsigned char>(piece[size - k]);
        if ((b & 0xC0U) == 0x80U)
            continue;  // a continuation byte: look further back
        if ((b & 0xC0U) == 0xC0U) {
            const std::size_t len = b >= 0xF0U ? 4 : b >= 0xE0U ? 3 : 2;
            if (len > k)
                return size - k;  // the sequence would be split: cut before it
        }
        break;
    }
    return size;
}

const std::vector<std::string_view>& colour_palette() {
    // foreman's order: cyan, yellow, green, magenta, red, blue, then the bright ones.
    static const std::vector<std::string_view> palette{"36", "33", "32", "35", "31", "34",
                                                       "96", "93", "92", "95", "91", "94"};
    return palette;
}

OutputBuffer::OutputBuffer(OutputStyle style, std::size_t name_width)
    : style_(style), width_(std::max(name_width, kSystemName.size())) {
    add_source(kSystemName, -1);
}

std::size_t OutputBuffer::add_source(std::string_view name, int colour) {
    std::string colour_start;
    if (style_.colour) {
        if (colour < 0) {
            colour_start = kSystemColour;
        } else {
            const auto& palette = colour_palette();
            colour_start =
                fmt::format("\x1b[{}m", palette[static_cast<std::size_t>(colour) % palette.size()]);
        }
    }
    Source s;
    s.name = name;
    if (style_.format == OutputFormat::json) {
        // Closes the "ts" string and opens the "line" value.
        s.head = "\",\"process\":";
        json::append_string(s.head, name);
        s.head += sources_.empty() ? ",\"stream\":\"system\",\"line\":"
                                   : ",\"stream\":\"stdout\",\"line\":";
    } else if (style_.prefix && name.size() > width_) {
        // A name longer than any so far (an instance added by `scale`): the
        // column widens for every source from here on.
        width_ = name.size();
        for (Source& existing : sources_)
            pad_head(existing);
    }
    pad_head(s);
    sources_.push_back(std::move(s));
    colours_.push_back(std::move(colour_start));
    return sources_.size() - 1;
}

void OutputBuffer::pad_head(Source& s) const {
    if (style_.format == OutputFormat::json || !style_.prefix)
        return;
    const std::string_view reset = style_.colour ? kReset : std::string_view();
    s.head = fmt::format("{:<{}} | {}", s.name, width_, reset);
    s.head_cont = fmt::format("{:<{}} + {}", s.name, width_, reset);
}

void OutputBuffer::set_seconds(std::time_t now) {
    if (now == time_)
        return;
    time_ = now;
    if (style_.format == OutputFormat::json) {
        std::tm utc{};
        ::gmtime_r(&now, &utc);
        // "YYYY-MM-DDTHH:MM:SS." (the milliseconds and "Z" follow).
        fmt::format_to_n(utc_, 20, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.", utc.tm_year + 1900,
                         utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
        return;
    }
    std::tm local{};
    ::localtime_r(&now, &local);
    fmt::format_to_n(stamp_, sizeof stamp_, "{:02}:{:02}:{:02} ", local.tm_hour, local.tm_min,
                     local.tm_sec);
}

void OutputBuffer::set_time(std::time_t now) {
    set_seconds(now);
    utc_[20] = utc_[21] = utc_[22] = '0';
}

void OutputBuffer::set_time(std::chrono::system_clock::time_point now) {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    using std::chrono::seconds;
    const auto whole = std::chrono::floor<seconds>(now);
    set_seconds(static_cast<std::time_t>(whole.time_since_epoch().count()));
    const auto ms = static_cast<int>(duration_cast<milliseconds>(now - whole).count());
    utc_[20] = static_cast<char>('0' + ms / 100);
    utc_[21] = static_cast<char>('0' + ms / 10 % 10);
    utc_[22] = static_cast<char>('0' + ms % 10);
}

void OutputBuffer::append_json(const Source& source, std::string_view line, bool continued) {
    buffer_.append(kJsonStart);
    buffer_.append(utc_, sizeof utc_);
    buffer_.append(source.head);
    if (json_plain(line)) {
        buffer_.push_back('"');
        buffer_.append(line);
        buffer_.push_back('"');
    } else {
        json::append_string(buffer_, line);
    }
    buffer_.append(continued ? kJsonContinuedEnd : kJsonEnd);
}

void OutputBuffer::append(std::size_t source, std::string_view line, bool continued) {
    if (style_.format == OutputFormat::json) {
        append_json(sources_[source], line, continued);
        return;
    }
    if (style_.prefix) {
        const Source& s = sources_[source];
        buffer_.append(colours_[source]);
        if (style_.timestamp)
            buffer_.append(stamp_, sizeof stamp_);
        buffer_.append(continued ? s.head_cont : s.head);
        buffer_.append(line);
        // A colour left open would colour the next prefix.
        if (style_.colour && line.find('\x1b') != std::string_view::npos)
            buffer_.append(kReset);
        buffer_.push_back('\n');
        return;
    }
    buffer_.append(line);
    buffer_.push_back('\n');
}

void OutputBuffer::consume(std::size_t n) {
    consumed_ += std::min(n, size());
    if (consumed_ == buffer_.size()) {
        // Everything written: reuse the capacity from the start.
        buffer_.clear();
        consumed_ = 0;
    } else if (consumed_ >= buffer_.size() / 2 && consumed_ >= 64 * 1024) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
}

void OutputBuffer::clear() {
    buffer_.clear();
    consumed_ = 0;
}

}  // namespace procrun
