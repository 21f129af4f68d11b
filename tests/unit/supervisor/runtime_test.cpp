// The runtime of `procrun start` replayed against a fake launcher, a fake sink
// and a fake clock: output and back-pressure, escaped processes, control
// requests and restarts, without a process, pipe or timer.

#include <signal.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "supervisor/control_adapter.hpp"
#include "supervisor/log_service.hpp"
#include "supervisor/output_memory.hpp"
#include "supervisor/runtime.hpp"
#include "two_types.hpp"

using namespace procrun;
using namespace std::chrono_literals;

namespace {

class FakeSink : public Sink {
  public:
    std::vector<std::string> lines;    // "web.1|text", "system|text"
    std::vector<std::string> reports;  // stderr
    std::size_t unwritten = 0;         // what a slow reader has not taken yet
    bool broken = false;
    int flushes = 0;
    const Plan* plan = nullptr;
    std::vector<std::string> added;  // instances that joined while it runs

    void add_source(std::size_t /*id*/, const Instance& instance) override {
        added.push_back(instance.name);
    }
    void stamp() override {}
    void line(std::size_t source, std::string_view text, bool continued) override {
        const std::size_t planned = plan->instances.size();
        const std::string& name =
            source < planned ? plan->instances[source].name : added[source - planned];
        lines.push_back(name + (continued ? "+" : "|") + std::string(text));
    }
    void system(std::string_view text) override { lines.push_back("system|" + std::string(text)); }
    void report(std::string_view text) override { reports.emplace_back(text); }
    void flush() override { ++flushes; }
    [[nodiscard]] std::size_t pending() const override { return unwritten; }
    [[nodiscard]] bool failed() const override { return broken; }

    [[nodiscard]] bool has(const std::string& line) const {
        for (const auto& l : lines) {
            if (l == line)
                return true;
        }
        return false;
    }
};

class FakeLauncher : public Launcher {
  public:
    std::vector<std::size_t> spawns;  // spawn() calls not answered yet
    std::vector<std::string> calls;   // everything else, in order
    std::vector<EscapedProcess> escapees;
    std::set<std::size_t> reading;  // instances whose output is read
    std::set<std::size_t> paused;   // stopped by back-pressure
    TimePoint clock{};
    std::optional<TimePoint> armed;
    int resumes = 0;
    std::map<std::size_t, int> pids;            // started instances' pids
    std::map<std::size_t, int> stopped;         // instances stopped by a signal
    std::map<std::size_t, std::string> inputs;  // what write_input() gave each
    std::set<std::size_t> waiting;              // instances blocked reading stdin
    std::optional<TimePoint> prompt_armed;
    std::map<std::size_t, OutputActivity> activity;  // idle unless set

    LauncherEvents& events() { return *events_; }

    // Carries out the oldest spawn() as a successful start.
    void start_next(int pid) {
        REQUIRE_FALSE(spawns.empty());
        const std::size_t id = spawns.front();
        spawns.erase(spawns.begin());
        reading.insert(id);
        pids[id] = pid;
        events_->started(id, pid);
    }
    // The child writes: delivered if output is accepted, else held back.
    bool write(std::size_t id, std::string_view bytes) {
        if (!events_->accepting_output()) {
            paused.insert(id);
            return false;
        }
        events_->output(id, bytes);
        return true;
    }
    void advance(std::chrono::milliseconds d) {
        clock += d;
        if (armed && clock >= *armed) {
            armed.reset();
            events_->deadline();
        }
        if (prompt_armed && clock >= *prompt_armed) {
            prompt_armed.reset();
            events_->prompt_timer();
        }
    }

