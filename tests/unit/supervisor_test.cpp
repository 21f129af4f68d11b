// The supervisor's policy replayed against a fake launcher and a fake clock:
// no real process, signal or timer.

#include <signal.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "procrun/supervisor.hpp"

using namespace procrun;
using namespace std::chrono_literals;

namespace {

// How a fake process reacts to SIGTERM.
enum class OnTerm {
    exits,        // its whole group exits
    ignores,      // nothing happens; only SIGKILL ends it
    leader_only,  // the leader exits, a grandchild in its group lingers
};

// Plays the runtime: carries out the policy's actions on fake processes and
// feeds back what they would cause. Everything it does is logged in order.
class FakeLauncher {
  public:
    FakeLauncher(std::initializer_list<const char*> names, std::chrono::milliseconds timeout)
        : names_(names.begin(), names.end()), supervisor_(names_, timeout) {}
    FakeLauncher(std::vector<Member> members, std::chrono::milliseconds timeout)
        : names_(names_of(members)), supervisor_(std::move(members), timeout) {}

    std::set<std::size_t> fail_spawn;
    std::map<std::size_t, OnTerm> on_term;  // default: exits

    void start() { run(supervisor_.start(now_)); }
    void send(Event e) {
        queue_.push_back(std::move(e));
        run({});
    }
    // The fake clock: moves on; the deadline timer fires if it is due.
    void advance(std::chrono::milliseconds d) {
        now_ += d;
        if (deadline_ && now_ >= *deadline_) {
            deadline_.reset();
            send(event::DeadlineReached{});
        }
    }
    // A process exits by itself (leader and group).
    void exit(std::size_t id, ExitStatus status) {
        leader_alive_[id] = false;
        send(event::Exited{id, status});
        group_alive_[id] = false;
        send(event::GroupEmpty{id});
    }

    [[nodiscard]] const std::vector<std::string>& log() const { return log_; }
    [[nodiscard]] std::optional<int> finished() const { return finished_; }
    [[nodiscard]] std::optional<TimePoint> deadline() const { return deadline_; }
    [[nodiscard]] TimePoint now() const { return now_; }
    [[nodiscard]] bool logged(const std::string& line) const {
        for (const auto& l : log_) {
            if (l == line)
                return true;
        }
        return false;
    }
    [[nodiscard]] std::size_t count_prefix(const std::string& prefix) const {
        std::size_t n = 0;
        for (const auto& l : log_)
            n += l.rfind(prefix, 0) == 0 ? 1 : 0;
        return n;
    }
    void clear_log() { log_.clear(); }
    [[nodiscard]] const Supervisor& policy() const { return supervisor_; }
    [[nodiscard]] bool running(std::size_t id) const {
        auto it = leader_alive_.find(id);
        return it != leader_alive_.end() && it->second;
    }

  private:
    static std::vector<std::string> names_of(const std::vector<Member>& members) {
        std::vector<std::string> names;
        for (const auto& m : members)
            names.push_back(m.name);
        return names;
    }

    void run(std::vector<Action> actions) {
        for (;;) {
            for (const auto& a : actions)
                apply(a);
            if (queue_.empty())
                return;
            Event e = queue_.front();
            queue_.pop_front();
            actions = supervisor_.handle(e, now_);
        }
    }

