/* The benchmark's generator and verifier: the same program runs under every tool.
 *
 *   gen lines N TAG [DIR COUNT]
 *                      write N lines of 60 bytes, "^TT:SSSSSSSSS:<44 letters>$\n", in
 *                      writes of whole lines of at most PIPE_BUF bytes (as stdio does
 *                      on a pipe), then exit 0; TAG is 0..99, S the line's index.
 *                      With DIR and COUNT, it first waits until COUNT generators have
 *                      written all their lines (each leaves a file in DIR), so that
 *                      none exits - and makes a tool stop the others - before all
 *                      are done
 *   gen hold TAG       write one such line (index = $PORT, or 0), then sleep until a
 *                      signal ends it (default dispositions: TERM and INT end it at once)
 *   gen spawn N COMMAND
 *                      the start-up floor: a plain loop of posix_spawn of N instances of
 *                      `/bin/sh -c COMMAND`, each the leader of its own process group with
 *                      a pipe of its own for its stdout and stderr (as a process manager
 *                      starts them), then relays what they print to stdout, line by line,
 *                      until SIGINT, SIGTERM or SIGHUP: then SIGTERM to every group, every
 *                      child reaped, exit 130 (INT) or 143
 *   gen verify FILE TAGS N
 *                      read a tool's output and print, as JSON, how many distinct
 *                      generator lines of tags 1..TAGS, indexes 0..N-1 it holds intact
 *                      ("seen"), how many times one came twice ("duplicated"), and how
 *                      many lines hold a damaged piece of one ("torn"). A line is intact
 *                      when it ends with the 59 bytes the generator wrote (after ANSI
 *                      colour codes are removed from its end); whatever a tool puts in
 *                      front of it is ignored.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kLine = 60, kPayload = 44 };

static void fill_line(char* out, unsigned tag, unsigned long seq) {
    out[0] = '^';
    out[1] = (char)('0' + tag / 10);
    out[2] = (char)('0' + tag % 10);
    out[3] = ':';
    unsigned long s = seq;
    for (int i = 12; i >= 4; --i) {
        out[i] = (char)('0' + s % 10);
        s /= 10;
    }
    out[13] = ':';
    unsigned long h = seq * 2654435761UL + tag * 40503UL;
    for (int i = 0; i < kPayload; ++i) {
        out[14 + i] = (char)('a' + (h >> 7) % 26);
        h = h * 6364136223846793005UL + 1442695040888963407UL;
    }
    out[14 + kPayload] = '$';
    out[kLine - 1] = '\n';
}

static int write_all(const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = write(1, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static unsigned parse_tag(const char* s) {
    unsigned long t = strtoul(s, NULL, 10);
    if (t > 99) {
        fprintf(stderr, "gen: TAG must be 0..99\n");
        exit(2);
    }
    return (unsigned)t;
}

static int cmd_lines(unsigned long n, unsigned tag) {
    char buf[(PIPE_BUF / kLine) * kLine];
    size_t used = 0;
    for (unsigned long i = 0; i < n; ++i) {
        fill_line(buf + used, tag, i);
        used += kLine;
        if (used == sizeof buf) {
            if (write_all(buf, used) != 0)
                return 1;
            used = 0;
        }
    }
    if (used > 0 && write_all(buf, used) != 0)
        return 1;
    return 0;
}

/* Marks this generator done in `dir` and waits (1 ms naps, 2 minutes at most)
 * until `count` generators are. */
static void barrier(const char* dir, unsigned tag, unsigned long count) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%u", dir, tag);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
    for (int naps = 0; naps < 120000; ++naps) {
        DIR* d = opendir(dir);
        if (!d)
            return;
        unsigned long n = 0;
        for (struct dirent* e; (e = readdir(d)) != NULL;)
            if (e->d_name[0] != '.')
                ++n;
        closedir(d);
        if (n >= count)
            return;
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
}

static int cmd_hold(unsigned tag) {
    const char* port = getenv("PORT");
    char line[kLine];
    fill_line(line, tag, port ? strtoul(port, NULL, 10) : 0);
    if (write_all(line, kLine) != 0)
        return 1;
    for (;;)
        pause();
}

extern char** environ;

/* One instance of the floor: its pipe's read end and its partial line. */
struct floor_child {
    pid_t pid;
    int fd;
    size_t used;
    char line[256];
};

static void die(const char* what) {
    perror(what);
    exit(2);
}

/* Writes child `c`'s whole lines to stdout; returns how many ended. */
static unsigned long floor_relay(struct floor_child* c, const char* data, size_t n) {
    unsigned long lines = 0;
    for (size_t i = 0; i < n; ++i) {
        if (c->used < sizeof c->line)
            c->line[c->used++] = data[i];
        if (data[i] == '\n') {
            if (write_all(c->line, c->used) != 0)
                exit(1);
            c->used = 0;
            ++lines;
        }
    }
    return lines;
}

