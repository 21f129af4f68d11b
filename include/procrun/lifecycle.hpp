#pragma once

// How each process type lives under `procrun start`: restarts, what its exit
// means for the others, how it is stopped, what it waits for and how its
// readiness is probed. Set per process type in `.procrun.yaml` (`processes:`)
// and by the command line's shorthands; the defaults are foreman's behaviour.

#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/diagnostic.hpp"
#include "procrun/duration.hpp"
#include "procrun/watch.hpp"

namespace procrun {

enum class RestartPolicy {
    no,          // an exit stops everything (unless can_die)
    on_failure,  // restarted after a non-zero exit or a signal; a clean exit is final
    always,      // restarted after any exit
};

enum class OnExhausted {
    stop_all,  // after max_restarts, the next exit stops everything (exit code: its own)
    give_up,   // it stays stopped; the others keep running
};

// Delay before restart n (n = 1, 2, ...): initial * multiplier^(n-1), at most
// max. The count starts again once the process has run for reset_after.
struct Backoff {
    Millis initial{1000};
    Millis max{30000};
    double multiplier = 2.0;
    Millis reset_after{10000};

    [[nodiscard]] Millis delay(int restart) const;
    friend bool operator==(const Backoff&, const Backoff&) = default;
};

enum class DependencyCondition {
    started,                 // spawned
    ready,                   // its readiness probe passed (started, when it has none)
    completed_successfully,  // exited with code 0
};

struct Dependency {
    std::string type;  // a process type of the Procfile
    DependencyCondition condition = DependencyCondition::started;
    Location where;
    friend bool operator==(const Dependency&, const Dependency&) = default;
};

enum class ProbeKind { none, tcp, http, log, exec };

struct Readiness {
    ProbeKind kind = ProbeKind::none;
    std::string host = "127.0.0.1";  // tcp, http
    int port = 0;                    // tcp, http: 0 means the instance's $PORT
    std::string path = "/";          // http: GET path; 2xx and 3xx are ready
    std::string pattern;             // log: ECMAScript regex searched in each output line
    std::string command;             // exec: /bin/sh -c, with the instance's environment
    Millis initial_delay{0};
    Millis interval{1000};
    Millis timeout{1000};  // one attempt (tcp, http, exec)
    int retries = 60;      // failed attempts before it is reported as never ready
    Location where;
    friend bool operator==(const Readiness&, const Readiness&) = default;
};

// `liveness:`: a probe of a running instance, after it is ready (or started,
// without readiness) and `initial_delay`: one attempt every `period`;
// `failure_threshold` consecutive failed attempts make it "not live", and it
// is restarted as if it had failed. The probe kinds are readiness's, except
// log (output that stopped says nothing about a process's health).
struct Liveness {
    ProbeKind kind = ProbeKind::none;  // tcp, http or exec; none: not probed
    std::string host = "127.0.0.1";    // tcp, http
    int port = 0;                      // tcp, http: 0 means the instance's $PORT
    std::string path = "/";            // http: GET path; 2xx and 3xx are live
    std::string command;               // exec: /bin/sh -c, with the instance's environment
    Millis initial_delay{0};
    Millis period{10000};
    Millis timeout{1000};  // one attempt
    int failure_threshold = 3;
    Location where;

    // One attempt of this probe, as a readiness probe of one try.
    [[nodiscard]] Readiness attempt() const;
    friend bool operator==(const Liveness&, const Liveness&) = default;
};

// One variable of a type's `env:`, with where its name is written.
struct TypeVariable {
    std::string name;
    std::string value;  // as written: no `$` expansion
    Location where;
    friend bool operator==(const TypeVariable&, const TypeVariable&) = default;
};

// A path written in the config file, with where it is written. `env_file`
// paths are made relative to the config file's directory by the loader;
// `working_dir` stays relative to the root.
struct ConfigPath {
    std::string path;
    Location where;
    friend bool operator==(const ConfigPath&, const ConfigPath&) = default;
};

struct Lifecycle {
    RestartPolicy restart = RestartPolicy::no;
    Backoff backoff;
    int max_restarts = -1;  // -1: no limit
    OnExhausted on_exhausted = OnExhausted::stop_all;
    bool can_die = false;    // its exit (any code) does not stop the others
    bool exit_with = false;  // its exit stops everything, whatever else is set
    int stop_signal = SIGTERM;
    std::optional<Millis> stop_timeout;  // else the plan's --timeout
    std::vector<Dependency> depends_on;
    Readiness readiness;
    bool pty = false;  // stdout/stderr on a pseudo-terminal
    // `start`: its first instance's stdin is procrun's own (what is typed in
    // procrun's terminal goes to it); at most one type sets it.
    bool interactive = false;
    // forward_signals: the signals procrun passes on to this type when it
    // receives them (each one forwardable_signal); none by default.
    std::vector<int> forward_signals;
    // watch: restart on change; unset when the type has no `watch:`.
    std::optional<Watch> watch;
    Liveness liveness;
    // stop_command: run by /bin/sh -c (the instance's environment and
    // directory) instead of sending stop_signal; SIGKILL stop_timeout later.
    // Empty: stop_signal.
    std::string stop_command;
    // The type's own variables: its env files (layered over the app's, in
    // order), then `env:`. PORT and PS stay procrun's.
    std::vector<ConfigPath> env_files;
    std::vector<TypeVariable> env;
    // Where its processes run, relative to the root and inside it; empty: the root.
    std::optional<ConfigPath> working_dir;
    // Started by `procrun start` when no process type is named; false: part
    // of the run but not started until asked for (`procrun start NAME`,
    // `procrun scale`), or named on the command line.
    bool autostart = true;
    friend bool operator==(const Lifecycle&, const Lifecycle&) = default;
};

// A process type's settings as its instances hold them: one copy per type
// however many instances run (a formation of thousands holds one), read
// through `->`; a Lifecycle converts to it.
class SharedLifecycle {
  public:
    SharedLifecycle() : settings_(defaults()) {}
    SharedLifecycle(Lifecycle settings)
        : settings_(std::make_shared<const Lifecycle>(std::move(settings))) {}

    const Lifecycle& operator*() const { return *settings_; }
    const Lifecycle* operator->() const { return settings_.get(); }
    operator const Lifecycle&() const { return *settings_; }

    friend bool operator==(const SharedLifecycle& a, const SharedLifecycle& b) {
        return *a.settings_ == *b.settings_;
    }
    friend bool operator==(const SharedLifecycle& a, const Lifecycle& b) {
        return *a.settings_ == b;
    }

  private:
    static const std::shared_ptr<const Lifecycle>& defaults() {
        static const auto settings = std::make_shared<const Lifecycle>();
        return settings;
    }
    std::shared_ptr<const Lifecycle> settings_;
};

// Whether forward_signals may list `signal`: SIGHUP, SIGUSR1, SIGUSR2,
// SIGWINCH, SIGALRM, SIGPWR. SIGINT, SIGTERM and SIGQUIT always stop procrun.
inline bool forwardable_signal(int signal) {
    return signal == SIGHUP || signal == SIGUSR1 || signal == SIGUSR2 || signal == SIGWINCH ||
           signal == SIGALRM || signal == SIGPWR;
}

std::string_view to_string(RestartPolicy p);
std::string_view to_string(DependencyCondition c);
std::string_view to_string(ProbeKind k);

}  // namespace procrun
