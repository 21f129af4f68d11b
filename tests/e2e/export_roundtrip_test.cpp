// Randomised round trips: many values built from the characters quoting gets
// wrong (quotes, backslashes, '$', '%', '#', ';', ',', '=', blanks, line
// breaks) go through the .env file and a Procfile command, are exported, and
// must come back byte for byte from the real supervisord and runsv, from
// systemd's rules (independent reader) and from plistlib. The seed is fixed so
// a failure reproduces.

#include <yaml-cpp/yaml.h>

#include <random>

#include "export_support.hpp"
#include "skip.hpp"

namespace {

using namespace procrun::test;
using namespace procrun::test::exporting;
using namespace std::chrono_literals;

constexpr int kValues = 60;
constexpr int kWords = 12;

struct Case {
    std::map<std::string, std::string> env;  // what the process must see
    std::vector<std::string> words;          // what the command prints, one a line
    std::string dotenv;
    std::string procfile;
};

// Characters that quoting rules treat specially, plus ordinary ones.
const std::string kAlphabet = " \t'\"\\$%#;,=:`(){}[]*?&|<>!~aZ9_-./";

std::string random_text(std::mt19937& rng, bool allow_breaks) {
    std::uniform_int_distribution<int> len(0, 14);
    std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
    std::uniform_int_distribution<int> breaks(0, 9);
    std::string s;
    const int n = len(rng);
    for (int i = 0; i < n; ++i) {
        if (allow_breaks && breaks(rng) == 0) {
            s += (breaks(rng) < 8) ? '\n' : '\r';
        } else {
            s += kAlphabet[pick(rng)];
        }
    }
    return s;
}

// A double-quoted .env value: procrun's dotenv resolves \n \r \t \" \\ \$ there.
std::string dotenv_quote(const std::string& v) {
    std::string out = "\"";
    for (char c : v) {
        switch (c) {
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '"':
            case '\\':
            case '$':
                out += '\\';
                out += c;
                break;
            default:
                out += c;
        }
    }
    return out + "\"";
}

// `trailing_blanks`: whether values may end in a space or tab (runit's envdir
// cannot hold those; every other format can).
Case make_case(unsigned seed, bool trailing_blanks) {
    std::mt19937 rng(seed);
    Case c;
    for (int i = 0; i < kValues; ++i) {
        std::string v = random_text(rng, true);
        while (!trailing_blanks && !v.empty() && (v.back() == ' ' || v.back() == '\t')) {
            v.pop_back();
        }
        const std::string key = "RT_" + std::to_string(i);
        c.env[key] = v;
        c.dotenv += key + "=" + dotenv_quote(v) + "\n";
    }
    c.dotenv += marker() + "\n";
    std::string cmd = "printf '%s\\n'";
    for (int i = 0; i < kWords; ++i) {
        std::string w = random_text(rng, false);
        c.words.push_back(w);
        cmd += " " + sh_quote(w);
    }
    // Then the environment as JSON on one line, and stay up.
    cmd += " && python3 -c 'import json,os; print(json.dumps(dict(os.environ)))' && exec sleep 30";
    c.procfile = "rt: " + cmd + "\n";
    return c;
}

fs::path write_case(TempDir& dir, const Case& c) {
    dir.write("app/Procfile", c.procfile);
    dir.write("app/.env", c.dotenv);
    return dir.path() / "app";
}

std::string expected_words(const Case& c) {
    std::string out;
    for (const auto& w : c.words)
        out += w + "\n";
    return out;
}

// Whether `out` holds the words and the whole environment line after them.
bool complete(const Case& c, const std::string& out) {
    const std::size_t words = expected_words(c).size();
    return out.size() > words + 2 && out.compare(out.size() - 2, 2, "}\n") == 0;
}

// The printed words, then the environment line, as the process wrote them.
void check_output(const Case& c, const std::string& out) {
    const std::string words = expected_words(c);
    REQUIRE(out.size() > words.size());
    CHECK(out.substr(0, words.size()) == words);
    const std::string json = out.substr(words.size());
    const YAML::Node env = YAML::Load(json);
    for (const auto& [k, v] : c.env) {
        INFO(k);
        REQUIRE(env[k]);
        CHECK(env[k].as<std::string>() == v);
    }
}

TEST_CASE("random values round-trip through supervisord", "[e2e][export][supervisord][roundtrip]") {
    if (!have_program("supervisord") || !have_program("python3")) {
        PROCRUN_TOOL_MISSING("supervisord or python3 is not installed");
    }
    for (unsigned seed : {1u, 2u}) {
        INFO("seed " << seed);
        TempDir dir;
        const Case c = make_case(seed, true);
        const fs::path root = write_case(dir, c);
        fs::create_directories(dir.path() / "logs");
        const RunResult e = export_to(root, {"supervisord", (dir.path() / "conf.d").string(), "-a",
                                             "rt", "-l", (dir.path() / "logs").string()});
        INFO(e.err);
        REQUIRE(e.exit_code == 0);
        const fs::path conf = dir.path() / "supervisord.conf";
        std::ofstream(conf) << "[unix_http_server]\nfile=" << (dir.path() / "s.sock").string()
                            << "\n[supervisord]\nlogfile=" << (dir.path() / "s.log").string()
                            << "\npidfile=" << (dir.path() / "s.pid").string()
                            << "\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
                               "supervisor.rpcinterface:make_main_rpcinterface\n"
                               "[supervisorctl]\nserverurl=unix://"
                            << (dir.path() / "s.sock").string() << "\n[include]\nfiles = "
                            << (dir.path() / "conf.d" / "*.conf").string() << "\n";
        Child daemon({"supervisord", "-n", "-c", conf.string()}, RunOptions{});
        const fs::path log = dir.path() / "logs" / "rt-1.log";
        CHECK(eventually([&] { return complete(c, read_file(log)); }, 15s));
        INFO("stderr: " << read_file(dir.path() / "logs" / "rt-1.error.log"));
        check_output(c, read_file(log));
        run({"supervisorctl", "-c", conf.string(), "shutdown"});
        daemon.wait(20s);
        CHECK(eventually([] { return processes_with_env(marker()).empty(); }, 5s));
    }
}

TEST_CASE("random values round-trip through runsv", "[e2e][export][runit][roundtrip]") {
    if (!have_program("runsv") || !have_program("python3")) {
        PROCRUN_TOOL_MISSING("runit or python3 is not installed");
    }
    for (unsigned seed : {4u, 5u}) {
        INFO("seed " << seed);
        TempDir dir;
        const Case c = make_case(seed, false);
        const fs::path root = write_case(dir, c);
        const RunResult e = export_to(root, {"runit", (dir.path() / "sv").string(), "-a", "rt",
                                             "-l", (dir.path() / "logs").string()});
        INFO(e.err);
        REQUIRE(e.exit_code == 0);
        // No log/ service: the run script's output goes to runsv's stdout.
        fs::remove_all(dir.path() / "sv" / "rt-rt-1" / "log");
        Child runsv({"runsv", (dir.path() / "sv" / "rt-rt-1").string()}, RunOptions{});
        CHECK(eventually(
            [&] {
                runsv.wait_for_output("}\n", 100ms);
                return complete(c, runsv.out());
            },
            15s));
        check_output(c, runsv.out());
        run({"sv", "exit", (dir.path() / "sv" / "rt-rt-1").string()});
        runsv.wait(10s);
        CHECK(eventually([] { return processes_with_env(marker()).empty(); }, 5s));
    }
}

TEST_CASE("random values round-trip through systemd's rules and plistlib",
          "[e2e][export][systemd][launchd][roundtrip]") {
    if (!have_program("python3")) {
        PROCRUN_TOOL_MISSING("python3 is not installed");
    }
    const fs::path support = source_dir() / "tests/support/export";
    for (unsigned seed : {6u, 7u, 8u}) {
        INFO("seed " << seed);
        TempDir dir;
        const Case c = make_case(seed, true);
        const fs::path root = write_case(dir, c);
        std::string command = c.procfile.substr(4, c.procfile.size() - 5);

        REQUIRE(export_to(root, {"systemd", (dir.path() / "u").string(), "-a", "rt"}).exit_code ==
                0);
        const RunResult units = run({"python3", (support / "systemd_units.py").string(),
                                     (dir.path() / "u" / "rt-rt-1.service").string()});
        INFO(units.err);
        REQUIRE(units.exit_code == 0);
        const YAML::Node svc = YAML::Load(units.out)["rt-rt-1.service"];
        CHECK(svc["argv"][2].as<std::string>() == command);
        for (const auto& [k, v] : c.env) {
            INFO(k);
            CHECK(svc["env"][k].as<std::string>() == v);
        }

        REQUIRE(export_to(root, {"launchd", (dir.path() / "p").string(), "-a", "rt"}).exit_code ==
                0);
        const RunResult plist = run({"python3", (support / "plist_dump.py").string(),
                                     (dir.path() / "p" / "rt-rt-1.plist").string()});
        INFO(plist.err);
        REQUIRE(plist.exit_code == 0);
        const YAML::Node p = YAML::Load(plist.out)["rt-rt-1.plist"];
        CHECK(p["ProgramArguments"][2].as<std::string>() == command);
        for (const auto& [k, v] : c.env) {
            INFO(k);
            CHECK(p["EnvironmentVariables"][k].as<std::string>() == v);
        }
    }
}

}  // namespace
