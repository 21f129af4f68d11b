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

TEST_CASE("a simple command is exec'd by the shell, anything else runs as written", "[shell]") {
    using procrun::can_exec;
    using procrun::exec_form;
    CHECK(exec_form("gunicorn main:app") == "exec gunicorn main:app");
    CHECK(exec_form("  bundle exec puma -C config/puma.rb") ==
          "exec   bundle exec puma -C config/puma.rb");
    CHECK(can_exec("gunicorn -b 0.0.0.0:$PORT main:app"));
    CHECK(can_exec("node server.js --port ${PORT:-5000} 2>&1"));
    CHECK(can_exec("./bin/web"));
    CHECK(can_exec("python3 -c 'print(1)'") == false);  // parentheses, even quoted
    CHECK_FALSE(can_exec("cd web && npm start"));
    CHECK_FALSE(can_exec("sleep 100; echo done"));
    CHECK_FALSE(can_exec("sleep 100 & wait"));
    CHECK_FALSE(can_exec("yes | head"));
    CHECK_FALSE(can_exec("echo `date`"));
    CHECK_FALSE(can_exec("FOO=1 ./server"));
    CHECK_FALSE(can_exec("exec ./server"));
    CHECK_FALSE(can_exec(". ./env.sh"));
    CHECK_FALSE(can_exec("export A=1"));
    CHECK_FALSE(can_exec("while true; do date; sleep 1; done"));
    CHECK_FALSE(can_exec("{ cmd; }"));
    CHECK_FALSE(can_exec("# nothing"));
    CHECK_FALSE(can_exec(""));
    CHECK_FALSE(can_exec("   "));
    CHECK_FALSE(can_exec("a\nb"));
    CHECK(exec_form("sleep 100; echo") == "sleep 100; echo");
}

TEST_CASE("redirections keep a command simple, background jobs do not", "[shell]") {
    CHECK(procrun::can_exec("worker 2>&1"));
    CHECK(procrun::can_exec("worker <&3 >log"));
    CHECK_FALSE(procrun::can_exec("worker &> log"));
    CHECK_FALSE(procrun::can_exec("worker && other"));
    CHECK_FALSE(procrun::can_exec("worker &"));
}

TEST_CASE("the shell lexer: words, quotes, operators, redirections", "[shell]") {
    using procrun::shell_words;
    auto texts = [](std::string_view command) {
        std::vector<std::string> out;
        for (const auto& w : shell_words(command)) {
            std::string kind = w.op ? "op:" : w.redirect ? "redir:" : w.quoted ? "q:" : "";
            out.push_back(kind + w.text);
        }
        return out;
    };
    using Words = std::vector<std::string>;
    CHECK(texts("") == Words{});
    CHECK(texts("  gunicorn\t-b :$PORT app:app ") == Words{"gunicorn", "-b", ":$PORT", "app:app"});
    CHECK(texts("echo 'a b' \"c \\\"d\\\" \\x\" e\\ f") ==
          Words{"echo", "q:a b", "q:c \"d\" \\x", "q:e f"});
    CHECK(texts("a&&b||c;d|e&f(g)") == Words{"a", "op:&&", "b", "op:||", "c", "op:;", "d", "op:|",
                                             "e", "op:&", "f", "op:(", "g", "op:)"});
    CHECK(texts("w 2>&1 >>log <in &>all") ==
          Words{"w", "redir:>&", "1", "redir:>>", "log", "redir:<", "in", "redir:&>", "all"});
    CHECK(texts("w '2'>x") == Words{"w", "q:2", "redir:>", "x"});
    CHECK(texts("a # b; c\nd") == Words{"a", "op:\n", "d"});
    CHECK(texts("a#b") == Words{"a#b"});
    CHECK(texts("'unterminated x") == Words{"q:unterminated x"});

    const auto words = shell_words("exec  'x y'");
    REQUIRE(words.size() == 2);
    CHECK(words[1].begin == 6);
    CHECK(words[1].end == 11);
}

TEST_CASE("can_exec reads the command through the lexer", "[shell]") {
    using procrun::can_exec;
    CHECK(can_exec("2>&1 worker --flag"));  // a redirection before the program
    CHECK(can_exec("worker # a comment"));
    CHECK_FALSE(can_exec("worker # comment\nother"));  // the line break still separates
    CHECK_FALSE(can_exec("'' worker"));                // an empty program name
    CHECK_FALSE(can_exec("echo 'a&b'"));               // even quoted
    CHECK_FALSE(can_exec("echo \"a;b\""));
    CHECK_FALSE(can_exec("exec"));
    CHECK_FALSE(can_exec(">log"));  // no program at all
}