    void add_instance(std::size_t id, const Instance& instance) override {
        calls.push_back("add " + std::to_string(id) + " " + instance.name);
    }
    void spawn(std::size_t id) override { spawns.push_back(id); }
    void cancel_spawn(std::size_t id) override {
        calls.push_back("cancel spawn " + std::to_string(id));
        std::erase(spawns, id);
    }
    int signal_group(std::size_t id, int signal) override {
        calls.push_back("signal " + std::to_string(signal) + " " + std::to_string(id));
        return 0;
    }
    void forward_signal(std::size_t id, int signal) override {
        calls.push_back("forward " + std::to_string(signal) + " " + std::to_string(id));
    }
    void signal_process(int pid, int signal) override {
        calls.push_back("kill " + std::to_string(signal) + " " + std::to_string(pid));
    }
    std::vector<int> signal_instance(std::size_t id, int signal) override {
        calls.push_back("signal instance " + std::to_string(signal) + " " + std::to_string(id));
        auto it = pids.find(id);
        return it == pids.end() ? std::vector<int>{} : std::vector<int>{it->second};
    }
    [[nodiscard]] int stopped_by(std::size_t id) const override {
        auto it = stopped.find(id);
        return it == stopped.end() ? 0 : it->second;
    }
    void find_escapees() override {
        calls.emplace_back("find escapees");
        events_->escaped(escapees, true);
    }
    bool start_probe(std::size_t id) override {
        calls.push_back("probe " + std::to_string(id));
        return true;
    }
    void cancel_probe(std::size_t id) override {
        calls.push_back("cancel probe " + std::to_string(id));
    }
    void probe_line(std::size_t id, std::string_view line) override {
        calls.push_back("probe line " + std::to_string(id) + " " + std::string(line));
    }
    void resume_output() override {
        ++resumes;
        paused.clear();
    }
    bool write_input(std::size_t id, std::string_view bytes) override {
        if (pids.count(id) == 0)
            return false;
        inputs[id] += bytes;
        return true;
    }
    void end_input(std::size_t id) override { calls.push_back("end input " + std::to_string(id)); }
    [[nodiscard]] bool waiting_for_input(std::size_t id) override { return waiting.count(id) != 0; }
    void arm_prompt_timer(TimePoint at) override { prompt_armed = at; }
    [[nodiscard]] OutputActivity output_activity(std::size_t id) override {
        auto it = activity.find(id);
        return it == activity.end() ? OutputActivity::idle : it->second;
    }
    void resize(std::size_t id, unsigned short rows, unsigned short cols) override {
        calls.push_back("resize " + std::to_string(id) + " " + std::to_string(rows) + "x" +
                        std::to_string(cols));
    }
    [[nodiscard]] TimePoint now() const override { return clock; }
    void arm_deadline(TimePoint at) override { armed = at; }
    void cancel_deadline() override { armed.reset(); }
    void kill_all() override { calls.emplace_back("kill all"); }
    void run_stop_command(std::size_t id) override {
        calls.push_back("stop command " + std::to_string(id));
    }
    void start_liveness(std::size_t id) override {
        calls.push_back("liveness " + std::to_string(id));
    }
    void cancel_liveness(std::size_t id) override {
        calls.push_back("cancel liveness " + std::to_string(id));
    }

    [[nodiscard]] bool called(const std::string& call) const {
        for (const auto& c : calls) {
            if (c == call)
                return true;
        }
        return false;
    }
};

Plan plan_of(std::initializer_list<std::pair<const char*, Lifecycle>> instances) {
    Plan plan;
    plan.timeout = std::chrono::seconds(3);
    for (const auto& [name, lc] : instances) {
        Instance inst;
        inst.name = name;
        inst.type = std::string(name).substr(0, std::string(name).rfind('.'));
        inst.lifecycle = lc;
        plan.instances.push_back(inst);
    }
    return plan;
}

struct Fixture {
    explicit Fixture(Plan p) : plan(std::move(p)), runtime(plan, launcher, sink) {
        sink.plan = &plan;
    }
    // Starts everything: each spawn() is answered in turn.
    void start_all() {
        runtime.start();
        int pid = 100;
        while (!launcher.spawns.empty())
            launcher.start_next(pid++);
    }
    Plan plan;
    FakeSink sink;
    FakeLauncher launcher;
    Runtime runtime;
};

Lifecycle plain() {
    return {};
}

}  // namespace

TEST_CASE("runtime: spawns one at a time, each after the previous one started", "[runtime]") {
    Fixture f(plan_of({{"web.1", plain()}, {"web.2", plain()}}));
    f.runtime.start();
    CHECK(f.launcher.spawns == std::vector<std::size_t>{0});
    f.launcher.start_next(100);
    CHECK(f.launcher.spawns == std::vector<std::size_t>{1});
    f.launcher.start_next(101);
    CHECK(f.sink.has("system|web.1 started with pid 100"));
    CHECK(f.sink.has("system|web.2 started with pid 101"));
    CHECK_FALSE(f.runtime.finished());
}

