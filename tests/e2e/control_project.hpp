#pragma once

// A project root and a private runtime directory for its control socket, with
// the options that run procrun there (no inherited PORT or colour settings),
// for the tests of the commands that reach a running procrun from another
// terminal.

#include <chrono>
#include <string>
#include <vector>

#include "harness.hpp"

namespace procrun::test {

struct ControlProject {
    TempDir root;
    TempDir runtime;
    std::chrono::milliseconds timeout{std::chrono::seconds(30)};

    [[nodiscard]] RunOptions options() const {
        RunOptions o;
        o.cwd = root.path();
        o.unset_env = {"PORT", "NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TMPDIR"};
        o.set_env = {"XDG_RUNTIME_DIR=" + runtime.path().string()};
        o.timeout = timeout;
        return o;
    }

    [[nodiscard]] RunResult procrun(const std::vector<std::string>& args) const {
        return run_procrun(args, options());
    }
};

}  // namespace procrun::test
