#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "procrun/dotenv.hpp"

using procrun::DotenvEntry;
using procrun::EnvLookup;
using procrun::parse_dotenv;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs pairs_of(const std::vector<DotenvEntry>& entries) {
    Pairs out;
    for (const auto& e : entries)
        out.emplace_back(e.key, e.value);
    return out;
}

EnvLookup lookup_in(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(std::string(name));
        if (it == vars.end())
            return std::nullopt;
        return it->second;
    };
}

struct ValueCase {
    const char* name;
    std::string input;
    Pairs expected;
};

}  // namespace

TEST_CASE("dotenv: values", "[dotenv]") {
    const std::vector<ValueCase> cases = {
        {"plain", "KEY=value\n", {{"KEY", "value"}}},
        {"no trailing newline", "KEY=value", {{"KEY", "value"}}},
        {"empty value", "EMPTY=\n", {{"EMPTY", ""}}},
        {"empty quotes", "A=''\nB=\"\"\n", {{"A", ""}, {"B", ""}}},
        {"export prefix", "export KEY=value\n", {{"KEY", "value"}}},
        {"export with spacing", "export   KEY  =  value\n", {{"KEY", "value"}}},
        {"spaces around =", "KEY = value\n", {{"KEY", "value"}}},
        {"leading whitespace", "   KEY=value\n", {{"KEY", "value"}}},
        {"trailing whitespace trimmed", "KEY=value   \t\n", {{"KEY", "value"}}},
        {"inner spaces kept", "KEY=some spaced  value\n", {{"KEY", "some spaced  value"}}},
        {"comment lines", "# a comment\n  # indented\nKEY=v\n", {{"KEY", "v"}}},
        {"inline comment", "KEY=value # comment\n", {{"KEY", "value"}}},
        {"hash without space is kept", "KEY=a#b\n", {{"KEY", "a#b"}}},
        {"equals in value", "KEY=a=b==\n", {{"KEY", "a=b=="}}},
        {"blank lines", "\n\nA=1\n\n\nB=2\n\n", {{"A", "1"}, {"B", "2"}}},
        {"single quotes literal", "KEY='a $B \\n c'\n", {{"KEY", "a $B \\n c"}}},
        {"single quotes keep spaces", "KEY='  x  '\n", {{"KEY", "  x  "}}},
        {"single quote comment after", "KEY='a # b' # c\n", {{"KEY", "a # b"}}},
        {"double quotes", "KEY=\"value\"\n", {{"KEY", "value"}}},
        {"double quote escapes",
         R"(KEY="a\nb\tc\rd\"e\\f")"
         "\n",
         {{"KEY", "a\nb\tc\rd\"e\\f"}}},
        {"double quote comment after", "KEY=\"a # b\"  # c\n", {{"KEY", "a # b"}}},
        {"multi-line double quotes",
         "KEY=\"line one\nline two\"\nNEXT=1\n",
         {{"KEY", "line one\nline two"}, {"NEXT", "1"}}},
        {"unquoted backslash-n is literal", "KEY=a\\nb\n", {{"KEY", "a\\nb"}}},
        {"CRLF", "A=1\r\nB=\"2\"\r\n", {{"A", "1"}, {"B", "2"}}},
        {"CRLF inside multi-line quotes", "A=\"x\r\ny\"\r\n", {{"A", "x\ny"}}},
        {"BOM",
         "\xEF\xBB\xBF"
         "A=1\n",
         {{"A", "1"}}},
        {"later key wins in order", "A=1\nA=2\n", {{"A", "1"}, {"A", "2"}}},
        {"dotted key", "a.b=1\n", {{"a.b", "1"}}},
        {"dashed key", "MY-KEY=1\n", {{"MY-KEY", "1"}}},
        {"key named export", "export=1\nexport_x=2\n", {{"export", "1"}, {"export_x", "2"}}},
        {"quoted key", "'a'=1\nexport \"b\"=2\n", {{"a", "1"}, {"b", "2"}}},
        {"yaml-like colon",
         "KEY: value\nURL: http://x:80/\n",
         {{"KEY", "value"}, {"URL", "http://x:80/"}}},
        {"colon without space is part of nothing", "K=a:b\n", {{"K", "a:b"}}},
        {"export of a variable set earlier", "A=1\nexport A\n", {{"A", "1"}}},
        {"lone CR ends a line", "A=1\rB=2\r", {{"A", "1"}, {"B", "2"}}},
        {"backticks literal", "A=`x $Y \\n`\nB=`a # b` # c\n", {{"A", "x $Y \\n"}, {"B", "a # b"}}},
        {"single quotes ending in a backslash",
         "A='C:\\dir\\'\nB='\\\\'\n",
         {{"A", "C:\\dir\\"}, {"B", "\\\\"}}},
        {"multi-line single quotes", "A='one\ntwo'\n", {{"A", "one\ntwo"}}},
        {"backslash-quote inside single quotes", "A='it\\'s'\n", {{"A", "it\\'s"}}},
        {"other escapes drop the backslash",
         R"(A="a\ b\qc")"
         "\n",
         {{"A", "a bqc"}}},
        {"unquoted escaped dollar", "A=\\$HOME\n", {{"A", "$HOME"}}},
        {"unquoted other backslashes kept", "A=C:\\dir\\x\n", {{"A", "C:\\dir\\x"}}},
        {"utf-8 value", "K=h\xC3\xA9llo\n", {{"K", "h\xC3\xA9llo"}}},
    };
    for (const auto& c : cases) {
        SECTION(c.name) {
            auto parsed = parse_dotenv(c.input, ".env");
            INFO(c.input);
            CHECK(parsed.diagnostics.empty());
            CHECK(pairs_of(parsed.value) == c.expected);
        }
    }
}

