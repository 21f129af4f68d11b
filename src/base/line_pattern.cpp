#include "procrun/line_pattern.hpp"

#include <stdexcept>

namespace procrun {

LinePattern::LinePattern(const std::string& text) {
    try {
        re_.assign(text, boost::regex::ECMAScript);
    } catch (const boost::regex_error& e) {
        // "Unmatched marking parenthesis ( or \(.  The error occurred while
        // parsing...": the first sentence says it; the location is the config's.
        std::string why = e.what();
        if (const auto end = why.find(".  "); end != std::string::npos)
            why.erase(end);
        throw std::invalid_argument(why);
    }
}

LinePattern::Found LinePattern::search(std::string_view line) const {
    try {
        return boost::regex_search(line.begin(), line.end(), re_) ? Found::yes : Found::no;
    } catch (const std::runtime_error&) {
        // error_complexity or error_stack: the match would take too long.
        return Found::too_complex;
    }
}

}  // namespace procrun
