#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>
#include <string>

#include "procrun/json.hpp"

using procrun::json::quote;
using procrun::json::Writer;

TEST_CASE("json::quote escapes what JSON requires", "[json]") {
    struct Case {
        std::string in;
        std::string out;
    };
    const Case cases[] = {
        {"", R"("")"},
        {"plain", R"("plain")"},
        {"say \"hi\"", R"("say \"hi\"")"},
        {"back\\slash", R"("back\\slash")"},
        {"a\nb\rc\td", R"("a\nb\rc\td")"},
        {"\b\f", R"("\b\f")"},
        {std::string("nul\0byte", 8), R"("nul\u0000byte")"},
        {"\x1b[1m", R"("\u001b[1m")"},
        {"\x7f", R"("\u007f")"},
        {"/ stays", R"("/ stays")"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
         "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
    };
    for (const auto& c : cases) {
        INFO(c.in);
        CHECK(quote(c.in) == c.out);
    }
}

TEST_CASE("json::quote replaces bytes that are not UTF-8", "[json]") {
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(quote("\xff") == "\"" + fffd + "\"");
    CHECK(quote("a\xc3") == "\"a" + fffd + "\"");                      // truncated sequence
    CHECK(quote("\xc0\xaf") == "\"" + fffd + fffd + "\"");             // overlong '/'
    CHECK(quote("\xed\xa0\x80") == "\"" + fffd + fffd + fffd + "\"");  // surrogate
    CHECK(quote("\xf4\x90\x80\x80") == "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
    CHECK(quote("\x80x") == "\"" + fffd + "x\"");  // lone continuation byte
}

TEST_CASE("json::Writer writes nested documents with indentation", "[json]") {
    Writer w;
    w.begin_object()
        .field("valid", true)
        .field("count", 3)
        .field("name", "web")
        .field("none", nullptr)
        .key("list")
        .begin_array()
        .value(1)
        .value("two")
        .begin_object()
        .end_object()
        .begin_array()
        .end_array()
        .end_array()
        .end_object();
    CHECK(w.str() == R"({
  "valid": true,
  "count": 3,
  "name": "web",
  "none": null,
  "list": [
    1,
    "two",
    {},
    []
  ]
}
)");
}

TEST_CASE("json::Writer compact output and scalars", "[json]") {
    Writer w(0);
    w.begin_array()
        .value(-7)
        .value(std::size_t{42})
        .value(false)
        .value(1.5)
        .value(std::numeric_limits<double>::infinity())
        .value(std::string("s"))
        .end_array();
    CHECK(w.str() == "[-7,42,false,1.5,null,\"s\"]\n");

    Writer scalar;
    scalar.value(12);
    CHECK(scalar.str() == "12\n");
}

TEST_CASE("json::Writer rejects misuse", "[json]") {
    {
        Writer w;
        CHECK_THROWS_AS(w.key("k"), std::logic_error);  // a key outside an object
    }
    {
        Writer w;
        w.begin_object();
        CHECK_THROWS_AS(w.value(1), std::logic_error);  // a value without a key
        CHECK_THROWS_AS(w.end_array(), std::logic_error);
        w.key("a");
        CHECK_THROWS_AS(w.key("b"), std::logic_error);      // two keys in a row
        CHECK_THROWS_AS(w.end_object(), std::logic_error);  // key without value
    }
    {
        Writer w;
        w.begin_array();
        CHECK_THROWS_AS(w.str(), std::logic_error);  // unfinished
        w.end_array();
        CHECK_THROWS_AS(w.value(1), std::logic_error);  // after the end
    }
}
