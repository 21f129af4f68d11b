#include "procrun/duration.hpp"

#include <catch2/catch.hpp>

using namespace procrun;
using namespace std::chrono_literals;

TEST_CASE("Durations: every unit, fractions, the limits", "[duration]") {
    CHECK(parse_duration("500ms") == 500ms);
    CHECK(parse_duration("2s") == 2s);
    CHECK(parse_duration("1m") == 60s);
    CHECK(parse_duration("1h") == 3600s);
    CHECK(parse_duration("10") == 10s);
    CHECK(parse_duration("0.5") == 500ms);
    CHECK(parse_duration(".25s") == 250ms);
    CHECK(parse_duration("1.5m") == 90s);
    CHECK(parse_duration("0") == 0ms);
    CHECK(parse_duration("24h") == 86400s);
    CHECK(parse_duration("86400") == kMaxDuration);
    CHECK(parse_duration("0.0004") == 0ms);
    CHECK(parse_duration("0.0005") == 1ms);
    for (const char* bad : {"",     "-1",    "-1s",  "1.2.3", "s",
                            "1 s",  " 1",    "1sec", "2d",    "1e3",
                            "25h",  "86401", "+1",   "ten",   ".",
                            "1ms5", "0,5",   "1S",   "1M",    "000000000000000000001"}) {
        INFO(bad);
        CHECK_FALSE(parse_duration(bad));
    }
}

TEST_CASE("Durations: formatted the way they are read", "[duration]") {
    CHECK(format_duration(0ms) == "0s");
    CHECK(format_duration(1500ms) == "1500ms");
    CHECK(format_duration(30s) == "30s");
    CHECK(format_duration(120s) == "2m");
    CHECK(format_duration(7200s) == "2h");
    for (const Millis d :
         std::initializer_list<Millis>{1ms, 999ms, 1s, 61s, 90s, 3600s, 5400s, kMaxDuration}) {
        INFO(d.count());
        CHECK(parse_duration(format_duration(d)) == d);
    }
}

TEST_CASE("Durations: plain decimal numbers", "[duration]") {
    CHECK(parse_decimal("2") == 2.0);
    CHECK(parse_decimal("0.5") == 0.5);
    CHECK(parse_decimal(".5") == 0.5);
    CHECK(parse_decimal("5.") == 5.0);
    for (const char* bad : {"", ".", "-1", "1e2", "1.2.3", "0x1", " 1", "123456789012345678901"}) {
        INFO(bad);
        CHECK_FALSE(parse_decimal(bad));
    }
}