    void apply(const Action& action) {
        if (const auto* a = std::get_if<action::Spawn>(&action)) {
            log_.push_back("spawn " + names_[a->process]);
            if (fail_spawn.count(a->process) != 0) {
                queue_.push_back(
                    event::SpawnFailed{a->process, "fork: Resource temporarily unavailable"});
            } else {
                leader_alive_[a->process] = true;
                group_alive_[a->process] = true;
                queue_.push_back(event::Started{a->process, 100 + static_cast<int>(a->process)});
            }
        } else if (const auto* s = std::get_if<action::SignalGroups>(&action)) {
            for (std::size_t id : s->processes) {
                log_.push_back("signal " + std::to_string(s->signal) + " " + names_[id]);
                deliver(id, s->signal);
            }
        } else if (const auto* fwd = std::get_if<action::ForwardSignal>(&action)) {
            for (std::size_t id : fwd->processes) {
                log_.push_back("forward " + std::to_string(fwd->signal) + " " + names_[id]);
            }
        } else if (const auto* say = std::get_if<action::Announce>(&action)) {
            log_.push_back("say " + say->text);
        } else if (const auto* arm = std::get_if<action::ArmDeadline>(&action)) {
            deadline_ = arm->at;
        } else if (std::holds_alternative<action::CancelDeadline>(action)) {
            deadline_.reset();
        } else if (const auto* probe = std::get_if<action::StartProbe>(&action)) {
            log_.push_back("probe " + names_[probe->process]);
        } else if (const auto* cancel = std::get_if<action::CancelProbe>(&action)) {
            log_.push_back("cancel probe " + names_[cancel->process]);
        } else if (const auto* fin = std::get_if<action::Finish>(&action)) {
            REQUIRE_FALSE(finished_.has_value());
            finished_ = fin->exit_code;
            log_.push_back("finish " + std::to_string(fin->exit_code));
        }
    }

    void deliver(std::size_t id, int sig) {
        if (!group_alive_[id])
            return;  // ESRCH
        OnTerm reaction = on_term.count(id) != 0 ? on_term[id] : OnTerm::exits;
        if (sig == SIGKILL || (sig == SIGTERM && reaction == OnTerm::exits)) {
            if (leader_alive_[id]) {
                leader_alive_[id] = false;
                queue_.push_back(event::Exited{id, ExitStatus::killed(sig)});
            }
            group_alive_[id] = false;
            queue_.push_back(event::GroupEmpty{id});
        } else if (sig == SIGTERM && reaction == OnTerm::leader_only && leader_alive_[id]) {
            leader_alive_[id] = false;
            queue_.push_back(event::Exited{id, ExitStatus::killed(SIGTERM)});
        }
    }

    std::vector<std::string> names_;
    Supervisor supervisor_;
    TimePoint now_{};
    std::optional<TimePoint> deadline_;
    std::optional<int> finished_;
    std::deque<Event> queue_;
    std::map<std::size_t, bool> leader_alive_;
    std::map<std::size_t, bool> group_alive_;
    std::vector<std::string> log_;
};

}  // namespace

TEST_CASE("every process is started in plan order, one after the other", "[supervisor]") {
    FakeLauncher f({"web.1", "web.2", "worker.1"}, 5000ms);
    f.start();
    CHECK(f.log() == std::vector<std::string>{"spawn web.1", "say web.1 started with pid 100",
                                              "spawn web.2", "say web.2 started with pid 101",
                                              "spawn worker.1",
                                              "say worker.1 started with pid 102"});
    CHECK_FALSE(f.finished());
    CHECK_FALSE(f.deadline());
}

TEST_CASE("the first process to exit stops the others and its code is the exit code",
          "[supervisor]") {
    FakeLauncher f({"web.1", "worker.1", "clock.1"}, 5000ms);
    f.start();
    f.clear_log();
    f.exit(1, ExitStatus::exited(3));
    CHECK(f.log() == std::vector<std::string>{
                         "say worker.1 exited with code 3",
                         "say sending SIGTERM to all processes",
                         "signal 15 web.1",
                         "signal 15 worker.1",
                         "signal 15 clock.1",
                         "signal 18 web.1",
                         "signal 18 worker.1",
                         "signal 18 clock.1",
                         "say web.1 terminated by SIGTERM",
                         "say clock.1 terminated by SIGTERM",
                         "finish 3",
                     });
    CHECK(f.finished() == 3);
    CHECK_FALSE(f.deadline());  // cancelled once everything stopped
}

TEST_CASE("an exit code of 0 also stops everything and is returned", "[supervisor]") {
    FakeLauncher f({"once.1", "web.1"}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.finished() == 0);
}

TEST_CASE("a process killed by a signal gives 128 + the signal", "[supervisor]") {
    FakeLauncher f({"web.1", "worker.1"}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::killed(SIGSEGV));
    CHECK(f.logged("say web.1 terminated by SIGSEGV"));
    CHECK(f.finished() == 128 + SIGSEGV);
}

