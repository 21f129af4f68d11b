// Line assembly and formatting of `procrun start` output.

#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "procrun/output.hpp"

using namespace procrun;

namespace {

using Pieces = std::vector<std::pair<std::string, bool>>;

Pieces split(const std::vector<std::string>& chunks, std::size_t max = kMaxLineBytes,
             bool finish = true) {
    LineSplitter s(max);
    Pieces out;
    auto emit = [&](std::string_view line, bool continued) { out.emplace_back(line, continued); };
    for (const auto& c : chunks)
        s.feed(c, emit);
    if (finish)
        s.finish(emit);
    return out;
}

// 2001-09-09 01:46:40 UTC.
constexpr std::time_t kSomeTime = 1000000000;

}  // namespace

TEST_CASE("complete lines come out one by one, without their newline", "[output]") {
    CHECK(split({"a\nbb\n\nccc\n"}) ==
          Pieces{{"a", false}, {"bb", false}, {"", false}, {"ccc", false}});
}

TEST_CASE("a line split across reads is held until its newline", "[output]") {
    LineSplitter s;
    Pieces out;
    auto emit = [&](std::string_view line, bool continued) { out.emplace_back(line, continued); };
    s.feed("hel", emit);
    CHECK(out.empty());
    CHECK(s.has_partial());
    s.feed("lo wo", emit);
    CHECK(out.empty());
    s.feed("rld\nnext", emit);
    CHECK(out == Pieces{{"hello world", false}});
    s.feed("\n", emit);
    CHECK(out == Pieces{{"hello world", false}, {"next", false}});
    CHECK_FALSE(s.has_partial());
}

TEST_CASE("the last line without a newline is emitted at the end", "[output]") {
    CHECK(split({"one\ntwo"}) == Pieces{{"one", false}, {"two", false}});
    CHECK(split({"one\ntwo"}, kMaxLineBytes, false) == Pieces{{"one", false}});
    CHECK(split({}).empty());
}

TEST_CASE("carriage returns and invalid UTF-8 pass through as bytes", "[output]") {
    const std::string bytes = "10%\r50%\r100%\r\n\xff\xfe\x80 raw\n";
    CHECK(split({bytes}) == Pieces{{"10%\r50%\r100%\r", false}, {"\xff\xfe\x80 raw", false}});
    CHECK(split({std::string("nul\0byte\n", 9)}) == Pieces{{std::string("nul\0byte", 8), false}});
}

TEST_CASE("a line longer than the cap comes out in pieces marked as continued", "[output]") {
    const std::string long_line(25, 'x');
    CHECK(split({long_line + "\nok\n"}, 10) == Pieces{{std::string(10, 'x'), false},
                                                      {std::string(10, 'x'), true},
                                                      {std::string(5, 'x'), true},
                                                      {"ok", false}});
    // The same across many small reads.
    std::vector<std::string> chunks;
    for (char c : long_line + "\nok\n")
        chunks.emplace_back(1, c);
    CHECK(split(chunks, 10) == split({long_line + "\nok\n"}, 10));
    // Exactly the cap: one piece.
    CHECK(split({std::string(10, 'y') + "\n"}, 10) == Pieces{{std::string(10, 'y'), false}});
}

TEST_CASE("no byte is lost or duplicated over a 1 MiB line", "[output]") {
    std::string line;
    for (int i = 0; line.size() < 1024 * 1024; ++i)
        line += std::to_string(i) + ",";
    const Pieces pieces = split({line + "\n"});
    std::string joined;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        CHECK(pieces[i].first.size() <= kMaxLineBytes);
        CHECK(pieces[i].second == (i != 0));
        joined += pieces[i].first;
    }
    CHECK(joined == line);
}

TEST_CASE("a UTF-8 sequence is not cut in the middle", "[output]") {
    // "é" is 2 bytes, "€" 3: with a cap of 8 the cut moves back to a boundary.
    const std::string text =
        "abcdefg\xe2\x82\xac"
        "z\n";  // 7 ASCII + euro sign + z
    const Pieces pieces = split({text}, 8);
    REQUIRE(pieces.size() == 2);
    CHECK(pieces[0] == std::pair<std::string, bool>{"abcdefg", false});
    CHECK(pieces[1] == std::pair<std::string, bool>{"\xe2\x82\xac"
                                                    "z",
                                                    true});
}

TEST_CASE("lines are prefixed with the time and the padded name", "[output]") {
    OutputBuffer out(OutputStyle{false, true, true}, 8);
    const std::size_t web = out.add_source("web.1", 0);
    const std::size_t worker = out.add_source("worker.1", 1);
    out.set_time(kSomeTime);
    std::tm local{};
    const std::time_t t = kSomeTime;
    ::localtime_r(&t, &local);
    char stamp[16];
    std::snprintf(stamp, sizeof stamp, "%02d:%02d:%02d", local.tm_hour, local.tm_min, local.tm_sec);
    out.append(web, "hello");
    out.append(worker, "working");
    out.append_system("web.1 started with pid 42");
    out.append(web, "more", true);
    const std::string s = stamp;
    CHECK(out.pending() == s + " web.1    | hello\n" + s + " worker.1 | working\n" + s +
                               " system   | web.1 started with pid 42\n" + s +
                               " web.1    + more\n");
}

