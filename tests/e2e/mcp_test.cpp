// procrun mcp driven by the official MCP client SDK from npm
// (@modelcontextprotocol/sdk, tests/mcp/client.mjs) against a real
// `procrun start`: every tool, error cases included, then kill.

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "harness.hpp"
#include "skip.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace procrun::test;

}  // namespace

TEST_CASE("mcp: the MCP SDK's client calls every tool of procrun mcp against procrun start",
          "[e2e][mcp]") {
    const NpmInstall npm = npm_install_once("npm-mcp-sdk", {"@modelcontextprotocol/sdk@1"});
    if (!npm.prefix)
        PROCRUN_TOOL_MISSING("the MCP client SDK: " << npm.why);
    const std::optional<fs::path> sdk = npm.prefix;

    TempDir root;
    TempDir runtime;
    const std::string marker = unique_marker("PROCRUN_MCP_TEST");
    root.write("Procfile", "web: echo web says hello; exec " + testchild_binary() +
                               " sleep 120\nworker: " + testchild_binary() + " sleep 120\n");
    RunOptions o;
    o.cwd = root.path();
    o.unset_env = {"PORT", "NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TMPDIR"};
    o.set_env = {"XDG_RUNTIME_DIR=" + runtime.path().string(), marker};
    o.timeout = 120s;

    Child start({procrun_binary(), "start"}, o);
    REQUIRE(start.wait_for_output("worker.1 started with pid", 30s));

    const RunResult client = run({"node", (source_dir() / "tests/mcp/client.mjs").string(),
                                  sdk->string(), procrun_binary(), root.path().string()},
                                 o);
    INFO("client stdout:\n" << client.out << "client stderr:\n" << client.err);
    CHECK(client.exit_code == 0);
    CHECK(client.out.find("ok: kill") != std::string::npos);

    // The kill tool ended the supervisor; nothing it started is left.
    const RunResult done = start.wait(30s);
    INFO("procrun start:\n" << done.out << done.err);
    CHECK(done.exit_code == 0);
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!processes_with_env(marker).empty() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(50ms);
    CHECK(processes_with_env(marker).empty());
}
