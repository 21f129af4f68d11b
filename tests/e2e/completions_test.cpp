// The shell completions (packaging/completions/) and the man page against the real command line:
// for every command `procrun --help` lists, the options each shell offers must
// be exactly those `procrun COMMAND --help` lists. bash and fish are asked for
// their completions for real; zsh's _arguments specs are read by running the
// completion file with _arguments replaced by a printer.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "skip.hpp"

namespace {

namespace fs = std::filesystem;
using procrun::test::RunOptions;
using procrun::test::RunResult;
using procrun::test::TempDir;
using Names = std::set<std::string>;

fs::path completions_dir() {
    return procrun::test::source_dir() / "packaging" / "completions";
}

bool have(const std::string& program) {
    return procrun::test::run({"sh", "-c", "command -v \"$0\" >/dev/null", program}).exit_code == 0;
}

std::string help_text(const std::vector<std::string>& args) {
    RunResult r = procrun::test::run_procrun(args);
    INFO("procrun output: " << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

// The lines of one section of CLI11's help ("Options:", "Subcommands:").
std::vector<std::string> help_section(const std::string& help, const std::string& title) {
    std::vector<std::string> lines;
    bool in = false;
    for (const auto& line : procrun::test::split_lines(help)) {
        if (!line.empty() && line[0] != ' ') {
            in = line.rfind(title, 0) == 0;
            continue;
        }
        if (in)
            lines.push_back(line);
    }
    return lines;
}

// Option names in CLI11's help: "  -c,-m,--formation,--concurrency SPEC  How many ...",
// under "Options:" and, in `procrun --help`, the group of project options.
Names help_options(const std::string& help) {
    Names names;
    static const std::regex entry(R"(^\s+(-[^\s]*))");
    std::vector<std::string> lines = help_section(help, "Options:");
    for (auto& line : help_section(help, "Project options"))
        lines.push_back(std::move(line));
    for (const auto& line : lines) {
        std::smatch m;
        if (!std::regex_search(line, m, entry))
            continue;
        std::stringstream list(m[1].str());
        std::string name;
        while (std::getline(list, name, ',')) {
            if (auto brace = name.find('{'); brace != std::string::npos)
                name.resize(brace);
            if (auto eq = name.find('='); eq != std::string::npos)
                name.resize(eq);
            if (name.size() > 1 && name[0] == '-')
                names.insert(name);
        }
    }
    return names;
}

Names help_subcommands(const std::string& help) {
    Names names;
    static const std::regex entry(R"(^\s+([a-z][a-z0-9-]*)(\s|$))");
    for (const auto& line : help_section(help, "Subcommands:")) {
        std::smatch m;
        if (std::regex_search(line, m, entry))
            names.insert(m[1].str());
    }
    return names;
}

// What `procrun export --help` lists as formats, from the FORMAT positional:
// "  format FORMAT REQUIRED      Output format: systemd, supervisord, ..." (or a
// CLI11 set "{systemd,supervisord,...}").
Names help_export_formats(const std::string& help) {
    Names names;
    static const std::regex set(R"(\{([a-z0-9,-]+)\})");
    static const std::regex word(R"([a-z][a-z0-9-]*)");
    for (const auto& line : help_section(help, "Positionals:")) {
        if (line.find("FORMAT") == std::string::npos)
            continue;
        std::smatch m;
        std::string list;
        if (std::regex_search(line, m, set)) {
            list = m[1].str();
        } else if (auto colon = line.rfind(':'); colon != std::string::npos) {
            list = line.substr(colon + 1);
        }
        for (std::sregex_iterator it(list.begin(), list.end(), word), end; it != end; ++it) {
            names.insert(it->str());
        }
    }
    return names;
}

Names words_of(const std::string& text) {
    Names names;
    std::stringstream in(text);
    std::string word;
    while (in >> word)
        names.insert(word);
    return names;
}

Names only_options(const Names& names) {
    Names out;
    for (const auto& n : names) {
        if (!n.empty() && n[0] == '-')
            out.insert(n);
    }
    return out;
}

std::string joined(const Names& names) {
    std::string s;
    for (const auto& n : names)
        s += (s.empty() ? "" : " ") + n;
    return s;
}

// COMPREPLY of the bash completion for the words given (the last one is the
// word being completed), with or without the bash-completion library loaded.
Names bash_complete(const std::vector<std::string>& words, const fs::path& cwd, bool with_library) {
    std::string script;
    if (with_library)
        script += "source /usr/share/bash-completion/bash_completion\n";
    script += "source \"$0\"\n";
    script +=
        "COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\"; "
        "COMP_POINT=${#COMP_LINE}\n"
        "_procrun\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    std::vector<std::string> argv{"bash",   "--norc", "--noprofile",
                                  "-c",     script,   (completions_dir() / "procrun.bash").string(),
                                  "procrun"};
    argv.insert(argv.end(), words.begin(), words.end());
    RunOptions o;
    o.cwd = cwd;
    RunResult r = procrun::test::run(argv, o);
    INFO("bash stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.err.empty());
    return words_of(r.out);
}

// fish's own answer to `complete -C LINE` (first column of each line).
Names fish_complete(const std::string& line, const fs::path& cwd) {
    RunOptions o;
    o.cwd = cwd;
    o.set_env = {"HOME=" + cwd.string(), "XDG_CONFIG_HOME=" + (cwd / ".config").string(),
                 "XDG_DATA_HOME=" + (cwd / ".local").string()};
    RunResult r =
        procrun::test::run({"fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]",
                            (completions_dir() / "procrun.fish").string(), line},
                           o);
    INFO("fish stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    Names names;
    for (const auto& l : procrun::test::split_lines(r.out)) {
        auto tab = l.find('\t');
        std::string word = l.substr(0, tab);
        if (!word.empty())
            names.insert(word);
    }
    return names;
}

// The option names of the _arguments specs a zsh completion function passes.
Names zsh_options(const std::string& function) {
    const std::string script =
        "compdef() { : }\n"
        "_arguments() { print -rl -- \"$@\" }\n"
        "_describe() { print -rl -- ${(P)4} }\n"
        "source $1\n" +
        function + "\n";
    RunResult r = procrun::test::run(
        {"zsh", "-f", "-c", script, "zsh", (completions_dir() / "_procrun").string()});
    INFO("zsh stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.err.empty());
    Names names;
    // "(-f --procfile)-f+[Procfile to read]:..." / "*--env=[...]" / "--strict[...]"
    static const std::regex spec(R"(^(\([^)]*\))?\*?(--?[A-Za-z0-9][A-Za-z0-9-]*))");
    for (const auto& line : procrun::test::split_lines(r.out)) {
        std::smatch m;
        if (line == "-s" || line == "-S" || line == "-C")
            continue;
        if (std::regex_search(line, m, spec))
            names.insert(m[2].str());
    }
    return names;
}

// `name: value` lines of the _describe arrays (the commands).
Names zsh_described(const std::string& function) {
    const std::string script =
        "compdef() { : }\n"
        "_arguments() { state=command; return 0 }\n"
        "_describe() { print -rl -- ${(P)4} }\n"
        "source $1\n" +
        function + "\n";
    RunResult r = procrun::test::run(
        {"zsh", "-f", "-c", script, "zsh", (completions_dir() / "_procrun").string()});
    INFO("zsh stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    Names names;
    for (const auto& line : procrun::test::split_lines(r.out)) {
        names.insert(line.substr(0, line.find(':')));
    }
    return names;
}

// The formats the zsh completion offers for `procrun export FORMAT`.
Names zsh_export_formats() {
    const std::string script =
        "compdef() { : }\n"
        "_arguments() { print -rl -- \"$@\" }\n"
        "source $1\n"
        "_procrun_export\n";
    RunResult r = procrun::test::run(
        {"zsh", "-f", "-c", script, "zsh", (completions_dir() / "_procrun").string()});
    REQUIRE(r.exit_code == 0);
    static const std::regex spec(R"(^1:format:\(([^)]*)\)$)");
    for (const auto& line : procrun::test::split_lines(r.out)) {
        std::smatch m;
        if (std::regex_search(line, m, spec))
            return words_of(m[1].str());
    }
    FAIL("no '1:format:(...)' spec in _procrun_export");
    return {};
}

struct Cli {
    Names commands;
    Names top_options;
    std::vector<std::pair<std::string, Names>> command_options;
    Names export_formats;
};

Cli read_cli() {
    Cli cli;
    const std::string top = help_text({"--help"});
    cli.commands = help_subcommands(top);
    cli.top_options = help_options(top);
    REQUIRE_FALSE(cli.commands.empty());
    REQUIRE(cli.top_options.count("--help") == 1);
    for (const auto& c : cli.commands) {
        const std::string help = help_text({c, "--help"});
        cli.command_options.emplace_back(c, help_options(help));
        if (c == "export")
            cli.export_formats = help_export_formats(help);
    }
    return cli;
}

const std::string kProcfile =
    "web: gunicorn main:app\nworker_2: python worker.py\n  clock-A: sleep 1\n";

}  // namespace

TEST_CASE("bash completion offers exactly the commands and options of --help",
          "[completions][bash]") {
    if (!have("bash")) {
        PROCRUN_TOOL_MISSING("bash is not installed: bash completion not checked");
    }
    const Cli cli = read_cli();
    TempDir dir;
    for (bool library : {false, true}) {
        if (library && !fs::exists("/usr/share/bash-completion/bash_completion")) {
            PROCRUN_TOOL_MISSING_PART(
                "bash-completion is not installed: checked without its library only");
            continue;
        }
        INFO("with the bash-completion library: " << library);
        CHECK(joined(bash_complete({""}, dir.path(), library)) == joined(cli.commands));
        CHECK(joined(bash_complete({"-"}, dir.path(), library)) == joined(cli.top_options));
        for (const auto& [command, options] : cli.command_options) {
            INFO("procrun " << command << " -<TAB>");
            CHECK(joined(bash_complete({command, "-"}, dir.path(), library)) == joined(options));
        }
    }
}

TEST_CASE("bash completion completes process types, formats and option values",
          "[completions][bash]") {
    if (!have("bash")) {
        PROCRUN_TOOL_MISSING("bash is not installed: bash completion not checked");
    }
    TempDir dir;
    dir.write("Procfile", kProcfile);
    dir.write("other/Procfile.dev", "api: ./api\n");
    const Names types{"web", "worker_2", "clock-A"};
    CHECK(bash_complete({"start", ""}, dir.path(), false) == types);
    CHECK(bash_complete({"start", "-q", ""}, dir.path(), false) == types);
    CHECK(bash_complete({"start", "w"}, dir.path(), false) == Names{"web", "worker_2"});
    CHECK(bash_complete({"start", "-f", "other/Procfile.dev", ""}, dir.path(), false) ==
          Names{"api"});
    CHECK(bash_complete({"check", "--format", ""}, dir.path(), false) ==
          Names{"human", "json", "github"});
    CHECK(bash_complete({"check", "--format", "=", "j"}, dir.path(), false) == Names{"json"});
    const Cli cli = read_cli();
    REQUIRE_FALSE(cli.export_formats.empty());
    CHECK(joined(bash_complete({"export", ""}, dir.path(), false)) == joined(cli.export_formats));
}

TEST_CASE("bash completion after project options given before the command", "[completions][bash]") {
    if (!have("bash"))
        PROCRUN_TOOL_MISSING("bash is not installed: bash completion not checked");
    TempDir dir;
    dir.write("Procfile", kProcfile);
    dir.write("other/Procfile.dev", "api: ./api\n");
    const Cli cli = read_cli();
    for (bool library : {false, true}) {
        if (library && !fs::exists("/usr/share/bash-completion/bash_completion")) {
            PROCRUN_TOOL_MISSING_PART(
                "bash-completion is not installed: checked without its library only");
            continue;
        }
        INFO("with the bash-completion library: " << library);
        // The option's value is not the command.
        CHECK(joined(bash_complete({"-f", "start", ""}, dir.path(), library)) ==
              joined(cli.commands));
        CHECK(joined(bash_complete({"-e", ".env", "-m", "web=1", ""}, dir.path(), library)) ==
              joined(cli.commands));
        CHECK(bash_complete({"-f", "other/Procfile.dev", "start", ""}, dir.path(), library) ==
              Names{"api"});
        CHECK(bash_complete({"--procfile=other/Procfile.dev", "start", "-q", ""}, dir.path(),
                            library) == Names{"api"});
        CHECK(bash_complete(
                  {"-d", "other", "-f", "Procfile", "start", "-f", "other/Procfile.dev", ""},
                  dir.path(), library) == Names{"api"});
        CHECK(bash_complete({"-d", ""}, dir.path(), library) == Names{"other"});
        for (const auto& [command, options] : cli.command_options) {
            INFO("procrun -f Procfile " << command << " -<TAB>");
            CHECK(joined(bash_complete({"-f", "Procfile", command, "-"}, dir.path(), library)) ==
                  joined(options));
        }
        CHECK(joined(bash_complete({"-e", ".env", "export", ""}, dir.path(), library)) ==
              joined(cli.export_formats));
    }
}

TEST_CASE("zsh completion declares exactly the commands and options of --help",
          "[completions][zsh]") {
    if (!have("zsh")) {
        PROCRUN_TOOL_MISSING("zsh is not installed: zsh completion not checked");
    }
    const Cli cli = read_cli();
    CHECK(joined(zsh_described("_procrun")) == joined(cli.commands));
    REQUIRE_FALSE(cli.export_formats.empty());
    CHECK(joined(zsh_export_formats()) == joined(cli.export_formats));
    CHECK(joined(zsh_options("_procrun")) == joined(cli.top_options));
    for (const auto& [command, options] : cli.command_options) {
        INFO("zsh: _procrun_" << command);
        CHECK(joined(zsh_options("_procrun_" + command)) == joined(options));
    }
}

TEST_CASE("fish completion offers exactly the commands and options of --help",
          "[completions][fish]") {
    if (!have("fish")) {
        PROCRUN_TOOL_MISSING("fish is not installed: fish completion not checked");
    }
    const Cli cli = read_cli();
    TempDir dir;
    dir.write("Procfile", kProcfile);
    CHECK(joined(fish_complete("procrun ", dir.path())) == joined(cli.commands));
    CHECK(joined(fish_complete("procrun -", dir.path())) == joined(cli.top_options));
    for (const auto& [command, options] : cli.command_options) {
        INFO("fish: procrun " << command << " -<TAB>");
        CHECK(joined(only_options(fish_complete("procrun " + command + " -", dir.path()))) ==
              joined(options));
    }
    CHECK(fish_complete("procrun start ", dir.path()) == Names{"web", "worker_2", "clock-A"});
    // Project options before the command: their values are not the command.
    CHECK(joined(fish_complete("procrun -f Procfile ", dir.path())) == joined(cli.commands));
    CHECK(fish_complete("procrun -f Procfile -e .env start ", dir.path()) ==
          Names{"web", "worker_2", "clock-A"});
    for (const auto& [command, options] : cli.command_options) {
        INFO("fish: procrun -m all=1 " << command << " -<TAB>");
        CHECK(joined(only_options(fish_complete("procrun -m all=1 " + command + " -",
                                                dir.path()))) == joined(options));
    }
    CHECK(joined(fish_complete("procrun -e .env export ", dir.path())) ==
          joined(cli.export_formats));
    REQUIRE_FALSE(cli.export_formats.empty());
    CHECK(joined(fish_complete("procrun export ", dir.path())) == joined(cli.export_formats));
}

TEST_CASE("the man page documents every command and option of --help", "[completions][man]") {
    const fs::path page = procrun::test::source_dir() / "docs" / "procrun.1.scd";
    std::ifstream in(page);
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    const std::string man = text.str();
    const Cli cli = read_cli();
    for (const auto& command : cli.commands) {
        INFO("procrun(1) has no section '## procrun " << command << "'");
        CHECK(man.find("\n## procrun " + command + " ") != std::string::npos);
    }
    // Options are written *-f*, *--procfile* in scdoc.
    for (const auto& name : cli.top_options) {
        INFO("procrun(1) does not mention " << name);
        CHECK(man.find("*" + name + "*") != std::string::npos);
    }
    for (const auto& [command, options] : cli.command_options) {
        for (const auto& name : options) {
            INFO("procrun(1) does not mention " << name << " (procrun " << command << ")");
            CHECK(man.find("*" + name + "*") != std::string::npos);
        }
    }
    for (const auto& format : cli.export_formats) {
        INFO("procrun(1) does not describe the export format " << format);
        CHECK(man.find("*" + format + "*") != std::string::npos);
    }
}
