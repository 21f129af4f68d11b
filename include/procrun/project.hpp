#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "procrun/config.hpp"
#include "procrun/diagnostic.hpp"
#include "procrun/dotenv.hpp"
#include "procrun/environment.hpp"
#include "procrun/glob.hpp"
#include "procrun/plan.hpp"
#include "procrun/procfile.hpp"

namespace procrun {

// One env file as read from disk.
struct EnvFile {
    std::string path;  // as shown to the user
    std::vector<DotenvEntry> entries;
};

// Everything read from a project root: the files, the resolved settings and the
// plan built from them. The only place that reads the user's files.
struct Project {
    std::filesystem::path root;
    std::string procfile_path;  // as shown to the user
    std::string procfile_text;
    Procfile procfile;
    std::optional<std::string> config_path;  // .procrun.yaml or .foreman, if one was read
    Settings settings;                       // command line overlaid on the config file
    std::vector<EnvFile> env_files;
    Plan plan;
};

struct LoadOptions {
    Settings cli;                       // what the command line said
    std::vector<std::string> selected;  // process types named on the command line
    // When false (procrun run CMD), a missing Procfile is not an error: the
    // project is only the env files and settings.
    bool require_procfile = true;
    // `procrun run WORD ...`: when WORD is not a process type, nothing gets a
    // port, so PORT (inherited or from the env files) is not checked.
    std::optional<std::string> run_word;
};

// The largest Procfile, env file or config file procrun reads: past it, a
// located error instead of gigabytes of memory.
inline constexpr std::uintmax_t kMaxProjectFileSize = 16 * 1024 * 1024;

// Finds and reads the Procfile, the config file and the env files, then builds
// the plan. Reports every problem found, located in its file.
//   - ROOT: --root, else the directory of --procfile, else the current directory.
//   - Config: ROOT/.procrun.yaml, else ROOT/.foreman. Its settings apply under
//     the command line's; its paths are relative to its directory, and its
//     `root` / `procfile` move ROOT for what follows.
//   - Procfile: --procfile, else ROOT/Procfile. Near misses (procfile,
//     Procfile.txt, ...) are named in the error.
//   - Env files: --env (each must exist), else ROOT/.env if it exists. A
//     .env that is a link to nothing, a link loop or unreadable is an error.
//   - No file over kMaxProjectFileSize is read.
// Paths in diagnostics and in Project are relative to the current directory
// when under it, else absolute. The rules are in docs/procfile.md.
Parsed<Project> load_project(const LoadOptions& options, const Environment& os_env);

// ROOT/.gitignore for `watch:` (procrun/glob.hpp says which patterns): none
// when there is no such file; one that cannot be read is a warning.
Parsed<std::vector<PathPattern>> load_gitignore(const std::filesystem::path& root);

// Looks in `dir` for files that are almost a Procfile (wrong case, an
// extension); returns their names, best match first.
std::vector<std::string> procfile_near_misses(const std::filesystem::path& dir);

}  // namespace procrun
