#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "procrun/config.hpp"
#include "procrun/diagnostic.hpp"
#include "procrun/environment.hpp"
#include "procrun/formation.hpp"
#include "procrun/lifecycle.hpp"
#include "procrun/procfile.hpp"

namespace procrun {

inline constexpr int kDefaultBasePort = 5000;
inline constexpr int kPortStepPerType = 100;
inline constexpr std::chrono::seconds kDefaultTimeout{5};

// One process type of the Procfile with how many instances run.
struct ProcessType {
    std::string name;
    std::string command;
    int position = 0;  // 0-based index in the Procfile: decides PORT and colour
    int count = 1;     // instances from the formation
    bool selected = true;
    int line = 0;         // Procfile line
    Lifecycle lifecycle;  // from `.procrun.yaml` processes: and the command line
    // The type's own variables, layered over the app's env files: its env
    // files in order, then its `env:` (docs/config.md, "Environment").
    Environment env;
    // Where its processes run: the root, or root/working_dir. Absolute.
    std::filesystem::path working_dir;
};

// One process to run: `web.1`.
struct Instance {
    std::string type;  // "web"
    int index = 1;     // 1-based instance number
    std::string name;  // "web.1"
    std::string command;
    int port = 0;
    int colour = 0;                     // index into the output palette (the type's position)
    SharedLifecycle lifecycle;          // the type's, shared by its instances
    std::filesystem::path working_dir;  // the type's: absolute
    // The env files' variables, then the type's own (ProcessType::env): one
    // value shared by the type's instances, so a large formation holds one
    // copy of a large .env, not one per instance.
    std::shared_ptr<const Environment> type_env;

    // What the app itself defines: type_env, then PORT and PS. Exporters
    // render this; the process gets the inherited OS environment overlaid
    // with it (Plan::environment_of).
    [[nodiscard]] Environment app_env() const;
};

// Everything make_plan decides from: the parsed files and the merged settings,
// each setting with where it was given (a file position, or the command-line
// option). The loader fills it; make_plan makes every decision about names,
// ports and selection, and reports each problem at that place.
struct PlanInput {
    std::filesystem::path root;
    Procfile procfile;
    // When the Procfile has errors there is no plan, but the names given
    // elsewhere are still checked, against every name the file appears to
    // define (its bad lines included).
    std::optional<std::vector<std::string>> broken_procfile_names;
    // The input has errors (the Procfile, the formation): check the names
    // given, make no plan.
    bool names_only = false;
    Environment file_env;  // every env file merged, later files overriding earlier
    // Per process type: its own env files merged, in order (the loader reads
    // them; `env:` is in the type's Lifecycle).
    std::map<std::string, Environment> type_file_env;
    Location file_port_where;      // where the env files set PORT (at its value), if they do
    Environment os_env;            // the inherited environment
    Formation formation;           // its names located in formation.sources
    std::optional<int> base_port;  // --port or `port:`; else PORT from files, then OS, then 5000
    Location base_port_where{"--port", 0, 0};
    std::vector<std::string> selected;  // process types named on the command line; empty = all
    // `procrun run WORD`: when WORD is not a process type nothing gets a port,
    // so the base port (an inherited PORT, say) is not needed and not checked.
    std::optional<std::string> run_word;
    std::chrono::milliseconds timeout = kDefaultTimeout;  // stop signal to SIGKILL
    // Per process type, from the config file's `processes:`; a name that is
    // not a Procfile entry is a located error.
    std::map<std::string, Lifecycle> lifecycles;
    // Where each name of `lifecycles` was written (its key under `processes:`),
    // for that located error and others about the type.
    std::map<std::string, Location> lifecycle_where;
    // The command line's shorthands, applied over `lifecycles`: --restart (one
    // type, or every type when no NAME is given), --can-die, --exit-with, --pty.
    std::optional<Sourced<std::vector<RestartOverride>>> restart;
    std::optional<Sourced<std::vector<std::string>>> can_die;
    std::optional<Sourced<std::vector<std::string>>> exit_with;
    bool pty = false;
    // -q/--quiet or `quiet:`: names that must be process types.
    std::optional<Sourced<std::vector<std::string>>> quiet;
    // The text of each file a Location above may point into, by its name in
    // Location::file: the source line shown under a diagnostic. Views that
    // must outlive make_plan.
    std::map<std::string, std::string_view, std::less<>> texts;
};

// The value every command reads: start, run, check and export.
struct Plan {
    std::filesystem::path root;
    std::string procfile;             // path of the Procfile, as shown to the user
    std::vector<ProcessType> types;   // every Procfile entry, in order
    std::vector<Instance> instances;  // selected types x their counts, in order
    Environment file_env;
    Environment os_env;
    int base_port = kDefaultBasePort;
    std::chrono::milliseconds timeout = kDefaultTimeout;  // stop signal to SIGKILL

    [[nodiscard]] const ProcessType* find_type(std::string_view name) const;
    // The whole environment an instance gets: os_env overlaid with its app_env.
    // Made when needed, so a large formation does not hold a copy per instance.
    [[nodiscard]] Environment environment_of(const Instance& instance) const;
    // Longest instance name, for aligning output prefixes.
    [[nodiscard]] std::size_t name_width() const;
};

// Pure: builds the plan. PORT for instance i of the type at position p is
// base + 100*p + (i-1), as foreman does. A name that is not a process type
// (selected, in the formation, under processes:, in a shorthand or quiet) is
// an error at the place it was given, with one hint: "did you mean 'web'? the
// Procfile defines: web, worker".
Parsed<Plan> make_plan(const PlanInput& input);

// Instance `index` of `type`: its PORT, its environment and settings; used by
// make_plan and by `run` for a single instance.
Instance make_instance(const Plan& plan, const ProcessType& type, int index);
// The same sharing the type's settings and environment with `sibling`, an
// instance of the same type.
Instance make_instance(const Plan& plan, const ProcessType& type, int index,
                       const Instance& sibling);

}  // namespace procrun
