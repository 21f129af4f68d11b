// Runs procrun's .env parser over the shared conformance vectors (test cases
// of four dotenv libraries, with what each library's own tests assert) and
// prints how many expectations procrun meets, per library.
//
// The vectors live beside the repository (PROCRUN_SHARED_DIR); they are read
// at test time, never copied. When they are absent the test says so and passes.

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/dotenv.hpp"
#include "skip.hpp"

namespace {

namespace fs = std::filesystem;

using Map = std::map<std::string, std::string>;
// An expected value of null: python-dotenv's binding for a bare `KEY` line.
using ExpectedMap = std::map<std::string, std::optional<std::string>>;

// What one parser made of an input: its variables (a null value is a key
// without a value) and whether it reported any problem.
struct Result {
    ExpectedMap values;
    bool reported_error = false;
};

struct Case {
    std::string id;
    std::string source;
    std::string input;
    std::optional<Map> env_preset;
    std::optional<ExpectedMap> expected;
    bool full_scope = false;
    std::vector<std::string> absent_keys;
    bool expects_error = false;
    // python-dotenv's parse_stream tests also list the statements that are
    // errors (and are skipped): there the expectation includes an error.
    bool expects_error_statement = false;
    // The reference parsers' own results for this input, by parser name.
    std::map<std::string, Result> observed;

    [[nodiscard]] bool asserts_outcome() const { return expected || expects_error; }
};

std::optional<Map> map_of(const YAML::Node& node) {
    if (!node || node.IsNull())
        return std::nullopt;
    Map out;
    for (const auto& kv : node)
        out[kv.first.as<std::string>()] = kv.second.as<std::string>();
    return out;
}

std::optional<ExpectedMap> expected_of(const YAML::Node& node) {
    if (!node || node.IsNull())
        return std::nullopt;
    ExpectedMap out;
    for (const auto& kv : node) {
        auto& slot = out[kv.first.as<std::string>()];
        if (!kv.second.IsNull())
            slot = kv.second.as<std::string>();
    }
    return out;
}

Case case_of(const YAML::Node& node) {
    Case c;
    c.id = node["id"].as<std::string>();
    c.source = node["source_parser"].as<std::string>();
    c.input = node["input"].as<std::string>();
    c.env_preset = map_of(node["env_preset"]);
    c.expected = expected_of(node["expected"]);
    c.full_scope = node["expected_scope"] && !node["expected_scope"].IsNull() &&
                   node["expected_scope"].as<std::string>() == "full";
    if (const auto absent = node["expected_absent_keys"]; absent && absent.IsSequence()) {
        for (const auto& k : absent)
            c.absent_keys.push_back(k.as<std::string>());
    }
    c.expects_error = node["expected_error"] && !node["expected_error"].IsNull();
    for (const auto& kv : node["observed"]) {
        const YAML::Node& o = kv.second;
        Result r;
        // An error, or python-dotenv's "could not parse statement" warnings.
        r.reported_error = o["error"] || (o["warnings"] && o["warnings"].size() > 0);
        if (o["ok"])
            r.values = *expected_of(o["ok"]);
        c.observed[kv.first.as<std::string>()] = std::move(r);
    }
    if (const auto bindings = node["python_bindings"]; bindings && bindings.IsSequence()) {
        for (const auto& b : bindings) {
            if (b["error"] && b["error"].as<bool>())
                c.expects_error_statement = true;
        }
    }
    return c;
}

std::vector<Case> load_cases(const fs::path& path) {
    std::ifstream in(path);
    std::vector<Case> cases;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        // JSON is YAML flow syntax, so yaml-cpp reads each line as it is.
        cases.push_back(case_of(YAML::Load(line)));
    }
    return cases;
}

procrun::EnvLookup preset_lookup(const std::optional<Map>& preset) {
    if (!preset)
        return {};
    return [vars = *preset](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(std::string(name));
        if (it == vars.end())
            return std::nullopt;
        return it->second;
    };
}

Result procrun_result(const Case& c) {
    const auto parsed = procrun::parse_dotenv(c.input, c.id, preset_lookup(c.env_preset));
    Result r;
    r.reported_error = !parsed.ok();
    for (const auto& e : parsed.value)
        r.values[e.key] = e.value;
    return r;
}

// Whether a parser's result for `c` meets the upstream test's expectation.
bool meets_expectation(const Case& c, const Result& r) {
    if (c.expects_error)
        return r.reported_error;
    if (r.reported_error != c.expects_error_statement)
        return false;
    for (const auto& key : c.absent_keys) {
        if (r.values.count(key) != 0)
            return false;
    }
    if (!c.expected)
        return true;
    for (const auto& [key, value] : *c.expected) {
        auto it = r.values.find(key);
        if (it == r.values.end() || it->second != value)
            return false;
    }
    return !c.full_scope || r.values.size() == c.expected->size();
}

