#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>

#include "config/reader.hpp"

namespace procrun::config {

// Mappings and lists nested deeper than this are refused before any node is
// built: a config file needs five levels (processes > web > readiness > http
// > port), and the YAML parser recurses once per level.
inline constexpr int kMaxNesting = 64;

// The config file's one YAML document (a null node for an empty file), or
// nothing when the text is not YAML procrun can read: invalid YAML, more than
// one document, nesting deeper than kMaxNesting. Each is a located error.
std::optional<YAML::Node> load_document(Reader& r);

}  // namespace procrun::config
