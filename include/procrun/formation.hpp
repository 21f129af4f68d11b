#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/diagnostic.hpp"

namespace procrun {

// Where one name of a formation was written: for diagnostics about it later.
struct FormationSource {
    Location where;
    std::string source_line;
};

// How many instances of each process type to run: `all=1,web=2,worker=0`.
// As in foreman, naming types runs only those: `web=2` runs two web and no
// other type; `all=1,web=2` runs every type, web twice. The empty formation
// (none given) runs one of each.
struct Formation {
    std::optional<int> all;             // count of the types not named
    std::map<std::string, int> counts;  // explicit per-type counts
    // Where each name in `counts` was written, for diagnostics about it later
    // (an unknown process type). Not part of the value: == ignores it.
    std::map<std::string, FormationSource> sources;

    // The explicit count for `type`, else `all`, else 1 when the formation
    // names no type and 0 when it does.
    [[nodiscard]] int count_for(std::string_view type) const;
    [[nodiscard]] bool empty() const { return !all && counts.empty(); }
    friend bool operator==(const Formation& a, const Formation& b) {
        return a.all == b.all && a.counts == b.counts;
    }
};

// Limit on one type's count: beyond it, ports run past 65535 anyway.
inline constexpr int kMaxFormationCount = 10000;

// Pure: parses a formation spec. `file` names the origin in diagnostics
// (e.g. "--formation" or ".procrun.yaml"); columns point into `text`.
Parsed<Formation> parse_formation(std::string_view text, std::string_view file = "--formation");

// The same, for a spec that starts at `origin` (its line and column) inside a
// file whose line there is `source_line`, e.g. a `formation:` value in a config
// file. Columns in diagnostics are offsets from origin.column.
Parsed<Formation> parse_formation(std::string_view text, const Location& origin,
                                  std::string_view source_line);

}  // namespace procrun
