#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/diagnostic.hpp"
#include "procrun/procfile.hpp"
#include "procrun/project.hpp"
#include "procrun/root_files.hpp"

namespace procrun {

// Stable codes of the lints (docs/check.md explains each).
namespace lint {
inline constexpr std::string_view kWebPort = "check/web-port";
inline constexpr std::string_view kHardCodedPort = "check/hard-coded-port";
inline constexpr std::string_view kStrictName = "check/strict-name";
inline constexpr std::string_view kGunicornModule = "check/gunicorn-module";
inline constexpr std::string_view kGunicornApp = "check/gunicorn-app";
inline constexpr std::string_view kRequirementsMissing = "check/requirements-missing";
inline constexpr std::string_view kRequirementsUnpinned = "check/requirements-unpinned";
}  // namespace lint

struct LintOptions {
    // --strict is on: names are already errors from the parser, so the
    // strict-name lint is not repeated.
    bool strict = false;
    // How the root is shown to the user ("" for the current directory, else
    // e.g. "app"): files under the root found by the lints (requirements.txt)
    // are located as "app/requirements.txt", like the Procfile itself.
    std::string display_root;
};

// Pure: the lint warnings for a parsed Procfile. `procfile_text` supplies the
// source lines shown under each warning; `files` is the project root.
// Warnings come in Procfile order (requirements.txt findings with the web
// entry that runs the server).
std::vector<Diagnostic> lint_procfile(const Procfile& procfile, std::string_view procfile_text,
                                      const RootFiles& files, const LintOptions& options = {});

// Pure: warnings for the `watch:` paths of the plan's types that do not exist
// under the root.
std::vector<Diagnostic> check_watch(const Plan& plan, const RootFiles& files);

// One requirement of a requirements.txt: `name[extras] SPEC ; marker`, or a
// URL or path line whose distribution `#egg=NAME` names.
struct Requirement {
    std::string name;     // the distribution as written
    std::string spec;     // the version specifier ("@ URL" for a direct reference), "" when none
    bool pinned = false;  // ==, ~=, an upper bound, a URL or path: a new release cannot slip in
    Location where;       // of the name
    std::string source_line;  // the first physical line of the requirement
};

// `-r FILE` or `-c FILE`: a path relative to the file's directory.
struct RequirementsReference {
    std::string path;
    Location where;
};

struct Requirements {
    std::vector<Requirement> requirements;
    std::vector<RequirementsReference> includes;     // -r FILE
    std::vector<RequirementsReference> constraints;  // -c FILE
};

// Pure: parses the text of a requirements.txt (pip's format: comments, line
// continuations, options). Malformed lines are warnings (codes
// `requirements/*`); options other than -r/-c are skipped.
Parsed<Requirements> parse_requirements(std::string_view text, std::string_view file);

// A distribution name in PEP 503 normal form: lowercase, runs of `-_.` as '-'.
std::string normalize_distribution(std::string_view name);

// What `procrun start` hands to execve for every process: `/bin/sh -c COMMAND`
// and the instance's environment. Linux refuses (E2BIG, "Argument list too
// long") one string over `max_string` bytes, NUL included (MAX_ARG_STRLEN), or
// argv + envp over `max_total` (the strings with their NULs and one pointer
// each; sysconf(_SC_ARG_MAX)).
struct ExecLimits {
    std::size_t max_string = 131072;
    std::size_t max_total = 2097152;
};

// Pure: a located error for each command, variable, process name and whole
// environment of `project` that execve would refuse under `limits`.
std::vector<Diagnostic> check_exec_limits(const Project& project, const ExecLimits& limits);

// --werror: every warning becomes an error.
void promote_warnings(std::vector<Diagnostic>& diagnostics);

// What `procrun check` reports besides the diagnostics.
struct CheckSummary {
    bool valid = true;
    std::string procfile;                // as shown to the user
    std::optional<std::string> config;   // the config file read, if any
    std::vector<std::string> env_files;  // the env files read
    struct Type {
        std::string name;
        std::string command;
        int line = 0;
        int count = 1;
    };
    std::vector<Type> types;
    struct Instance {
        std::string name;
        int port = 0;
    };
    std::vector<Instance> instances;
};

// The summary of a loaded project. `valid` is false when `diagnostics` holds
// an error.
CheckSummary summarize(const Project& project, const std::vector<Diagnostic>& diagnostics);

// `valid Procfile: web=2, worker (3 processes)`, with ", N warnings" when
// there are any.
std::string format_success(const CheckSummary& summary, std::size_t warnings);
// `check failed: 2 errors, 1 warning`.
std::string format_failure(std::size_t errors, std::size_t warnings);

// --format=json: one document with the summary and every diagnostic.
std::string format_check_json(const CheckSummary& summary,
                              const std::vector<Diagnostic>& diagnostics);

// --format=github: a workflow command (`::error file=F,line=L,col=C,title=CODE::message`)
// per diagnostic, escaped as GitHub requires.
std::string format_github(const Diagnostic& d);
// GitHub's escaping for a workflow command's message (%, CR, LF) and for a
// property value (the same plus ':' and ',').
std::string github_escape_data(std::string_view text);
std::string github_escape_property(std::string_view text);

}  // namespace procrun
