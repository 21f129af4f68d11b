#include "harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace procrun::test {

namespace fs = std::filesystem;
using namespace std::chrono;

std::string procrun_binary() {
    // Another procrun to test, or a wrapper that runs this one under a tool
    // (scripts/test runs the start tests through valgrind this way).
    if (const char* other = std::getenv("PROCRUN_TEST_BINARY"); other != nullptr && *other != '\0')
        return other;
    return PROCRUN_BINARY;
}
std::string testchild_binary() {
    return PROCRUN_TESTCHILD;
}
fs::path source_dir() {
    return PROCRUN_SOURCE_DIR;
}

std::optional<fs::path> shared_dir() {
    fs::path p = PROCRUN_SHARED_DIR;
    std::error_code ec;
    if (fs::is_directory(p, ec))
        return fs::canonical(p, ec);
    return std::nullopt;
}

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "procrun-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
        throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = fs::canonical(tmpl);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

fs::path TempDir::write(const std::string& relative, const std::string& content, fs::perms mode) {
    fs::path p = path_ / relative;
    fs::create_directories(p.parent_path());
    {
        std::ofstream f(p, std::ios::binary | std::ios::trunc);
        f << content;
    }
    fs::permissions(p, mode);
    return p;
}

void TempDir::write_all(const std::map<std::string, std::string>& files) {
    for (const auto& [name, content] : files)
        write(name, content);
}

namespace {

void set_cloexec_pipe(int fds[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
}

std::vector<std::string> build_env(const RunOptions& o) {
    std::map<std::string, std::string> env;
    if (!o.clear_env) {
        for (char** e = environ; *e != nullptr; ++e) {
            std::string s = *e;
            auto eq = s.find('=');
            if (eq != std::string::npos)
                env[s.substr(0, eq)] = s.substr(eq + 1);
        }
    } else if (const char* path = std::getenv("PATH")) {
        env["PATH"] = path;
    }
    for (const auto& k : o.unset_env)
        env.erase(k);
    for (const auto& kv : o.set_env) {
        auto eq = kv.find('=');
        env[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : env)
        out.push_back(k + "=" + v);
    return out;
}

}  // namespace

Child::Child(const std::vector<std::string>& argv, const RunOptions& options) {
    int out[2], err[2], in[2] = {-1, -1};
    set_cloexec_pipe(out);
    set_cloexec_pipe(err);
    if (options.stdin_data)
        set_cloexec_pipe(in);
    std::vector<std::string> env = build_env(options);
    std::vector<char*> envp;
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> argp;
    for (auto& a : args)
        argp.push_back(a.data());
    argp.push_back(nullptr);
    std::string cwd = options.cwd.string();

    started_ = steady_clock::now();
    pid_ = ::fork();
    if (pid_ < 0)
        throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
        ::setpgid(0, 0);
        if (in[0] >= 0) {
            ::dup2(in[0], 0);
        } else {
            int devnull = ::open("/dev/null", O_RDONLY);
            ::dup2(devnull, 0);
        }
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0)
            _exit(125);
        ::execvpe(argp[0], argp.data(), envp.data());
        _exit(127);
    }
    ::setpgid(pid_, pid_);
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    if (in[0] >= 0) {
        ::close(in[0]);
        in_fd_ = in[1];
        in_data_ = *options.stdin_data;
        ::fcntl(in_fd_, F_SETFL, O_NONBLOCK);
        if (in_data_.empty()) {
            ::close(in_fd_);
            in_fd_ = -1;
        }
    }
}

Child::~Child() {
    if (!reaped_ && pid_ > 0) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : {out_fd_, err_fd_, in_fd_}) {
        if (fd >= 0)
            ::close(fd);
    }
}

void Child::signal(int sig) const {
    if (!reaped_)
        ::kill(pid_, sig);
}