// Every case procrun does not meet, with the choice that decides it. Each is
// a point where the libraries' own tests disagree (the case named after
// "vs" asserts the other way) or where procrun's rules differ on purpose;
// docs/dotenv.md explains each choice. A case missing from this table, or
// listed here but met, fails the test: every disagreement is decided on
// purpose, not by accident.
const std::map<std::string, std::string_view> kDecided = {
    {"c001", "'a#b' keeps the '#' (c124, c227); an undefined $VAR is empty (c063, c231)"},
    {"c044", "\\\\ in double quotes is one backslash (c195)"},
    {"c047", "unquoted values keep backslashes, except \\$ (c007)"},
    {"c061", "the file overrides the OS environment, also in expansion (c178)"},
    {"c062", "the file overrides the OS environment, also in expansion (c178)"},
    {"c073", "\\n in double quotes is a newline (c209, same input)"},
    {"c074", "\\n in double quotes is a newline (c209, same input)"},
    {"c079", "a line that is not an assignment is an error (c241)"},
    {"c096", "no command substitution: nothing is executed"},
    {"c097", "no command substitution: nothing is executed"},
    {"c099", "no command substitution: nothing is executed"},
    {"c100", "no command substitution: nothing is executed"},
    {"c101", "no command substitution: nothing is executed"},
    {"c104", "\\r in double quotes is a carriage return (c076)"},
    {"c107", "no command substitution: nothing is executed"},
    {"c108", "the file overrides the OS environment (c182)"},
    {"c119", "keys are [A-Za-z_][A-Za-z0-9_.-]* (c238, c239, c240)"},
    {"c142", "\\' inside single quotes is kept as written (c094, c187)"},
    {"c145", "a line without '=' is an error (c262)"},
    {"c146", "'KEY: value' is accepted (c069, c197, c245)"},
    {"c158", "keys are [A-Za-z_][A-Za-z0-9_.-]* (c238, c239, c240)"},
    {"c161", "expansion is always on: python's interpolate=False mode (c060)"},
    {"c162", "bare $VAR expands (c060, c188)"},
    {"c163", "expansion is always on: python's interpolate=False mode (c164)"},
    {"c165", "expansion is always on: python's interpolate=False mode (c166)"},
    {"c171", "no expansion inside single quotes (c065, c233)"},
    {"c181", "the file overrides the OS environment (c182, same input)"},
    {"c223", "a key cannot be empty"},
};

struct Score {
    int met = 0;
    int asserted = 0;
};

}  // namespace

TEST_CASE("dotenv conformance: upstream test vectors", "[dotenv][conformance]") {
    const fs::path path = fs::path(PROCRUN_SHARED_DIR) / "conformance" / "dotenv" / "cases.jsonl";
    if (!fs::exists(path)) {
        PROCRUN_SKIP("dotenv conformance vectors not found at " << path.string());
    }
    const auto cases = load_cases(path);
    REQUIRE(cases.size() == 262);

    // The inputs arrive byte-exact through yaml-cpp's JSON escapes.
    CHECK(cases.front().input.rfind("BASIC=basic\n\n# previous", 0) == 0);

    std::map<std::string, Score> by_source;
    Score total;
    std::vector<std::string> missed;
    std::map<std::string, int> reference;  // the same count for each reference parser
    for (const auto& c : cases) {
        if (!c.asserts_outcome()) {
            // No expectation to meet, but the parser must still cope.
            (void)procrun::parse_dotenv(c.input, c.id, preset_lookup(c.env_preset));
            continue;
        }
        const bool met = meets_expectation(c, procrun_result(c));
        for (const auto& [parser, result] : c.observed) {
            if (meets_expectation(c, result))
                ++reference[parser];
        }
        auto& s = by_source[c.source];
        ++s.asserted;
        ++total.asserted;
        if (met) {
            ++s.met;
            ++total.met;
        } else {
            missed.push_back(c.id);
        }
    }

    std::string table = "dotenv conformance (cases where procrun meets the upstream expectation)\n";
    for (const auto& [source, s] : by_source) {
        table += fmt::format("  {:<26} {:>3} / {:<3}\n", source, s.met, s.asserted);
    }
    table += fmt::format("  {:<26} {:>3} / {:<3}\n", "total", total.met, total.asserted);
    table += fmt::format("  not met: {}\n", fmt::join(missed, " "));
    table += "the reference parsers' own results, scored the same way:\n";
    for (const auto& [parser, met] : reference) {
        table += fmt::format("  {:>3} / {}  {}\n", met, total.asserted, parser);
    }
    WARN(table);

    CHECK(total.asserted == 228);
    CHECK(total.met >= 200);

    for (const auto& id : missed) {
        INFO("case " << id << " is not met and its disagreement is not decided in kDecided");
        CHECK(kDecided.count(id) == 1);
    }
    for (const auto& [id, why] : kDecided) {
        INFO("case " << id << " is met now; remove it from kDecided (" << why << ")");
        CHECK(std::find(missed.begin(), missed.end(), id) != missed.end());
    }
}
