// The log files of `procrun start --log-dir`, and JSON lines read back by a
// real JSON parser.

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "procrun/output.hpp"
#include "procrun/output/logs.hpp"
#include "skip.hpp"

using namespace procrun;
namespace fs = std::filesystem;

namespace {

// 2001-09-09 01:46:40 UTC.
constexpr std::time_t kLogTime = 1000000000;

struct TempDir {
    TempDir() {
        std::string t = (fs::temp_directory_path() / "procrun-logs-XXXXXX").string();
        REQUIRE(::mkdtemp(t.data()) != nullptr);
        path = t;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ignored);
        fs::remove_all(path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    fs::path path;
};

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// "HH:MM:SS" of kLogTime in local time, as the text format prints it.
std::string local_stamp() {
    std::tm local{};
    const std::time_t t = kLogTime;
    ::localtime_r(&t, &local);
    char stamp[16];
    std::snprintf(stamp, sizeof stamp, "%02d:%02d:%02d", local.tm_hour, local.tm_min, local.tm_sec);
    return stamp;
}

mode_t current_umask() {
    const mode_t m = ::umask(022);
    ::umask(m);
    return m;
}

LogOptions options_for(const fs::path& dir, std::uint64_t max_size = 0, int keep = 5,
                       OutputFormat format = OutputFormat::text) {
    LogOptions o;
    o.dir = dir;
    o.format = format;
    o.max_size = max_size;
    o.keep = keep;
    return o;
}

struct Reports {
    std::vector<std::string> messages;
    LogFiles::Report sink() {
        return [this](const std::string& m) { messages.push_back(m); };
    }
};

// Whether `text` is valid UTF-8 (so its JSON string must give it back unchanged).
bool valid_utf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t len = c < 0x80                 ? 1
                                : c >= 0xC2 && c <= 0xDF ? 2
                                : c >= 0xE0 && c <= 0xEF ? 3
                                : c >= 0xF0 && c <= 0xF4 ? 4
                                                         : 0;
        if (len == 0 || i + len > text.size())
            return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80)
                return false;
        }
        if (len > 1) {
            const auto b1 = static_cast<unsigned char>(text[i + 1]);
            if ((c == 0xE0 && b1 < 0xA0) || (c == 0xED && b1 > 0x9F) || (c == 0xF0 && b1 < 0x90) ||
                (c == 0xF4 && b1 > 0x8F)) {
                return false;
            }
        }
        i += len;
    }
    return true;
}

}  // namespace

TEST_CASE("every JSON line parses, whatever bytes the line holds", "[output][json]") {
    OutputBuffer out(OutputStyle{true, true, true, OutputFormat::json}, 8);
    const std::size_t web = out.add_source("web.1", 0);
    out.set_time(std::chrono::system_clock::from_time_t(kLogTime) + std::chrono::milliseconds(42));
    std::mt19937 rng(2026);
    std::vector<std::string> written;
    for (int i = 0; i < 2000; ++i) {
        std::string line;
        const std::size_t len = rng() % 80;
        for (std::size_t k = 0; k < len; ++k) {
            // Mostly text, some UTF-8, some arbitrary bytes (newlines never reach a line).
            const unsigned r = rng() % 10;
            char c = r < 6   ? static_cast<char>(0x20 + rng() % 95)
                     : r < 8 ? "\xc3\xa9\xe2\x82\xac"[rng() % 5]
                             : static_cast<char>(rng() % 256);
            if (c == '\n')
                c = '\t';
            line += c;
        }
        written.push_back(line);
        out.append(web, line, i % 7 == 3);
    }
    out.append_system("web.1 exited with code 0");
    const std::vector<std::string> lines = lines_of(std::string(out.pending()));
    REQUIRE(lines.size() == written.size() + 1);
    for (std::size_t i = 0; i < written.size(); ++i) {
        INFO("line " << i << ": " << lines[i]);
        boost::json::error_code ec;
        const boost::json::value v = boost::json::parse(lines[i], ec);
        REQUIRE_FALSE(ec);
        const boost::json::object& o = v.as_object();
        CHECK(o.at("ts").as_string() == "2001-09-09T01:46:40.042Z");
        CHECK(o.at("process").as_string() == "web.1");
        CHECK(o.at("stream").as_string() == "stdout");
        CHECK(o.contains("continued") == (i % 7 == 3));
        if (o.contains("continued"))
            CHECK(o.at("continued").as_bool());
        CHECK(o.size() == (i % 7 == 3 ? 5U : 4U));
        const std::string got(o.at("line").as_string());
        if (valid_utf8(written[i])) {
            CHECK(got == written[i]);
        } else {
            CHECK(got.find("\xef\xbf\xbd") != std::string::npos);
            CHECK(got.size() >= written[i].size());
        }
    }
    const boost::json::value sys = boost::json::parse(lines.back());
    CHECK(sys.at("process").as_string() == "system");
    CHECK(sys.at("stream").as_string() == "system");
    CHECK(sys.at("line").as_string() == "web.1 exited with code 0");
}

