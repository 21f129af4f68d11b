// The output memory: rings bounded in lines and in bytes, the order across
// sources, long lines, growth with the instances; and the `logs` request it
// serves, over a fake connection.

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "procrun/control.hpp"
#include "supervisor/log_service.hpp"
#include "supervisor/output_memory.hpp"

using namespace procrun;

namespace {

std::vector<std::string> texts(const std::vector<RememberedLine>& lines) {
    std::vector<std::string> out;
    for (const auto& l : lines)
        out.emplace_back(l.text);
    return out;
}

// A stream that records what is sent, for LogService without a socket.
class RecordingStream final : public ControlStream {
  public:
    bool send(std::string_view line) override {
        if (!open_)
            return false;
        lines.emplace_back(line);
        return true;
    }
    void end(std::string_view reason, std::string_view) override {
        open_ = false;
        ended = std::string(reason);
    }
    [[nodiscard]] bool open() const override { return open_; }
    [[nodiscard]] std::size_t queued() const override { return 0; }
    void on_line(std::function<void(std::string_view)> callback) override {
        line_ = std::move(callback);
    }
    void on_end(std::function<void(std::string_view)> callback) override {
        end_ = std::move(callback);
    }
    // The client goes away.
    void leave() {
        open_ = false;
        if (end_)
            end_("client");
    }

    std::vector<std::string> lines;
    std::string ended;

  private:
    bool open_ = true;
    std::function<void(std::string_view)> line_;
    std::function<void(std::string_view)> end_;
};

class FakeConnection final : public ControlConnection {
  public:
    std::shared_ptr<ControlStream> keep_open() override {
        if (!stream)
            stream = std::make_shared<RecordingStream>();
        return stream;
    }
    std::shared_ptr<RecordingStream> stream;
};

Plan two_types() {
    Plan plan;
    for (const auto& [type, index, colour] : std::vector<std::tuple<std::string, int, int>>{
             {"web", 1, 0}, {"web", 2, 0}, {"worker", 1, 1}}) {
        Instance i;
        i.type = type;
        i.index = index;
        i.name = type + "." + std::to_string(index);
        i.colour = colour;
        plan.instances.push_back(i);
    }
    return plan;
}

}  // namespace

TEST_CASE("output memory: a ring keeps the last lines, in order", "[output_memory]") {
    OutputMemory memory(OutputMemoryLimits{3, 1024 * 1024});
    for (int i = 1; i <= 5; ++i)
        memory.add(0, "line " + std::to_string(i));
    CHECK(memory.lines(0) == 3);
    CHECK(texts(memory.last({0}, 10)) == std::vector<std::string>{"line 3", "line 4", "line 5"});
    CHECK(texts(memory.last({0}, 2)) == std::vector<std::string>{"line 4", "line 5"});
    CHECK(memory.last({0}, 0).empty());
    CHECK(memory.last({7}, 10).empty());  // no line yet
}

TEST_CASE("output memory: sources merge in the order their lines came", "[output_memory]") {
    OutputMemory memory;
    const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1000));
    memory.set_time(t0);
    memory.add(0, "web says a");
    memory.add(OutputMemory::kSystem, "worker.1 started");
    memory.add(2, "worker says b");
    memory.set_time(t0 + std::chrono::seconds(1));
    memory.add(0, "web says c", true);
    const std::vector<RememberedLine> all = memory.last({0, 2, OutputMemory::kSystem}, 10);
    CHECK(texts(all) == std::vector<std::string>{"web says a", "worker.1 started", "worker says b",
                                                 "web says c"});
    CHECK(all[1].source == OutputMemory::kSystem);
    CHECK(all[2].source == 2);
    CHECK(all[0].time == t0);
    CHECK(all[3].time == t0 + std::chrono::seconds(1));
    CHECK(all[3].continued);
    CHECK_FALSE(all[0].continued);
    // The last 2 of the sources together, not 2 of each.
    CHECK(texts(memory.last({0, 2}, 2)) == std::vector<std::string>{"worker says b", "web says c"});
    // A source named twice counts once.
    CHECK(memory.last({0, 0}, 10).size() == 2);
}

TEST_CASE("output memory: bounded in bytes, whatever the lines' sizes", "[output_memory]") {
    const std::size_t bound = 64 * 1024;
    OutputMemory memory(OutputMemoryLimits{1000000, bound});
    SECTION("many short lines") {
        for (int i = 0; i < 100000; ++i)
            memory.add(0, "a short line of text number " + std::to_string(i));
        CHECK(memory.bytes(0) <= bound);
        CHECK(memory.lines(0) > 100);
        CHECK(memory.last({0}, 1).at(0).text == "a short line of text number 99999");
    }
    SECTION("a line of 1 MiB") {
        memory.add(0, "before");
        const std::string huge(1024 * 1024, 'x');
        memory.add(0, huge);
        CHECK(memory.bytes(0) <= bound);
        const std::vector<RememberedLine> last = memory.last({0}, 1);
        REQUIRE(last.size() == 1);
        CHECK(last[0].truncated);
        CHECK(last[0].text.size() == bound / 8);
        CHECK(last[0].text == std::string(bound / 8, 'x'));
        memory.add(0, "after");
        CHECK(memory.last({0}, 1).at(0).text == "after");
        CHECK(memory.bytes(0) <= bound);
    }
    SECTION("lines of every size") {
        for (int i = 0; i < 5000; ++i)
            memory.add(0, std::string(static_cast<std::size_t>((i * 7919) % 9000), 'y'));
        CHECK(memory.bytes(0) <= bound);
        for (const RememberedLine& l : memory.last({0}, 1000000))
            CHECK(l.text.find_first_not_of('y') == std::string_view::npos);
    }
    // The default bound: 1 MiB per source, and 64 KiB lines (the longest the
    // output has) kept whole.
    OutputMemory defaults;
    const std::string line(64 * 1024, 'z');
    for (int i = 0; i < 100; ++i)
        defaults.add(1, line);
    CHECK(defaults.bytes(1) <= 1024 * 1024);
    CHECK(defaults.last({1}, 1).at(0).text.size() == line.size());
    CHECK_FALSE(defaults.last({1}, 1).at(0).truncated);
}

