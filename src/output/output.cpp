#include "procrun/output.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace procrun {

namespace {

constexpr std::string_view kSystemName = "system";
constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kSystemColour = "\x1b[1m";  // bold, the terminal's own colour

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
    if (style_.prefix) {
        const std::string reset = style_.colour ? std::string(kReset) : std::string();
        s.head = fmt::format("{:<{}} | {}", name, width_, reset);
        s.head_cont = fmt::format("{:<{}} + {}", name, width_, reset);
    }
    sources_.push_back(std::move(s));
    colours_.push_back(std::move(colour_start));
    return sources_.size() - 1;
}

void OutputBuffer::set_time(std::time_t now) {
    if (now == time_)
        return;
    time_ = now;
    std::tm local{};
    ::localtime_r(&now, &local);
    fmt::format_to_n(stamp_, sizeof stamp_, "{:02}:{:02}:{:02} ", local.tm_hour, local.tm_min,
                     local.tm_sec);
}

void OutputBuffer::append(std::size_t source, std::string_view line, bool continued) {
    if (style_.prefix) {
        const Source& s = sources_[source];
        buffer_.append(colours_[source]);
        if (style_.timestamp)
            buffer_.append(stamp_, sizeof stamp_);
        buffer_.append(continued ? s.head_cont : s.head);
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