TEST_CASE("log files: every line in procrun.log, each instance's in its own, no colour", "[logs]") {
    TempDir tmp;
    const fs::path dir = tmp.path / "a" / "b" / "logs";
    Reports reports;
    {
        LogFiles logs(options_for(dir), 8, reports.sink());
        const std::size_t web = logs.add_source("web.1");
        const std::size_t worker = logs.add_source("worker.1");
        CHECK(web == 1);
        CHECK(worker == 2);
        CHECK(logs.path(0) == dir / "procrun.log");
        CHECK(logs.path(web) == dir / "web.1.log");
        logs.set_time(std::chrono::system_clock::from_time_t(kLogTime));
        logs.append_system("web.1 started with pid 42");
        logs.append(web, "hello \x1b[31mred\x1b[0m");
        logs.append(worker, "working");
        logs.append(web, "more", true);
        // Batched: nothing is written before the loop's flush.
        CHECK(read(dir / "web.1.log").empty());
        logs.flush();
        const std::string s = local_stamp();
        CHECK(read(dir / "web.1.log") ==
              s + " web.1    | hello \x1b[31mred\x1b[0m\n" + s + " web.1    + more\n");
        CHECK(read(dir / "worker.1.log") == s + " worker.1 | working\n");
        CHECK(read(dir / "procrun.log") == s + " system   | web.1 started with pid 42\n" + s +
                                               " web.1    | hello \x1b[31mred\x1b[0m\n" + s +
                                               " worker.1 | working\n" + s + " web.1    + more\n");
        logs.append(worker, "at exit");
    }
    // The destructor writes what was pending.
    CHECK(lines_of(read(dir / "worker.1.log")).size() == 2);
    CHECK(reports.messages.empty());
    const mode_t mask = current_umask();
    struct stat st {};
    REQUIRE(::stat((dir / "web.1.log").c_str(), &st) == 0);
    // Log lines can hold secrets: nobody but the owner reads them.
    CHECK((st.st_mode & 0777) == (0600 & ~mask));
    for (const fs::path& made : {tmp.path / "a", tmp.path / "a" / "b", dir}) {
        REQUIRE(::stat(made.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0700);
    }
}

TEST_CASE("log files in the JSON format hold JSON lines", "[logs][json]") {
    TempDir tmp;
    LogFiles logs(options_for(tmp.path, 0, 5, OutputFormat::json), 5);
    const std::size_t web = logs.add_source("web.1");
    logs.set_time(std::chrono::system_clock::from_time_t(kLogTime) + std::chrono::milliseconds(5));
    logs.append(web, "bad \xff byte \"quoted\"");
    logs.append_system("done");
    logs.flush();
    const auto web_lines = lines_of(read(tmp.path / "web.1.log"));
    REQUIRE(web_lines.size() == 1);
    const boost::json::value v = boost::json::parse(web_lines[0]);
    CHECK(v.at("ts").as_string() == "2001-09-09T01:46:40.005Z");
    CHECK(v.at("line").as_string() == "bad \xef\xbf\xbd byte \"quoted\"");
    const auto all = lines_of(read(tmp.path / "procrun.log"));
    REQUIRE(all.size() == 2);
    CHECK(boost::json::parse(all[1]).at("stream").as_string() == "system");
}

TEST_CASE("log files are appended to across runs", "[logs]") {
    TempDir tmp;
    for (const char* line : {"first run", "second run"}) {
        LogFiles logs(options_for(tmp.path), 5);
        const std::size_t web = logs.add_source("web.1");
        logs.set_time(std::chrono::system_clock::from_time_t(kLogTime));
        logs.append(web, line);
    }
    const auto lines = lines_of(read(tmp.path / "web.1.log"));
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].ends_with("| first run"));
    CHECK(lines[1].ends_with("| second run"));
}