TEST_CASE("exits while stopping do not change the exit code", "[supervisor]") {
    FakeLauncher f({"a.1", "b.1"}, 5000ms);
    f.on_term[1] = OnTerm::ignores;
    f.start();
    f.exit(0, ExitStatus::exited(4));
    CHECK_FALSE(f.finished());
    f.exit(1, ExitStatus::exited(9));  // b gives up on its own during the wait
    CHECK(f.finished() == 4);
}

TEST_CASE("SIGINT, SIGTERM and SIGHUP stop everything with 128 + the signal", "[supervisor]") {
    const int sig = GENERATE(SIGINT, SIGTERM, SIGHUP);
    FakeLauncher f({"web.1", "worker.1"}, 5000ms);
    f.start();
    f.send(event::SignalReceived{sig});
    CHECK(f.count_prefix("signal 15 ") == 2);
    CHECK(f.finished() == 128 + sig);
}

TEST_CASE("a process ignoring SIGTERM is killed exactly when the timeout has passed",
          "[supervisor]") {
    FakeLauncher f({"web.1", "stubborn.1"}, 3000ms);
    f.on_term[1] = OnTerm::ignores;
    f.start();
    const TimePoint stop_at = f.now();
    f.send(event::SignalReceived{SIGINT});
    REQUIRE(f.deadline() == stop_at + 3000ms);
    CHECK(f.logged("say web.1 terminated by SIGTERM"));
    CHECK_FALSE(f.finished());

    f.advance(2999ms);
    CHECK(f.count_prefix("signal 9 ") == 0);
    CHECK_FALSE(f.finished());

    f.advance(1ms);
    CHECK(f.logged("say sending SIGKILL to 1 process that did not stop"));
    CHECK(f.logged("signal 9 stubborn.1"));
    CHECK(f.count_prefix("signal 9 ") == 1);  // not the one already gone
    CHECK(f.logged("say stubborn.1 terminated by SIGKILL"));
    CHECK(f.finished() == 130);
}

TEST_CASE("a timer firing early does not kill", "[supervisor]") {
    FakeLauncher f({"stubborn.1"}, 1000ms);
    f.on_term[0] = OnTerm::ignores;
    f.start();
    f.send(event::SignalReceived{SIGTERM});
    f.send(event::DeadlineReached{});  // spurious: the deadline is not reached
    CHECK(f.count_prefix("signal 9 ") == 0);
    f.advance(1000ms);
    CHECK(f.count_prefix("signal 9 ") == 1);
    CHECK(f.finished() == 143);
}

TEST_CASE("a second SIGINT or SIGTERM while stopping kills at once", "[supervisor]") {
    const int second = GENERATE(SIGINT, SIGTERM);
    FakeLauncher f({"a.1", "b.1", "c.1"}, 5000ms);
    f.on_term[0] = OnTerm::ignores;
    f.on_term[2] = OnTerm::ignores;
    f.start();
    f.send(event::SignalReceived{SIGINT});
    CHECK_FALSE(f.finished());
    f.advance(10ms);
    f.send(event::SignalReceived{second});
    CHECK(f.logged("say sending SIGKILL to 2 processes that did not stop"));
    CHECK(f.count_prefix("signal 9 ") == 2);
    CHECK(f.finished() == 130);  // the first signal decides
    CHECK_FALSE(f.deadline());
}

TEST_CASE("a SIGHUP while stopping does not cut the wait short", "[supervisor]") {
    FakeLauncher f({"a.1"}, 5000ms);
    f.on_term[0] = OnTerm::ignores;
    f.start();
    f.send(event::SignalReceived{SIGHUP});
    f.send(event::SignalReceived{SIGHUP});
    CHECK(f.count_prefix("signal 9 ") == 0);
    f.advance(5000ms);
    CHECK(f.finished() == 129);
}

TEST_CASE("a group outliving its leader is waited for and killed after the timeout",
          "[supervisor]") {
    FakeLauncher f({"web.1", "shell.1"}, 2000ms);
    f.on_term[1] = OnTerm::leader_only;
    f.start();
    f.send(event::SignalReceived{SIGTERM});
    CHECK(f.logged("say shell.1 terminated by SIGTERM"));
    CHECK_FALSE(f.finished());  // its grandchild is still in the group
    f.advance(2000ms);
    CHECK(f.logged("say sending SIGKILL to 1 process that did not stop"));
    CHECK(f.logged("signal 9 shell.1"));
    CHECK(f.finished() == 143);
}

