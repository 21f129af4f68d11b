#pragma once

#include <optional>

#include "procrun/environment.hpp"

namespace procrun {

// Whether to colour what goes to `fd`. Precedence, first match wins:
//   1. --color / --no-color (`flag`)
//   2. NO_COLOR set and non-empty            -> off
//   3. FORCE_COLOR or CLICOLOR_FORCE set, non-empty and not "0" -> on
//   4. TERM=dumb                              -> off
//   5. `fd` is a terminal                     -> on, otherwise off
bool should_colour(int fd, std::optional<bool> flag, const Environment& env);

}  // namespace procrun
