#include "procrun/json.hpp"

#include <cmath>
#include <stdexcept>

namespace procrun::json {

namespace {

// Length of the valid UTF-8 sequence starting at `s[i]`, or 0 when the bytes
// there are not one (overlong forms, surrogates and code points above
// U+10FFFF are invalid).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b0 = byte(i);
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        if (b0 == 0xE0)
            lo = 0xA0;
        if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        if (b0 == 0xF0)
            lo = 0x90;
        if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (i + len > s.size())
        return 0;
    const unsigned char b1 = byte(i + 1);
    if (b1 < lo || b1 > hi)
        return 0;
    for (std::size_t k = 2; k < len; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80)
            return 0;
    }
    return len;
}

}  // namespace

void append_string(std::string& out, std::string_view text) {
    out += '"';
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t len = utf8_sequence(text, i);
            if (len == 0) {
                out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
                ++i;
            } else {
                out.append(text.substr(i, len));
                i += len;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
}

std::string quote(std::string_view text) {
    std::string out;
    append_string(out, text);
    return out;
}

void Writer::newline() {
    if (indent_ <= 0)
        return;
    out_ += '\n';
    out_.append(stack_.size() * static_cast<std::size_t>(indent_), ' ');
}

void Writer::before_value() {
    if (done_)
        throw std::logic_error("json::Writer: a value after the end of the document");
    if (stack_.empty())
        return;
    Level& top = stack_.back();
    if (top.object) {
        if (!key_pending_)
            throw std::logic_error("json::Writer: a value in an object needs a key");
        key_pending_ = false;
        return;
    }
    if (top.count++ > 0)
        out_ += ',';
    newline();
}

void Writer::after_value() {
    if (stack_.empty())
        done_ = true;
}

Writer& Writer::key(std::string_view name) {
    if (stack_.empty() || !stack_.back().object) {
        throw std::logic_error("json::Writer: a key outside an object");
    }
    if (key_pending_)
        throw std::logic_error("json::Writer: two keys in a row");
    if (stack_.back().count++ > 0)
        out_ += ',';
    newline();
    append_string(out_, name);
    out_ += indent_ > 0 ? ": " : ":";
    key_pending_ = true;
    return *this;
}

Writer& Writer::open(char bracket, bool object) {
    before_value();
    out_ += bracket;
    stack_.push_back(Level{object, 0});
    return *this;
}

Writer& Writer::close(char bracket, bool object) {
    if (stack_.empty() || stack_.back().object != object || key_pending_) {
        throw std::logic_error(fmt::format("json::Writer: unbalanced '{}'", bracket));
    }
    const bool empty = stack_.back().count == 0;
    stack_.pop_back();
    if (!empty)
        newline();
    out_ += bracket;
    after_value();
    return *this;
}

Writer& Writer::begin_object() {
    return open('{', true);
}
Writer& Writer::end_object() {
    return close('}', true);
}
Writer& Writer::begin_array() {
    return open('[', false);
}
Writer& Writer::end_array() {
    return close(']', false);
}

Writer& Writer::value(std::string_view text) {
    before_value();
    append_string(out_, text);
    after_value();
    return *this;
}

Writer& Writer::value(bool b) {
    before_value();
    out_ += b ? "true" : "false";
    after_value();
    return *this;
}

Writer& Writer::value(std::nullptr_t) {
    before_value();
    out_ += "null";
    after_value();
    return *this;
}

Writer& Writer::value(double number) {
    before_value();
    if (std::isfinite(number)) {
        fmt::format_to(std::back_inserter(out_), "{}", number);
    } else {
        out_ += "null";
    }
    after_value();
    return *this;
}

std::string Writer::str() const {
    if (!done_)
        throw std::logic_error("json::Writer: the document is not finished");
    return out_ + "\n";
}

}  // namespace procrun::json
