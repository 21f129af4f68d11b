// The colour decision (should_colour): flags, the environment's conventions
// and whether the descriptor is a terminal, in their order of precedence.

#include <unistd.h>

#include <catch2/catch.hpp>

#include "procrun/posix/fd.hpp"
#include "procrun/posix/pty.hpp"
#include "procrun/terminal.hpp"

using procrun::Environment;
using procrun::should_colour;

namespace {

// A pipe's write end (never a terminal) and a pseudo-terminal's slave (always one).
struct Fds {
    procrun::posix::Pipe pipe = procrun::posix::make_pipe(false);
    procrun::posix::PtyChannel pty = procrun::posix::open_pty();
    [[nodiscard]] int not_tty() const { return pipe.write.get(); }
    [[nodiscard]] int tty() const { return pty.slave.get(); }
};

}  // namespace

TEST_CASE("colour: a terminal gets colour, anything else none", "[terminal]") {
    const Fds fds;
    REQUIRE(::isatty(fds.tty()) == 1);
    REQUIRE(::isatty(fds.not_tty()) == 0);
    CHECK(should_colour(fds.tty(), std::nullopt, Environment{}));
    CHECK_FALSE(should_colour(fds.not_tty(), std::nullopt, Environment{}));
    CHECK(should_colour(fds.tty(), std::nullopt, Environment{{"TERM", "xterm-256color"}}));
}

TEST_CASE("colour: --color and --no-color win over everything", "[terminal]") {
    const Fds fds;
    const Environment no_color{{"NO_COLOR", "1"}, {"TERM", "dumb"}};
    const Environment force{{"FORCE_COLOR", "1"}, {"CLICOLOR_FORCE", "1"}};
    CHECK(should_colour(fds.not_tty(), true, no_color));
    CHECK(should_colour(fds.not_tty(), true, Environment{}));
    CHECK_FALSE(should_colour(fds.tty(), false, force));
    CHECK_FALSE(should_colour(fds.tty(), false, Environment{}));
}

TEST_CASE("colour: NO_COLOR set and non-empty turns it off, before FORCE_COLOR", "[terminal]") {
    const Fds fds;
    CHECK_FALSE(should_colour(fds.tty(), std::nullopt, Environment{{"NO_COLOR", "1"}}));
    CHECK_FALSE(should_colour(fds.tty(), std::nullopt,
                              Environment{{"NO_COLOR", "yes"}, {"FORCE_COLOR", "1"}}));
    // Empty is as if unset.
    CHECK(should_colour(fds.tty(), std::nullopt, Environment{{"NO_COLOR", ""}}));
}

TEST_CASE("colour: FORCE_COLOR and CLICOLOR_FORCE turn it on unless empty or 0", "[terminal]") {
    const Fds fds;
    for (const char* key : {"FORCE_COLOR", "CLICOLOR_FORCE"}) {
        INFO(key);
        CHECK(should_colour(fds.not_tty(), std::nullopt, Environment{{key, "1"}}));
        CHECK(should_colour(fds.not_tty(), std::nullopt, Environment{{key, "true"}}));
        // Before TERM=dumb.
        CHECK(
            should_colour(fds.not_tty(), std::nullopt, Environment{{key, "1"}, {"TERM", "dumb"}}));
        CHECK_FALSE(should_colour(fds.not_tty(), std::nullopt, Environment{{key, "0"}}));
        CHECK_FALSE(should_colour(fds.not_tty(), std::nullopt, Environment{{key, ""}}));
        // "0" does not force it off either: a terminal still decides.
        CHECK(should_colour(fds.tty(), std::nullopt, Environment{{key, "0"}}));
    }
}

TEST_CASE("colour: TERM=dumb turns it off even on a terminal", "[terminal]") {
    const Fds fds;
    CHECK_FALSE(should_colour(fds.tty(), std::nullopt, Environment{{"TERM", "dumb"}}));
    CHECK(should_colour(fds.tty(), std::nullopt, Environment{{"TERM", "dumber"}}));
}

TEST_CASE("colour: a closed descriptor is not a terminal", "[terminal]") {
    int fd = -1;
    {
        const Fds fds;
        fd = fds.tty();
    }
    CHECK_FALSE(should_colour(fd, std::nullopt, Environment{}));
}