TEST_CASE("SIGUSR1 and SIGUSR2 are forwarded to the types that ask, without stopping",
          "[supervisor]") {
    const int sig = GENERATE(SIGUSR1, SIGUSR2);
    std::vector<Member> members(3);
    for (std::size_t i = 0; i < members.size(); ++i) {
        members[i].name = i < 2 ? "web." + std::to_string(i + 1) : "db.1";
        members[i].type = i < 2 ? "web" : "db";
        if (i < 2)
            members[i].lifecycle.forward_signals = {sig};
    }
    FakeLauncher f(members, 5000ms);
    f.start();
    f.clear_log();
    f.send(event::SignalReceived{sig});
    CHECK(f.count_prefix("forward " + std::to_string(sig) + " ") == 2);
    CHECK(f.count_prefix("forward " + std::to_string(sig) + " db.1") == 0);
    CHECK(f.logged("say forwarding " + std::string(sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2") +
                   " to web.1, web.2"));
    CHECK(f.count_prefix("signal 15 ") == 0);
    CHECK_FALSE(f.finished());
    CHECK_FALSE(f.deadline());
}

TEST_CASE("a process that cannot be spawned stops the others, and later ones never start",
          "[supervisor]") {
    FakeLauncher f({"a.1", "b.1", "c.1"}, 5000ms);
    f.fail_spawn = {1};
    f.start();
    CHECK(f.logged("say b.1 could not start: fork: Resource temporarily unavailable"));
    CHECK_FALSE(f.logged("spawn c.1"));
    CHECK(f.logged("signal 15 a.1"));
    CHECK(f.finished() == kExitSupervisorFailed);
}

TEST_CASE("a closed output stops everything with 141, another failure with 1", "[supervisor]") {
    FakeLauncher f({"a.1"}, 5000ms);
    f.start();
    const int error = GENERATE(EPIPE, ENOSPC);
    f.send(event::OutputFailed{error});
    CHECK(f.finished() == (error == EPIPE ? kExitOutputClosed : kExitSupervisorFailed));
}

TEST_CASE("a timeout of 0 kills as soon as the clock is looked at", "[supervisor]") {
    FakeLauncher f({"stubborn.1"}, 0ms);
    f.on_term[0] = OnTerm::ignores;
    f.start();
    f.send(event::SignalReceived{SIGINT});
    REQUIRE(f.deadline() == f.now());
    f.advance(0ms);
    CHECK(f.count_prefix("signal 9 ") == 1);
    CHECK(f.finished() == 130);
}

TEST_CASE("events after the end are ignored", "[supervisor]") {
    FakeLauncher f({"a.1"}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(2));
    REQUIRE(f.finished() == 2);
    f.clear_log();
    f.send(event::SignalReceived{SIGINT});
    f.send(event::Exited{0, ExitStatus::exited(5)});
    CHECK(f.log().empty());
}

TEST_CASE("exit statuses are described the way the user reads them", "[supervisor]") {
    CHECK(describe(ExitStatus::exited(0)) == "exited with code 0");
    CHECK(describe(ExitStatus::exited(127)) == "exited with code 127");
    CHECK(describe(ExitStatus::killed(SIGTERM)) == "terminated by SIGTERM");
    CHECK(describe(ExitStatus{0, SIGSEGV, true}) == "terminated by SIGSEGV (core dumped)");
    CHECK(ExitStatus::killed(SIGKILL).shell_code() == 137);
    CHECK(ExitStatus::from_wait_status(3 << 8) == ExitStatus::exited(3));
    CHECK(ExitStatus::from_wait_status(SIGINT) == ExitStatus::killed(SIGINT));
}

// ---- lifecycles -------------------------------------------------------------

namespace {

Member member(std::string name, Lifecycle lc = {}) {
    const auto dot = name.rfind('.');
    std::string type = name.substr(0, dot);
    return Member{std::move(name), std::move(type), std::move(lc)};
}

Lifecycle restarting(RestartPolicy policy, int max_restarts = -1) {
    Lifecycle lc;
    lc.restart = policy;
    lc.max_restarts = max_restarts;
    lc.backoff = Backoff{1000ms, 8000ms, 2.0, 10000ms};
    return lc;
}

}  // namespace

TEST_CASE("on-failure restarts after a backoff that doubles, and others keep running",
          "[supervisor][restart]") {
    FakeLauncher f({member("web.1"), member("worker.1", restarting(RestartPolicy::on_failure))},
                   5000ms);
    f.start();
    f.clear_log();
    f.exit(1, ExitStatus::exited(1));
    CHECK(f.logged("say worker.1 restarts in 1s (restart 1)"));
    CHECK_FALSE(f.logged("signal 15 web.1"));
    CHECK(f.policy().status(1).state == "backoff");
    REQUIRE(f.deadline() == f.now() + 1000ms);
    f.advance(999ms);
    CHECK(f.count_prefix("spawn worker.1") == 0);
    f.advance(1ms);
    CHECK(f.count_prefix("spawn worker.1") == 1);
    CHECK(f.policy().status(1).restarts == 1);
    // Fails again at once: 2s, then 4s, 8s, capped at 8s.
    for (const char* delay : {"2s", "4s", "8s", "8s"}) {
        f.advance(100ms);
        f.exit(1, ExitStatus::killed(SIGSEGV));
        CHECK(f.logged(std::string("say worker.1 restarts in ") + delay + " (restart " +
                       std::to_string(f.policy().status(1).restarts) + ")"));
        f.advance(8000ms);
    }
    CHECK_FALSE(f.finished());
    CHECK(f.running(0));
}

TEST_CASE("the backoff starts again after a stable run", "[supervisor][restart]") {
    FakeLauncher f({member("worker.1", restarting(RestartPolicy::always))}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(0));
    f.advance(1000ms);
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.logged("say worker.1 restarts in 2s (restart 2)"));
    f.advance(2000ms);
    f.advance(10000ms);  // ran stably for reset_after
    f.clear_log();
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.logged("say worker.1 restarts in 1s (restart 1)"));
    CHECK(f.policy().status(0).restarts == 3);
}

