#pragma once

// What compose and kubernetes share: one spec per selected process type
// (replicas from the formation, the first instance's command and variables).

#include <string>
#include <utility>
#include <vector>

#include "export/format.hpp"

namespace procrun::exporter {

struct TypeSpec {
    const ProcessType* type = nullptr;
    int replicas = 0;
    int port = 0;  // PORT of the first instance: every replica gets the same one
    std::string command;
    // The variables without PORT and PS (PS names one instance; replicas share
    // a spec). Every name is a portable variable name.
    std::vector<std::pair<std::string, std::string>> env;
    // The type's own variables (ProcessType::env): `env` holds them too, over
    // the env files' ones.
    std::vector<std::pair<std::string, std::string>> own;
    // working_dir relative to the root ("services/api"), or empty for the root.
    std::string directory;
};

// The probe a container format runs as a shell command: tcp, http or exec
// (log has no equivalent), in the type's working_dir. Empty for log.
std::string probe_command(const Readiness& probe, int port);

// Specs for every selected process type, in Procfile order, including types
// scaled to 0. Errors for values that are not UTF-8 (YAML holds only text).
std::vector<TypeSpec> type_specs(Job& job);

// `$` doubled: compose and Kubernetes both turn "$$" back into "$", so no
// variable reference in the text is expanded.
std::string escape_dollars(std::string_view s);

}  // namespace procrun::exporter
