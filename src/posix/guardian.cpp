#include "procrun/posix/guardian.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "procrun/posix/children.hpp"
#include "procrun/posix/process_group.hpp"

#if __has_include(<linux/close_range.h>)
#include <linux/close_range.h>
#endif

namespace procrun::posix {

namespace {

// ---- the guardian process: async-signal-safe code only ----------------------

struct Entry {
    int id;
    bool group;
    int signal;
    int timeout_ms;
    long long deadline_ms;  // during the clean-up
    bool done;
};

// The guardian's own table, in the (untouched, so never resident in procrun)
// zero-initialised data of the binary: no allocation after fork.
constexpr int kMaxEntries = 65536;
Entry g_entries[kMaxEntries];
int g_count = 0;

long long now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1000000};
    while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

bool exists(const Entry& e) {
    return ::kill(e.group ? -e.id : e.id, 0) == 0 || errno != ESRCH;
}

void send_signal(const Entry& e, int signal) {
    ::kill(e.group ? -e.id : e.id, signal);
}

void forget(int id) {
    for (int i = 0; i < g_count; ++i) {
        if (g_entries[i].id == id) {
            g_entries[i] = g_entries[--g_count];
            return;
        }
    }
}

void add(int id, bool group, int signal, int timeout_ms) {
    forget(id);
    if (g_count == kMaxEntries) {
        // Full: drop what no longer exists.
        int kept = 0;
        for (int i = 0; i < g_count; ++i) {
            if (exists(g_entries[i]))
                g_entries[kept++] = g_entries[i];
        }
        g_count = kept;
        if (g_count == kMaxEntries)
            return;
    }
    g_entries[g_count++] = Entry{id, group, signal, timeout_ms, 0, false};
}

// procrun died: stop everything recorded, gracefully first.
void clean_up() {
    const long long start = now_ms();
    for (int i = 0; i < g_count; ++i) {
        Entry& e = g_entries[i];
        send_signal(e, e.signal);
        if (e.signal != SIGKILL)
            send_signal(e, SIGCONT);  // a stopped process would never see the signal
        e.deadline_ms = start + e.timeout_ms;
        e.done = false;
    }
    for (;;) {
        int pending = 0;
        const long long now = now_ms();
        for (int i = 0; i < g_count; ++i) {
            Entry& e = g_entries[i];
            if (e.done)
                continue;
            if (!exists(e)) {
                e.done = true;
            } else if (now >= e.deadline_ms) {
                send_signal(e, SIGKILL);
                e.done = true;
            } else {
                ++pending;
            }
        }
        if (pending == 0)
            return;
        sleep_ms(10);
    }
}

void close_from(int first) {
#if defined(CLOSE_RANGE_UNSHARE)
    if (::close_range(static_cast<unsigned>(first), ~0U, 0) == 0)
        return;
#endif
    const long max = ::sysconf(_SC_OPEN_MAX);
    for (int fd = first; fd < (max > 0 ? max : 65536); ++fd)
        ::close(fd);
}

[[noreturn]] void guardian_main(int read_fd) {
    ::prctl(PR_SET_NAME, "procrun-guard", 0, 0, 0);
    // A session (and so a process group) of its own: a `kill -KILL -PGID`
    // aimed at procrun's group (a test harness, a supervisor, a shell's job
    // control) does not take the guardian with it, Ctrl-C does not reach it,
    // and it has no controlling terminal whose hangup could concern it.
    if (::setsid() < 0)
        ::setpgid(0, 0);
    struct sigaction act {};
    sigemptyset(&act.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        switch (sig) {
            case SIGINT:
            case SIGTERM:
            case SIGHUP:
            case SIGQUIT:
            case SIGPIPE:
            case SIGTSTP:
            case SIGTTIN:
            case SIGTTOU:
            case SIGUSR1:
            case SIGUSR2:
                act.sa_handler = SIG_IGN;
                break;
            default:
                act.sa_handler = SIG_DFL;
        }
        ::sigaction(sig, &act, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);

    // Only the pipe (as 3) and /dev/null on 0, 1 and 2.
    if (read_fd != 3) {
        if (::dup2(read_fd, 3) < 0)
            ::_exit(2);
    }
    const int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
        for (int fd = 0; fd <= 2; ++fd) {
            if (null_fd != fd)
                ::dup2(null_fd, fd);
        }
    }
    close_from(4);
    if (::chdir("/") != 0) {
        // Staying in procrun's directory only keeps it busy.
    }

    char buf[4096];
    std::size_t have = 0;
    for (;;) {
        const ssize_t n = ::read(3, buf + have, sizeof buf - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;  // end-of-file (or an error, treated alike): procrun is gone
        have += static_cast<std::size_t>(n);
        std::size_t at = 0;
        while (have - at >= sizeof(Guardian::Record)) {
            Guardian::Record r;
            std::memcpy(&r, buf + at, sizeof r);
            at += sizeof r;
            switch (r.kind) {
                case Guardian::Kind::group:
                    add(r.id, true, r.signal, r.timeout_ms);
                    break;
                case Guardian::Kind::process:
                    add(r.id, false, r.signal, r.timeout_ms);
                    break;
                case Guardian::Kind::untrack:
                    forget(r.id);
                    break;
                case Guardian::Kind::clean_exit:
                    ::_exit(0);
            }
        }
        std::memmove(buf, buf + at, have - at);
        have -= at;
    }
    clean_up();
    ::_exit(0);
}

}  // namespace

// ---- the procrun side ------------------------------------------------------

Guardian Guardian::start() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
    Fd read_end(fds[0]);
    Fd write_end(fds[1]);
    const pid_t pid = ::fork();
    if (pid < 0)
        throw std::system_error(errno, std::generic_category(), "fork (guardian)");
    if (pid == 0) {
        ::close(write_end.release());  // or the pipe would never reach end-of-file
        guardian_main(read_end.release());
    }
    // Not setpgid(pid, pid) from this side: a group leader cannot call setsid().
    Guardian g;
    g.write_ = std::move(write_end);
    g.pid_ = pid;
    return g;
}