TEST_CASE("on-failure does not restart a clean exit, which stops everything",
          "[supervisor][restart]") {
    FakeLauncher f({member("web.1"), member("worker.1", restarting(RestartPolicy::on_failure))},
                   5000ms);
    f.start();
    f.exit(1, ExitStatus::exited(0));
    CHECK(f.logged("signal 15 web.1"));
    CHECK(f.finished() == 0);
}

TEST_CASE("max_restarts exhausted: stop-all stops everything with its code, give-up leaves it",
          "[supervisor][restart]") {
    const bool give_up = GENERATE(false, true);
    Lifecycle lc = restarting(RestartPolicy::on_failure, 2);
    lc.on_exhausted = give_up ? OnExhausted::give_up : OnExhausted::stop_all;
    FakeLauncher f({member("web.1"), member("worker.1", lc)}, 5000ms);
    f.start();
    for (int i = 0; i < 2; ++i) {
        f.exit(1, ExitStatus::exited(3));
        f.advance(5000ms);
    }
    CHECK(f.count_prefix("spawn worker.1") == 3);
    f.exit(1, ExitStatus::exited(3));
    CHECK(f.count_prefix("spawn worker.1") == 3);
    if (give_up) {
        CHECK(f.logged("say worker.1 was restarted 2 times in a row; giving up"));
        CHECK_FALSE(f.finished());
        CHECK(f.policy().status(1).state == "failed");
        CHECK(f.running(0));
    } else {
        CHECK(f.logged("say worker.1 was restarted 2 times in a row; stopping everything"));
        CHECK(f.finished() == 3);
    }
}

TEST_CASE("a restart stops the rest of the old group first", "[supervisor][restart]") {
    FakeLauncher f({member("shell.1", restarting(RestartPolicy::always))}, 2000ms);
    f.on_term[0] = OnTerm::ignores;
    f.start();
    f.clear_log();
    // The leader exits; a grandchild stays in its group and ignores SIGTERM.
    f.send(event::Exited{0, ExitStatus::exited(1)});
    CHECK(f.logged("signal 15 shell.1"));
    f.advance(1000ms);
    CHECK(f.count_prefix("spawn shell.1") == 0);  // the group is not empty yet
    f.advance(1000ms);
    CHECK(f.logged("signal 9 shell.1"));
    CHECK(f.count_prefix("spawn shell.1") == 1);  // backoff already passed
}

