// The connect hub between a fake launcher and the real runtime and policy:
// what joined connections are sent, where their input goes, and when they end.

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "procrun/connect.hpp"
#include "supervisor/connect_hub.hpp"
#include "supervisor/runtime.hpp"

using namespace procrun;
using namespace std::chrono_literals;

namespace {

class QuietSink : public Sink {
  public:
    std::vector<std::string> lines;
    void stamp() override {}
    void line(std::size_t source, std::string_view text, bool) override {
        lines.push_back(std::to_string(source) + "|" + std::string(text));
    }
    void system(std::string_view) override {}
    void report(std::string_view) override {}
    void flush() override {}
    [[nodiscard]] std::size_t pending() const override { return 0; }
    [[nodiscard]] bool failed() const override { return false; }
};

class InputLauncher : public Launcher {
  public:
    std::vector<std::size_t> spawns;
    std::vector<std::string> inputs;   // "ID:bytes"
    std::vector<std::string> resizes;  // "ID:RxC"
    TimePoint clock{};
    std::optional<TimePoint> armed;

    LauncherEvents& events() { return *events_; }
    void start_next(int pid) {
        REQUIRE_FALSE(spawns.empty());
        const std::size_t id = spawns.front();
        spawns.erase(spawns.begin());
        events_->started(id, pid);
    }

    void spawn(std::size_t id) override { spawns.push_back(id); }
    void cancel_spawn(std::size_t) override {}
    int signal_group(std::size_t, int) override { return 0; }
    void forward_signal(std::size_t, int) override {}
    void signal_process(int, int) override {}
    std::vector<int> signal_instance(std::size_t, int) override { return {}; }
    [[nodiscard]] int stopped_by(std::size_t) const override { return 0; }
    void find_escapees() override { events_->escaped({}, true); }
    bool start_probe(std::size_t) override { return false; }
    void cancel_probe(std::size_t) override {}
    void probe_line(std::size_t, std::string_view) override {}
    void run_stop_command(std::size_t) override {}
    void start_liveness(std::size_t) override {}
    void cancel_liveness(std::size_t) override {}
    void resume_output() override {}
    [[nodiscard]] TimePoint now() const override { return clock; }
    void arm_deadline(TimePoint at) override { armed = at; }
    void cancel_deadline() override { armed.reset(); }
    void kill_all() override {}
    bool write_input(std::size_t id, std::string_view bytes) override {
        inputs.push_back(std::to_string(id) + ":" + std::string(bytes));
        return true;
    }
    void end_input(std::size_t) override {}
    [[nodiscard]] bool waiting_for_input(std::size_t) override { return false; }
    void arm_prompt_timer(TimePoint) override {}
    [[nodiscard]] OutputActivity output_activity(std::size_t) override {
        return OutputActivity::idle;
    }
    void resize(std::size_t id, unsigned short rows, unsigned short cols) override {
        resizes.push_back(std::to_string(id) + ":" + std::to_string(rows) + "x" +
                          std::to_string(cols));
    }
};

class FakeStream : public ControlStream {
  public:
    std::vector<ConnectEvent> events;
    bool ended = false;
    std::string end_reason;
    std::string end_message;
    std::function<void(std::string_view)> line_callback;
    std::function<void(std::string_view)> end_callback;

    bool send(std::string_view line) override {
        REQUIRE_FALSE(ended);
        const Decoded<ConnectEvent> e = decode_connect_event(line);
        REQUIRE(e.ok());
        events.push_back(*e.value);
        return true;
    }
    void end(std::string_view reason, std::string_view message) override {
        ended = true;
        end_reason = reason;
        end_message = message;
    }
    [[nodiscard]] bool open() const override { return !ended; }
    [[nodiscard]] std::size_t queued() const override { return 0; }
    void on_line(std::function<void(std::string_view)> callback) override {
        line_callback = std::move(callback);
    }
    void on_end(std::function<void(std::string_view)> callback) override {
        end_callback = std::move(callback);
    }

