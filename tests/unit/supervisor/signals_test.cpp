// Signals: names, which ones procrun catches, what the policy does with one
// (forward_signals), the control request of `procrun signal`, job control
// against real processes (suspend_group, the reaper's stop reports) and the
// line about a child stopped by the terminal.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "procrun/control.hpp"
#include "procrun/policy.hpp"
#include "procrun/posix/reaper.hpp"
#include "procrun/posix/signals.hpp"
#include "procrun/signal_name.hpp"
#include "supervisor/job_control.hpp"

using namespace procrun;
using namespace std::chrono_literals;

namespace {

char proc_state(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const std::size_t close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
}

bool wait_state(pid_t pid, char state) {
    for (int i = 0; i < 500; ++i) {
        if (proc_state(pid) == state)
            return true;
        std::this_thread::sleep_for(5ms);
    }
    return false;
}

// A child in a group of its own that pauses; `ignore_tstp` makes it ignore SIGTSTP.
pid_t fork_paused(bool ignore_tstp) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        ::signal(SIGTSTP, ignore_tstp ? SIG_IGN : SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        for (;;)
            ::pause();
    }
    REQUIRE(pid > 0);
    ::setpgid(pid, pid);
    return pid;
}

Instance member(const std::string& name, std::vector<int> forwards = {}) {
    Instance m;
    m.name = name;
    m.type = name.substr(0, name.find('.'));
    Lifecycle lc;
    lc.forward_signals = std::move(forwards);
    m.lifecycle = std::move(lc);
    return m;
}

// Starts every instance and returns the policy's answer to `signal`.
std::vector<Action> answer(const std::vector<Instance>& instances, int signal) {
    Policy policy(instances, 5000ms);
    const TimePoint now{};
    std::vector<Action> pending = policy.start(now);
    for (std::size_t guard = 0; guard < 100; ++guard) {
        const auto spawn = std::find_if(pending.begin(), pending.end(), [](const Action& a) {
            return std::holds_alternative<action::Spawn>(a);
        });
        if (spawn == pending.end())
            break;
        const std::size_t id = std::get<action::Spawn>(*spawn).process;
        pending = policy.handle(event::Started{id, 100 + static_cast<int>(id)}, now);
    }
    return policy.handle(event::SignalReceived{signal}, now);
}

std::vector<std::string> announced(const std::vector<Action>& actions) {
    std::vector<std::string> out;
    for (const auto& a : actions) {
        if (const auto* say = std::get_if<action::Announce>(&a))
            out.push_back(say->text);
    }
    return out;
}

