#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace procrun::json {

// Appends `text` to `out` as a JSON string literal, quotes included. Control
// characters are escaped (\n, \t, ... or \u00XX); bytes that are not valid
// UTF-8 become U+FFFD, so the result is always valid JSON.
void append_string(std::string& out, std::string_view text);

// `text` as a JSON string literal.
[[nodiscard]] std::string quote(std::string_view text);

// Writes one JSON document, value by value:
//
//   json::Writer w;
//   w.begin_object().field("valid", true).key("names").begin_array();
//   for (auto& n : names) w.value(n);
//   w.end_array().end_object();
//   std::string doc = w.str();
//
// `indent` spaces per level (0 writes everything on one line). Misuse (a key
// outside an object, a value where a key is due, unbalanced ends, reading an
// unfinished document) throws std::logic_error.
class Writer {
  public:
    explicit Writer(int indent = 2) : indent_(indent) {}

    Writer& begin_object();
    Writer& end_object();
    Writer& begin_array();
    Writer& end_array();
    Writer& key(std::string_view name);

    Writer& value(std::string_view text);
    Writer& value(const char* text) { return value(std::string_view(text)); }
    Writer& value(const std::string& text) { return value(std::string_view(text)); }
    Writer& value(bool b);
    Writer& value(std::nullptr_t);
    Writer& value(double number);  // NaN and infinities are written as null
    template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>) Writer& value(T number) {
        before_value();
        fmt::format_to(std::back_inserter(out_), "{}", number);
        after_value();
        return *this;
    }

    template <class T>
    Writer& field(std::string_view name, const T& v) {
        key(name);
        return value(v);
    }

    // The finished document, with a trailing newline.
    [[nodiscard]] std::string str() const;

  private:
    struct Level {
        bool object = false;
        int count = 0;
    };
    void before_value();
    void after_value();
    void newline();
    Writer& open(char bracket, bool object);
    Writer& close(char bracket, bool object);

    int indent_ = 2;
    std::string out_;
    std::vector<Level> stack_;
    bool key_pending_ = false;
    bool done_ = false;
};

}  // namespace procrun::json