    [[nodiscard]] std::string output() const {
        std::string out;
        for (const auto& e : events) {
            if (e.kind == ConnectEvent::Kind::output)
                out += e.data;
        }
        return out;
    }
    [[nodiscard]] const ConnectEvent& last() const { return events.back(); }
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
    explicit Fixture(Plan p)
        : plan(std::move(p)), runtime(plan, launcher, sink), hub(runtime, launcher) {}
    void start_all() {
        runtime.start();
        int pid = 100;
        while (!launcher.spawns.empty())
            launcher.start_next(pid++);
    }
    std::uint64_t join(const std::string& name, const std::shared_ptr<FakeStream>& stream) {
        ControlRequest request{ControlCommand::connect, {name}};
        const ConnectHub::Admission a = hub.admit(request);
        REQUIRE(a.instance);
        return hub.join(*a.instance, stream);
    }
    Plan plan;
    QuietSink sink;
    InputLauncher launcher;
    Runtime runtime;
    ConnectHub hub;
};

std::string input_line(std::string bytes) {
    ConnectInput in;
    in.input = std::move(bytes);
    const std::string line = encode_connect_input(in);
    return line.substr(0, line.size() - 1);
}

std::string resize_line(std::uint16_t rows, std::uint16_t cols) {
    ConnectInput in;
    in.resize = ConnectWindow{rows, cols};
    const std::string line = encode_connect_input(in);
    return line.substr(0, line.size() - 1);
}

Lifecycle pty() {
    Lifecycle lc;
    lc.pty = true;
    return lc;
}

}  // namespace

TEST_CASE("connect hub: names, a type's first instance, refusals", "[connect]") {
    Fixture f(plan_of({{"web.1", {}}, {"web.2", {}}, {"worker.1", {}}}));
    f.start_all();
    const auto type = f.hub.admit(ControlRequest{ControlCommand::connect, {"web"}});
    CHECK(type.instance == std::optional<std::size_t>(0));
    CHECK(type.reply.ok);
    REQUIRE(type.reply.instances.size() == 1);
    CHECK(type.reply.instances[0].name == "web.1");
    CHECK(f.hub.admit(ControlRequest{ControlCommand::connect, {"web.2"}}).instance ==
          std::optional<std::size_t>(1));
    const auto unknown = f.hub.admit(ControlRequest{ControlCommand::connect, {"wbe"}});
    CHECK_FALSE(unknown.instance);
    CHECK(unknown.reply.error ==
          "unknown process 'wbe' (valid names: web, worker, web.1, web.2, worker.1)");
}

TEST_CASE("connect hub: output goes to the runtime and to the connections of that instance",
          "[connect]") {
    Fixture f(plan_of({{"web.1", {}}, {"worker.1", {}}}));
    f.start_all();
    f.launcher.events().output(0, "(Pdb) ");
    auto a = std::make_shared<FakeStream>();
    auto b = std::make_shared<FakeStream>();
    auto other = std::make_shared<FakeStream>();
    f.join("web.1", a);
    f.join("web.1", b);
    f.join("worker.1", other);
    REQUIRE(a->events.size() == 2);
    CHECK(a->events[0].kind == ConnectEvent::Kind::connected);
    CHECK(a->events[0].name == "web.1");
    CHECK(a->events[0].pid == 100);
    CHECK(a->events[0].state == "running");
    CHECK_FALSE(a->events[0].terminal);
    CHECK(a->output() == "(Pdb) ");  // the prompt waiting, shown again
    CHECK(other->events.size() == 1);
    f.launcher.events().output(0, "42\n\x1b[1m(Pdb) ");
    CHECK(a->output() == "(Pdb) 42\n\x1b[1m(Pdb) ");
    CHECK(b->output() == a->output());
    CHECK(other->output().empty());
    // The main stream gets it too.
    f.launcher.events().output(0, "\n");
    INFO(Catch::Detail::stringify(f.sink.lines));
    CHECK(std::any_of(f.sink.lines.begin(), f.sink.lines.end(), [](const std::string& l) {
        return l.rfind("0|", 0) == 0 && l.find("42") != std::string::npos;
    }));
}