static int cmd_spawn(unsigned long n, const char* command) {
    /* As a process manager does: room for a descriptor per child. */
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    sigset_t stops, none;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGHUP);
    sigemptyset(&none);
    if (sigprocmask(SIG_BLOCK, &stops, NULL) != 0)
        die("sigprocmask");
    int sfd = signalfd(-1, &stops, SFD_CLOEXEC);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (sfd < 0 || ep < 0)
        die("signalfd/epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = n};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) != 0)
        die("epoll_ctl");
    struct floor_child* kids = calloc(n ? n : 1, sizeof *kids);
    if (!kids)
        die("calloc");
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &stops);
    char* argv[] = {"/bin/sh", "-c", (char*)command, NULL};
    for (unsigned long i = 0; i < n; ++i) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0)
            die("pipe2");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        posix_spawn_file_actions_adddup2(&fa, p[1], 2);
        int rc = posix_spawn(&kids[i].pid, "/bin/sh", &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) {
            errno = rc;
            die("posix_spawn");
        }
        close(p[1]);
        kids[i].fd = p[0];
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e) != 0)
            die("epoll_ctl");
    }
    int stop_signal = 0;
    char buf[65536];
    struct epoll_event evs[64];
    while (!stop_signal) {
        int k = epoll_wait(ep, evs, 64, -1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            die("epoll_wait");
        for (int j = 0; j < k; ++j) {
            unsigned long i = evs[j].data.u64;
            if (i == n) {
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
                    stop_signal = (int)si.ssi_signo;
                continue;
            }
            ssize_t r = read(kids[i].fd, buf, sizeof buf);
            if (r > 0) {
                floor_relay(&kids[i], buf, (size_t)r);
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                epoll_ctl(ep, EPOLL_CTL_DEL, kids[i].fd, NULL);
                close(kids[i].fd);
                kids[i].fd = -1;
            }
        }
    }
    for (unsigned long i = 0; i < n; ++i)
        kill(-kids[i].pid, SIGTERM);
    for (unsigned long i = 0; i < n; ++i)
        while (waitpid(kids[i].pid, NULL, 0) < 0 && errno == EINTR) {
        }
    return 128 + stop_signal;
}

/* Strips trailing "\033[...m" sequences and '\r' from [line, end). */
static const char* strip_end(const char* line, const char* end) {
    for (;;) {
        if (end > line && end[-1] == '\r') {
            --end;
            continue;
        }
        if (end > line && end[-1] == 'm') {
            const char* p = end - 2;
            while (p >= line && ((*p >= '0' && *p <= '9') || *p == ';'))
                --p;
            if (p > line && *p == '[' && p[-1] == '\033') {
                end = p - 1;
                continue;
            }
        }
        return end;
    }
}

static int cmd_verify(const char* path, unsigned tags, unsigned long n) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror(path);
        return 2;
    }
    size_t cells = (size_t)tags * n;
    unsigned char* seen = calloc(cells ? cells : 1, 1);
    if (!seen)
        return 2;
    unsigned long intact = 0, duplicated = 0, torn = 0, other = 0;
    size_t cap = 1 << 20, len = 0;
    char* buf = malloc(cap);
    char expect[kLine];
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            perror("read");
            return 2;
        }
        len += (size_t)r;
        char* start = buf;
        char* stop = buf + len;
        for (;;) {
            char* nl = memchr(start, '\n', (size_t)(stop - start));
            if (!nl) {
                if (r == 0 && start < stop)
                    nl = stop; /* last line without a newline */
                else
                    break;
            }
            const char* end = strip_end(start, nl);
            int ok = 0;
            if (end - start >= kLine - 1) {
                const char* g = end - (kLine - 1);
                if (g[0] == '^' && g[3] == ':' && g[13] == ':') {
                    unsigned tag = (unsigned)(g[1] - '0') * 10 + (unsigned)(g[2] - '0');
                    unsigned long seq = strtoul(g + 4, NULL, 10);
                    if (tag >= 1 && tag <= tags && seq < n) {
                        fill_line(expect, tag, seq);
                        if (memcmp(expect, g, kLine - 1) == 0) {
                            ok = 1;
                            size_t cell = (size_t)(tag - 1) * n + seq;
                            if (seen[cell]) {
                                ++duplicated;
                            } else {
                                seen[cell] = 1;
                                ++intact;
                            }
                        }
                    }
                }
            }
            if (!ok) {
                /* A piece of a generator line: its start or end marker without a whole line. */
                if (memchr(start, '^', (size_t)(end - start)) ||
                    memchr(start, '$', (size_t)(end - start)))
                    ++torn;
                else
                    ++other;
            }
            start = nl == stop ? stop : nl + 1;
            if (start >= stop)
                break;
        }
        size_t rest = (size_t)(stop - start);
        memmove(buf, start, rest);
        len = rest;
        if (r == 0)
            break;
    }
    close(fd);
    printf(
        "{\"expected\": %lu, \"seen\": %lu, \"duplicated\": %lu, \"torn\": %lu, \"other\": %lu}\n",
        (unsigned long)cells, intact, duplicated, torn, other);
    free(buf);
    free(seen);
    return 0;
}

int main(int argc, char** argv) {
    signal(SIGPIPE, SIG_DFL);
    if ((argc == 4 || argc == 6) && strcmp(argv[1], "lines") == 0) {
        unsigned tag = parse_tag(argv[3]);
        int rc = cmd_lines(strtoul(argv[2], NULL, 10), tag);
        if (rc == 0 && argc == 6)
            barrier(argv[4], tag, strtoul(argv[5], NULL, 10));
        return rc;
    }
    if (argc == 3 && strcmp(argv[1], "hold") == 0)
        return cmd_hold(parse_tag(argv[2]));
    if (argc == 4 && strcmp(argv[1], "spawn") == 0)
        return cmd_spawn(strtoul(argv[2], NULL, 10), argv[3]);
    if (argc == 5 && strcmp(argv[1], "verify") == 0)
        return cmd_verify(argv[2], (unsigned)strtoul(argv[3], NULL, 10),
                          strtoul(argv[4], NULL, 10));
    fprintf(stderr,
            "usage: gen lines N TAG [DIR COUNT] | gen hold TAG | gen spawn N COMMAND |\n"
            "       gen verify FILE TAGS N\n");
    return 2;
}
