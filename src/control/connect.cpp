// The messages of a `procrun connect` connection as JSON lines (Boost.JSON,
// whose definitions protocol.cpp compiles), with the bytes in base64.

#include <boost/json.hpp>

#include <fmt/core.h>

#include <array>
#include <limits>
#include <utility>

#include "procrun/connect.hpp"

namespace procrun {

namespace bj = boost::json;

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> decoding_table() {
    std::array<std::int8_t, 256> table{};
    for (auto& v : table)
        v = -1;
    for (std::size_t i = 0; i < kAlphabet.size(); ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}

constexpr std::array<std::int8_t, 256> kDecoding = decoding_table();

constexpr std::array<std::pair<ConnectEvent::Kind, std::string_view>, 4> kKinds{{
    {ConnectEvent::Kind::connected, "connected"},
    {ConnectEvent::Kind::output, "output"},
    {ConnectEvent::Kind::started, "started"},
    {ConnectEvent::Kind::exited, "exited"},
}};

Decoded<bj::object> parse_object(std::string_view line, std::string_view what) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (line.size() > kMaxConnectLine) {
        return {std::nullopt, fmt::format("{} too long: {} bytes (at most {})", what, line.size(),
                                          kMaxConnectLine)};
    }
    bj::error_code ec;
    bj::value doc = bj::parse(bj::string_view(line.data(), line.size()), ec);
    if (ec)
        return {std::nullopt, fmt::format("malformed JSON in {}: {}", what, ec.message())};
    if (!doc.is_object())
        return {std::nullopt, fmt::format("{} must be a JSON object", what)};
    return {std::move(doc.get_object()), {}};
}

std::optional<std::string> string_of(const bj::object& o, std::string_view key) {
    const bj::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string())
        return std::nullopt;
    return std::string(v->get_string());
}

std::optional<std::int64_t> int_of(const bj::value& v) {
    if (v.is_int64())
        return v.get_int64();
    if (v.is_uint64() &&
        v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(v.get_uint64());
    return std::nullopt;
}

// Fills the fields an event of `kind` carries; returns an error or "".
std::string decode_event_fields(const bj::object& o, ConnectEvent& e) {
    using Kind = ConnectEvent::Kind;
    if (e.kind == Kind::output) {
        const std::optional<std::string> data = string_of(o, "data");
        std::optional<std::string> bytes = data ? base64_decode(*data) : std::nullopt;
        if (!bytes)
            return "an \"output\" event needs \"data\": base64 bytes";
        e.data = std::move(*bytes);
        return {};
    }
    if (const bj::value* pid = o.if_contains("pid")) {
        const std::optional<std::int64_t> n = int_of(*pid);
        if (!n || *n < 0 || *n > std::numeric_limits<int>::max())
            return "\"pid\" must be a non-negative integer";
        e.pid = static_cast<int>(*n);
    }
    e.name = string_of(o, "name").value_or("");
    e.state = string_of(o, "state").value_or("");
    e.text = string_of(o, "text").value_or("");
    if (const bj::value* t = o.if_contains("terminal"); t != nullptr && t->is_bool())
        e.terminal = t->get_bool();
    if (const bj::value* r = o.if_contains("restarting"); r != nullptr && r->is_bool())
        e.restarting = r->get_bool();
    if (e.kind == Kind::connected && e.name.empty())
        return "a \"connected\" event needs \"name\"";
    return {};
}

std::optional<ConnectWindow> decode_window(const bj::value& v) {
    if (!v.is_object())
        return std::nullopt;
    const bj::object& o = v.get_object();
    const bj::value* rows = o.if_contains("rows");
    const bj::value* cols = o.if_contains("cols");
    if (rows == nullptr || cols == nullptr || o.size() != 2)
        return std::nullopt;
    const std::optional<std::int64_t> r = int_of(*rows);
    const std::optional<std::int64_t> c = int_of(*cols);
    constexpr std::int64_t kMax = std::numeric_limits<std::uint16_t>::max();
    if (!r || !c || *r < 1 || *c < 1 || *r > kMax || *c > kMax)
        return std::nullopt;
    return ConnectWindow{static_cast<std::uint16_t>(*r), static_cast<std::uint16_t>(*c)};
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned v = (at(i) << 16U) | (at(i + 1) << 8U) | at(i + 2);
        out += kAlphabet[(v >> 18U) & 63U];
        out += kAlphabet[(v >> 12U) & 63U];
        out += kAlphabet[(v >> 6U) & 63U];
        out += kAlphabet[v & 63U];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        const unsigned v = (at(i) << 16U) | (rest == 2 ? at(i + 1) << 8U : 0U);
        out += kAlphabet[(v >> 18U) & 63U];
        out += kAlphabet[(v >> 12U) & 63U];
        out += rest == 2 ? kAlphabet[(v >> 6U) & 63U] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0)
        return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
        if (pad == 1 && text[i + 2] == '=')
            return std::nullopt;  // "x=y=": padding only at the end
        unsigned v = 0;
        for (std::size_t k = 0; k < 4 - static_cast<std::size_t>(pad); ++k) {
            const std::int8_t d = kDecoding[static_cast<unsigned char>(text[i + k])];
            if (d < 0)
                return std::nullopt;
            v |= static_cast<unsigned>(d) << (18U - 6U * k);
        }
        // The bits a padded group does not carry must be zero: one encoding per input.
        if ((pad == 1 && (v & 0xFFU) != 0) || (pad == 2 && (v & 0xFFFFU) != 0))
            return std::nullopt;
        out += static_cast<char>((v >> 16U) & 0xFFU);
        if (pad < 2)
            out += static_cast<char>((v >> 8U) & 0xFFU);
        if (pad < 1)
            out += static_cast<char>(v & 0xFFU);
    }
    return out;
}

