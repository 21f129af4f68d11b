#include "procrun/procfile.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace procrun;

namespace {

struct Expected {
    int line;
    int column;
    std::string code;
    std::string message;
};

struct ErrorCase {
    std::string name;
    std::string text;
    std::vector<Expected> errors;
};

}  // namespace

TEST_CASE("Procfile entries: names, commands, lines and columns", "[procfile]") {
    const std::string text =
        "# processes\n"
        "web: bundle exec puma -p $PORT\n"
        "\n"
        "  worker:python worker.py   \n"
        "\t# indented comment\n"
        "release_1:   ./bin/release --flag=a:b  \t\n"
        "Clock-2: echo tick # not a comment\n";
    const auto parsed = parse_procfile(text, "Procfile");
    REQUIRE(parsed.diagnostics.empty());
    const std::vector<ProcfileEntry> expected = {
        {"web", "bundle exec puma -p $PORT", 2, 6},
        {"worker", "python worker.py", 4, 10},
        {"release_1", "./bin/release --flag=a:b", 6, 14},
        {"Clock-2", "echo tick # not a comment", 7, 10},
    };
    CHECK(parsed.value.entries == expected);
    CHECK(parsed.value.file == "Procfile");
    CHECK(parsed.value.names() ==
          std::vector<std::string>{"web", "worker", "release_1", "Clock-2"});
    REQUIRE(parsed.value.find("worker") != nullptr);
    CHECK(parsed.value.find("worker")->line == 4);
    CHECK(parsed.value.find("nope") == nullptr);
}

TEST_CASE("Procfile accepts CRLF, a UTF-8 BOM and a missing final newline", "[procfile]") {
    const auto parsed = parse_procfile("\xEF\xBB\xBFweb: a b\r\n\r\nworker: c\r\nclock: d", "P");
    REQUIRE(parsed.diagnostics.empty());
    REQUIRE(parsed.value.entries.size() == 3);
    CHECK(parsed.value.entries[0] == ProcfileEntry{"web", "a b", 1, 6});
    CHECK(parsed.value.entries[1] == ProcfileEntry{"worker", "c", 3, 9});
    CHECK(parsed.value.entries[2] == ProcfileEntry{"clock", "d", 4, 8});
}

TEST_CASE("Procfile errors are located, coded and exact", "[procfile]") {
    const std::vector<ErrorCase> cases = {
        {"space before colon",
         "web : bundle exec puma\n",
         {{1, 4, "procfile/space-before-colon", "space between process name 'web' and ':'"}}},
        {"tab before colon",
         "  web\t: x\n",
         {{1, 6, "procfile/space-before-colon", "space between process name 'web' and ':'"}}},
        {"no colon",
         "web bundle exec puma\n",
         {{1, 1, "procfile/not-an-entry",
           "expected `name: command`, found a line without a colon"}}},
        {"words before the colon",
         "web: ok\n  npm start --url http://x\n",
         {{2, 3, "procfile/not-an-entry",
           "expected `name: command`, but 'npm start --url http' before the colon is not a "
           "process name"}}},
        {"empty command",
         "web:\nworker:   \t\n",
         {{1, 5, "procfile/empty-command", "process 'web' has no command"},
          {2, 8, "procfile/empty-command", "process 'worker' has no command"}}},
        {"missing name",
         ": echo\n",
         {{1, 1, "procfile/missing-name", "missing process name before ':'"}}},
        {"invalid name character",
         "web.1: x\n",
         {{1, 4, "procfile/invalid-name", "invalid character '.' in process name 'web.1'"}}},
        {"invalid UTF-8 name character",
         "caf\xC3\xA9: x\n",
         {{1, 4, "procfile/invalid-name",
           "invalid character '\xC3\xA9' in process name 'caf\xC3\xA9'"}}},
        {"duplicate name",
         "web: a\nworker: b\nweb: c\n",
         {{3, 1, "procfile/duplicate-name",
           "duplicate process type 'web' (first defined on line 1, again on line 3)"}}},
        {"line continuation",
         "web: bundle exec puma \\\n  -p $PORT\n",
         {{1, 23, "procfile/line-continuation",
           "a backslash at the end of a line does not continue the command"},
          {2, 3, "procfile/not-an-entry",
           "expected `name: command`, found a line without a colon"}}},
        {"NUL byte",
         std::string("web: a\nwor\0ker: b\n", 18),
         {{2, 4, "procfile/nul-byte", "NUL byte in Procfile"}}},
        {"lone carriage return",
         "web: a\rworker: b\n",
         {{1, 7, "procfile/carriage-return", "carriage return in the middle of a line"}}},
        {"every error is reported, in order",
         "web : a\nworker:\nweb: b\nbad line\n",
         {{1, 4, "procfile/space-before-colon", "space between process name 'web' and ':'"},
          {2, 8, "procfile/empty-command", "process 'worker' has no command"},
          {3, 1, "procfile/duplicate-name",
           "duplicate process type 'web' (first defined on line 1, again on line 3)"},
          {4, 1, "procfile/not-an-entry",
           "expected `name: command`, found a line without a colon"}}},
        {"empty file", "", {{0, 0, "procfile/empty", "the Procfile is empty"}}},
        {"blank file", "\n  \r\n\t\n", {{0, 0, "procfile/empty", "the Procfile is empty"}}},
        {"only comments",
         "# web: x\n  # worker: y\n",
         {{0, 0, "procfile/no-processes",
           "the Procfile defines no process type (it has only comments)"}}},
    };
    for (const auto& c : cases) {
        SECTION(c.name) {
            const auto parsed = parse_procfile(c.text, "Procfile");
            REQUIRE(parsed.diagnostics.size() == c.errors.size());
            CHECK_FALSE(parsed.ok());
            for (std::size_t i = 0; i < c.errors.size(); ++i) {
                const Diagnostic& d = parsed.diagnostics[i];
                INFO("diagnostic " << i << ": " << d.message);
                CHECK(d.severity == Severity::error);
                CHECK(d.where.file == "Procfile");
                CHECK(d.where.line == c.errors[i].line);
                CHECK(d.where.column == c.errors[i].column);
                CHECK(d.code == c.errors[i].code);
                CHECK(d.message == c.errors[i].message);
                if (d.where.line > 0) {
                    CHECK(d.source_line == std::string(line_at(c.text, d.where.line)));
                }
            }
        }
    }
}

