#pragma once

// `processes:` in .procrun.yaml: per process type, how it lives under
// `procrun start` (restarts, exits, stopping, dependencies, readiness).

#include <string>
#include <utility>
#include <vector>

#include "config/reader.hpp"

namespace procrun::config {

// The value of the top-level key `processes`.
void read_processes(Reader& r, const YAML::Node& key, const YAML::Node& value);

// no, on-failure, always: the words of `restart` and `--restart`.
const std::vector<std::pair<std::string, RestartPolicy>>& restart_choices();

// `readiness:` of one process type (probes.cpp).
void read_readiness(Reader& r, const YAML::Node& key, const YAML::Node& value, Readiness& out);

// `liveness:` of one process type (probes.cpp).
void read_liveness(Reader& r, const YAML::Node& key, const YAML::Node& value, Liveness& out);

}  // namespace procrun::config
