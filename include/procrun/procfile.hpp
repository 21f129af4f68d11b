#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "procrun/diagnostic.hpp"

namespace procrun {

// One `name: command` line of a Procfile.
struct ProcfileEntry {
    std::string name;
    std::string command;
    int line = 0;            // 1-based line of the entry
    int command_column = 0;  // 1-based column where the command starts

    friend bool operator==(const ProcfileEntry&, const ProcfileEntry&) = default;
};

struct Procfile {
    std::string file;                    // the name diagnostics use
    std::vector<ProcfileEntry> entries;  // in file order: it decides PORT and colour

    [[nodiscard]] const ProcfileEntry* find(std::string_view name) const;
    [[nodiscard]] std::vector<std::string> names() const;
};

struct ProcfileOptions {
    // Enforce the Cloud Native Buildpacks process-type rule (lowercase a-z,
    // 0-9 and '-', alphanumeric at both ends, at most 63 characters) as errors.
    bool strict = false;
};

// Pure: parses the text of a Procfile. `file` is only used in diagnostics.
// Never stops at the first problem; bad lines are errors, never skipped.
Parsed<Procfile> parse_procfile(std::string_view text, std::string_view file,
                                const ProcfileOptions& options = {});

// True when `name` satisfies the Cloud Native Buildpacks / DNS-1123 label rule
// that `--strict` enforces; otherwise `why` says what is wrong.
bool is_strict_process_name(std::string_view name, std::string* why = nullptr);

}  // namespace procrun
