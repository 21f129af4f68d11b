// The `scale` request: its wire form and its TYPE=COUNT targets.

#include <catch2/catch.hpp>

#include <string>

#include "procrun/control.hpp"

using namespace procrun;

TEST_CASE("control: a scale request goes over the wire and back", "[control][scale]") {
    ControlRequest request;
    request.command = ControlCommand::scale;
    request.targets = {"web=3", "worker=0"};
    const std::string line = encode_request(request);
    CHECK(line == "{\"command\":\"scale\",\"targets\":[\"web=3\",\"worker=0\"]}\n");
    const Decoded<ControlRequest> back = decode_request(line.substr(0, line.size() - 1));
    REQUIRE(back.ok());
    CHECK(*back.value == request);
}

TEST_CASE("control: a scale request needs targets", "[control][scale]") {
    const Decoded<ControlRequest> d = decode_request("{\"command\":\"scale\"}");
    CHECK_FALSE(d.ok());
    CHECK(d.error == "\"scale\" needs \"targets\": TYPE=COUNT for each type");
}

TEST_CASE("control: scale targets are TYPE=COUNT, COUNT from 0 to 999", "[control][scale]") {
    std::string error;
    const auto web = parse_scale_target("web=3", &error);
    REQUIRE(web);
    CHECK(web->type == "web");
    CHECK(web->count == 3);
    const auto none = parse_scale_target("worker=0", &error);
    REQUIRE(none);
    CHECK(none->count == 0);
    for (const char* bad : {"web", "web=", "=3", "web=-1", "web=1000", "web=3x", "web=+2"}) {
        INFO(bad);
        CHECK_FALSE(parse_scale_target(bad, &error));
        CHECK(error == std::string("'") + bad +
                           "' is not TYPE=N (N a whole number from 0 to 999), e.g. web=3");
    }
}
