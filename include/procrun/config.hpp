#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/diagnostic.hpp"
#include "procrun/formation.hpp"
#include "procrun/lifecycle.hpp"

namespace procrun {

// A value together with where it was set, so later checks (an unknown process
// type in a formation, say) can point at the config file line.
template <class T>
struct Sourced {
    T value{};
    Location where;
};

// `--restart [NAME=]POLICY`: the restart policy of one process type, or of
// every type when `type` is empty.
struct RestartOverride {
    std::string type;
    RestartPolicy policy = RestartPolicy::no;
    friend bool operator==(const RestartOverride&, const RestartOverride&) = default;
};

// Every setting that can come from the command line or a config file. Each is
// optional: the command line wins over the config file, which wins over the
// defaults (see overlay()). Keys in .procrun.yaml are the long option names.
struct Settings {
    std::optional<Sourced<std::string>> procfile;                // -f/--procfile
    std::optional<Sourced<std::string>> root;                    // -d/--root
    std::optional<Sourced<std::vector<std::string>>> env_files;  // -e/--env
    // -c/--formation "all=1,web=2", or `formation:` as such a string: the spec
    // as written, parsed by the loader (which knows its place in the file).
    std::optional<Sourced<std::string>> formation;
    std::optional<Sourced<int>> port;                        // -p/--port
    std::optional<Sourced<Millis>> timeout;                  // -t/--timeout, a duration
    std::optional<Sourced<bool>> strict;                     // --strict
    std::optional<Sourced<bool>> color;                      // --color / --no-color
    std::optional<Sourced<bool>> timestamp;                  // --no-timestamp => false
    std::optional<Sourced<bool>> prefix;                     // --no-prefix => false
    std::optional<Sourced<std::vector<std::string>>> quiet;  // -q/--quiet NAME
    // The output memory of `procrun logs` (docs/logs.md): lines and bytes per instance.
    std::optional<Sourced<int>> log_memory;                  // --log-memory N
    std::optional<Sourced<std::uint64_t>> log_memory_bytes;  // --log-memory-bytes SIZE
    // export
    std::optional<Sourced<std::string>> app;           // -a/--app
    std::optional<Sourced<std::string>> user;          // -u/--user
    std::optional<Sourced<std::string>> log;           // -l/--log
    std::optional<Sourced<std::string>> run;           // -r/--run
    std::optional<Sourced<std::string>> image;         // --image
    std::optional<Sourced<std::string>> template_dir;  // --template-dir

    // Per process type, from `processes:` in .procrun.yaml (see docs/config.md).
    // `where` is the type's key; each Dependency and Readiness carries its own.
    std::map<std::string, Sourced<Lifecycle>> processes;
    // start's shorthands, applied over `processes:` by the loader. Their names
    // are checked against the Procfile there.
    std::optional<Sourced<std::vector<std::string>>> can_die;      // --can-die NAME
    std::optional<Sourced<std::vector<std::string>>> exit_with;    // --exit-with NAME
    std::optional<Sourced<std::vector<RestartOverride>>> restart;  // --restart [NAME=]POLICY
    std::optional<Sourced<bool>> pty;                              // --pty

    // `formation:` written as a mapping ({web: 2}): read here, each name
    // located in its `sources`. It and `formation` replace each other.
    std::optional<Sourced<Formation>> formation_map;

    // Overlays every setting present in `over` onto this one. A process type in
    // `over.processes` replaces that type's whole entry.
    void overlay(const Settings& over);
};

enum class ConfigDialect {
    procrun,  // .procrun.yaml
    foreman,  // .foreman (YAML with foreman's option names)
};

// Pure: parses the YAML text of a config file. Unknown keys and values of the
// wrong type are located errors. `file` is used in diagnostics. Paths are
// returned as written (the loader resolves them against the file's directory).
// The keys of each dialect are listed in docs/config.md.
Parsed<Settings> parse_config(std::string_view text, std::string_view file,
                              ConfigDialect dialect = ConfigDialect::procrun);

// "no", "on-failure" or "always".
std::optional<RestartPolicy> parse_restart_policy(std::string_view text);

// "POLICY" (every type) or "NAME=POLICY", as `--restart` takes it.
std::optional<RestartOverride> parse_restart_override(std::string_view text);

// The candidate closest to `word` in spelling (a typo or two away), or empty.
std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace procrun
