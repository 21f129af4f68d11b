#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "procrun/shell.hpp"

using procrun::shell_join;
using procrun::shell_quote;

TEST_CASE("shell quoting leaves plain words alone and single-quotes the rest", "[shell]") {
    CHECK(shell_quote("plain") == "plain");
    CHECK(shell_quote("/usr/bin/env") == "/usr/bin/env");
    CHECK(shell_quote("a=b,c:d@e%f+g") == "a=b,c:d@e%f+g");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("a b") == "'a b'");
    CHECK(shell_join({"a b", "$HOME", "*", "x"}) == "'a b' '$HOME' '*' x");
    CHECK(shell_join({}) == "");
}

TEST_CASE("shell-joined words reach a program through /bin/sh unchanged", "[shell]") {
    const std::vector<std::string> words{"it's", "$HOME", "a\"b",        "back\\slash", "; && |",
                                         "*",    "",      "line\nbreak", "%s",          "~"};
    const std::string command = "printf '[%s]' " + shell_join(words);
    FILE* p = ::popen(command.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[256];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        out.append(buf, n);
    const int status = ::pclose(p);
    CHECK(WIFEXITED(status));
    std::string expected;
    for (const auto& w : words)
        expected += "[" + w + "]";
    CHECK(out == expected);
}