TEST_CASE("names are padded to at least the width of system", "[output]") {
    OutputBuffer out(OutputStyle{false, false, true}, 3);
    const std::size_t a = out.add_source("a.1", 0);
    out.append(a, "x");
    CHECK(out.pending() == "a.1    | x\n");
}

TEST_CASE("a source with a longer name widens the column for every line after it", "[output]") {
    OutputBuffer out(OutputStyle{true, false, true}, 8);
    const std::size_t worker = out.add_source("worker.9", 1);
    out.append(worker, "a");
    const std::size_t tenth = out.add_source("worker.10", 1);
    out.append(tenth, "b");
    out.append(worker, "c", true);
    out.append_system("d");
    CHECK(out.pending() ==
          "\x1b[33mworker.9 | \x1b[0ma\n"
          "\x1b[33mworker.10 | \x1b[0mb\n"
          "\x1b[33mworker.9  + \x1b[0mc\n"
          "\x1b[1msystem    | \x1b[0md\n");
}

TEST_CASE("colour wraps the prefix only, one palette colour per type", "[output]") {
    OutputBuffer out(OutputStyle{true, false, true}, 5);
    const std::size_t web = out.add_source("web.1", 0);
    const std::size_t worker = out.add_source("wkr.1", 1);
    const std::size_t wrapped = out.add_source("z.1", static_cast<int>(colour_palette().size()));
    out.append(web, "a");
    out.append(worker, "b");
    out.append(wrapped, "c");
    out.append_system("d");
    CHECK(out.pending() ==
          "\x1b[36mweb.1  | \x1b[0ma\n"
          "\x1b[33mwkr.1  | \x1b[0mb\n"
          "\x1b[36mz.1    | \x1b[0mc\n"
          "\x1b[1msystem | \x1b[0md\n");
}

TEST_CASE("with colour, a line holding an escape ends with a reset, so no colour spills",
          "[output]") {
    OutputBuffer out(OutputStyle{true, false, true}, 5);
    const std::size_t web = out.add_source("web.1", 0);
    out.append(web, "\x1b[41mopen red background");
    out.append(web, "plain");
    out.append(web, "\x1b[1mbold", true);
    CHECK(out.pending() ==
          "\x1b[36mweb.1  | \x1b[0m\x1b[41mopen red background\x1b[0m\n"
          "\x1b[36mweb.1  | \x1b[0mplain\n"
          "\x1b[36mweb.1  + \x1b[0m\x1b[1mbold\x1b[0m\n");
}

TEST_CASE("without colour or without prefix, escapes are left as they are", "[output]") {
    OutputBuffer plain(OutputStyle{false, false, true}, 5);
    plain.append(plain.add_source("web.1", 0), "\x1b[41mred");
    CHECK(plain.pending() == "web.1  | \x1b[41mred\n");
    OutputBuffer raw(OutputStyle{true, false, false}, 5);
    raw.append(raw.add_source("web.1", 0), "\x1b[41mred");
    CHECK(raw.pending() == "\x1b[41mred\n");
}

TEST_CASE("raw bytes are appended outside any line", "[output]") {
    OutputBuffer out(OutputStyle{true, false, true}, 5);
    out.append_raw("\x1b[?25h");
    CHECK(out.pending() == "\x1b[?25h");
}

TEST_CASE("without prefix, lines are exactly what the process wrote", "[output]") {
    OutputBuffer out(OutputStyle{true, true, false}, 5);
    const std::size_t web = out.add_source("web.1", 0);
    out.set_time(kSomeTime);
    out.append(web, "raw \x1b[31mred\x1b[0m");
    CHECK(out.pending() == "raw \x1b[31mred\x1b[0m\n");
}

TEST_CASE("consumed output is dropped and the buffer reused", "[output]") {
    OutputBuffer out(OutputStyle{false, false, false}, 5);
    const std::size_t a = out.add_source("a", 0);
    out.append(a, "0123456789");
    CHECK(out.size() == 11);
    out.consume(4);
    CHECK(out.pending() == "456789\n");
    out.consume(100);
    CHECK(out.empty());
    out.append(a, "again");
    CHECK(out.pending() == "again\n");
    out.clear();
    CHECK(out.empty());
}