TEST_CASE("runtime: a SIGINT during a start cancels the pending spawn and stops, once",
          "[runtime]") {
    Fixture f(plan_of({{"a.1", plain()}, {"b.1", plain()}, {"c.1", plain()}}));
    f.runtime.start();
    f.launcher.start_next(100);
    REQUIRE(f.launcher.spawns == std::vector<std::size_t>{1});
    f.launcher.events().signal(SIGINT);
    CHECK(f.launcher.spawns.empty());
    CHECK(f.launcher.called("cancel spawn 1"));
    CHECK(f.launcher.called("signal 15 0"));
    CHECK_FALSE(f.launcher.called("signal 9 0"));
    f.launcher.events().exited(0, ExitStatus::killed(SIGTERM), true);
    CHECK(f.runtime.exit_code() == 130);
    CHECK_FALSE(f.launcher.called("signal 9 0"));
}

TEST_CASE("runtime: output becomes lines under the instance's name, the last one at the end",
          "[runtime]") {
    Lifecycle pty;
    pty.pty = true;
    Fixture f(plan_of({{"web.1", plain()}, {"tty.1", pty}}));
    f.start_all();
    f.launcher.write(0, "one\ntw");
    f.launcher.write(0, "o\nthree");
    f.launcher.write(1, "x\r\n");
    f.launcher.events().output_end(0);
    CHECK(f.sink.has("web.1|one"));
    CHECK(f.sink.has("web.1|two"));
    CHECK(f.sink.has("web.1|three"));
    CHECK(f.sink.has("tty.1|x"));  // the terminal's \r is removed
}

TEST_CASE(
    "runtime: back-pressure stops reading past the high-water mark and resumes below the "
    "low one",
    "[runtime]") {
    Fixture f(plan_of({{"fast.1", plain()}, {"slow.1", plain()}}));
    f.start_all();
    CHECK(f.launcher.write(0, "a\n"));
    f.sink.unwritten = kHighWater;  // the reader is slow
    CHECK_FALSE(f.launcher.write(0, "b\n"));
    CHECK_FALSE(f.launcher.write(1, "c\n"));
    CHECK(f.launcher.paused.size() == 2);
    f.sink.unwritten = kLowWater + 1;
    f.runtime.output_progressed();
    CHECK(f.launcher.resumes == 0);  // not drained enough yet
    f.sink.unwritten = kLowWater;
    f.runtime.output_progressed();
    CHECK(f.launcher.resumes == 1);
    CHECK(f.launcher.write(0, "b\n"));
    f.runtime.output_progressed();
    CHECK(f.launcher.resumes == 1);  // nothing was paused since
}

TEST_CASE("runtime: a failed output is reported on stderr and stops everything with 141",
          "[runtime]") {
    Fixture f(plan_of({{"web.1", plain()}}));
    f.start_all();
    f.sink.broken = true;
    f.runtime.output_failed(EPIPE);
    REQUIRE(f.sink.reports.size() == 1);
    CHECK(f.sink.reports[0] ==
          "cannot write to standard output: Broken pipe; stopping all processes");
    CHECK(f.launcher.write(0, "still read\n"));  // a failed output never blocks reading
    f.launcher.events().exited(0, ExitStatus::killed(SIGTERM), true);
    CHECK(f.runtime.exit_code() == kExitOutputClosed);
}

TEST_CASE("runtime: a log probe gets the output lines until it has decided", "[runtime]") {
    Lifecycle db;
    db.readiness.kind = ProbeKind::log;
    Fixture f(plan_of({{"db.1", db}}));
    f.start_all();
    CHECK(f.launcher.called("probe 0"));
    f.launcher.write(0, "booting\n");
    CHECK(f.launcher.called("probe line 0 booting"));
    f.launcher.events().probe_result(0, true, "");
    CHECK(f.sink.has("system|db.1 is ready"));
    f.launcher.calls.clear();
    f.launcher.write(0, "serving\n");
    CHECK(f.launcher.calls.empty());
}

