#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

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
};

// One process to run: `web.1`.
struct Instance {
    std::string type;  // "web"
    int index = 1;     // 1-based instance number
    std::string name;  // "web.1"
    std::string command;
    int port = 0;
    int colour = 0;       // index into the output palette (the type's position)
    Lifecycle lifecycle;  // the type's
    // What the app itself defines: the env files' variables, then PORT and PS.
    // Exporters render this; the process gets the inherited OS environment
    // overlaid with it (Plan::environment_of).
    Environment app_env;
};

struct PlanInput {
    std::filesystem::path root;
    Procfile procfile;
    Environment file_env;  // every env file merged, later files overriding earlier
    Environment os_env;    // the inherited environment
    Formation formation;
    std::optional<int> base_port;       // --port; else PORT from files, then OS, then 5000
    std::vector<std::string> selected;  // process types named on the command line; empty = all
    std::chrono::milliseconds timeout = kDefaultTimeout;  // stop signal to SIGKILL
    // Per process type, from the config file and the command line; a name that
    // is not a Procfile entry is a located error.
    std::map<std::string, Lifecycle> lifecycles;
    // Where each name of `lifecycles` was written (its key under `processes:`,
    // or "command line"), for that located error and others about the type.
    std::map<std::string, Location> lifecycle_where;
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
// base + 100*p + (i-1), as foreman does. Unknown selected names and formation
// names are errors that list the valid process types.
Parsed<Plan> make_plan(const PlanInput& input);

// The environment for an instance (PORT, PS) given the plan's inputs; used by
// make_plan and by `run` for a single instance.
Instance make_instance(const Plan& plan, const ProcessType& type, int index);

}  // namespace procrun
