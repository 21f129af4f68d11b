// `procrun check` end to end: every case in testdata/check/ is a directory with
//   input/     the project (Procfile, .env, requirements.txt, ...), copied to a
//              temporary directory that is the working directory of the run
//   args       optional: the arguments after `check`, one per line
//   stdout, stderr, exit   what procrun must print and return, exactly, after
//              the temporary directory's path is replaced by $ROOT
// Set PROCRUN_UPDATE_GOLDEN=1 to rewrite the expected files from the real output
// (then review the diff).

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "skip.hpp"

namespace fs = std::filesystem;
using namespace procrun::test;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return std::move(s).str();
}

void spit(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    if (from.empty())
        return text;
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

std::vector<std::string> read_args(const fs::path& file) {
    std::vector<std::string> args;
    if (!fs::exists(file))
        return args;
    std::istringstream in(slurp(file));
    for (std::string line; std::getline(in, line);) {
        if (!line.empty())
            args.push_back(line);
    }
    return args;
}

std::vector<fs::path> cases() {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(source_dir() / "testdata" / "check")) {
        if (entry.is_directory())
            out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("procrun check over testdata/check", "[check][e2e]") {
    const bool update = std::getenv("PROCRUN_UPDATE_GOLDEN") != nullptr;
    const auto all = cases();
    REQUIRE(all.size() >= 20);
    for (const fs::path& dir : all) {
        const std::string name = dir.filename().string();
        SECTION(name) {
            TempDir tmp;
            if (fs::is_directory(dir / "input")) {
                fs::copy(dir / "input", tmp.path(), fs::copy_options::recursive);
            }
            std::vector<std::string> args{"check"};
            for (auto& a : read_args(dir / "args"))
                args.push_back(a);
            RunOptions options;
            options.cwd = tmp.path();
            options.clear_env = true;  // no PORT, NO_COLOR or FORCE_COLOR from outside
            const RunResult r = run_procrun(args, options);
            REQUIRE_FALSE(r.timed_out);
            REQUIRE(r.signal == 0);
            const std::string root = tmp.path().string();
            const std::string out = replace_all(r.out, root, "$ROOT");
            const std::string err = replace_all(r.err, root, "$ROOT");
            const std::string code = std::to_string(r.exit_code) + "\n";
            if (update) {
                spit(dir / "stdout", out);
                spit(dir / "stderr", err);
                spit(dir / "exit", code);
            }
            INFO("case " << name << "\n--- stdout\n" << out << "--- stderr\n" << err);
            CHECK(out == slurp(dir / "stdout"));
            CHECK(err == slurp(dir / "stderr"));
            CHECK(code == slurp(dir / "exit"));
        }
    }
}

TEST_CASE("procrun check --help documents formats, lints and exit codes", "[check][e2e]") {
    const RunResult r = run_procrun({"check", "--help"});
    CHECK(r.exit_code == 0);
    for (const char* needle : {"--format", "human", "json", "github", "--werror", "--strict",
                               "Exit codes:", "0  valid", "1  invalid", "2  usage error",
                               "Examples:", "check/web-port", "check/requirements-unpinned"}) {
        INFO(needle);
        CHECK(r.out.find(needle) != std::string::npos);
    }
}

TEST_CASE("procrun check of an unreadable Procfile", "[check][e2e]") {
    if (::geteuid() == 0) {
        PROCRUN_SKIP("running as root: permissions do not stop reading");
    }
    TempDir tmp;
    tmp.write("Procfile", "web: x\n", fs::perms::none);
    RunOptions options;
    options.cwd = tmp.path();
    const RunResult r = run_procrun({"check"}, options);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("cannot read") != std::string::npos);
}

TEST_CASE("procrun check escapes control characters from the project's files", "[check][e2e]") {
    TempDir tmp;
    // A process name and an .env key and value that would clear the screen, set
    // the window title and ring the bell if printed raw.
    tmp.write("Procfile", "web: run\nwe\x1b[2Jb\x07: x\n");
    tmp.write(".env", "K\x1b[2JEY\x07=1\nPORT=\x1b]0;pwned\x07\n");
    RunOptions options;
    options.cwd = tmp.path();
    options.clear_env = true;
    for (const std::string format : {"human", "github", "json"}) {
        INFO(format);
        const RunResult r = run_procrun({"check", "--format=" + format}, options);
        CHECK(r.exit_code == 1);
        const std::string all = r.out + r.err;
        CHECK(all.find('\x1b') == std::string::npos);
        CHECK(all.find('\x07') == std::string::npos);
        if (format == "human") {
            CHECK(r.err.find("in process name 'we\\x1B[2Jb\\x07'") != std::string::npos);
            CHECK(r.err.find(" 2 | we?[2Jb?: x\n") != std::string::npos);
            CHECK(r.err.find("'\\x1B]0;pwned\\x07'") != std::string::npos);
            CHECK(r.err.find(".env:1:2: error: invalid character the control character 0x1B in "
                             "key") != std::string::npos);
        } else if (format == "github") {
            CHECK(r.out.find("in process name 'we\\x1B[2Jb\\x07'") != std::string::npos);
        } else {
            CHECK(r.out.find("in process name 'we\\u001b[2Jb\\u0007'") != std::string::npos);
        }
    }
}

TEST_CASE("procrun check rejects a command start could not pass to execve", "[check][e2e]") {
    TempDir tmp;
    tmp.write("Procfile", "worker: sleep 1\nweb: echo " + std::string(200000, 'x') + "\n");
    RunOptions options;
    options.cwd = tmp.path();
    options.clear_env = true;
    const RunResult r = run_procrun({"check"}, options);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("Procfile:2:6: error: the command of 'web' is 200005 bytes; the kernel "
                     "passes at most ") != std::string::npos);
    CHECK(r.err.find("hint: move the command into a script (e.g. bin/web) and run that\n") !=
          std::string::npos);
    CHECK(r.err.find("check failed: 1 error") != std::string::npos);
    CHECK(r.err.size() < 2000);  // a window of the line, not the line

    // start refuses it the same way, before starting anything.
    const RunResult start = run_procrun({"start"}, options);
    CHECK(start.exit_code == 1);
    CHECK(start.err.find("Procfile:2:6: error: the command of 'web' is 200005 bytes") !=
          std::string::npos);
    CHECK(start.out.find("started") == std::string::npos);

    // The same command one byte under the limit passes check, and start runs it.
    const std::size_t fits = 131072 - 1 - std::string("exec echo ").size();
    tmp.write("Procfile", "big: echo " + std::string(fits, 'y') + "\n");
    const RunResult ok = run_procrun({"check"}, options);
    CHECK(ok.exit_code == 0);
    CHECK(ok.err.empty());
    const RunResult started = run_procrun({"run", "big"}, options);
    CHECK(started.exit_code == 0);
    CHECK(started.out == std::string(fits, 'y') + "\n");
}

