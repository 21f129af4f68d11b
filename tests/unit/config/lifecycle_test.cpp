#include "procrun/lifecycle.hpp"

#include <catch2/catch.hpp>

#include <climits>

using namespace procrun;
using namespace std::chrono_literals;

TEST_CASE("Backoff: initial * multiplier^(n-1), capped at max", "[lifecycle]") {
    const Backoff b;  // 1s, 30s, x2
    CHECK(b.delay(1) == 1s);
    CHECK(b.delay(2) == 2s);
    CHECK(b.delay(3) == 4s);
    CHECK(b.delay(5) == 16s);
    CHECK(b.delay(6) == 30s);
    CHECK(b.delay(7) == 30s);

    Backoff slow{Millis{500}, Millis{10000}, 1.5, Millis{0}};
    CHECK(slow.delay(1) == 500ms);
    CHECK(slow.delay(2) == 750ms);
    CHECK(slow.delay(3) == 1125ms);
    CHECK(slow.delay(9) == 10s);
}

TEST_CASE("Backoff: huge and odd restart numbers neither overflow nor misbehave", "[lifecycle]") {
    const Backoff b;
    CHECK(b.delay(1000) == 30s);
    CHECK(b.delay(INT_MAX) == 30s);
    CHECK(b.delay(0) == 1s);
    CHECK(b.delay(-5) == 1s);

    Backoff flat{Millis{250}, Millis{30000}, 1.0, Millis{10000}};
    CHECK(flat.delay(INT_MAX) == 250ms);

    Backoff capped{Millis{60000}, Millis{30000}, 2.0, Millis{10000}};
    CHECK(capped.delay(1) == 30s);  // initial above max: max

    Backoff none{Millis{0}, Millis{30000}, 2.0, Millis{10000}};
    CHECK(none.delay(INT_MAX) == 0ms);

    Backoff steep{Millis{1}, Millis{86400000}, 100.0, Millis{0}};
    CHECK(steep.delay(3) == 10s);
    CHECK(steep.delay(5) == Millis{86400000});
}

TEST_CASE("Lifecycle: names of the enums", "[lifecycle]") {
    CHECK(to_string(RestartPolicy::no) == "no");
    CHECK(to_string(RestartPolicy::on_failure) == "on-failure");
    CHECK(to_string(RestartPolicy::always) == "always");
    CHECK(to_string(DependencyCondition::started) == "started");
    CHECK(to_string(DependencyCondition::ready) == "ready");
    CHECK(to_string(DependencyCondition::completed_successfully) == "completed_successfully");
    CHECK(to_string(ProbeKind::none) == "none");
    CHECK(to_string(ProbeKind::tcp) == "tcp");
    CHECK(to_string(ProbeKind::http) == "http");
    CHECK(to_string(ProbeKind::log) == "log");
    CHECK(to_string(ProbeKind::exec) == "exec");
}

TEST_CASE("Lifecycle: the defaults are foreman's behaviour", "[lifecycle]") {
    const Lifecycle l;
    CHECK(l.restart == RestartPolicy::no);
    CHECK(l.max_restarts == -1);
    CHECK_FALSE(l.can_die);
    CHECK_FALSE(l.exit_with);
    CHECK(l.stop_signal == SIGTERM);
    CHECK_FALSE(l.stop_timeout);
    CHECK(l.depends_on.empty());
    CHECK(l.readiness.kind == ProbeKind::none);
    CHECK_FALSE(l.pty);
}
