#pragma once

// `procrun connect NAME[.N]`: the messages of a connection joined to one
// instance, after the control socket's reply to {"command":"connect"}. One JSON
// object per line each way (docs/control.md, "Connect"); the bytes of the
// instance's output and of what is typed travel base64-encoded, so that any
// byte (a lone escape, invalid UTF-8, a NUL) survives JSON.
//
//   server -> client: ConnectEvent   {"event":"output","data":"aGkK"} ...
//   client -> server: ConnectInput   {"input":"cCA2KjcK"}  {"resize":{"rows":40,"cols":120}}
//
// The connection is a control stream (ControlStream, ControlClientStream):
// the server ends it with the stream's end line, whose reason is one of these
// when the connect handler ends it.
//
// Pure: values and their encoding only.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "procrun/control.hpp"

namespace procrun {

// RFC 4648 base64 with padding. decode accepts exactly what encode writes
// (padding required, no whitespace) and returns nullopt for anything else.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// A line from either side is at most this long (newline excluded); the
// output of one read is at most 64 KiB, 88 KiB in base64.
inline constexpr std::size_t kMaxConnectLine = 256 * 1024;
// One input message carries at most this many bytes (the client splits more).
inline constexpr std::size_t kMaxConnectInput = 16 * 1024;

// The end reasons of a connect stream given by the supervisor's connect side:
// the instance will not be started again; the client sent a malformed message.
inline constexpr std::string_view kConnectEnded = "ended";
inline constexpr std::string_view kConnectInvalid = "invalid";

struct ConnectEvent {
    enum class Kind {
        connected,  // first: which instance, its pid (0 while it has none), terminal or pipe
        output,     // bytes it wrote (stdout and stderr), as they came
        started,    // a new process of it started (a restart): `pid`
        exited,     // its process ended: `text` says how; `restarting` whether it comes back
    };
    Kind kind = Kind::output;
    std::string name;         // connected: "web.1"
    int pid = 0;              // connected, started
    bool terminal = false;    // connected: it runs on a pseudo-terminal (raw keys)
    std::string state;        // connected, exited: its state then ("running", "backoff"...)
    std::string data;         // output: the raw bytes
    std::string text;         // exited: "exited with code 3"
    bool restarting = false;  // exited: the policy starts it again

    friend bool operator==(const ConnectEvent&, const ConnectEvent&) = default;
};

struct ConnectWindow {
    std::uint16_t rows = 0;
    std::uint16_t cols = 0;
    friend bool operator==(const ConnectWindow&, const ConnectWindow&) = default;
};

// A message from the client: bytes to write to the instance's input, or the
// connecting terminal's new window size (a pseudo-terminal follows it).
struct ConnectInput {
    std::string input;                    // raw bytes; may be empty
    std::optional<ConnectWindow> resize;  // rows and cols, each 1 to 65535

    friend bool operator==(const ConnectInput&, const ConnectInput&) = default;
};

// One line each, newline included.
std::string encode_connect_event(const ConnectEvent& event);
std::string encode_connect_input(const ConnectInput& input);
// `line` without its newline (a trailing '\r' is ignored). Unknown keys are an
// error in an input message and ignored in an event (newer servers may add some).
Decoded<ConnectEvent> decode_connect_event(std::string_view line);
Decoded<ConnectInput> decode_connect_input(std::string_view line);

}  // namespace procrun