TEST_CASE("procrun check shows a window of a 5 MB line with the caret in place", "[check][e2e]") {
    TempDir tmp;
    std::string line = "web: " + std::string(5 * 1024 * 1024, 'a') + " --port 8000";
    tmp.write("Procfile", "\xEF\xBB\xBF" + line + "\n");
    RunOptions options;
    options.cwd = tmp.path();
    options.clear_env = true;
    const RunResult r = run_procrun({"check"}, options);
    CHECK(r.exit_code == 1);  // the command is over the argument limit too
    CHECK(r.err.size() < 3000);
    // check/hard-coded-port points at 8000, at the end of the line.
    const auto at = r.err.find("warning: web command hard-codes port 8000\n");
    REQUIRE(at != std::string::npos);
    const auto quoted = r.err.find(" | ...", at);
    REQUIRE(quoted != std::string::npos);
    const auto quoted_begin = r.err.rfind('\n', quoted) + 1;
    const auto quoted_end = r.err.find('\n', quoted);
    const std::string quoted_line = r.err.substr(quoted_begin, quoted_end - quoted_begin);
    const auto caret_end = r.err.find('\n', quoted_end + 1);
    const std::string caret_line = r.err.substr(quoted_end + 1, caret_end - quoted_end - 1);
    const auto column = caret_line.find('^');
    REQUIRE(column != std::string::npos);
    CHECK(quoted_line.substr(column) == "8000");
    CHECK(quoted_line.size() < 120);
}

TEST_CASE("procrun check puts the caret under the column after a byte order mark", "[check][e2e]") {
    TempDir tmp;
    tmp.write("Procfile", "\xEF\xBB\xBFweb: node server.js --port 8000\r\n");
    RunOptions options;
    options.cwd = tmp.path();
    options.clear_env = true;
    const RunResult r = run_procrun({"check"}, options);
    CHECK(r.exit_code == 0);
    CHECK(r.err ==
          "Procfile:1:28: warning: web command hard-codes port 8000\n"
          " 1 | web: node server.js --port 8000\n"
          "   |                            ^\n"
          "hint: the platform sets PORT for the web process and routes traffic only to that "
          "port: use `$PORT`\n");
}
