// procrun-testchild: a scriptable child process for end-to-end tests.
// Runs its arguments as a sequence of actions:
//   print TEXT        write TEXT and a newline
//   partial TEXT      write TEXT without a newline
//   lines N TAG       write N lines "TAG N-digit-index payload" (payload checks integrity)
//   fds               write "fds: 0 1 2 ..." (its open file descriptors)
//   env KEY           write "KEY=value" or "KEY unset"
//   cat               copy stdin to stdout until EOF
//   sleep SECONDS     sleep (fractions allowed), resumed across handled signals
//   ignore SIG        ignore signal SIG (TERM, INT, HUP, USR1, ...)
//   trap SIG          print "got SIGNAME" when SIG arrives (and keep going)
//   trap-exit SIG     print "got SIGNAME" and exit 0 when SIG arrives
//   wait              pause until a trap-exit signal ends the process
//   exit N            exit with code N
//   raise SIG         kill itself with SIG
//   barrier DIR N     create DIR/<pid>, then wait until DIR holds N files
//   tty               write "tty: foreground", "tty: background" or "tty: none"
//                     (whether its group is stdin's terminal's foreground group)
//   random-lines N SEED  write N lines of 0..4096 random printable bytes
//                     (RandomText, support/random_text.hpp, seeded with SEED)
//   random-bytes N SEED  write N random bytes (NUL, newlines, invalid UTF-8...)
//   long-line N SEED  write one line of N random printable bytes
//   close-output      close stdout and stderr (the reader sees end of file)
// stdout is unbuffered: every action writes with write(2).

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "random_text.hpp"

namespace {

volatile sig_atomic_t g_exit_on_signal = 0;

void write_all(const std::string& s) {
    const char* p = s.data();
    std::size_t left = s.size();
    while (left > 0) {
        ssize_t w = ::write(1, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            std::exit(141);
        }
        p += w;
        left -= static_cast<std::size_t>(w);
    }
}

struct SigName {
    const char* name;
    int number;
};
const SigName kSignals[] = {{"TERM", SIGTERM},   {"INT", SIGINT},   {"HUP", SIGHUP},
                            {"USR1", SIGUSR1},   {"USR2", SIGUSR2}, {"QUIT", SIGQUIT},
                            {"WINCH", SIGWINCH}, {"PIPE", SIGPIPE}, {"KILL", SIGKILL},
                            {"TSTP", SIGTSTP},   {"ALRM", SIGALRM}};

int parse_signal(const std::string& s) {
    std::string n = s.rfind("SIG", 0) == 0 ? s.substr(3) : s;
    for (const auto& sig : kSignals) {
        if (n == sig.name)
            return sig.number;
    }
    return std::atoi(n.c_str());
}

const char* signal_name(int sig) {
    for (const auto& s : kSignals) {
        if (s.number == sig)
            return s.name;
    }
    return "?";
}

void on_signal(int sig) {
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "got SIG%s\n", signal_name(sig));
    if (n > 0)
        (void)!::write(1, buf, static_cast<std::size_t>(n));
    if (g_exit_on_signal == sig)
        _exit(0);
}