// Reads whatever is available for at most `budget`; returns false when both
// pipes are at EOF.
bool Child::pump(milliseconds budget) {
    std::vector<pollfd> fds;
    if (out_fd_ >= 0)
        fds.push_back({out_fd_, POLLIN, 0});
    if (err_fd_ >= 0)
        fds.push_back({err_fd_, POLLIN, 0});
    if (in_fd_ >= 0)
        fds.push_back({in_fd_, POLLOUT, 0});
    if (fds.empty())
        return false;
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(budget.count()));
    if (n <= 0)
        return true;
    char buf[65536];
    for (auto& p : fds) {
        if (p.revents == 0)
            continue;
        if (p.fd == in_fd_) {
            ssize_t w =
                ::write(in_fd_, in_data_.data() + in_written_, in_data_.size() - in_written_);
            if (w > 0)
                in_written_ += static_cast<std::size_t>(w);
            if (w < 0 && errno != EAGAIN)
                in_written_ = in_data_.size();
            if (in_written_ >= in_data_.size()) {
                ::close(in_fd_);
                in_fd_ = -1;
            }
            continue;
        }
        ssize_t r = ::read(p.fd, buf, sizeof buf);
        if (r > 0) {
            (p.fd == out_fd_ ? out_ : err_).append(buf, static_cast<std::size_t>(r));
        } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
            if (p.fd == out_fd_) {
                ::close(out_fd_);
                out_fd_ = -1;
            } else {
                ::close(err_fd_);
                err_fd_ = -1;
            }
        }
    }
    return out_fd_ >= 0 || err_fd_ >= 0;
}

int time_scale() {
    static const int scale = [] {
        const char* v = std::getenv("PROCRUN_TEST_TIME_SCALE");
        const int n = v != nullptr ? std::atoi(v) : 1;
        return n >= 1 ? n : 1;
    }();
    return scale;
}

bool Child::wait_for_output(const std::string& needle, milliseconds timeout) {
    auto deadline = steady_clock::now() + timeout * time_scale();
    while (true) {
        if (out_.find(needle) != std::string::npos || err_.find(needle) != std::string::npos)
            return true;
        auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
        if (left.count() <= 0)
            return false;
        if (!pump(std::min(left, milliseconds(100)))) {
            return out_.find(needle) != std::string::npos || err_.find(needle) != std::string::npos;
        }
    }
}

RunResult Child::wait(milliseconds timeout) {
    RunResult r;
    auto deadline = steady_clock::now() + timeout * time_scale();
    while (steady_clock::now() < deadline) {
        auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
        if (!pump(std::min(left, milliseconds(100))))
            break;
    }
    bool pipes_open = out_fd_ >= 0 || err_fd_ >= 0;
    while (!reaped_) {
        pid_t w = ::waitpid(pid_, &status_, pipes_open ? WNOHANG : 0);
        if (w == pid_) {
            reaped_ = true;
            break;
        }
        if (steady_clock::now() >= deadline) {
            r.timed_out = true;
            ::kill(-pid_, SIGKILL);
            ::kill(pid_, SIGKILL);
            pipes_open = false;
            continue;
        }
        pump(milliseconds(20));
    }
    while (pump(milliseconds(100))) {
        if (steady_clock::now() >= deadline + seconds(2))
            break;
    }
    r.seconds = duration<double>(steady_clock::now() - started_).count();
    if (WIFEXITED(status_))
        r.exit_code = WEXITSTATUS(status_);
    if (WIFSIGNALED(status_))
        r.signal = WTERMSIG(status_);
    r.out = out_;
    r.err = err_;
    return r;
}