TEST_CASE("runtime: restarts wait for the policy's deadline on the launcher's timer", "[runtime]") {
    Lifecycle worker;
    worker.restart = RestartPolicy::always;
    worker.backoff = Backoff{1000ms, 8000ms, 2.0, 10000ms};
    Fixture f(plan_of({{"worker.1", worker}}));
    f.start_all();
    f.launcher.events().exited(0, ExitStatus::exited(1), true);
    CHECK(f.sink.has("system|worker.1 restarts in 1s (restart 1)"));
    REQUIRE(f.launcher.armed == f.launcher.clock + 1000ms);
    CHECK(f.launcher.spawns.empty());
    f.launcher.advance(1000ms);
    CHECK(f.launcher.spawns == std::vector<std::size_t>{0});
    f.launcher.start_next(200);
    CHECK(f.sink.has("system|worker.1 started with pid 200"));
}

TEST_CASE("runtime: a process found outside its group is announced and stopped last",
          "[runtime][escapees]") {
    Fixture f(plan_of({{"redis.1", plain()}}));
    f.start_all();
    const EscapedProcess daemon{4321, 4321, "redis-server *:6379"};
    f.launcher.events().escaped({daemon}, false);
    CHECK(f.sink.has("system|pid 4321 (redis-server *:6379) left its process group"));
    f.launcher.escapees = {daemon};
    f.launcher.events().signal(SIGTERM);
    f.launcher.events().exited(0, ExitStatus::killed(SIGTERM), true);
    CHECK(f.launcher.called("find escapees"));
    CHECK(f.launcher.called("kill 15 4321"));
    CHECK_FALSE(f.runtime.finished());
    REQUIRE(f.launcher.armed == f.launcher.clock + 3000ms);
    f.launcher.events().escapee_gone(4321);
    CHECK(f.runtime.exit_code() == 143);
    CHECK_FALSE(f.launcher.called("kill 9 4321"));
}

TEST_CASE("runtime: control requests go through the adapter", "[runtime][control]") {
    Fixture f(plan_of({{"web.1", plain()}, {"web.2", plain()}, {"worker.1", plain()}}));
    OutputMemory memory;
    LogService logs(f.runtime.instances(), memory);
    ControlAdapter control(f.plan, f.runtime, f.launcher, logs);
    f.start_all();
    f.launcher.clock += 1500ms;

    const ControlReply status = control.handle(ControlRequest{ControlCommand::status, {}});
    REQUIRE(status.ok);
    REQUIRE(status.instances.size() == 3);
    CHECK(status.instances[1].name == "web.2");
    CHECK(status.instances[1].state == "running");
    CHECK(status.instances[1].pid == 101);
    CHECK(status.instances[1].uptime_ms == 1500);

    const ControlReply unknown = control.handle(ControlRequest{ControlCommand::stop, {"db"}});
    CHECK_FALSE(unknown.ok);

    const ControlReply stop = control.handle(ControlRequest{ControlCommand::stop, {"web.2"}});
    REQUIRE(stop.ok);
    CHECK(f.launcher.called("signal 15 1"));
    CHECK(stop.instances.at(0).state == "stopping");
    f.launcher.events().exited(1, ExitStatus::killed(SIGTERM), true);
    CHECK(f.runtime.policy().status(1).state == "stopped");

    const ControlReply start = control.handle(ControlRequest{ControlCommand::start, {"web"}});
    REQUIRE(start.ok);
    CHECK(f.launcher.spawns == std::vector<std::size_t>{1});
    f.launcher.start_next(300);

    const ControlReply kill = control.handle(ControlRequest{ControlCommand::kill, {}});
    REQUIRE(kill.ok);
    CHECK(f.sink.has("system|stopping everything (procrun kill)"));
    const ControlReply late = control.handle(ControlRequest{ControlCommand::restart, {}});
    CHECK_FALSE(late.ok);
    CHECK(late.error == "procrun is stopping");
    for (std::size_t i = 0; i < 3; ++i)
        f.launcher.events().exited(i, ExitStatus::killed(SIGTERM), true);
    CHECK(f.runtime.exit_code() == 0);
}

TEST_CASE("runtime: a SIGINT after the end only gives up the last output", "[runtime]") {
    Fixture f(plan_of({{"once.1", plain()}}));
    f.start_all();
    f.launcher.events().exited(0, ExitStatus::exited(0), true);
    REQUIRE(f.runtime.exit_code() == 0);
    CHECK_FALSE(f.runtime.abandoned());
    f.launcher.events().signal(SIGINT);
    CHECK(f.runtime.abandoned());
    CHECK(f.runtime.exit_code() == 0);
}