TEST_CASE("can_die: its exit, whatever the code, stops nothing", "[supervisor][lifecycle]") {
    Lifecycle lc;
    lc.can_die = true;
    FakeLauncher f({member("release.1", lc), member("web.1")}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(2));
    CHECK_FALSE(f.finished());
    CHECK(f.count_prefix("signal ") == 0);
    CHECK(f.policy().status(0).state == "failed");
    // web.1 is not can_die: its exit stops everything, with its own code.
    f.exit(1, ExitStatus::exited(0));
    CHECK(f.finished() == 0);
}

TEST_CASE("only can_die processes: procrun ends when they have all ended",
          "[supervisor][lifecycle]") {
    Lifecycle lc;
    lc.can_die = true;
    FakeLauncher f({member("a.1", lc), member("b.1", lc)}, 5000ms);
    f.start();
    f.exit(1, ExitStatus::exited(0));
    CHECK_FALSE(f.finished());
    f.exit(0, ExitStatus::exited(6));
    CHECK(f.finished() == 6);  // the first failure's code
}

TEST_CASE("exit_with: its exit stops everything, even with a restart policy",
          "[supervisor][lifecycle]") {
    Lifecycle lc = restarting(RestartPolicy::always);
    lc.exit_with = true;
    FakeLauncher f({member("tests.1", lc), member("web.1")}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(4));
    CHECK_FALSE(f.logged("say tests.1 restarts in 1s (restart 1)"));
    CHECK(f.finished() == 4);
}

TEST_CASE("per-process stop signal and stop timeout", "[supervisor][lifecycle]") {
    Lifecycle quit;
    quit.stop_signal = SIGQUIT;
    quit.stop_timeout = 1000ms;
    FakeLauncher f({member("web.1", quit), member("worker.1")}, 5000ms);
    f.on_term[0] = OnTerm::ignores;
    f.on_term[1] = OnTerm::ignores;
    f.start();
    f.clear_log();
    f.send(event::SignalReceived{SIGINT});
    CHECK(f.logged("say stopping all processes: SIGQUIT to web.1; SIGTERM to worker.1"));
    CHECK(f.logged("signal 3 web.1"));
    CHECK(f.logged("signal 15 worker.1"));
    REQUIRE(f.deadline() == f.now() + 1000ms);
    f.advance(1000ms);
    CHECK(f.logged("signal 9 web.1"));
    CHECK_FALSE(f.logged("signal 9 worker.1"));
    REQUIRE(f.deadline() == f.now() + 4000ms);
    f.advance(4000ms);
    CHECK(f.logged("signal 9 worker.1"));
    CHECK(f.finished() == 130);
}

TEST_CASE("depends_on ready: waits visibly, starts when the probe passes",
          "[supervisor][depends]") {
    Lifecycle db;
    db.readiness.kind = ProbeKind::tcp;
    Lifecycle web;
    web.depends_on = {Dependency{"db", DependencyCondition::ready, {}}};
    FakeLauncher f({member("web.1", web), member("db.1", db), member("worker.1")}, 5000ms);
    f.start();
    CHECK(f.log() == std::vector<std::string>{"say web.1 is waiting for db to be ready",
                                              "spawn db.1", "say db.1 started with pid 101",
                                              "probe db.1", "spawn worker.1",
                                              "say worker.1 started with pid 102"});
    CHECK(f.policy().status(0).state == "waiting");
    CHECK(f.policy().status(1).readiness == "pending");
    f.clear_log();
    f.send(event::Ready{1});
    CHECK(f.log() == std::vector<std::string>{"say db.1 is ready", "spawn web.1",
                                              "say web.1 started with pid 100"});
    CHECK(f.policy().status(1).readiness == "ready");
}