// Closing the pipe without clean_exit: clean-up (of the groups still
// tracked: the untracks waiting go first).
Guardian::~Guardian() {
    flush();
}

Guardian::Guardian(Guardian&& other) noexcept
    : write_(std::move(other.write_)),
      pid_(std::exchange(other.pid_, -1)),
      error_(std::exchange(other.error_, 0)),
      io_(std::exchange(other.io_, nullptr)),
      waiting_(std::move(other.waiting_)) {}

Guardian& Guardian::operator=(Guardian&& other) noexcept {
    if (this != &other) {
        write_ = std::move(other.write_);
        pid_ = std::exchange(other.pid_, -1);
        error_ = std::exchange(other.error_, 0);
        io_ = std::exchange(other.io_, nullptr);
        waiting_ = std::move(other.waiting_);
    }
    return *this;
}

void Guardian::defer_untracks(boost::asio::io_context& io) {
    io_ = &io;
}

void Guardian::flush() {
    if (waiting_.empty())
        return;
    // At most PIPE_BUF bytes per write: each one is atomic.
    constexpr std::size_t kPerWrite = 4096 / sizeof(Record);
    for (std::size_t at = 0; at < waiting_.size(); at += kPerWrite) {
        const std::size_t n = std::min(kPerWrite, waiting_.size() - at);
        write_all(reinterpret_cast<const char*>(waiting_.data() + at), n * sizeof(Record));
    }
    waiting_.clear();
}

void Guardian::send(const Record& record) {
    if (record.kind == Kind::untrack && io_ != nullptr && write_.valid()) {
        waiting_.push_back(record);
        if (!flush_posted_) {
            flush_posted_ = true;
            boost::asio::post(*io_, [this] {
                flush_posted_ = false;
                flush();
            });
        }
        return;
    }
    flush();
    write_all(reinterpret_cast<const char*>(&record), sizeof record);
}

