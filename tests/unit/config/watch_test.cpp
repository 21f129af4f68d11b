// `watch:` of a process type in .procrun.yaml: the shorthands, the mapping,
// and located errors for bad values.

#include <catch2/catch.hpp>

#include <string>

#include "procrun/config.hpp"

using namespace procrun;
using namespace std::chrono_literals;

namespace {

std::optional<Watch> watch_of(const std::string& yaml, std::vector<Diagnostic>* diags = nullptr) {
    auto parsed = parse_config("processes:\n  web:\n    watch: " + yaml + "\n", ".procrun.yaml");
    if (diags)
        *diags = parsed.diagnostics;
    else
        REQUIRE(parsed.diagnostics.empty());
    const auto it = parsed.value.processes.find("web");
    REQUIRE(it != parsed.value.processes.end());
    return it->second.value.watch;
}

}  // namespace

TEST_CASE("watch: true, false, a folder, a list of folders", "[config][watch]") {
    auto on = watch_of("true");
    REQUIRE(on);
    CHECK(on->enabled);
    CHECK(on->paths.empty());
    CHECK(on->debounce == 200ms);
    CHECK(on->gitignore);
    CHECK_FALSE(on->restart_dependents);
    CHECK(on->where == Location{".procrun.yaml", 3, 5});

    auto off = watch_of("false");
    REQUIRE(off);
    CHECK_FALSE(off->enabled);

    auto one = watch_of("src");
    REQUIRE(one);
    REQUIRE(one->paths.size() == 1);
    CHECK(one->paths[0].path == "src");
    CHECK(one->paths[0].where == Location{".procrun.yaml", 3, 12});

    auto two = watch_of("[src, templates]");
    REQUIRE(two);
    REQUIRE(two->paths.size() == 2);
    CHECK(two->paths[1].path == "templates");

    auto none = parse_config("processes:\n  web: {restart: always}\n", ".procrun.yaml");
    CHECK_FALSE(none.value.processes["web"].value.watch);
}

TEST_CASE("watch: the mapping, every key", "[config][watch]") {
    auto w = watch_of(
        "{paths: [app, lib/shared.py], include: ['*.py', 'templates/**'], exclude: [migrations/, "
        "'*_test.py'], gitignore: no, debounce: 1.5s, restart_dependents: true}");
    REQUIRE(w);
    CHECK(w->enabled);
    REQUIRE(w->paths.size() == 2);
    CHECK(w->paths[1].path == "lib/shared.py");
    REQUIRE(w->include.size() == 2);
    CHECK(w->include[0].glob == "*.py");
    CHECK_FALSE(w->include[0].anchored);
    CHECK(w->include[1].anchored);
    REQUIRE(w->exclude.size() == 2);
    CHECK(w->exclude[0].dir_only);
    CHECK_FALSE(w->gitignore);
    CHECK(w->debounce == 1500ms);
    CHECK(w->restart_dependents);
    auto single = watch_of("{paths: src, include: '*.rb'}");
    REQUIRE(single);
    CHECK(single->paths.size() == 1);
    CHECK(single->include.size() == 1);
}

TEST_CASE("watch: bad values are located errors", "[config][watch]") {
    struct Row {
        const char* yaml;
        const char* message;
        int column;
    };
    const Row rows[] = {
        {"{paths: ['']}", "a watch path cannot be empty", 21},
        {"{include: ['[abc']}", "'[abc' is not a valid glob: its '[' has no closing ']'", 23},
        {"{exclude: 'x\\'}", "is not a valid glob", 22},
        {"{debounce: soon}", "'debounce' must be", 23},
        {"{debounce: -1s}", "'debounce' must be", 23},
        {"{restart_dependents: maybe}", "'restart_dependents' must be true or false", 33},
        {"{gitignore: 2}", "'gitignore' must be true or false", 24},
        {"{pahts: src}", "unknown key 'pahts' in watch", 13},
        {"{paths: {a: b}}", "'paths' must be", 20},
        {"{include: [[x]]}", "'include' must be", 23},
    };
    for (const auto& r : rows) {
        INFO(r.yaml);
        std::vector<Diagnostic> diags;
        watch_of(r.yaml, &diags);
        REQUIRE(diags.size() == 1);
        CHECK(diags[0].severity == Severity::error);
        CHECK(diags[0].message.find(r.message) != std::string::npos);
        CHECK(diags[0].where.line == 3);
        CHECK(diags[0].where.column == r.column);
    }
    auto parsed = parse_config("processes:\n  web:\n    watch: {a: 1}\n", ".procrun.yaml");
    REQUIRE(parsed.diagnostics.size() == 1);
    CHECK(parsed.diagnostics[0].hint.find("paths") != std::string::npos);
}