TEST_CASE("depends_on ready: a dependency that never becomes ready fails clearly",
          "[supervisor][depends]") {
    Lifecycle db;
    db.readiness.kind = ProbeKind::tcp;
    Lifecycle web;
    web.depends_on = {Dependency{"db", DependencyCondition::ready, {}}};
    FakeLauncher f({member("db.1", db), member("web.1", web)}, 5000ms);
    f.start();
    f.send(event::NeverReady{0, "connect to 127.0.0.1:5000: Connection refused (60 attempts)"});
    CHECK(
        f.logged("say db.1 did not become ready: connect to 127.0.0.1:5000: Connection refused (60 "
                 "attempts)"));
    CHECK(f.logged("say web.1 cannot start: db.1 never became ready"));
    CHECK(f.count_prefix("spawn web.1") == 0);
    CHECK(f.finished() == kExitSupervisorFailed);
}

TEST_CASE("depends_on completed_successfully: a migration runs first, its exit 0 stops nothing",
          "[supervisor][depends]") {
    Lifecycle web;
    web.depends_on = {Dependency{"migrate", DependencyCondition::completed_successfully, {}}};
    FakeLauncher f({member("migrate.1"), member("web.1", web)}, 5000ms);
    f.start();
    CHECK(f.count_prefix("spawn web.1") == 0);
    f.exit(0, ExitStatus::exited(0));
    CHECK(f.count_prefix("spawn web.1") == 1);
    CHECK_FALSE(f.finished());
    CHECK(f.policy().status(0).state == "exited");
}

TEST_CASE("depends_on completed_successfully: a failed migration stops with its code",
          "[supervisor][depends]") {
    Lifecycle web;
    web.depends_on = {Dependency{"migrate", DependencyCondition::completed_successfully, {}}};
    FakeLauncher f({member("migrate.1"), member("web.1", web)}, 5000ms);
    f.start();
    f.exit(0, ExitStatus::exited(5));
    CHECK(f.count_prefix("spawn web.1") == 0);
    CHECK(f.finished() == 5);
}

TEST_CASE("control: restart one instance while the others keep running", "[supervisor][control]") {
    FakeLauncher f({"web.1", "web.2", "worker.1"}, 5000ms);
    f.start();
    f.clear_log();
    f.send(event::Control{event::ControlOp::restart, {1}});
    CHECK(f.log() == std::vector<std::string>{"say restarting web.2 (requested)", "signal 15 web.2",
                                              "signal 18 web.2", "say web.2 terminated by SIGTERM",
                                              "spawn web.2", "say web.2 started with pid 101"});
    CHECK_FALSE(f.finished());
    CHECK(f.policy().status(1).restarts == 1);
    CHECK(f.policy().status(0).restarts == 0);
}

TEST_CASE("control: stop keeps it stopped, start runs it again, kill stops all with 0",
          "[supervisor][control]") {
    FakeLauncher f({"web.1", "worker.1"}, 5000ms);
    f.start();
    f.send(event::Control{event::ControlOp::stop, {1}});
    CHECK(f.logged("say stopping worker.1 (requested)"));
    CHECK(f.policy().status(1).state == "stopped");
    CHECK_FALSE(f.finished());
    CHECK(f.running(0));
    f.clear_log();
    f.send(event::Control{event::ControlOp::start, {1}});
    CHECK(f.log() == std::vector<std::string>{"say starting worker.1 (requested)", "spawn worker.1",
                                              "say worker.1 started with pid 101"});
    f.send(event::StopAll{"stopping everything (procrun kill)"});
    CHECK(f.logged("say stopping everything (procrun kill)"));
    CHECK(f.finished() == 0);
}

TEST_CASE("control: a stopped process ignoring its stop signal is killed after its timeout",
          "[supervisor][control]") {
    FakeLauncher f({"web.1", "stubborn.1"}, 3000ms);
    f.on_term[1] = OnTerm::ignores;
    f.start();
    f.send(event::Control{event::ControlOp::stop, {1}});
    CHECK(f.policy().status(1).state == "stopping");
    f.advance(3000ms);
    CHECK(f.logged("signal 9 stubborn.1"));
    CHECK(f.policy().status(1).state == "stopped");
    CHECK_FALSE(f.finished());
}