template <class T>
const T* find_action(const std::vector<Action>& actions) {
    for (const auto& a : actions) {
        if (const auto* t = std::get_if<T>(&a))
            return t;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("signals: names and numbers, with or without SIG, any case", "[signals]") {
    CHECK(parse_signal("USR1") == SIGUSR1);
    CHECK(parse_signal("sigusr2") == SIGUSR2);
    CHECK(parse_signal("SIGHUP") == SIGHUP);
    CHECK(parse_signal("15") == SIGTERM);
    CHECK(parse_signal("64") == 64);
    for (const char* bad : {"", "0", "65", "SIG", "USR3", "-1", "1x", "99999999999999999999"})
        CHECK_FALSE(parse_signal(bad).has_value());
    CHECK(signal_name(SIGUSR1) == "SIGUSR1");
}

TEST_CASE("signals: procrun catches every signal that would end it but the faults", "[signals]") {
    const std::vector<int> caught = posix::supervisor_signals();
    auto has = [&](int sig) {
        return std::find(caught.begin(), caught.end(), sig) != caught.end();
    };
    for (int sig : {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,
                    SIGXCPU, SIGXFSZ, SIGPWR, SIGIO, SIGWINCH, SIGTSTP, SIGCONT})
        CHECK(has(sig));
    CHECK(has(SIGRTMIN));
    CHECK(has(SIGRTMAX));
    for (int sig : {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGCHLD, SIGPIPE,
                    SIGTTIN, SIGTTOU})
        CHECK_FALSE(has(sig));
    const std::vector<int> run = posix::foreground_signals();
    CHECK(std::find(run.begin(), run.end(), SIGTSTP) == run.end());
    CHECK(std::find(run.begin(), run.end(), SIGALRM) != run.end());
}

TEST_CASE("policy: a signal goes only to the types that forward it", "[signals]") {
    const auto actions = answer(
        {member("web.1", {SIGUSR1}), member("web.2", {SIGUSR1}), member("worker.1")}, SIGUSR1);
    const auto* fwd = find_action<action::ForwardSignal>(actions);
    REQUIRE(fwd != nullptr);
    CHECK(fwd->signal == SIGUSR1);
    CHECK(fwd->processes == std::vector<std::size_t>{0, 1});
    CHECK(announced(actions) == std::vector<std::string>{"forwarding SIGUSR1 to web.1, web.2"});
    CHECK(find_action<action::SignalGroups>(actions) == nullptr);
}

TEST_CASE("policy: SIGUSR1 and SIGUSR2 that no type forwards go nowhere, with a line",
          "[signals]") {
    const int sig = GENERATE(SIGUSR1, SIGUSR2);
    const auto actions = answer({member("web.1"), member("worker.1", {SIGHUP})}, sig);
    CHECK(find_action<action::ForwardSignal>(actions) == nullptr);
    CHECK(find_action<action::SignalGroups>(actions) == nullptr);
    const std::string word = sig == SIGUSR1 ? "USR1" : "USR2";
    CHECK(announced(actions) ==
          std::vector<std::string>{
              "received SIG" + word + "; no process type forwards it (set `forward_signals: [" +
              word + "]` for a type in .procrun.yaml, or use `procrun signal " + word + " NAME`)"});
}

TEST_CASE("policy: SIGHUP stops everything unless a type forwards it", "[signals]") {
    const auto stops = answer({member("web.1")}, SIGHUP);
    CHECK(announced(stops).front() == "received SIGHUP");
    REQUIRE(find_action<action::SignalGroups>(stops) != nullptr);
    CHECK(find_action<action::SignalGroups>(stops)->signal == SIGTERM);

    const auto forwarded = answer({member("web.1", {SIGHUP}), member("db.1")}, SIGHUP);
    CHECK(find_action<action::SignalGroups>(forwarded) == nullptr);
    REQUIRE(find_action<action::ForwardSignal>(forwarded) != nullptr);
    CHECK(find_action<action::ForwardSignal>(forwarded)->processes == std::vector<std::size_t>{0});
}

TEST_CASE("policy: SIGALRM and the other signals that would end procrun stop it gracefully",
          "[signals]") {
    const int sig = GENERATE(SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR, SIGQUIT);
    const auto actions = answer({member("web.1")}, sig);
    CHECK(announced(actions).front() == "received " + signal_name(sig));
    const auto* stop = find_action<action::SignalGroups>(actions);
    REQUIRE(stop != nullptr);
    CHECK(stop->signal == SIGTERM);
}

TEST_CASE("policy: SIGWINCH that no type forwards is ignored", "[signals]") {
    CHECK(answer({member("web.1")}, SIGWINCH).empty());
    const auto forwarded = answer({member("web.1", {SIGWINCH})}, SIGWINCH);
    CHECK(find_action<action::ForwardSignal>(forwarded) != nullptr);
}

TEST_CASE("control: the signal request round-trips and is checked", "[signals][control]") {
    ControlRequest request;
    request.command = ControlCommand::signal;
    request.signal = SIGUSR2;
    request.targets = {"web.1"};
    const std::string line = encode_request(request);
    CHECK(line == "{\"command\":\"signal\",\"targets\":[\"web.1\"],\"signal\":12}\n");
    const auto decoded = decode_request(line.substr(0, line.size() - 1));
    REQUIRE(decoded.ok());
    CHECK(*decoded.value == request);

    CHECK(decode_request(R"({"command":"signal","targets":["web"]})").error ==
          "\"signal\" needs \"signal\": a signal number");
    CHECK(decode_request(R"({"command":"signal","signal":10})").error ==
          "\"signal\" needs \"targets\": the processes to signal");
    CHECK(decode_request(R"({"command":"signal","signal":0,"targets":["web"]})").error ==
          "\"signal\" must be a signal number from 1 to 64, not 0");
    CHECK(decode_request(R"({"command":"signal","signal":"USR1","targets":["web"]})").error ==
          "\"signal\" must be a signal number from 1 to 64, not a string");
    CHECK(decode_request(R"({"command":"stop","signal":10})").error ==
          "\"stop\" takes no \"signal\"");

    ControlReply reply;
    InstanceStatus st;
    st.name = "web.1";
    st.signalled = {42, 43};
    reply.instances.push_back(st);
    const std::string encoded = encode_reply(reply);
    CHECK(encoded.find("\"signalled\":[42,43]") != std::string::npos);
    const auto back = decode_reply(encoded.substr(0, encoded.size() - 1));
    REQUIRE(back.ok());
    CHECK(*back.value == reply);
}

TEST_CASE("job control: suspend_group stops a group, SIGSTOP for one that ignores SIGTSTP",
          "[signals][process]") {
    const bool ignore = GENERATE(false, true);
    const pid_t pid = fork_paused(ignore);
    CHECK(wait_state(pid, 'S'));
    CHECK(posix::suspend_group(pid) == 1);
    CHECK(wait_state(pid, 'T'));
    ::kill(-pid, SIGCONT);
    CHECK(wait_state(pid, 'S'));
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

TEST_CASE("reaper: a watched child that is stopped and continued is reported, then its exit",
          "[signals][reaper][process]") {
    boost::asio::io_context io;
    posix::Reaper reaper(io);
    const pid_t pid = fork_paused(false);
    std::vector<int> changes;
    int exit_status = -1;
    reaper.watch(pid, [&](int status) { exit_status = status; });
    reaper.on_stopped([&](pid_t who, int sig) {
        if (who == pid)
            changes.push_back(sig);
    });
    auto run_until = [&](const std::function<bool()>& done) {
        const auto end = std::chrono::steady_clock::now() + 5s;
        io.restart();
        while (!done() && std::chrono::steady_clock::now() < end)
            io.run_for(10ms);
        return done();
    };
    ::kill(pid, SIGTTIN);
    REQUIRE(run_until([&] { return changes.size() == 1; }));
    CHECK(changes[0] == SIGTTIN);
    CHECK(reaper.stop_signal(pid) == SIGTTIN);
    CHECK(reaper.watching(pid));
    ::kill(pid, SIGCONT);
    REQUIRE(run_until([&] { return changes.size() == 2; }));
    CHECK(changes[1] == 0);
    CHECK(reaper.stop_signal(pid) == 0);
    ::kill(pid, SIGTERM);
    REQUIRE(run_until([&] { return exit_status != -1; }));
    CHECK(WIFSIGNALED(exit_status));
    CHECK(reaper.orphans_reaped() == 0);
}

TEST_CASE("job control: a child stopped by the terminal is announced, other stops are not",
          "[signals]") {
    std::vector<std::string> lines;
    JobControl job({[] { return std::vector<pid_t>{}; },
                    [&](const std::string& text) { lines.push_back(text); }, [] {}});
    job.on_child_stopped("web.1", SIGTSTP);
    job.on_child_stopped("web.1", SIGSTOP);
    job.on_child_stopped("web.1", 0);
    CHECK(lines.empty());
    job.on_child_stopped("web.1", SIGTTIN);
    job.on_child_stopped("worker.2", SIGTTOU);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].rfind("web.1 is stopped: it tried to read from the terminal (SIGTTIN)", 0) == 0);
    CHECK(lines[0].find("`procrun run web`") != std::string::npos);
    CHECK(lines[0].find("`procrun restart web.1` starts it again") != std::string::npos);
    CHECK(lines[1].rfind("worker.2 is stopped: it tried to change the terminal's settings "
                         "(SIGTTOU)",
                         0) == 0);
    CHECK(stopped_state(SIGTTIN) == "stopped(SIGTTIN)");
    // A SIGCONT procrun did not cause changes nothing.
    CHECK(job.on_signal(SIGCONT));
    CHECK(lines.size() == 2);
    CHECK_FALSE(job.on_signal(SIGUSR1));
}

TEST_CASE("job control: the terminal is given back its attributes and cursor", "[signals]") {
    CHECK(terminal_restore_sequence() == "\x1b[0m\x1b[?25h");
}