void Guardian::write_all(const char* p, std::size_t left) {
    if (!write_.valid() || error_ != 0)
        return;
    while (left > 0) {
        const ssize_t n = ::write(write_.get(), p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            error_ = n < 0 ? errno : EPIPE;
            return;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

namespace {
int clamp_ms(std::chrono::milliseconds timeout) {
    return static_cast<int>(std::clamp<long long>(timeout.count(), 0, 24LL * 3600 * 1000));
}
}  // namespace

void Guardian::track_group(pid_t pgid, int stop_signal, std::chrono::milliseconds timeout) {
    send(Record{Kind::group, pgid, stop_signal, clamp_ms(timeout)});
}

void Guardian::track_process(pid_t pid, int stop_signal, std::chrono::milliseconds timeout) {
    send(Record{Kind::process, pid, stop_signal, clamp_ms(timeout)});
}

void Guardian::untrack(pid_t id) {
    send(Record{Kind::untrack, id, 0, 0});
}

void Guardian::release() {
    if (!write_.valid())
        return;
    send(Record{Kind::clean_exit, 0, 0, 0});
    write_.reset();
    io_ = nullptr;
}

void Guardian::finish() {
    release();
    for (int i = 0; i < 500 && pid_ > 0; ++i) {
        const pid_t r = ::waitpid(pid_, nullptr, WNOHANG);
        if (r == pid_ || (r < 0 && errno != EINTR))
            break;  // reaped, or already reaped by someone else (ECHILD)
        ::usleep(1000);
    }
    pid_ = -1;
}

// ---- escaped processes -----------------------------------------------------

bool become_subreaper() {
    return ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
}

std::string command_line(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!raw.empty() && raw.back() == '\0')
        raw.pop_back();
    std::replace(raw.begin(), raw.end(), '\0', ' ');
    if (raw.empty()) {
        std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
        std::getline(comm, raw);
        raw = "[" + raw + "]";
    }
    return raw;
}

namespace {

// escaped_processes() where the kernel does not list children: every
// process's parent from /proc/PID/stat, then the tree from this process down.
std::vector<Escapee> escaped_by_scan(const std::unordered_set<pid_t>& known,
                                     const std::unordered_set<pid_t>& skip) {
    std::unordered_map<pid_t, std::vector<pid_t>> children;
    std::unordered_map<pid_t, ProcStat> stats;
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr)
        return {};
    while (const dirent* e = ::readdir(dir)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        const auto st = read_proc_stat(e->d_name);
        if (!st)
            continue;
        const auto pid = static_cast<pid_t>(std::atoi(e->d_name));
        stats[pid] = *st;
        children[st->ppid].push_back(pid);
    }
    ::closedir(dir);

    std::vector<Escapee> out;
    std::vector<pid_t> todo{::getpid()};
    while (!todo.empty()) {
        const pid_t parent = todo.back();
        todo.pop_back();
        for (pid_t child : children[parent]) {
            if (skip.count(child) != 0)
                continue;
            todo.push_back(child);
            const ProcStat& st = stats[child];
            if (st.state == 'Z' || st.state == 'X' || known.count(st.pgrp) != 0)
                continue;
            out.push_back(Escapee{child, st.pgrp, command_line(child)});
        }
    }
    return out;
}

}  // namespace

// Walks the tree of this process's descendants through the kernel's lists
// of children, so that the work is the size of that tree (at the end of a
// stop, usually the guardian alone), not of every process on the machine.
std::vector<Escapee> escaped_processes(const std::vector<pid_t>& groups,
                                       const std::vector<pid_t>& exclude) {
    const std::unordered_set<pid_t> known(groups.begin(), groups.end());
    const std::unordered_set<pid_t> skip(exclude.begin(), exclude.end());
    auto direct = children_of(::getpid());
    std::vector<Escapee> out;
    if (!direct) {
        out = escaped_by_scan(known, skip);
    } else {
        std::vector<pid_t> todo = std::move(*direct);
        std::unordered_set<pid_t> seen;
        while (!todo.empty()) {
            const pid_t pid = todo.back();
            todo.pop_back();
            if (skip.count(pid) != 0 || !seen.insert(pid).second)
                continue;
            const auto st = read_proc_stat(std::to_string(pid).c_str());
            if (!st)
                continue;  // gone meanwhile
            if (auto kids = children_of(pid))
                todo.insert(todo.end(), kids->begin(), kids->end());
            if (st->state == 'Z' || st->state == 'X' || known.count(st->pgrp) != 0)
                continue;
            out.push_back(Escapee{pid, st->pgrp, command_line(pid)});
        }
    }
    std::sort(out.begin(), out.end(),
              [](const Escapee& a, const Escapee& b) { return a.pid < b.pid; });
    return out;
}

bool set_parent_death_signal(int signal, pid_t parent) {
    if (::prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0) != 0)
        return false;
    // The parent may have died between fork and prctl: then no signal comes.
    if (::getppid() != parent) {
        errno = ESRCH;
        return false;
    }
    return true;
}

}  // namespace procrun::posix