RunOptions in_project(const TempDir& dir) {
    RunOptions o;
    o.cwd = dir.path();
    o.unset_env = {"PORT", "NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "XDG_RUNTIME_DIR"};
    o.timeout = std::chrono::seconds(60);
    return o;
}

std::string unique_marker(const std::string& key) {
    std::random_device rd;
    return key + "=" + std::to_string(rd()) + std::to_string(rd());
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& options) {
    Child c(argv, options);
    return c.wait(options.timeout);
}

RunResult run_procrun(const std::vector<std::string>& args, const RunOptions& options) {
    std::vector<std::string> argv{procrun_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, options);
}

// Read with read(2): libstdc++ 12 throws from a filebuf's underflow an
// exception that a catch of std::ios_base::failure does not match (GCC PR 66145).
std::string read_proc(pid_t pid, const char* what) {
    const std::string path = "/proc/" + std::to_string(pid) + "/" + what;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    std::string s;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        s.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return s;
}

bool have_program(const std::string& name) {
    return run({"/bin/sh", "-c", "command -v " + name}).exit_code == 0;
}

NpmInstall npm_install_once(const std::string& name, const std::vector<std::string>& packages) {
    namespace fs = std::filesystem;
    NpmInstall result;
    const fs::path base = fs::read_symlink("/proc/self/exe").parent_path();
    const fs::path prefix = base / name;
    const fs::path done = prefix / ".procrun-installed";
    const fs::path lock_path = base / (name + ".lock");
    const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0)
        throw std::system_error(errno, std::generic_category(), "open " + lock_path.string());
    while (::flock(lock, LOCK_EX) != 0 && errno == EINTR) {
    }
    struct Unlock {
        int fd;
        ~Unlock() { ::close(fd); }
    } unlock{lock};

    if (fs::exists(done)) {
        result.prefix = prefix;
        return result;
    }
    if (!have_program("node") || !have_program("npm")) {
        result.why = "node or npm is not installed";
        result.tool_missing = true;
        return result;
    }
    const fs::path scratch = base / (name + ".partial");
    fs::remove_all(scratch);
    fs::create_directories(scratch);
    std::vector<std::string> argv = {"npm",       "install",  "--no-audit",
                                     "--no-fund", "--prefix", scratch.string()};
    argv.insert(argv.end(), packages.begin(), packages.end());
    RunOptions o;
    o.timeout = std::chrono::seconds(300);
    const RunResult r = run(argv, o);
    if (r.exit_code != 0) {
        std::string list;
        for (const auto& p : packages)
            list += " " + p;
        result.why = "npm install" + list + " failed (is the registry reachable?): " + r.err;
        fs::remove_all(scratch);
        return result;
    }
    std::ofstream(scratch / ".procrun-installed") << "ok\n";
    fs::remove_all(prefix);
    fs::rename(scratch, prefix);
    result.prefix = prefix;
    return result;
}

namespace {

// Fields of /proc/PID/stat after the command name: state is field 3, pgrp 5, session 6.
bool read_stat(pid_t pid, pid_t& pgrp, pid_t& session, char& state) {
    const std::string s = read_proc(pid, "stat");
    auto close = s.rfind(')');
    if (close == std::string::npos)
        return false;
    std::istringstream rest(s.substr(close + 2));
    int ppid = 0;
    rest >> state >> ppid >> pgrp >> session;
    return static_cast<bool>(rest);
}

template <class Pred>
std::vector<pid_t> scan(Pred pred) {
    std::vector<pid_t> out;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        pid_t pid = static_cast<pid_t>(std::stol(name));
        pid_t pgrp = 0, session = 0;
        char state = '?';
        if (!read_stat(pid, pgrp, session, state))
            continue;
        if (state == 'Z' || state == 'X')
            continue;
        if (pred(pid, pgrp, session))
            out.push_back(pid);
    }
    return out;
}

}  // namespace

std::vector<pid_t> processes_in_group(pid_t pgid) {
    return scan([pgid](pid_t, pid_t pgrp, pid_t) { return pgrp == pgid; });
}

std::vector<pid_t> processes_in_session(pid_t sid) {
    return scan([sid](pid_t, pid_t, pid_t session) { return session == sid; });
}

std::vector<pid_t> processes_with_env(const std::string& marker) {
    return scan([&marker](pid_t pid, pid_t, pid_t) {
        const std::string s = read_proc(pid, "environ");
        std::size_t start = 0;
        while (start < s.size()) {
            std::size_t end = s.find('\0', start);
            if (end == std::string::npos)
                end = s.size();
            if (s.compare(start, end - start, marker) == 0)
                return true;
            start = end + 1;
        }
        return false;
    });
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t nl = text.find('\n', start);
        if (nl == std::string::npos) {
            lines.push_back(text.substr(start));
            break;
        }
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + needle.size()))
        ++n;
    return n;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> start_args(std::vector<std::string> extra) {
    std::vector<std::string> argv = {procrun_binary(), "start", "--no-timestamp", "--no-color"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

}  // namespace procrun::test