TEST_CASE("dotenv: expansion", "[dotenv]") {
    const auto outside = lookup_in({{"HOME", "/home/u"}, {"EMPTY", ""}, {"A", "outside"}});
    const std::vector<ValueCase> cases = {
        {"braced from the file", "A=1\nB=${A}2\n", {{"A", "1"}, {"B", "12"}}},
        {"bare from the file", "A=1\nB=$A-x\n", {{"A", "1"}, {"B", "1-x"}}},
        {"file wins over outside", "A=in\nB=$A\n", {{"A", "in"}, {"B", "in"}}},
        {"outside", "P=$HOME/bin\n", {{"P", "/home/u/bin"}}},
        {"undefined is empty", "P=[$NOPE][${NOPE}]\n", {{"P", "[][]"}}},
        {"default when unset", "P=${NOPE:-fallback}\n", {{"P", "fallback"}}},
        {"default when empty", "P=${EMPTY:-fallback}\n", {{"P", "fallback"}}},
        {"no default when set", "P=${HOME:-fallback}\n", {{"P", "/home/u"}}},
        {"dash default only when unset", "P=${EMPTY-x}${NOPE-y}\n", {{"P", "y"}}},
        {"nested default", "P=${NOPE:-${HOME}}\n", {{"P", "/home/u"}}},
        {"in double quotes", "P=\"$HOME and ${HOME}\"\n", {{"P", "/home/u and /home/u"}}},
        {"escaped dollar in double quotes", "P=\"\\$HOME\"\n", {{"P", "$HOME"}}},
        {"not in single quotes", "P='$HOME'\n", {{"P", "$HOME"}}},
        {"lone dollar", "P=cost: $ 5\n", {{"P", "cost: $ 5"}}},
        {"dollar at end", "P=x$\n", {{"P", "x$"}}},
        {"unterminated brace is literal", "P=${HOME\n", {{"P", "${HOME"}}},
        {"no command substitution", "P=$(echo hi)\n", {{"P", "$(echo hi)"}}},
        {"later definition is not used earlier",
         "B=$LATER\nLATER=x\n",
         {{"B", ""}, {"LATER", "x"}}},
    };
    for (const auto& c : cases) {
        SECTION(c.name) {
            auto parsed = parse_dotenv(c.input, ".env", outside);
            INFO(c.input);
            CHECK(parsed.diagnostics.empty());
            CHECK(pairs_of(parsed.value) == c.expected);
        }
    }
}

TEST_CASE("dotenv: entries record their starting line", "[dotenv]") {
    auto parsed = parse_dotenv("# c\nA=1\n\nB=\"x\ny\"\nC=3\n", ".env");
    REQUIRE(parsed.ok());
    REQUIRE(parsed.value.size() == 3);
    CHECK(parsed.value[0].line == 2);
    CHECK(parsed.value[1].line == 4);
    CHECK(parsed.value[2].line == 6);
}

namespace {

struct ErrorCase {
    const char* name;
    std::string input;
    std::string message;
    int line;
    int column;
    std::string code;
};

}  // namespace