void sleep_for(double seconds) {
    timespec ts{
        static_cast<time_t>(seconds),
        static_cast<long>((seconds - static_cast<double>(static_cast<time_t>(seconds))) * 1e9)};
    while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= args.size()) {
                std::fprintf(stderr, "procrun-testchild: %s needs an argument\n", a.c_str());
                std::exit(64);
            }
            return args[++i];
        };
        if (a == "print") {
            write_all(next() + "\n");
        } else if (a == "partial") {
            write_all(next());
        } else if (a == "lines") {
            long n = std::atol(next().c_str());
            std::string tag = next();
            std::string batch;
            for (long k = 0; k < n; ++k) {
                char line[128];
                int len = std::snprintf(line, sizeof line, "%s %08ld %s\n", tag.c_str(), k,
                                        "abcdefghijklmnopqrstuvwxyz0123456789");
                batch.append(line, static_cast<std::size_t>(len));
                if (batch.size() > 60000) {
                    write_all(batch);
                    batch.clear();
                }
            }
            write_all(batch);
        } else if (a == "fds") {
            std::string out = "fds:";
            std::vector<int> fds;
            for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
                fds.push_back(std::atoi(e.path().filename().c_str()));
            }
            // The directory iterator's own fd is the highest one opened last; drop
            // it by checking which fds are still valid now that it is closed.
            for (int fd : fds) {
                if (::fcntl(fd, F_GETFD) != -1)
                    out += " " + std::to_string(fd);
            }
            write_all(out + "\n");
        } else if (a == "env") {
            std::string key = next();
            const char* v = std::getenv(key.c_str());
            write_all(v != nullptr ? key + "=" + v + "\n" : key + " unset\n");
        } else if (a == "cat") {
            char buf[65536];
            ssize_t r;
            while ((r = ::read(0, buf, sizeof buf)) > 0)
                write_all(std::string(buf, static_cast<std::size_t>(r)));
        } else if (a == "sleep") {
            sleep_for(std::atof(next().c_str()));
        } else if (a == "ignore") {
            ::signal(parse_signal(next()), SIG_IGN);
        } else if (a == "trap" || a == "trap-exit") {
            int sig = parse_signal(next());
            if (a == "trap-exit")
                g_exit_on_signal = sig;
            struct sigaction sa {};
            sa.sa_handler = on_signal;
            sigemptyset(&sa.sa_mask);
            ::sigaction(sig, &sa, nullptr);
        } else if (a == "wait") {
            for (;;)
                ::pause();
        } else if (a == "exit") {
            return std::atoi(next().c_str());
        } else if (a == "raise") {
            int sig = parse_signal(next());
            ::signal(sig, SIG_DFL);
            ::kill(::getpid(), sig);
            sleep_for(5);
            return 99;
        } else if (a == "barrier") {
            const std::string dir = next();
            const long n = std::atol(next().c_str());
            const std::string mine = dir + "/" + std::to_string(::getpid());
            const int fd = ::open(mine.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            if (fd >= 0)
                ::close(fd);
            for (;;) {
                long count = 0;
                if (DIR* d = ::opendir(dir.c_str())) {
                    while (const dirent* e = ::readdir(d))
                        count += e->d_name[0] != '.' ? 1 : 0;
                    ::closedir(d);
                }
                if (count >= n)
                    break;
                sleep_for(0.01);
            }
        } else if (a == "tty") {
            const pid_t fg = ::tcgetpgrp(0);
            write_all(fg < 0              ? "tty: none\n"
                      : fg == ::getpgrp() ? "tty: foreground\n"
                                          : "tty: background\n");
        } else if (a == "random-lines" || a == "random-bytes" || a == "long-line") {
            const long n = std::atol(next().c_str());
            procrun::test::RandomText random(std::strtoull(next().c_str(), nullptr, 10));
            std::string batch;
            for (long k = 0; k < n;) {
                if (a == "random-lines") {
                    random.line(batch);
                    batch.push_back('\n');
                    ++k;
                } else {
                    const long chunk = std::min(n - k, 65536L);
                    if (a == "random-bytes")
                        random.bytes(batch, static_cast<std::size_t>(chunk));
                    else
                        random.printable(batch, static_cast<std::size_t>(chunk));
                    k += chunk;
                }
                if (batch.size() >= 65536) {
                    write_all(batch);
                    batch.clear();
                }
            }
            if (a == "long-line")
                batch.push_back('\n');
            write_all(batch);
        } else if (a == "close-output") {
            ::close(1);
            ::close(2);
        } else {
            std::fprintf(stderr, "procrun-testchild: unknown action '%s'\n", a.c_str());
            return 64;
        }
    }
    return 0;
}
