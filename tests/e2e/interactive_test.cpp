// procrun on a real terminal (tests/support/pty_session.hpp): what is typed
// reaches the processes' stdin, prompts are shown, Ctrl-C stops everything.

#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "harness.hpp"
#include "pty_session.hpp"

namespace {

using namespace std::chrono_literals;
using procrun::test::in_project;
using procrun::test::procrun_binary;
using procrun::test::PtySession;
using procrun::test::TempDir;

}  // namespace

TEST_CASE("pty session: procrun start on a terminal, Ctrl-C typed stops everything",
          "[e2e][interactive]") {
    TempDir dir;
    dir.write("Procfile", "ticker: sh -c 'echo tick-ready; exec sleep 60'\n");
    PtySession term({procrun_binary(), "start"}, in_project(dir), 30, 100);
    REQUIRE(term.wait_for("tick-ready", 30s));
    term.resize(40, 120);
    term.ctrl_c();
    const int status = term.wait_exit(30s);
    INFO(term.output());
    CHECK(status == 130);
    CHECK(term.output().find("received SIGINT") != std::string::npos);
}
