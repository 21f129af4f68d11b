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
