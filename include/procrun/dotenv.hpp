#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/diagnostic.hpp"
#include "procrun/environment.hpp"

namespace procrun {

struct DotenvEntry {
    std::string key;
    std::string value;
    int line = 0;  // 1-based line where the assignment starts

    friend bool operator==(const DotenvEntry&, const DotenvEntry&) = default;
};

// Looks up a variable outside the file being parsed (earlier env files, then
// the OS environment) for `$VAR` / `${VAR}` expansion.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// Pure: parses the text of one .env file. Variables defined earlier in the same
// file win over `outside` during expansion. Never executes anything.
// The dialect is documented in docs/dotenv.md.
Parsed<std::vector<DotenvEntry>> parse_dotenv(std::string_view text, std::string_view file,
                                              const EnvLookup& outside = {});

}  // namespace procrun