TEST_CASE("dotenv: errors", "[dotenv]") {
    const std::vector<ErrorCase> cases = {
        {"unterminated double quote", "A=1\nB=\"abc\n", "unterminated double-quoted value", 2, 3,
         "dotenv/unterminated-quote"},
        {"unterminated single quote", "B='abc\n", "unterminated single-quoted value", 1, 3,
         "dotenv/unterminated-quote"},
        {"not an assignment", "A=1\njust words\n", "expected '=' after 'just'", 2, 6,
         "dotenv/not-an-assignment"},
        {"key alone", "KEY\n", "expected '=' after 'KEY'", 1, 4, "dotenv/not-an-assignment"},
        {"plus in key", "MY+KEY=1\n", "invalid character '+' in key", 1, 3, "dotenv/invalid-key"},
        {"space in key", "MY KEY=1\n", "expected '=' after 'MY'", 1, 4, "dotenv/not-an-assignment"},
        {"digit first", "1KEY=1\n", "invalid key '1KEY': a key must start with a letter or '_'", 1,
         1, "dotenv/invalid-key"},
        {"no key", "=value\n", "missing key before '='", 1, 1, "dotenv/invalid-key"},
        {"non-ASCII key", "CAF\xC3\x89=1\n", "invalid character U+00C9 '\xC3\x89' in key", 1, 4,
         "dotenv/invalid-key"},
        {"byte order mark inside the file",
         "A=1\n\xEF\xBB\xBF"
         "B=2\n",
         "invalid character a byte order mark (U+FEFF) in key", 2, 1, "dotenv/invalid-key"},
        {"control character in key", "A\x01=1\n",
         "invalid character the control character 0x01 in key", 1, 2, "dotenv/invalid-key"},
        {"bad quoted key", "'a b'=1\n", "invalid character ' ' in key", 1, 3, "dotenv/invalid-key"},
        {"unterminated quoted key", "'ab=1\n", "unterminated quoted key", 1, 1,
         "dotenv/unterminated-quote"},
        {"unterminated backtick", "A=`x\n", "unterminated backtick-quoted value", 1, 3,
         "dotenv/unterminated-quote"},
        {"export of an unset variable", "export NOPE\n",
         "'export NOPE' names a variable that is not set", 1, 8, "dotenv/export-unset"},
        {"colon with space before", "KEY : value\n", "expected '=' after 'KEY'", 1, 5,
         "dotenv/not-an-assignment"},
        {"text after closing quote", "A=\"x\" y\n", "unexpected 'y' after the closing quote", 1, 7,
         "dotenv/text-after-quote"},
        {"text after a multi-line quote", "A=\"x\ny\"z\n",
         "unexpected 'z' after the quote that closes the value opened on line 1", 2, 3,
         "dotenv/text-after-quote"},
    };
    for (const auto& c : cases) {
        SECTION(c.name) {
            auto parsed = parse_dotenv(c.input, "app.env");
            REQUIRE(parsed.diagnostics.size() == 1);
            const auto& d = parsed.diagnostics.front();
            CHECK(d.severity == procrun::Severity::error);
            CHECK(d.message == c.message);
            CHECK(d.where.file == "app.env");
            CHECK(d.where.line == c.line);
            CHECK(d.where.column == c.column);
            CHECK(d.code == c.code);
            CHECK(d.source_line == std::string(procrun::line_at(c.input, c.line)));
        }
    }
}

TEST_CASE("dotenv: NUL bytes and UTF-16 files", "[dotenv]") {
    SECTION("NUL on an assignment line") {
        auto parsed = parse_dotenv(std::string("A=1\nB=x\0y\nC=3\n", 14), ".env");
        REQUIRE(parsed.diagnostics.size() == 1);
        CHECK(parsed.diagnostics[0].message == "unexpected NUL byte");
        CHECK(parsed.diagnostics[0].where.line == 2);
        CHECK(parsed.diagnostics[0].where.column == 4);
        CHECK(pairs_of(parsed.value) == Pairs{{"A", "1"}, {"C", "3"}});
    }
    SECTION("NUL inside a multi-line value") {
        auto parsed = parse_dotenv(std::string("A=\"1\n2\0\"\nC=3\n", 13), ".env");
        REQUIRE(parsed.diagnostics.size() == 1);
        CHECK(parsed.diagnostics[0].where.line == 2);
        CHECK(parsed.diagnostics[0].where.column == 2);
        CHECK(pairs_of(parsed.value) == Pairs{{"C", "3"}});
    }
    SECTION("UTF-16") {
        auto parsed = parse_dotenv(std::string("\xFF\xFE"
                                               "A\0=\0"
                                               "1\0",
                                               8),
                                   ".env");
        REQUIRE(parsed.diagnostics.size() == 1);
        CHECK(parsed.diagnostics[0].message == "the file is UTF-16 encoded");
        CHECK(parsed.value.empty());
    }
}

