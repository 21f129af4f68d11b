#pragma once

// `watch:` of one process type (docs/config.md).

#include <optional>

#include "config/reader.hpp"
#include "procrun/watch.hpp"

namespace procrun::config {

void read_watch(Reader& r, const YAML::Node& key, const YAML::Node& value,
                std::optional<Watch>& out);

}  // namespace procrun::config