TEST_CASE("log files are rotated by size: NAME.1 the newest, at most `keep` kept", "[logs]") {
    TempDir tmp;
    const std::string s = local_stamp();
    // Every record is "HH:MM:SS web.1  | line NN\n": 26 bytes, so 3 fit in 100.
    auto record = [&](int i) { return fmt::format("{} web.1  | line {:02}\n", s, i); };
    REQUIRE(record(1).size() == 26);
    auto records = [&](int from, int to) {
        std::string r;
        for (int i = from; i <= to; ++i)
            r += record(i);
        return r;
    };
    auto write_lines = [&](const fs::path& dir, std::uint64_t max_size, int keep, int count) {
        Reports reports;
        LogFiles logs(options_for(dir, max_size, keep), 5, reports.sink());
        const std::size_t web = logs.add_source("web.1");
        logs.set_time(std::chrono::system_clock::from_time_t(kLogTime));
        for (int i = 1; i <= count; ++i) {
            logs.append(web, fmt::format("line {:02}", i));
            if (i % 4 == 0)
                logs.flush();  // where the loop's turns end must not matter
        }
        logs.flush();
        CHECK(reports.messages.empty());
    };

    SECTION("keep 2") {
        write_lines(tmp.path, 100, 2, 20);
        CHECK(read(tmp.path / "web.1.log") == records(19, 20));
        CHECK(read(tmp.path / "web.1.log.1") == records(16, 18));
        CHECK(read(tmp.path / "web.1.log.2") == records(13, 15));
        CHECK_FALSE(fs::exists(tmp.path / "web.1.log.3"));
        // procrun.log holds the same lines and is rotated the same way.
        CHECK(read(tmp.path / "procrun.log.1") == records(16, 18));
        CHECK_FALSE(fs::exists(tmp.path / "procrun.log.3"));
    }
    SECTION("rotation goes on across runs, counting what the file already holds") {
        write_lines(tmp.path, 100, 5, 2);
        write_lines(tmp.path, 100, 5, 2);
        CHECK(read(tmp.path / "web.1.log.1") == records(1, 2) + records(1, 1));
        CHECK(read(tmp.path / "web.1.log") == records(2, 2));
    }
    SECTION("keep 0: the old lines are dropped") {
        write_lines(tmp.path, 100, 0, 5);
        CHECK(read(tmp.path / "web.1.log") == records(4, 5));
        CHECK_FALSE(fs::exists(tmp.path / "web.1.log.1"));
    }
    SECTION("max size 0: never rotated") {
        write_lines(tmp.path, 0, 5, 20);
        CHECK(read(tmp.path / "web.1.log") == records(1, 20));
        CHECK_FALSE(fs::exists(tmp.path / "web.1.log.1"));
    }
    SECTION("a line bigger than the limit fills a file by itself") {
        write_lines(tmp.path, 20, 3, 3);
        CHECK(read(tmp.path / "web.1.log") == records(3, 3));
        CHECK(read(tmp.path / "web.1.log.1") == records(2, 2));
        CHECK(read(tmp.path / "web.1.log.2") == records(1, 1));
    }
}