std::string encode_connect_event(const ConnectEvent& e) {
    using Kind = ConnectEvent::Kind;
    bj::object o;
    for (const auto& [kind, name] : kKinds) {
        if (kind == e.kind)
            o["event"] = name;
    }
    switch (e.kind) {
        case Kind::connected:
            o["name"] = e.name;
            o["pid"] = e.pid;
            o["terminal"] = e.terminal;
            o["state"] = e.state;
            break;
        case Kind::output:
            o["data"] = base64_encode(e.data);
            break;
        case Kind::started:
            o["pid"] = e.pid;
            break;
        case Kind::exited:
            o["text"] = e.text;
            o["state"] = e.state;
            o["restarting"] = e.restarting;
            break;
    }
    return bj::serialize(o) + "\n";
}

std::string encode_connect_input(const ConnectInput& input) {
    bj::object o;
    if (!input.input.empty() || !input.resize)
        o["input"] = base64_encode(input.input);
    if (input.resize) {
        bj::object w;
        w["rows"] = input.resize->rows;
        w["cols"] = input.resize->cols;
        o["resize"] = std::move(w);
    }
    return bj::serialize(o) + "\n";
}

Decoded<ConnectEvent> decode_connect_event(std::string_view line) {
    Decoded<bj::object> parsed = parse_object(line, "an event");
    if (!parsed.ok())
        return {std::nullopt, std::move(parsed.error)};
    const std::optional<std::string> name = string_of(*parsed.value, "event");
    if (!name)
        return {std::nullopt, "an event needs \"event\": a string"};
    ConnectEvent e;
    bool known = false;
    for (const auto& [kind, text] : kKinds) {
        if (text == *name) {
            e.kind = kind;
            known = true;
        }
    }
    if (!known)
        return {std::nullopt, fmt::format("unknown event \"{}\"", *name)};
    std::string error = decode_event_fields(*parsed.value, e);
    if (!error.empty())
        return {std::nullopt, std::move(error)};
    return {std::move(e), {}};
}

Decoded<ConnectInput> decode_connect_input(std::string_view line) {
    Decoded<bj::object> parsed = parse_object(line, "a connect message");
    if (!parsed.ok())
        return {std::nullopt, std::move(parsed.error)};
    ConnectInput in;
    for (const auto& field : *parsed.value) {
        const std::string_view key = field.key();
        if (key == "input") {
            std::optional<std::string> bytes;
            if (field.value().is_string())
                bytes = base64_decode(field.value().get_string());
            if (!bytes)
                return {std::nullopt, "\"input\" must be base64 bytes"};
            if (bytes->size() > kMaxConnectInput) {
                return {std::nullopt, fmt::format("\"input\" too long: {} bytes (at most {})",
                                                  bytes->size(), kMaxConnectInput)};
            }
            in.input = std::move(*bytes);
        } else if (key == "resize") {
            in.resize = decode_window(field.value());
            if (!in.resize) {
                return {std::nullopt,
                        "\"resize\" must be {\"rows\":R,\"cols\":C}, each from 1 to 65535"};
            }
        } else {
            return {std::nullopt, fmt::format("unknown key \"{}\" (a connect message has "
                                              "\"input\" and \"resize\")",
                                              key)};
        }
    }
    return {std::move(in), {}};
}

}  // namespace procrun
