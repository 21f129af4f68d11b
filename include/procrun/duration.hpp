#pragma once

// Durations as users write them, in .procrun.yaml and on the command line
// (`-t/--timeout`): "500ms", "2s", "1.5m", "1h", or a plain number of seconds.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace procrun {

using Millis = std::chrono::milliseconds;

// The longest duration parse_duration accepts.
inline constexpr Millis kMaxDuration{86400 * 1000};

// What parse_duration accepts, for "'KEY' must be ..." messages.
inline constexpr std::string_view kDurationSyntax =
    "a duration like 500ms, 2s or 1m, or a number of seconds (at most 24h)";

// Digits with an optional fraction ("2", "0.5", ".5"): no sign, no exponent,
// at most 20 characters.
std::optional<double> parse_decimal(std::string_view text);

// "500ms", "2s", "1.5m", "1h", or a plain number of seconds ("10", "0.5"); at
// most 24 hours, rounded to the millisecond. Nothing negative, no spaces.
std::optional<Millis> parse_duration(std::string_view text);

// "1500ms", "30s", "2m": a duration the way parse_duration reads it.
std::string format_duration(Millis d);

}  // namespace procrun