TEST_CASE("runtime: the signal request goes to the launcher, a stopped process shows as stopped",
          "[runtime][control][signals]") {
    Fixture f(plan_of({{"web.1", plain()}, {"web.2", plain()}, {"worker.1", plain()}}));
    OutputMemory memory;
    LogService logs(f.runtime.instances(), memory);
    ControlAdapter control(f.plan, f.runtime, f.launcher, logs);
    f.start_all();

    ControlRequest request{ControlCommand::signal, {"web.2"}};
    request.signal = SIGUSR2;
    const ControlReply sent = control.handle(request);
    REQUIRE(sent.ok);
    CHECK(f.launcher.called("signal instance " + std::to_string(SIGUSR2) + " 1"));
    CHECK_FALSE(f.launcher.called("signal instance " + std::to_string(SIGUSR2) + " 0"));
    REQUIRE(sent.instances.size() == 1);
    CHECK(sent.instances[0].name == "web.2");
    CHECK(sent.instances[0].signalled == std::vector<int>{101});
    CHECK_FALSE(f.runtime.finished());

    f.launcher.pids.erase(2);
    request.targets = {"worker"};
    const ControlReply none = control.handle(request);
    CHECK_FALSE(none.ok);
    CHECK(none.error == "no process got SIGUSR2: worker.1 has no running process");

    f.launcher.stopped[0] = SIGTTIN;
    const ControlReply status = control.handle(ControlRequest{ControlCommand::status, {}});
    REQUIRE(status.instances.size() == 3);
    CHECK(status.instances[0].state == "stopped(SIGTTIN)");
    CHECK(status.instances[1].state == "running");
}

// ---- prompts: partial lines shown after kPromptDelay, the waiting hint ----------

TEST_CASE("runtime: a partial line is shown once it has waited, the rest of its line continues it",
          "[runtime][prompts]") {
    Fixture f(plan_of({{"web.1", plain()}, {"worker.1", plain()}}));
    f.start_all();
    f.launcher.write(0, "line\n(Pdb) ");
    CHECK(f.sink.has("web.1|line"));
    CHECK_FALSE(f.sink.has("web.1|(Pdb) "));
    REQUIRE(f.launcher.prompt_armed.has_value());
    CHECK(*f.launcher.prompt_armed == f.launcher.clock + kPromptDelay);
    f.launcher.advance(kPromptDelay - 1ms);
    CHECK_FALSE(f.sink.has("web.1|(Pdb) "));
    f.launcher.advance(1ms);
    CHECK(f.sink.has("web.1|(Pdb) "));
    CHECK_FALSE(f.launcher.prompt_armed.has_value());  // nothing waits: no timer
    f.launcher.write(0, "42\nnext\n");
    CHECK(f.sink.has("web.1+42"));
    CHECK(f.sink.has("web.1|next"));
    // Not waiting for input (the fake says): no hint.
    for (const auto& l : f.sink.lines)
        CHECK(l.find("waiting for input") == std::string::npos);
}

TEST_CASE("runtime: a line written in pieces within the delay is one line, one timer for all",
          "[runtime][prompts]") {
    Fixture f(plan_of({{"a.1", plain()}, {"b.1", plain()}}));
    f.start_all();
    f.launcher.write(0, "hel");
    const auto first = f.launcher.prompt_armed;
    REQUIRE(first.has_value());
    f.launcher.advance(50ms);
    f.launcher.write(1, "wor");
    CHECK(f.launcher.prompt_armed == first);  // not re-armed per write
    f.launcher.write(0, "lo\n");
    f.launcher.advance(100ms);  // a's partial ended: nothing to show yet
    CHECK(f.sink.has("a.1|hello"));
    CHECK_FALSE(f.sink.has("b.1|wor"));
    REQUIRE(f.launcher.prompt_armed.has_value());  // b's still waits
    f.launcher.advance(50ms);
    CHECK(f.sink.has("b.1|wor"));
    f.launcher.write(1, "ld\n");
    CHECK(f.sink.has("b.1+ld"));
}

