// The main of every test binary: Catch2's session, plus the skips of
// tests/support/skip.hpp. When no test case failed and one skipped something,
// the exit code is kSkipExitCode and the skipped test cases are listed.

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "skip.hpp"

namespace procrun::test {

namespace {

std::vector<std::pair<std::string, std::string>>& skips() {
    static std::vector<std::pair<std::string, std::string>> list;
    return list;
}

}  // namespace

void record_skip(const std::string& reason) {
    WARN("skipped: " << reason);
    skips().emplace_back(Catch::getResultCapture().getCurrentTestName(), reason);
}

bool tools_required() {
    const char* value = std::getenv("PROCRUN_REQUIRE_TOOLS");
    return value != nullptr && std::string(value) == "1";
}

}  // namespace procrun::test

int main(int argc, char* argv[]) {
    const int failed = Catch::Session().run(argc, argv);
    if (failed != 0)  // a count of failed test cases, or a usage error
        return failed == procrun::test::kSkipExitCode ? 1 : failed;
    const auto& skipped = procrun::test::skips();
    if (skipped.empty())
        return 0;
    std::cerr << "skipped (exit code " << procrun::test::kSkipExitCode << "):\n";
    for (const auto& [test, reason] : skipped)
        std::cerr << "  " << test << ": " << reason << "\n";
    return procrun::test::kSkipExitCode;
}
