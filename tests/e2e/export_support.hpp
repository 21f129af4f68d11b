#pragma once

// Shared by the export end-to-end tests: a project with hostile values, what
// its processes must print, and small file and polling helpers.

#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace procrun::test::exporting {

namespace fs = std::filesystem;

using procrun::test::eventually;
using procrun::test::read_file;

inline std::string sh_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// A marker in every exported environment, so leftover processes can be found.
inline std::string marker() {
    return "PROCRUN_EXPORT_E2E=" + std::to_string(::getpid());
}

// The hostile command: quotes of both kinds, $, %, backslashes, ';' and '&&'.
// It prints its own arguments through printf, then the environment through
// procrun-testchild, then "ready", and sleeps.
inline std::string hostile_command() {
    return "printf '%s\\n' \"it's\" 'say \"hi\"' '$HOME' \"100%\" 'back\\slash' && "
           "echo \"semi;colon && more\" ; exec " +
           testchild_binary() +
           " env NOTE env QUOTES env EQ env DOLLAR env BACKSLASH env MULTI env PORT print ready "
           "sleep 30";
}

// Hostile values, as the .env file writes them and as the process must see them.
inline std::string hostile_dotenv(bool with_newline = true) {
    std::string text =
        "NOTE=\"spaces and # hash ; semi\"\n"
        "QUOTES=\"it's \\\"quoted\\\"\"\n"
        "EQ=\"a=b=c\"\n"
        "DOLLAR='$HOME 100%'\n"
        "BACKSLASH='back\\slash'\n";
    if (with_newline)
        text += "MULTI=\"line1\\nline2\"\n";
    return text + marker() + "\n";
}

inline std::map<std::string, std::string> hostile_env(bool with_newline = true) {
    std::map<std::string, std::string> env = {
        {"NOTE", "spaces and # hash ; semi"},
        {"QUOTES", "it's \"quoted\""},
        {"EQ", "a=b=c"},
        {"DOLLAR", "$HOME 100%"},
        {"BACKSLASH", "back\\slash"},
    };
    if (with_newline)
        env["MULTI"] = "line1\nline2";
    const std::string m = marker();
    env[m.substr(0, m.find('='))] = m.substr(m.find('=') + 1);
    return env;
}

// What the hostile command prints with PORT `port`.
inline std::string hostile_output(int port, bool with_newline = true) {
    return "it's\nsay \"hi\"\n$HOME\n100%\nback\\slash\nsemi;colon && more\n"
           "NOTE=spaces and # hash ; semi\nQUOTES=it's \"quoted\"\nEQ=a=b=c\n"
           "DOLLAR=$HOME 100%\nBACKSLASH=back\\slash\n" +
           std::string(with_newline ? "MULTI=line1\nline2\n" : "MULTI unset\n") +
           "PORT=" + std::to_string(port) + "\nready\n";
}

// A project directory `root` inside `dir` with the hostile Procfile and .env.
inline fs::path hostile_project(TempDir& dir, bool with_newline = true) {
    dir.write("app/Procfile", "hostile: " + hostile_command() + "\n");
    dir.write("app/.env", hostile_dotenv(with_newline));
    return dir.path() / "app";
}

inline RunResult export_to(const fs::path& root, const std::vector<std::string>& args) {
    RunOptions o;
    o.cwd = root;
    std::vector<std::string> all = {"export"};
    all.insert(all.end(), args.begin(), args.end());
    return run_procrun(all, o);
}

}  // namespace procrun::test::exporting
