#pragma once

// Test cases that cannot run everything they hold on this machine say so, and
// the test binary exits with kSkipExitCode (ctest's SKIP_RETURN_CODE), so that
// ctest shows them as skipped, never as passed. Catch2 v2 has no skip of its own.
//
// Two reasons to skip:
// - a condition of the machine (the user is or is not root, a limit, the shared
//   material beside the repository is absent): always a skip;
// - a missing tool (python3, supervisord, the packaging tools...): a skip, but a
//   failure when PROCRUN_REQUIRE_TOOLS=1 (scripts/test sets it after installing them).

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

namespace procrun::test {

// The exit code of a test binary when at least one test case skipped something
// and none failed.
inline constexpr int kSkipExitCode = 77;

// Records that the running test case skips something, and why (also printed).
void record_skip(const std::string& reason);

// Whether a missing tool fails the test: PROCRUN_REQUIRE_TOOLS=1.
bool tools_required();

}  // namespace procrun::test

#define PROCRUN_SKIP_MESSAGE_(message)          \
    [&] {                                       \
        std::ostringstream procrun_skip_stream; \
        procrun_skip_stream << message;         \
        return procrun_skip_stream.str();       \
    }()

// Skips the rest of the test case (a condition of this machine).
#define PROCRUN_SKIP(message)                                         \
    do {                                                              \
        ::procrun::test::record_skip(PROCRUN_SKIP_MESSAGE_(message)); \
        return;                                                       \
    } while (false)

// Records a skipped part; the test case goes on with the rest.
#define PROCRUN_SKIP_PART(message) ::procrun::test::record_skip(PROCRUN_SKIP_MESSAGE_(message))

// A tool the test needs is missing: a failure when tools are required, else
// the rest of the test case is skipped.
#define PROCRUN_TOOL_MISSING(message)                                                  \
    do {                                                                               \
        if (::procrun::test::tools_required())                                         \
            FAIL(message << " (PROCRUN_REQUIRE_TOOLS=1: the tool must be installed)"); \
        PROCRUN_SKIP(message);                                                         \
    } while (false)

// A tool one part of the test needs is missing: a failure when tools are
// required (the test goes on), else that part is recorded as skipped.
#define PROCRUN_TOOL_MISSING_PART(message)                                                   \
    do {                                                                                     \
        if (::procrun::test::tools_required())                                               \
            FAIL_CHECK(message << " (PROCRUN_REQUIRE_TOOLS=1: the tool must be installed)"); \
        else                                                                                 \
            PROCRUN_SKIP_PART(message);                                                      \
    } while (false)
