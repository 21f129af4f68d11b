#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "procrun/check.hpp"

using namespace procrun;

namespace {

// "name|spec|pinned|line:column" for every requirement.
std::vector<std::string> summary(const Requirements& r) {
    std::vector<std::string> out;
    for (const auto& q : r.requirements) {
        out.push_back(q.name + "|" + q.spec + "|" + (q.pinned ? "pinned" : "unpinned") + "|" +
                      std::to_string(q.where.line) + ":" + std::to_string(q.where.column));
    }
    return out;
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("requirement lines: names, specifiers, pins and locations", "[requirements]") {
    struct Case {
        const char* text;
        Lines expected;
    };
    const std::vector<Case> cases{
        {"", {}},
        {"# only a comment\n\n   \n", {}},
        {"gunicorn==22.0.0\n", {"gunicorn|==22.0.0|pinned|1:1"}},
        {"gunicorn\n", {"gunicorn||unpinned|1:1"}},
        {"  gunicorn >= 20.1 ; python_version > '3.8'\n", {"gunicorn|>= 20.1|unpinned|1:3"}},
        {"gunicorn~=21.2\n", {"gunicorn|~=21.2|pinned|1:1"}},
        {"gunicorn>=20,<22\n", {"gunicorn|>=20,<22|pinned|1:1"}},
        {"Gunicorn[gevent,setproctitle]==21.2.0\n", {"Gunicorn|==21.2.0|pinned|1:1"}},
        {"gunicorn @ https://example.com/g.whl\n",
         {"gunicorn|@ https://example.com/g.whl|pinned|1:1"}},
        {"gunicorn   # latest\n", {"gunicorn||unpinned|1:1"}},
        {"gunicorn==1#not-a-comment\n", {"gunicorn|==1#not-a-comment|pinned|1:1"}},
        {"flask\r\ngunicorn==1\r\n", {"flask||unpinned|1:1", "gunicorn|==1|pinned|2:1"}},
        {"gunicorn==21.2.0 \\\n    --hash=sha256:abc\nflask\n",
         {"gunicorn|==21.2.0|pinned|1:1", "flask||unpinned|3:1"}},
        {"gunicorn\\\n==1.0", {"gunicorn|==1.0|pinned|1:1"}},
        {"gunicorn==1 \\", {"gunicorn|==1|pinned|1:1"}},
        {"\xEF\xBB\xBFgunicorn==1\n", {"gunicorn|==1|pinned|1:1"}},
        {"git+https://github.com/benoitc/gunicorn.git#egg=gunicorn\n", {"gunicorn||pinned|1:49"}},
        {"-e ./vendor/thing#egg=thing-lib\n", {"thing-lib||pinned|1:23"}},
        {"./local/package\n--index-url https://pypi.example/simple\n", {}},
        {"zope.interface==6.0\nsome_dist>1\n",
         {"zope.interface|==6.0|pinned|1:1", "some_dist|>1|unpinned|2:1"}},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const auto parsed = parse_requirements(c.text, "requirements.txt");
        CHECK(parsed.diagnostics.empty());
        CHECK(summary(parsed.value) == c.expected);
    }
}

TEST_CASE("requirements keep the file name and the first physical line", "[requirements]") {
    const auto parsed = parse_requirements("a==1\n  b \\\n  ==2\n", "req/base.txt");
    REQUIRE(parsed.value.requirements.size() == 2);
    const Requirement& b = parsed.value.requirements[1];
    CHECK(b.where == Location{"req/base.txt", 2, 3});
    CHECK(b.source_line == "  b \\");
    CHECK(b.spec == "==2");
}

TEST_CASE("references to other files (-r, -c) in every spelling", "[requirements]") {
    const auto parsed = parse_requirements(
        "-r base.txt\n-rdev.txt\n--requirement prod.txt\n--requirement=ci.txt\n"
        "-c constraints.txt\n--constraint=pins.txt\n--requirements-are-not-an-option x\n",
        "requirements.txt");
    std::vector<std::string> includes;
    for (const auto& r : parsed.value.includes)
        includes.push_back(r.path + "@" + std::to_string(r.where.line));
    std::vector<std::string> constraints;
    for (const auto& r : parsed.value.constraints)
        constraints.push_back(r.path + "@" + std::to_string(r.where.line));
    CHECK(includes == Lines{"base.txt@1", "dev.txt@2", "prod.txt@3", "ci.txt@4"});
    CHECK(constraints == Lines{"constraints.txt@5", "pins.txt@6"});
    CHECK(parsed.value.requirements.empty());
    CHECK(parsed.diagnostics.empty());
}

TEST_CASE("malformed requirement lines are located warnings", "[requirements]") {
    struct Case {
        const char* text;
        const char* code;
        int line;
        int column;
    };
    const std::vector<Case> cases{
        {"-r\n", "requirements/missing-file", 1, 1},
        {"flask\n  --constraint   # nothing\n", "requirements/missing-file", 2, 3},
        {"gunicorn[gevent==1\n", "requirements/unclosed-extras", 1, 9},
        {"==1.0\n", "requirements/invalid-line", 1, 1},
        {"ok==1\n  [extra]\n", "requirements/invalid-line", 2, 3},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const auto parsed = parse_requirements(c.text, "requirements.txt");
        REQUIRE(parsed.diagnostics.size() == 1);
        const Diagnostic& d = parsed.diagnostics[0];
        CHECK(d.severity == Severity::warning);
        CHECK(d.code == c.code);
        CHECK(d.where == Location{"requirements.txt", c.line, c.column});
        CHECK_FALSE(d.source_line.empty());
        CHECK_FALSE(d.hint.empty());
    }
}

TEST_CASE("distribution names compare in PEP 503 normal form", "[requirements]") {
    CHECK(normalize_distribution("Gunicorn") == "gunicorn");
    CHECK(normalize_distribution("zope.interface") == "zope-interface");
    CHECK(normalize_distribution("Some__Dist-.name") == "some-dist-name");
    CHECK(normalize_distribution("") == "");
}
