#pragma once

// Helpers for end-to-end tests: temporary project directories and running the
// real procrun binary (or any program) with pipes, a timeout and signals.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace procrun::test {

// The procrun under test: $PROCRUN_TEST_BINARY when set, else the one built with the tests.
std::string procrun_binary();
std::string testchild_binary();
std::filesystem::path source_dir();
// ../shared beside the repository, or nullopt when it is absent.
std::optional<std::filesystem::path> shared_dir();

// A temporary directory removed (recursively) on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    // Writes `content` to `relative` (creating parent directories).
    std::filesystem::path write(const std::string& relative, const std::string& content,
                                std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                              std::filesystem::perms::owner_write);
    // Writes files from a map of relative path -> content.
    void write_all(const std::map<std::string, std::string>& files);

  private:
    std::filesystem::path path_;
};

// Every timeout of a Child (wait, wait_for_output) is multiplied by
// $PROCRUN_TEST_TIME_SCALE (an integer, default 1): a run under valgrind is
// about 20 times slower. Tests that assert a duration read RunResult::seconds,
// which is not scaled.
int time_scale();

struct RunOptions {
    std::filesystem::path cwd;
    std::vector<std::string> set_env;       // "KEY=value", applied on top of the inherited env
    std::vector<std::string> unset_env;     // keys removed from the inherited env
    bool clear_env = false;                 // start from an empty environment (PATH kept)
    std::optional<std::string> stdin_data;  // nullopt: /dev/null
    std::chrono::milliseconds timeout{60000};
};

struct RunResult {
    int exit_code = -1;  // when it exited
    int signal = 0;      // when it was killed by a signal
    bool timed_out = false;
    std::string out;
    std::string err;
    double seconds = 0;
};

// A running child with its stdout and stderr on pipes, in its own process group.
class Child {
  public:
    Child(const std::vector<std::string>& argv, const RunOptions& options);
    ~Child();  // kills the process group if still running
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    void signal(int sig) const;
    // Reads output until `needle` appears in stdout (or stderr) or the timeout;
    // returns whether it appeared.
    bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout);
    // Reads until exit (and EOF on both pipes) or the timeout, then kills.
    RunResult wait(std::chrono::milliseconds timeout);
    [[nodiscard]] const std::string& out() const { return out_; }
    [[nodiscard]] const std::string& err() const { return err_; }

  private:
    bool pump(std::chrono::milliseconds budget);
    pid_t pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    int in_fd_ = -1;
    std::string in_data_;
    std::size_t in_written_ = 0;
    std::string out_;
    std::string err_;
    bool reaped_ = false;
    int status_ = 0;
    std::chrono::steady_clock::time_point started_;
};

// Options for running procrun in the project `dir`: that directory, 60 s, and
// none of the inherited variables that change its output or ports (PORT,
// NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE) or where its control socket lives
// (XDG_RUNTIME_DIR).
RunOptions in_project(const TempDir& dir);

// "KEY=<random digits>": a value unique to one test, put in the processes'
// environment so that survivors can be found by it (processes_with_env).
std::string unique_marker(const std::string& key);

RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});
RunResult run_procrun(const std::vector<std::string>& args, const RunOptions& options = {});

// Pids of every live process whose process group is `pgid`, or whose session is `sid`.
std::vector<pid_t> processes_in_group(pid_t pgid);
std::vector<pid_t> processes_in_session(pid_t sid);
// Pids of every live process whose environment contains `marker` (KEY=value).
std::vector<pid_t> processes_with_env(const std::string& marker);

// The whole of /proc/PID/WHAT, or "" when the process is gone.
std::string read_proc(pid_t pid, const char* what);

std::vector<std::string> split_lines(const std::string& text);

// Whether `part` occurs in `text`, and how many times without overlapping.
bool contains(const std::string& text, const std::string& part);
std::size_t count_of(const std::string& text, const std::string& needle);

// The whole file, or "" when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Polls `ready` every 50 ms until it is true or `timeout` passes.
template <class F>
bool eventually(F ready, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ready())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return ready();
}

// The test child's path (procrun-testchild), for Procfile lines.
inline const std::string kTestchild = testchild_binary();

// argv of `procrun start --no-timestamp --no-color`, then `extra`.
std::vector<std::string> start_args(std::vector<std::string> extra = {});

// True when `name` is found on PATH.
bool have_program(const std::string& name);

// npm packages installed once into `name` beside the test binary, whole or
// not at all: concurrent tests wait on one lock, the install goes to a
// scratch folder renamed into place, and a finished install is marked.
// nullopt and why not: node or npm missing (`tool_missing`), or the
// registry unreachable.
struct NpmInstall {
    std::optional<std::filesystem::path> prefix;
    std::string why;
    bool tool_missing = false;
};
NpmInstall npm_install_once(const std::string& name, const std::vector<std::string>& packages);

}  // namespace procrun::test
