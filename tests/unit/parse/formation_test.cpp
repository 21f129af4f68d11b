#include "procrun/formation.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace procrun;

TEST_CASE("Formation specs", "[formation]") {
    const auto parsed = parse_formation("all=1,web=2,worker=0");
    REQUIRE(parsed.diagnostics.empty());
    CHECK(parsed.value.all == 1);
    CHECK(parsed.value.counts == std::map<std::string, int>{{"web", 2}, {"worker", 0}});
    CHECK(parsed.value.count_for("web") == 2);
    CHECK(parsed.value.count_for("worker") == 0);
    CHECK(parsed.value.count_for("clock") == 1);

    const auto spaced = parse_formation(" web = 3 , worker=007 ");
    REQUIRE(spaced.diagnostics.empty());
    CHECK_FALSE(spaced.value.all.has_value());
    CHECK(spaced.value.count_for("web") == 3);
    CHECK(spaced.value.count_for("worker") == 7);
    CHECK(spaced.value.count_for("other") == 0);  // as in foreman: only the named types run

    const auto none = parse_formation("all=0,web=1");
    CHECK(none.value.count_for("other") == 0);

    const auto& source = parsed.value.sources.at("worker");
    CHECK(source.where.file == "--formation");
    CHECK(source.where.line == 1);
    CHECK(source.where.column == 13);
    CHECK(source.source_line == "all=1,web=2,worker=0");
}

TEST_CASE("Formation errors are located in the spec", "[formation]") {
    struct Case {
        std::string spec;
        int column;
        std::string code;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"", 1, "formation/empty", "the formation is empty"},
        {"web", 1, "formation/missing-equals", "expected NAME=COUNT, found 'web'"},
        {"web=1,worker", 7, "formation/missing-equals", "expected NAME=COUNT, found 'worker'"},
        {"web=1,,worker=2", 7, "formation/empty-item", "empty item in the formation"},
        {"web=1,", 7, "formation/empty-item", "empty item in the formation"},
        {"=2", 1, "formation/missing-name", "missing process type before '='"},
        {"web=", 5, "formation/missing-count", "missing count after 'web='"},
        {"web=-1", 5, "formation/negative-count", "negative count -1 for 'web'"},
        {"web=two", 5, "formation/not-a-number", "count for 'web' is not a whole number: 'two'"},
        {"web=1.5", 5, "formation/not-a-number", "count for 'web' is not a whole number: '1.5'"},
        {"web=+1", 5, "formation/not-a-number", "count for 'web' is not a whole number: '+1'"},
        {"web=10001", 5, "formation/count-too-large",
         "count 10001 for 'web' is too large (at most 10000)"},
        {"web=99999999999999999999", 5, "formation/count-too-large",
         "count 99999999999999999999 for 'web' is too large (at most 10000)"},
        {"w.b=1", 2, "formation/invalid-name", "'w.b' is not a process type name"},
        {"web=1,web=2", 7, "formation/duplicate-name",
         "'web' is given twice in the formation (first at column 1)"},
        {"all=1,all=2", 7, "formation/duplicate-name", "'all' is given twice in the formation"},
    };
    for (const auto& c : cases) {
        INFO("spec: " << c.spec);
        const auto parsed = parse_formation(c.spec);
        REQUIRE(parsed.diagnostics.size() == 1);
        const Diagnostic& d = parsed.diagnostics[0];
        CHECK(d.where.file == "--formation");
        CHECK(d.where.line == 1);
        CHECK(d.where.column == c.column);
        CHECK(d.code == c.code);
        CHECK(d.message == c.message);
        CHECK(d.source_line == c.spec);
    }
}

TEST_CASE("Formation reports every bad item", "[formation]") {
    const auto parsed = parse_formation("web=x,worker=-2,clock");
    REQUIRE(parsed.diagnostics.size() == 3);
    CHECK(parsed.diagnostics[0].where.column == 5);
    CHECK(parsed.diagnostics[1].where.column == 14);
    CHECK(parsed.diagnostics[2].where.column == 17);
    CHECK(parsed.diagnostics[1].hint == "use 0 to run no instance of a process type");
}

TEST_CASE("Formation from a config file is located in that file", "[formation]") {
    const std::string line = "formation: web=2,wrker=1";
    const auto parsed = parse_formation("web=2,wrker=1", Location{".procrun.yaml", 3, 12}, line);
    REQUIRE(parsed.diagnostics.empty());
    const auto& wrker = parsed.value.sources.at("wrker");
    CHECK(wrker.where.file == ".procrun.yaml");
    CHECK(wrker.where.line == 3);
    CHECK(wrker.where.column == 18);
    CHECK(wrker.source_line == line);

    const auto bad = parse_formation("web=x", Location{".procrun.yaml", 2, 12}, "formation: web=x");
    REQUIRE(bad.diagnostics.size() == 1);
    CHECK(bad.diagnostics[0].where.line == 2);
    CHECK(bad.diagnostics[0].where.column == 16);
}

TEST_CASE("Formation: naming types runs only those, unless all= is given", "[formation]") {
    CHECK(Formation{}.count_for("web") == 1);
    CHECK(Formation{}.empty());
    const auto named = parse_formation("web=2");
    CHECK(named.value.count_for("web") == 2);
    CHECK(named.value.count_for("worker") == 0);
    const auto with_all = parse_formation("all=1,web=2");
    CHECK(with_all.value.count_for("web") == 2);
    CHECK(with_all.value.count_for("worker") == 1);
    const auto only_all = parse_formation("all=3");
    CHECK(only_all.value.count_for("worker") == 3);
    CHECK_FALSE(only_all.value.empty());
}

TEST_CASE("Formation equality ignores where names were written", "[formation]") {
    CHECK(parse_formation("web=1,worker=2").value == parse_formation(" worker=2, web=1").value);
    CHECK_FALSE(parse_formation("web=1").value == parse_formation("web=2").value);
}
