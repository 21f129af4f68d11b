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

bool have_program(const std::string& name) {
    return run({"/bin/sh", "-c", "command -v " + name}).exit_code == 0;
}

// The SDK, installed once into the build tree (npm-mcp-sdk beside the test
// binary). nullopt and why not: node or npm missing, or the registry unreachable.
std::optional<fs::path> mcp_sdk(std::string& why) {
    const fs::path cache = fs::read_symlink("/proc/self/exe").parent_path() / "npm-mcp-sdk";
    if (fs::exists(cache / "node_modules/@modelcontextprotocol/sdk/package.json"))
        return cache;
    if (!have_program("node") || !have_program("npm")) {
        why = "node or npm is not installed";
        return std::nullopt;
    }
    fs::create_directories(cache);
    RunOptions o;
    o.timeout = 180s;
    const RunResult r = run({"npm", "install", "--no-audit", "--no-fund", "--prefix",
                             cache.string(), "@modelcontextprotocol/sdk@1"},
                            o);
    if (r.exit_code != 0) {
        why = "npm install @modelcontextprotocol/sdk failed (is the registry reachable?): " + r.err;
        return std::nullopt;
    }
    return cache;
}

}  // namespace

TEST_CASE("mcp: the MCP SDK's client calls every tool of procrun mcp against procrun start",
          "[e2e][mcp]") {
    std::string why;
    const std::optional<fs::path> sdk = mcp_sdk(why);
    if (!sdk)
        PROCRUN_TOOL_MISSING("the MCP client SDK: " << why);

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
