#pragma once

#include <boost/regex.hpp>

#include <string>
#include <string_view>

namespace procrun {

// A regular expression (ECMAScript syntax) searched in one line of a process's
// output: the pattern of a `log` readiness probe. The search runs on the event
// loop, so its work is bounded: Boost.Regex gives up on a pattern that would
// backtrack without end (`^(a+)+$` against a long line of `a`s) and the search
// says so instead of freezing procrun.
class LinePattern {
  public:
    // Throws std::invalid_argument, saying why, when `text` is not a valid
    // regular expression.
    explicit LinePattern(const std::string& text);

    enum class Found { yes, no, too_complex };
    [[nodiscard]] Found search(std::string_view line) const;

  private:
    boost::regex re_;
};

}  // namespace procrun