TEST_CASE("a log directory that cannot be made is reported once", "[logs]") {
    TempDir tmp;
    std::ofstream(tmp.path / "file") << "a regular file\n";
    const fs::path dir = tmp.path / "file" / "logs";
    Reports reports;
    LogFiles logs(options_for(dir), 5, reports.sink());
    const std::size_t web = logs.add_source("web.1");
    logs.set_time(std::chrono::system_clock::from_time_t(kLogTime));
    logs.append(web, "lost");
    logs.flush();
    REQUIRE(reports.messages.size() == 1);
    CHECK(reports.messages[0] == "procrun: cannot create log directory " + dir.string() +
                                     ": Not a directory; no log files are written");
    CHECK_FALSE(logs.ok(0));
    CHECK_FALSE(logs.ok(web));
}

TEST_CASE("a log directory without write permission is reported once per file", "[logs]") {
    TempDir tmp;
    fs::permissions(tmp.path, fs::perms::owner_read | fs::perms::owner_exec |
                                  fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
    // Root writes anywhere: act as nobody for the test.
    const uid_t euid = ::geteuid();
    if (euid == 0 && ::seteuid(65534) != 0) {
        PROCRUN_SKIP("running as root and cannot act as another user");
    }
    Reports reports;
    bool web_ok = true;
    {
        LogFiles logs(options_for(tmp.path), 5, reports.sink());
        const std::size_t web = logs.add_source("web.1");
        logs.set_time(std::chrono::system_clock::from_time_t(kLogTime));
        for (int i = 0; i < 10; ++i)
            logs.append(web, "lost");
        logs.flush();
        logs.flush();
        web_ok = logs.ok(web);
    }
    if (euid == 0)
        REQUIRE(::seteuid(0) == 0);
    CHECK_FALSE(web_ok);
    REQUIRE(reports.messages.size() == 2);
    CHECK(reports.messages[0] == "procrun: cannot open log file " +
                                     (tmp.path / "procrun.log").string() +
                                     ": Permission denied; nothing more is written to it");
    CHECK(reports.messages[1] == "procrun: cannot open log file " +
                                     (tmp.path / "web.1.log").string() +
                                     ": Permission denied; nothing more is written to it");
}

TEST_CASE("one log file that cannot be opened does not stop the others", "[logs]") {
    TempDir tmp;
    fs::create_directory(tmp.path / "web.1.log");
    Reports reports;
    LogFiles logs(options_for(tmp.path), 5, reports.sink());
    const std::size_t web = logs.add_source("web.1");
    const std::size_t worker = logs.add_source("worker.1");
    logs.set_time(std::chrono::system_clock::from_time_t(kLogTime));
    logs.append(web, "to procrun.log only");
    logs.append(worker, "everywhere");
    logs.flush();
    REQUIRE(reports.messages.size() == 1);
    CHECK(reports.messages[0] == "procrun: cannot open log file " +
                                     (tmp.path / "web.1.log").string() +
                                     ": Is a directory; nothing more is written to it");
    CHECK_FALSE(logs.ok(web));
    CHECK(logs.ok(worker));
    CHECK(lines_of(read(tmp.path / "procrun.log")).size() == 2);
    CHECK(lines_of(read(tmp.path / "worker.1.log")).size() == 1);
}

TEST_CASE("a failed write is reported once and the other files go on", "[logs]") {
    TempDir tmp;
    Reports reports;
    LogFiles logs(options_for(tmp.path), 5, reports.sink());
    const std::size_t web = logs.add_source("web.1");
    logs.set_time(std::chrono::system_clock::from_time_t(kLogTime));
    // A file size limit makes writes past it fail with EFBIG, as a full disk
    // fails with ENOSPC. System lines go to procrun.log only, so it alone
    // passes the limit.
    const std::string big(3000, 'x');
    rlimit old_limit{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old_limit;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    for (int i = 0; i < 5; ++i) {
        logs.append_system(big);
        logs.append(web, "still written");
        logs.flush();
    }
    const bool procrun_ok = logs.ok(0);
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);

    CHECK_FALSE(procrun_ok);
    CHECK(logs.ok(web));
    REQUIRE(reports.messages.size() == 1);
    CHECK(reports.messages[0] == "procrun: cannot write log file " +
                                     (tmp.path / "procrun.log").string() +
                                     ": File too large; nothing more is written to it");
    CHECK(lines_of(read(tmp.path / "web.1.log")).size() == 5);
}

TEST_CASE("a failed rotation is reported with the file that could not be moved", "[logs]") {
    TempDir tmp;
    std::ofstream(tmp.path / "web.1.log.1") << "older\n";
    fs::create_directories(tmp.path / "web.1.log.2" / "in-the-way");
    Reports reports;
    LogFiles logs(options_for(tmp.path, 30, 2), 5, reports.sink());
    const std::size_t web = logs.add_source("web.1");
    logs.set_time(std::chrono::system_clock::from_time_t(kLogTime));
    logs.append(web, "line 01");
    logs.append(web, "line 02");
    logs.flush();
    REQUIRE(reports.messages.size() == 1);
    CHECK(reports.messages[0].starts_with("procrun: cannot rotate log file " +
                                          (tmp.path / "web.1.log").string() + ": " +
                                          (tmp.path / "web.1.log.1").string() + ": "));
    CHECK_FALSE(logs.ok(web));
    CHECK(read(tmp.path / "web.1.log.1") == "older\n");
    CHECK(lines_of(read(tmp.path / "web.1.log")).size() == 1);
}

TEST_CASE("a log file planted as a symbolic link is refused, and nothing outside is touched",
          "[logs]") {
    TempDir tmp;
    const fs::path dir = tmp.path / "logs";
    fs::create_directories(dir);
    std::ofstream(tmp.path / "outside") << "precious\n";
    const std::string link_error =
        ": it is a symbolic link (log files are never written through one); nothing more is "
        "written to it";

    SECTION("the combined log") {
        fs::create_symlink(tmp.path / "outside", dir / "procrun.log");
        Reports reports;
        {
            LogFiles logs(options_for(dir), 5, reports.sink());
            const std::size_t web = logs.add_source("web.1");
            logs.append(web, "a line");
            logs.append_system("a system line");
            CHECK_FALSE(logs.ok(0));
            CHECK(logs.ok(web));
        }
        REQUIRE(reports.messages.size() == 1);
        CHECK(reports.messages[0] ==
              "procrun: cannot open log file " + (dir / "procrun.log").string() + link_error);
        CHECK(lines_of(read(dir / "web.1.log")).size() == 1);
    }
    SECTION("an instance's log") {
        fs::create_symlink(tmp.path / "outside", dir / "web.1.log");
        Reports reports;
        {
            LogFiles logs(options_for(dir), 5, reports.sink());
            const std::size_t web = logs.add_source("web.1");
            logs.append(web, "a line");
            CHECK_FALSE(logs.ok(web));
        }
        REQUIRE(reports.messages.size() == 1);
        CHECK(reports.messages[0] ==
              "procrun: cannot open log file " + (dir / "web.1.log").string() + link_error);
        CHECK(lines_of(read(dir / "procrun.log")).size() == 1);
    }
    SECTION("a rotated name: the link is moved or replaced, never followed") {
        fs::create_symlink(tmp.path / "outside", dir / "web.1.log.1");
        Reports reports;
        {
            LogFiles logs(options_for(dir, 30, 2), 5, reports.sink());
            const std::size_t web = logs.add_source("web.1");
            logs.set_time(std::chrono::system_clock::from_time_t(kLogTime));
            for (int i = 0; i < 6; ++i)
                logs.append(web, fmt::format("line {:02}", i));
            CHECK(logs.ok(web));
        }
        CHECK(reports.messages.empty());
        CHECK_FALSE(fs::is_symlink(dir / "web.1.log"));
        CHECK_FALSE(fs::is_symlink(dir / "web.1.log.1"));
    }
    SECTION("a hard link") {
        fs::create_hard_link(tmp.path / "outside", dir / "web.1.log");
        Reports reports;
        {
            LogFiles logs(options_for(dir), 5, reports.sink());
            logs.append(logs.add_source("web.1"), "a line");
        }
        REQUIRE(reports.messages.size() == 1);
        CHECK(reports.messages[0] == "procrun: cannot open log file " +
                                         (dir / "web.1.log").string() +
                                         ": it has 2 hard links (a log file must have one); "
                                         "nothing more is written to it");
    }
    CHECK(read(tmp.path / "outside") == "precious\n");
}