TEST_CASE("any chunking of any bytes comes back whole", "[output]") {
    std::mt19937 rng(12345);
    for (int round = 0; round < 300; ++round) {
        std::string stream;
        const std::size_t len = rng() % 400;
        for (std::size_t i = 0; i < len; ++i) {
            const unsigned r = rng() % 10;
            stream += r == 0 ? '\n' : r == 1 ? '\r' : static_cast<char>(rng() % 256);
        }
        const std::size_t max = 4 + rng() % 12;
        std::vector<std::string> chunks;
        for (std::size_t at = 0; at < stream.size();) {
            const std::size_t n = 1 + rng() % 40;
            chunks.push_back(stream.substr(at, n));
            at += n;
        }
        // Rebuild the stream: a newline before every piece that starts a line.
        std::string rebuilt;
        bool first = true;
        for (const auto& [piece, continued] : split(chunks, max)) {
            CHECK(piece.size() <= max);
            if (!first && !continued)
                rebuilt += '\n';
            rebuilt += piece;
            first = false;
        }
        std::string expected = stream;
        if (!expected.empty() && expected.back() == '\n')
            expected.pop_back();
        INFO("round " << round);
        REQUIRE(rebuilt == expected);
    }
}

namespace {

// kSomeTime and 123 ms, as the loop's clock gives it.
std::chrono::system_clock::time_point some_time_ms(int ms = 123) {
    return std::chrono::system_clock::from_time_t(kSomeTime) + std::chrono::milliseconds(ms);
}

}  // namespace

TEST_CASE("JSON lines carry the UTC time with milliseconds, the process and the stream",
          "[output][json]") {
    OutputBuffer out(OutputStyle{true, false, false, OutputFormat::json}, 8);
    const std::size_t web = out.add_source("web.1", 0);
    out.set_time(some_time_ms());
    out.append(web, "hello");
    out.append_system("web.1 started with pid 42");
    out.set_time(some_time_ms(7));
    out.append(web, "the rest", true);
    // Colour, --no-timestamp and --no-prefix do not apply to JSON.
    CHECK(out.pending() ==
          "{\"ts\":\"2001-09-09T01:46:40.123Z\",\"process\":\"web.1\",\"stream\":\"stdout\","
          "\"line\":\"hello\"}\n"
          "{\"ts\":\"2001-09-09T01:46:40.123Z\",\"process\":\"system\",\"stream\":\"system\","
          "\"line\":\"web.1 started with pid 42\"}\n"
          "{\"ts\":\"2001-09-09T01:46:40.007Z\",\"process\":\"web.1\",\"stream\":\"stdout\","
          "\"line\":\"the rest\",\"continued\":true}\n");
}

TEST_CASE("a whole-second clock still works: milliseconds are zero", "[output][json]") {
    OutputBuffer out(OutputStyle{false, true, true, OutputFormat::json}, 5);
    const std::size_t a = out.add_source("a.1", 0);
    out.set_time(some_time_ms(999));
    out.set_time(kSomeTime);
    out.append(a, "x");
    out.set_time(kSomeTime + 86400 * 365);
    out.append(a, "y");
    CHECK(out.pending() ==
          "{\"ts\":\"2001-09-09T01:46:40.000Z\",\"process\":\"a.1\",\"stream\":\"stdout\","
          "\"line\":\"x\"}\n"
          "{\"ts\":\"2002-09-09T01:46:40.000Z\",\"process\":\"a.1\",\"stream\":\"stdout\","
          "\"line\":\"y\"}\n");
}

TEST_CASE("the text format shows the same second from a millisecond clock", "[output]") {
    OutputBuffer by_second(OutputStyle{false, true, true}, 5);
    OutputBuffer by_ms(OutputStyle{false, true, true}, 5);
    by_second.add_source("a.1", 0);
    by_ms.add_source("a.1", 0);
    by_second.set_time(kSomeTime);
    by_ms.set_time(some_time_ms(999));
    by_second.append(1, "x");
    by_ms.append(1, "x");
    CHECK(by_ms.pending() == by_second.pending());
}

TEST_CASE("JSON escapes quotes, backslashes and control bytes and replaces invalid UTF-8",
          "[output][json]") {
    OutputBuffer out(OutputStyle{false, true, true, OutputFormat::json}, 5);
    const std::size_t a = out.add_source("a.1", 0);
    out.set_time(kSomeTime);
    const std::string line = std::string("say \"hi\" C:\\dir\t\r\x01\x1b[31m\x7f") + '\0' +
                             "caf\xc3\xa9 \xe2\x82\xac \xff\xc3(\xed\xa0\x80";
    out.append(a, line);
    const std::string_view all = out.pending();
    const std::string_view value = all.substr(all.find("\"line\":") + 7);
    CHECK(
        value ==
        "\"say \\\"hi\\\" C:\\\\dir\\t\\r\\u0001\\u001b[31m\\u007f\\u0000"
        "caf\xc3\xa9 \xe2\x82\xac \xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}"
        "\n");
}

TEST_CASE("process names are JSON strings too", "[output][json]") {
    OutputBuffer out(OutputStyle{false, true, true, OutputFormat::json}, 5);
    const std::size_t a = out.add_source("we\"ird.1", 0);
    out.set_time(kSomeTime);
    out.append(a, "");
    CHECK(out.pending() ==
          "{\"ts\":\"2001-09-09T01:46:40.000Z\",\"process\":\"we\\\"ird.1\",\"stream\":\"stdout\","
          "\"line\":\"\"}\n");
}