TEST_CASE("dotenv: every error is reported and good lines still parse", "[dotenv]") {
    auto parsed = parse_dotenv("A=1\nbad line\nB=2\nC+D=3\nE=\"open\nF=4\n", ".env");
    REQUIRE(parsed.diagnostics.size() == 3);
    CHECK(parsed.diagnostics[0].where.line == 2);
    CHECK(parsed.diagnostics[1].where.line == 4);
    CHECK(parsed.diagnostics[2].where.line == 5);
    CHECK(pairs_of(parsed.value) == Pairs{{"A", "1"}, {"B", "2"}, {"F", "4"}});
}

TEST_CASE("dotenv: hints", "[dotenv]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"B=\"abc\n",
         "add the closing \" (a quoted value may span lines, but no later line closes this one)"},
        {"KEY\n", "write KEY=value, or KEY= for an empty value"},
        {"just words\n", "write just=value, or just= for an empty value"},
        {"MY+KEY=1\n", "a key is letters, digits, '_', '.' and '-', starting with a letter or '_'"},
        {"A=\"x\" y\n", "put the whole value inside the quotes; a comment starts with ' #'"},
        {"A=\"x\ny\" z\n",
         "if this quote was meant to open a value, the value on line 1 is missing its closing \""},
        {"export NOPE\n", "give it a value: export NOPE=value"},
        {"@@@\n", "each line is KEY=value, a '#' comment, or blank"},
    };
    for (const auto& [input, hint] : cases) {
        auto parsed = parse_dotenv(input, ".env");
        INFO(input);
        REQUIRE(parsed.diagnostics.size() == 1);
        CHECK(parsed.diagnostics[0].hint == hint);
    }
}

TEST_CASE("dotenv: an error renders with its line and a caret", "[dotenv]") {
    auto parsed = parse_dotenv("A=1\r\nGREETING=\"hello\r\n", "config/.env");
    REQUIRE(parsed.diagnostics.size() == 1);
    CHECK(procrun::format_human(parsed.diagnostics[0], false) ==
          "config/.env:2:10: error: unterminated double-quoted value\n"
          " 2 | GREETING=\"hello\n"
          "   |          ^\n"
          "hint: add the closing \" (a quoted value may span lines, but no later line closes "
          "this one)\n");
}

TEST_CASE("dotenv: expansion edge cases", "[dotenv]") {
    const auto outside = lookup_in({{"HOME", "/home/u"}});
    const std::vector<ValueCase> cases = {
        {"self reference uses the outside value", "HOME=$HOME/x\n", {{"HOME", "/home/u/x"}}},
        {"redefinition is seen by later lines",
         "A=1\nA=2\nB=$A\n",
         {{"A", "1"}, {"A", "2"}, {"B", "2"}}},
        {"default with escapes in double quotes", "A=\"${NOPE:-a\\tb}\"\n", {{"A", "a\tb"}}},
        {"default with a space, unquoted", "A=${NOPE:-two words}\n", {{"A", "two words"}}},
        {"unsupported operator stays as written", "A=${HOME:?unset}\n", {{"A", "${HOME:?unset}"}}},
        {"digit after dollar stays", "A=$1 ${1}\n", {{"A", "$1 ${1}"}}},
        {"name ends at a non-name character",
         "A=$HOME.d/$HOME-x\n",
         {{"A", "/home/u.d//home/u-x"}}},
        {"dashed keys cannot be referenced", "A-B=1\nC=$A-B\n", {{"A-B", "1"}, {"C", "-B"}}},
        {"backtick is not command substitution", "A=`echo hi`\n", {{"A", "echo hi"}}},
        {"deep nesting is bounded",
         "A=" + std::string(200, '$') + "{X:-" + "\n",
         {{"A", std::string(200, '$') + "{X:-"}}},
    };
    for (const auto& c : cases) {
        SECTION(c.name) {
            auto parsed = parse_dotenv(c.input, ".env", outside);
            INFO(c.input);
            CHECK(parsed.diagnostics.empty());
            CHECK(pairs_of(parsed.value) == c.expected);
        }
    }
}