TEST_CASE("runtime: an instance found waiting for input after its prompt gets the hint once",
          "[runtime][prompts]") {
    Fixture f(plan_of({{"web.1", plain()}, {"worker.1", plain()}}));
    f.start_all();
    f.launcher.waiting.insert(0);
    f.launcher.write(0, "Password: ");
    f.launcher.advance(kPromptDelay);
    CHECK(f.sink.has("web.1|Password: "));
    CHECK(f.sink.has("system|web.1 is waiting for input: procrun connect web.1"));
    std::size_t hints = 0;
    for (const auto& l : f.sink.lines)
        hints += l.find("waiting for input") != std::string::npos ? 1 : 0;
    CHECK(hints == 1);
    // The focused instance (start --interactive) is told nothing: it is typed to.
    f.runtime.set_focus(0);
    f.launcher.write(0, "\nPassword: ");
    f.launcher.advance(kPromptDelay);
    hints = 0;
    for (const auto& l : f.sink.lines)
        hints += l.find("waiting for input") != std::string::npos ? 1 : 0;
    CHECK(hints == 1);
}

TEST_CASE("runtime: a partial line at the end of the output is printed once",
          "[runtime][prompts]") {
    Fixture f(plan_of({{"web.1", plain()}}));
    f.start_all();
    f.launcher.write(0, "bye");
    f.launcher.events().output_end(0);
    f.launcher.advance(kPromptDelay * 2);
    std::size_t n = 0;
    for (const auto& l : f.sink.lines)
        n += l == "web.1|bye" ? 1 : 0;
    CHECK(n == 1);
}

TEST_CASE("runtime: a partial line waits from when it began, never torn from a busy stream",
          "[runtime][prompts]") {
    Fixture f(plan_of({{"web.1", plain()}}));
    f.start_all();
    f.launcher.write(0, "one\ntw");
    f.launcher.advance(100ms);
    f.launcher.write(0, "o\nthr");  // "two" ended; "thr" began now
    f.launcher.advance(60ms);       // the timer fires for the old wait: not due
    CHECK_FALSE(f.sink.has("web.1|thr"));
    REQUIRE(f.launcher.prompt_armed.has_value());
    // Bytes of it are still unread, or reading is paused: it waits on.
    f.launcher.activity[0] = OutputActivity::unread;
    f.launcher.advance(kPromptDelay * 4);
    CHECK_FALSE(f.sink.has("web.1|thr"));
    // Its process runs (on a CPU): it waits up to kPromptPatience since it began.
    f.launcher.activity[0] = OutputActivity::running;
    f.launcher.advance(kPromptDelay);
    CHECK_FALSE(f.sink.has("web.1|thr"));
    f.launcher.advance(kPromptPatience);
    CHECK(f.sink.has("web.1|thr"));
    f.launcher.write(0, "ee\n");
    CHECK(f.sink.has("web.1+ee"));
    CHECK(f.sink.has("web.1|two"));
}

TEST_CASE("runtime: instances join while it runs, in the policy, the launcher and the sink at once",
          "[runtime][scale]") {
    Plan plan = plan_of({{"web.1", plain()}});
    plan.base_port = 5000;
    plan.types = procrun::test::web_and_worker_types();
    plan.types[1].selected = false;  // worker: not named on the command line
    Fixture f(std::move(plan));
    // The type not selected is part of the run at once, not started.
    CHECK(f.launcher.called("add 1 worker.1"));
    CHECK(f.sink.added == std::vector<std::string>{"worker.1"});
    CHECK(f.runtime.policy().size() == 2);
    f.start_all();
    CHECK(f.launcher.pids.count(1) == 0);
    CHECK(f.runtime.policy().status(1).state == "stopped");

    const std::size_t id = f.runtime.add_instance(f.plan.types[0], 2);
    CHECK(id == 2);
    CHECK(f.runtime.instances()[2].name == "web.2");
    CHECK(f.runtime.instances()[2].port == 5001);
    CHECK(f.launcher.called("add 2 web.2"));
    f.runtime.feed(event::Scale{"web", 2});
    REQUIRE(f.launcher.spawns == std::vector<std::size_t>{2});
    f.launcher.start_next(300);
    CHECK(f.sink.has("system|web.2 started with pid 300"));
    f.launcher.events().output(2, "hello\n");
    CHECK(f.sink.has("web.2|hello"));

    f.runtime.feed(event::Control{event::ControlOp::start, {1}});
    REQUIRE(f.launcher.spawns == std::vector<std::size_t>{1});
    f.launcher.start_next(301);
    CHECK(f.runtime.instances()[1].port == 5100);
    CHECK(f.sink.has("system|worker.1 started with pid 301"));
}