TEST_CASE("connect hub: input from every connection, window sizes for a terminal only",
          "[connect]") {
    Fixture f(plan_of({{"repl.1", pty()}, {"web.1", {}}}));
    f.start_all();
    auto a = std::make_shared<FakeStream>();
    auto b = std::make_shared<FakeStream>();
    auto pipe = std::make_shared<FakeStream>();
    const auto ca = f.join("repl", a);
    f.join("repl.1", b);
    const auto cp = f.join("web.1", pipe);
    CHECK(a->events[0].terminal);
    a->line_callback(input_line("p 6*7\r"));
    b->line_callback(input_line(std::string("\x03\0", 2)));
    pipe->line_callback(input_line("line\n"));
    CHECK(f.launcher.inputs ==
          std::vector<std::string>{"0:p 6*7\r", std::string("0:\x03\0", 4), "1:line\n"});
    f.hub.received(ca, resize_line(40, 120));
    f.hub.received(cp, resize_line(40, 120));  // a pipe has no window
    CHECK(f.launcher.resizes == std::vector<std::string>{"0:40x120"});
    // A malformed message ends that connection only, saying why.
    b->line_callback("{\"input\":\"not base64!\"}");
    CHECK(b->ended);
    CHECK(b->end_reason == "invalid");
    CHECK(b->end_message == "bad connect message: \"input\" must be base64 bytes");
    CHECK_FALSE(a->ended);
    CHECK(f.hub.connections() == 2);
    // The client went away: the stream says so.
    a->end_callback("client");
    pipe->end_callback("client");
    CHECK(f.hub.connections() == 0);
    (void)ca;
    (void)cp;
}

TEST_CASE("connect hub: a restart keeps the connection and gets its window size again",
          "[connect]") {
    Lifecycle lc = pty();
    lc.restart = RestartPolicy::always;
    Fixture f(plan_of({{"repl.1", lc}}));
    f.start_all();
    auto a = std::make_shared<FakeStream>();
    const auto ca = f.join("repl.1", a);
    f.hub.received(ca, resize_line(33, 101));
    f.launcher.events().exited(0, ExitStatus::exited(1), true);
    REQUIRE(a->last().kind == ConnectEvent::Kind::exited);
    CHECK(a->last().text == "exited with code 1");
    CHECK(a->last().restarting);
    CHECK_FALSE(a->ended);
    REQUIRE(f.launcher.armed);
    f.launcher.clock = *f.launcher.armed;
    f.launcher.armed.reset();
    f.launcher.events().deadline();
    f.launcher.start_next(200);
    CHECK(a->last().kind == ConnectEvent::Kind::started);
    CHECK(a->last().pid == 200);
    CHECK(f.launcher.resizes == std::vector<std::string>{"0:33x101", "0:33x101"});
    CHECK_FALSE(a->ended);
}

TEST_CASE("connect hub: an instance that will not come back ends its connections", "[connect]") {
    Lifecycle can_die;
    can_die.can_die = true;
    Fixture f(plan_of({{"web.1", can_die}, {"worker.1", {}}}));
    f.start_all();
    auto a = std::make_shared<FakeStream>();
    auto other = std::make_shared<FakeStream>();
    f.join("web.1", a);
    f.join("worker.1", other);
    f.launcher.events().exited(0, ExitStatus::exited(3), true);
    const ConnectEvent& exited = a->last();
    CHECK(exited.kind == ConnectEvent::Kind::exited);
    CHECK(exited.text == "exited with code 3");
    CHECK_FALSE(exited.restarting);
    CHECK(a->ended);
    CHECK(a->end_reason == "ended");
    CHECK(a->end_message == "web.1 will not be started again (failed)");
    CHECK_FALSE(other->ended);
    CHECK(f.hub.connections() == 1);
    // Now it is refused.
    const auto refused = f.hub.admit(ControlRequest{ControlCommand::connect, {"web.1"}});
    CHECK_FALSE(refused.instance);
    CHECK(refused.reply.error ==
          "web.1 is not running (failed): nothing to connect to; `procrun start web.1` starts it "
          "again");
}

TEST_CASE("connect hub: a stream that outlives the hub calls nothing", "[connect]") {
    auto stream = std::make_shared<FakeStream>();
    {
        Fixture f(plan_of({{"web.1", {}}}));
        f.start_all();
        f.join("web.1", stream);
    }
    stream->line_callback("{\"input\":\"aGk=\"}");
    stream->end_callback("exiting");
    CHECK_FALSE(stream->ended);
}