TEST_CASE("output memory: none kept with 0 lines, but lines still go to the listener",
          "[output_memory]") {
    OutputMemory memory(OutputMemoryLimits{0, 1024 * 1024});
    std::vector<std::string> heard;
    memory.on_line([&](const RememberedLine& l) { heard.emplace_back(l.text); });
    memory.add(0, "one");
    memory.add(OutputMemory::kSystem, "two");
    CHECK(memory.lines(0) == 0);
    CHECK(memory.bytes(0) == 0);
    CHECK(memory.last({0, OutputMemory::kSystem}, 10).empty());
    CHECK(heard == std::vector<std::string>{"one", "two"});
}

TEST_CASE("output memory: instances added later get their ring", "[output_memory]") {
    OutputMemory memory;
    memory.add(5000, "a late instance");
    CHECK(memory.lines(5000) == 1);
    CHECK(memory.lines(4999) == 0);
    CHECK(memory.bytes(4999) == 0);  // rings are made on first line only
}

TEST_CASE("logs request: the last lines as JSON, then the stream ends", "[output_memory][logs]") {
    const Plan plan = two_types();
    OutputMemory memory;
    const InstanceTable instances(plan);
    LogService service(instances, memory);
    memory.set_time(std::chrono::system_clock::time_point(std::chrono::milliseconds(1500)));
    memory.add(OutputMemory::kSystem, "web.1 started with pid 10");
    memory.add(0, "web.1 \"hello\"");
    memory.add(1, "web.2 hello");
    memory.add(2, "worker one");
    memory.add(2, "worker two");

    SECTION("everything: the last N in time order, procrun's own lines included") {
        FakeConnection connection;
        ControlRequest request{ControlCommand::logs, {}};
        request.lines = 4;
        const ControlReply reply = service.serve(request, connection);
        REQUIRE(reply.ok);
        CHECK(reply.sources.size() == 4);
        CHECK(reply.sources[0] == LogSource{"system", -1});
        CHECK(reply.sources[3] == LogSource{"worker.1", 1});
        REQUIRE(connection.stream);
        CHECK(
            connection.stream->lines ==
            std::vector<std::string>{
                R"({"ts":"1970-01-01T00:00:01.500Z","process":"web.1","stream":"stdout","line":"web.1 \"hello\""})",
                R"({"ts":"1970-01-01T00:00:01.500Z","process":"web.2","stream":"stdout","line":"web.2 hello"})",
                R"({"ts":"1970-01-01T00:00:01.500Z","process":"worker.1","stream":"stdout","line":"worker one"})",
                R"({"ts":"1970-01-01T00:00:01.500Z","process":"worker.1","stream":"stdout","line":"worker two"})"});
        CHECK(connection.stream->ended == "done");
        CHECK(service.followers() == 0);
    }
    SECTION("names: the last N of each, merged") {
        FakeConnection connection;
        ControlRequest request{ControlCommand::logs, {"worker", "web.1"}};
        request.lines = 1;
        REQUIRE(service.serve(request, connection).ok);
        REQUIRE(connection.stream->lines.size() == 2);
        CHECK(connection.stream->lines[0].find("web.1 \\\"hello\\\"") != std::string::npos);
        CHECK(connection.stream->lines[1].find("worker two") != std::string::npos);
    }
    SECTION("an unknown name is the usual error, and no stream") {
        FakeConnection connection;
        const ControlReply reply =
            service.serve(ControlRequest{ControlCommand::logs, {"db"}}, connection);
        CHECK_FALSE(reply.ok);
        CHECK(reply.error.find("unknown process 'db'") == 0);
        CHECK_FALSE(connection.stream);
    }
}

TEST_CASE("logs request: following gets new lines of what it follows", "[output_memory][logs]") {
    const Plan plan = two_types();
    OutputMemory memory;
    const InstanceTable instances(plan);
    LogService service(instances, memory);
    memory.add(0, "old web");

    FakeConnection web_conn;
    ControlRequest web{ControlCommand::logs, {"web"}};
    web.lines = 0;
    web.follow = true;
    REQUIRE(service.serve(web, web_conn).ok);
    FakeConnection all_conn;
    ControlRequest all{ControlCommand::logs, {}};
    all.follow = true;
    REQUIRE(service.serve(all, all_conn).ok);
    CHECK(service.followers() == 2);
    CHECK(web_conn.stream->lines.empty());
    CHECK(all_conn.stream->lines.size() == 1);

    memory.add(1, "new web.2");  // a restarted instance keeps its id: it keeps coming
    memory.add(2, "new worker");
    memory.add(OutputMemory::kSystem, "system news");
    CHECK(web_conn.stream->lines.size() == 1);
    CHECK(web_conn.stream->lines[0].find("new web.2") != std::string::npos);
    CHECK(all_conn.stream->lines.size() == 4);
    CHECK(all_conn.stream->lines[3].find(R"("process":"system","stream":"system")") !=
          std::string::npos);
    CHECK(web_conn.stream->ended.empty());

    // A follower that goes away is forgotten.
    web_conn.stream->leave();
    CHECK(service.followers() == 1);
    memory.add(0, "more");
    CHECK(web_conn.stream->lines.size() == 1);
    CHECK(all_conn.stream->lines.size() == 5);
}