TEST_CASE("Procfile errors keep the good entries and give hints", "[procfile]") {
    const auto parsed = parse_procfile("web : a\nworker: b\ncmd: run \\\n", "Procfile");
    REQUIRE(parsed.value.entries.size() == 1);
    CHECK(parsed.value.entries[0].name == "worker");
    REQUIRE(parsed.diagnostics.size() == 2);
    CHECK(parsed.diagnostics[0].hint ==
          "write `web: ...`; foreman and Heroku do not recognise the line with a space before the "
          "colon and skip it silently");
    CHECK(parsed.diagnostics[1].hint ==
          "Heroku and foreman run this line as it is, with a literal `\\`, and the next line is "
          "not part of it; put a long command in a script (e.g. bin/web) and run that");
}

TEST_CASE("Procfile: the line after a backslash is named as its continuation", "[procfile]") {
    const auto parsed = parse_procfile("web: a \\\n  --flag\n", "Procfile");
    REQUIRE(parsed.diagnostics.size() == 2);
    CHECK(parsed.diagnostics[1].hint ==
          "this looks like the continuation of line 1, but a Procfile has no line continuation: "
          "put the whole command on one line or in a script");
}

TEST_CASE("Procfile: long text before a colon is shortened at a character boundary", "[procfile]") {
    const std::string prefix = "ab " + std::string(33, 'c');  // 36 bytes
    const auto parsed = parse_procfile(prefix + "\xC3\xA9 and more words: x\n", "Procfile");
    REQUIRE(parsed.diagnostics.size() == 1);
    CHECK(parsed.diagnostics[0].message == "expected `name: command`, but '" + prefix +
                                               "...' before the colon is not a process name");
}

TEST_CASE("Procfile: an escaped backslash at the end is not a continuation", "[procfile]") {
    const auto parsed = parse_procfile("web: echo a\\\\\n", "Procfile");
    REQUIRE(parsed.diagnostics.empty());
    CHECK(parsed.value.entries[0].command == "echo a\\\\");
}

TEST_CASE("Procfile caret rendering", "[procfile]") {
    const auto parsed = parse_procfile("web : cmd\n", "Procfile");
    REQUIRE(parsed.diagnostics.size() == 1);
    CHECK(format_human(parsed.diagnostics[0], false) ==
          "Procfile:1:4: error: space between process name 'web' and ':'\n"
          " 1 | web : cmd\n"
          "   |    ^\n"
          "hint: write `web: ...`; foreman and Heroku do not recognise the line with a space "
          "before the colon and skip it silently\n");
}

TEST_CASE("Strict process names (Cloud Native Buildpacks)", "[procfile]") {
    struct Case {
        std::string name;
        bool ok;
        std::string why;
    };
    const std::vector<Case> cases = {
        {"web", true, ""},
        {"web-2", true, ""},
        {"9to5", true, ""},
        {std::string(63, 'a'), true, ""},
        {std::string(64, 'a'), false, "it is 64 characters long, the limit is 63"},
        {"Web", false, "it contains an uppercase letter"},
        {"web_worker", false, "it contains '_' (use '-')"},
        {"-web", false, "it must start with a letter or digit"},
        {"web-", false, "it must end with a letter or digit"},
        {"", false, "the name is empty"},
        {"a.b", false, "it contains '.'"},
    };
    for (const auto& c : cases) {
        std::string why;
        INFO(c.name);
        CHECK(is_strict_process_name(c.name, &why) == c.ok);
        CHECK(why == c.why);
    }

    const auto lax = parse_procfile("Web_1: a\nweb: b\n", "Procfile");
    CHECK(lax.ok());
    ProcfileOptions strict;
    strict.strict = true;
    const auto parsed = parse_procfile("Web_1: a\nweb: b\n", "Procfile", strict);
    REQUIRE(parsed.diagnostics.size() == 1);
    CHECK(parsed.diagnostics[0].where.line == 1);
    CHECK(parsed.diagnostics[0].where.column == 1);
    CHECK(parsed.diagnostics[0].code == "procfile/strict-name");
    CHECK(parsed.diagnostics[0].message ==
          "process name 'Web_1' is not allowed with --strict: it contains an uppercase letter");
    REQUIRE(parsed.value.entries.size() == 1);
    CHECK(parsed.value.entries[0].name == "web");
}
