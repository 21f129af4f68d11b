#include "procrun/signal_name.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace procrun;

TEST_CASE("Signal names: every name, with or without SIG, in any case", "[signal_name]") {
    CHECK(parse_signal("TERM") == SIGTERM);
    CHECK(parse_signal("SIGTERM") == SIGTERM);
    CHECK(parse_signal("sigquit") == SIGQUIT);
    CHECK(parse_signal("hup") == SIGHUP);
    CHECK(parse_signal("SigUsr1") == SIGUSR1);
    CHECK(parse_signal("15") == SIGTERM);
    CHECK(parse_signal("1") == 1);
    CHECK_FALSE(parse_signal("SIG42"));
    CHECK(parse_signal("0015") == 15);
    CHECK(parse_signal("999999999999") == std::nullopt);
    CHECK(parse_signal(std::to_string(NSIG - 1)) == NSIG - 1);
    // One name per signal, glibc's.
    CHECK_FALSE(parse_signal("IOT"));
    CHECK_FALSE(parse_signal("IO"));
    CHECK(parse_signal("POLL") == SIGPOLL);
    for (const char* bad : {"", "0", "SIG", "TERMS", "SIGSIGTERM", "-15", "+15", " TERM", "TERM ",
                            "RTMIN", "15x", "1000000000000"}) {
        INFO(bad);
        CHECK_FALSE(parse_signal(bad));
    }
    CHECK_FALSE(parse_signal(std::to_string(NSIG)));
}

TEST_CASE("Signal names: printed as SIGNAME, read back as the same number", "[signal_name]") {
    CHECK(signal_name(SIGTERM) == "SIGTERM");
    CHECK(signal_name(SIGKILL) == "SIGKILL");
    CHECK(signal_name(SIGABRT) == "SIGABRT");
    CHECK(signal_name(SIGCHLD) == "SIGCHLD");
    CHECK(signal_name(SIGPOLL) == "SIGPOLL");
    CHECK(signal_name(42) == "SIG42");
    for (int sig = 1; sig < NSIG; ++sig) {
        INFO(sig);
        const std::string name = signal_name(sig);
        if (name != "SIG" + std::to_string(sig)) {
            CHECK(parse_signal(name) == sig);
            CHECK(parse_signal(name.substr(3)) == sig);
        }
    }
    CHECK(signal_names().front() == "HUP");
    CHECK(signal_names().size() == 31);
}

TEST_CASE("Signal names: what each does by default", "[signal_name]") {
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGKILL, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
                    SIGSEGV, SIGABRT, SIGPWR, SIGPOLL, 40}) {
        INFO(sig);
        CHECK(default_action(sig) == SignalDefault::terminate);
    }
    for (int sig : {SIGCHLD, SIGURG, SIGWINCH})
        CHECK(default_action(sig) == SignalDefault::ignore);
    for (int sig : {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU})
        CHECK(default_action(sig) == SignalDefault::suspend);
    CHECK(default_action(SIGCONT) == SignalDefault::resume);
    CHECK_FALSE(can_be_handled(SIGKILL));
    CHECK_FALSE(can_be_handled(SIGSTOP));
    CHECK(can_be_handled(SIGTERM));
    CHECK(can_be_handled(SIGTSTP));
}