TEST_CASE("dotenv: deeply nested defaults do not exhaust the stack", "[dotenv]") {
    std::string input = "A=";
    for (int i = 0; i < 5000; ++i)
        input += "${X:-";
    input += "end";
    for (int i = 0; i < 5000; ++i)
        input += "}";
    auto parsed = parse_dotenv(input, ".env");
    REQUIRE(parsed.ok());
    REQUIRE(parsed.value.size() == 1);
    CHECK(parsed.value[0].value.find("end") != std::string::npos);
}

// testdata/dotenv/NAME.env is parsed with the `outside` variables of NAME.yaml
// and must give exactly its `values` (in order) and `errors` ("line:col: message").
TEST_CASE("dotenv: fixture files in testdata/dotenv", "[dotenv]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(PROCRUN_SOURCE_DIR) / "testdata" / "dotenv";
    int fixtures = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".env")
            continue;
        ++fixtures;
        const fs::path env_path = entry.path();
        fs::path expected_path = env_path;
        expected_path.replace_extension(".yaml");
        SECTION(env_path.filename().string()) {
            REQUIRE(fs::exists(expected_path));
            std::ifstream in(env_path, std::ios::binary);
            std::stringstream text;
            text << in.rdbuf();
            const YAML::Node expected = YAML::LoadFile(expected_path.string());

            std::map<std::string, std::string> outside;
            for (const auto& kv : expected["outside"])
                outside[kv.first.as<std::string>()] = kv.second.as<std::string>();
            const auto parsed =
                parse_dotenv(text.str(), env_path.filename().string(), lookup_in(outside));

            Pairs values;
            for (const auto& pair : expected["values"])
                values.emplace_back(pair[0].as<std::string>(), pair[1].as<std::string>());
            CHECK(pairs_of(parsed.value) == values);

            std::vector<std::string> errors;
            for (const auto& e : expected["errors"])
                errors.push_back(e.as<std::string>());
            std::vector<std::string> got;
            for (const auto& d : parsed.diagnostics) {
                CHECK(d.where.file == env_path.filename().string());
                got.push_back(fmt::format("{}:{}: {}", d.where.line, d.where.column, d.message));
            }
            CHECK(got == errors);
        }
    }
    CHECK(fixtures >= 4);
}

TEST_CASE("dotenv: unclosed references in a long value stay literal, in linear time", "[dotenv]") {
    std::string references;
    for (int i = 0; i < 100000; ++i)
        references += "${X:-";
    auto parsed = parse_dotenv("A=\"" + references + "\"\n", ".env");
    REQUIRE(parsed.ok());
    REQUIRE(parsed.value.size() == 1);
    CHECK(parsed.value[0].value == references);
}

namespace {

// Seconds to parse `lines` assignments and merge them into one environment, as
// the loader does (the lookup sees the variables merged so far), the best of
// two runs.
double parse_and_merge_seconds(int lines) {
    std::string text;
    for (int i = 0; i < lines; ++i)
        text += fmt::format("KEY_{}=\"value {} ${{HOME}} $KEY_{}\"\n", i, i, i / 2);
    double best = 0;
    for (int round = 0; round < 2; ++round) {
        const std::clock_t start = std::clock();
        procrun::Environment merged;
        const procrun::Environment os{{"HOME", "/home/me"}};
        const procrun::EnvLookup lookup = [&](std::string_view key) -> std::optional<std::string> {
            if (const std::string* v = merged.find(key))
                return *v;
            return os.get(key);
        };
        const auto parsed = procrun::parse_dotenv(text, ".env", lookup);
        REQUIRE(parsed.ok());
        for (const auto& e : parsed.value)
            merged.set(e.key, e.value);
        REQUIRE(merged.size() == static_cast<std::size_t>(lines));
        const double s = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
        best = round == 0 ? s : std::min(best, s);
    }
    return best;
}

}  // namespace

TEST_CASE("Dotenv: parsing and merging cost grows linearly", "[dotenv]") {
    // 4x the lines: about 4x the time when linear, 16x when quadratic. The
    // bound (8x, plus slack for a busy machine) tells the two apart.
    parse_and_merge_seconds(5000);  // warm up
    const double small = parse_and_merge_seconds(50000);
    const double large = parse_and_merge_seconds(200000);
    INFO("50k lines: " << small << " s, 200k lines: " << large << " s");
    CHECK(large < 8 * small + 0.1);
    CHECK(large < 10.0);  // a generous absolute bound, under ASan on a loaded machine
}
