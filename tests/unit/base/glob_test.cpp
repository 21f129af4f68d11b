// Globs, path patterns and the .gitignore subset: tables of pattern, path and
// the expected answer.

#include <catch2/catch.hpp>

#include <string>

#include "procrun/glob.hpp"

using namespace procrun;

namespace {

struct Row {
    const char* pattern;
    const char* path;
    bool expected;
};

}  // namespace

TEST_CASE("glob_match: one component", "[glob]") {
    const Row rows[] = {
        {"*.py", "views.py", true},
        {"*.py", "views.pyc", false},
        {"*.py", ".py", true},
        {"*", "", true},
        {"?", "a", true},
        {"?", "", false},
        {"?", "ab", false},
        {"a*b*c", "aXXbYYc", true},
        {"a*b*c", "aXXbYY", false},
        {"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
        {"[abc].txt", "b.txt", true},
        {"[abc].txt", "d.txt", false},
        {"[!abc].txt", "d.txt", true},
        {"[^abc].txt", "a.txt", false},
        {"[a-c]x", "bx", true},
        {"[a-c]x", "dx", false},
        {"[]]", "]", true},
        {"[a-]", "-", true},
        {"\\*", "*", true},
        {"\\*", "a", false},
        {"\\[x]", "[x]", true},
        {"4913", "4913", true},
        {".#*", ".#views.py", true},
        {"*~", "views.py~", true},
        {"*.sw[px]", "views.py.swp", true},
        {"*.sw[px]", "views.py.swo", false},
    };
    for (const auto& r : rows) {
        INFO(r.pattern << " against " << r.path);
        CHECK(glob_match(r.pattern, r.path) == r.expected);
    }
}

TEST_CASE("glob_match: components and **", "[glob]") {
    const Row rows[] = {
        {"*", "a/b", false},
        {"*/b", "a/b", true},
        {"a/?", "a/b", true},
        {"a?b", "a/b", false},
        {"a[/]b", "a/b", false},
        {"**", "a", true},
        {"**", "a/b/c", true},
        {"**/c", "c", true},
        {"**/c", "a/b/c", true},
        {"**/c", "a/b/cd", false},
        {"a/**", "a/b/c", true},
        {"a/**", "a", true},
        {"a/**/c", "a/c", true},
        {"a/**/c", "a/b/x/c", true},
        {"a/**/c", "b/a/c", false},
        {"src/**/*.py", "src/app/models/user.py", true},
        {"src/**/*.py", "src/user.py", true},
        {"src/**/*.py", "lib/user.py", false},
        {"a**b", "aXb", true},
        {"a**b", "a/b", false},
        {"**/**/**/**/**/**/x", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/y", false},
    };
    for (const auto& r : rows) {
        INFO(r.pattern << " against " << r.path);
        CHECK(glob_match(r.pattern, r.path) == r.expected);
    }
}

TEST_CASE("glob_error names what is wrong, and an invalid glob matches nothing", "[glob]") {
    CHECK(glob_error("*.py").empty());
    CHECK(glob_error("[]]").empty());
    CHECK(glob_error("") == "a pattern cannot be empty");
    CHECK(glob_error("[abc").find("no closing ']'") != std::string::npos);
    CHECK(glob_error("abc\\").find("lone '\\'") != std::string::npos);
    CHECK_FALSE(glob_match("[abc", "[abc"));
}

TEST_CASE("path patterns: basename, anchored, directory-only", "[glob]") {
    struct PRow {
        const char* pattern;
        const char* path;
        bool is_dir;
        bool expected;
    };
    const PRow rows[] = {
        {"*.pyc", "a/b/c.pyc", false, true},
        {"node_modules", "web/node_modules", true, true},
        {"node_modules", "node_modules", true, true},
        {"/build", "build", true, true},
        {"/build", "src/build", true, false},
        {"docs/_build", "docs/_build", true, true},
        {"docs/_build", "x/docs/_build", true, false},
        {"log/", "log", true, true},
        {"log/", "log", false, false},
        {"**/gen", "a/b/gen", true, true},
        {"src/**/gen/", "src/a/gen", true, true},
        {"src/**/gen/", "src/a/gen", false, false},
    };
    for (const auto& r : rows) {
        INFO(r.pattern << " against " << r.path << (r.is_dir ? " (dir)" : ""));
        std::string why;
        const auto p = parse_path_pattern(r.pattern, false, &why);
        REQUIRE(p);
        CHECK(matches(*p, r.path, r.is_dir) == r.expected);
    }
    std::string why;
    CHECK_FALSE(parse_path_pattern("[x", false, &why));
    CHECK_FALSE(why.empty());
    const auto literal = parse_path_pattern("!x", false, &why);
    REQUIRE(literal);
    CHECK_FALSE(literal->negated);
    CHECK(matches(*literal, "!x", false));
}

TEST_CASE("parse_gitignore: comments, negation, escapes, trailing spaces, bad lines", "[glob]") {
    const std::string text =
        "# build output\n"
        "\n"
        "*.log\n"
        "!keep.log\n"
        "/dist/\n"
        "\\#notes\n"
        "\\!bang\n"
        "space\\ \n"
        "trailing   \n"
        "[oops\n"
        "cache/**/tmp\r\n";
    const auto parsed = parse_gitignore(text, ".gitignore");
    REQUIRE(parsed.diagnostics.size() == 1);
    CHECK(parsed.diagnostics[0].severity == Severity::warning);
    CHECK(parsed.diagnostics[0].where.line == 10);
    CHECK(parsed.diagnostics[0].message.find("no closing ']'") != std::string::npos);
    const auto& rules = parsed.value;
    REQUIRE(rules.size() == 8);
    CHECK(rules[0].where.line == 3);

    struct IRow {
        const char* path;
        bool is_dir;
        bool expected;
    };
    const IRow rows[] = {
        {"app.log", false, true}, {"sub/app.log", false, true}, {"keep.log", false, false},
        {"dist", true, true},     {"dist", false, false},       {"src/dist", true, false},
        {"#notes", false, true},  {"!bang", false, true},       {"space ", false, true},
        {"space", false, false},  {"trailing", false, true},    {"cache/a/b/tmp", true, true},
        {"app.py", false, false},
    };
    for (const auto& r : rows) {
        INFO(r.path);
        CHECK(ignored(rules, r.path, r.is_dir) == r.expected);
    }
}
