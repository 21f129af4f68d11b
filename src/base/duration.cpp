#include "procrun/duration.hpp"

#include <fmt/format.h>

#include <cmath>

namespace procrun {

std::optional<double> parse_decimal(std::string_view text) {
    constexpr std::size_t kLongest = 20;
    if (text.empty() || text.size() > kLongest)
        return std::nullopt;
    double value = 0;
    double scale = 0;  // 0 before the point, then 0.1, 0.01, ...
    bool digits = false;
    for (char c : text) {
        if (c == '.') {
            if (scale != 0)
                return std::nullopt;
            scale = 1;
            continue;
        }
        if (c < '0' || c > '9')
            return std::nullopt;
        digits = true;
        if (scale == 0) {
            value = value * 10 + (c - '0');
        } else {
            scale /= 10;
            value += scale * (c - '0');
        }
    }
    if (!digits)
        return std::nullopt;
    return value;
}

std::optional<Millis> parse_duration(std::string_view text) {
    const std::size_t end = text.find_first_not_of("0123456789.");
    const std::string_view unit = end == std::string_view::npos ? "" : text.substr(end);
    const auto number = parse_decimal(text.substr(0, end));
    if (!number)
        return std::nullopt;
    double factor = 0;
    if (unit.empty() || unit == "s") {
        factor = 1000;
    } else if (unit == "ms") {
        factor = 1;
    } else if (unit == "m") {
        factor = 60.0 * 1000;
    } else if (unit == "h") {
        factor = 3600.0 * 1000;
    } else {
        return std::nullopt;
    }
    const double ms = *number * factor;
    if (ms > static_cast<double>(kMaxDuration.count()))
        return std::nullopt;
    return Millis{std::llround(ms)};
}

std::string format_duration(Millis d) {
    const auto ms = d.count();
    if (ms == 0)
        return "0s";
    if (ms % 3600000 == 0)
        return fmt::format("{}h", ms / 3600000);
    if (ms % 60000 == 0)
        return fmt::format("{}m", ms / 60000);
    if (ms % 1000 == 0)
        return fmt::format("{}s", ms / 1000);
    return fmt::format("{}ms", ms);
}

}  // namespace procrun
