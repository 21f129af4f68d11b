#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/diagnostic.hpp"

namespace procrun {

// How many instances of each process type to run: `all=1,web=2,worker=0`.
struct Formation {
    std::optional<int> all;           // default for types not named
    std::map<std::string, int> counts;  // explicit per-type counts

    [[nodiscard]] int count_for(std::string_view type) const;
    friend bool operator==(const Formation&, const Formation&) = default;
};

// Pure: parses a formation spec. `file` names the origin in diagnostics
// (e.g. "--formation" or ".procrun.yaml"); columns point into `text`.
Parsed<Formation> parse_formation(std::string_view text, std::string_view file = "--formation");

// Errors for names in `formation` that are not process types.
std::vector<Diagnostic> check_formation_names(const Formation& formation,
                                              const std::vector<std::string>& types,
                                              std::string_view file = "--formation");

}  // namespace procrun
