#pragma once

// `procrun mcp`: a Model Context Protocol server on standard input and output
// (JSON-RPC 2.0, one message per line) that exposes the procrun running in a
// root to a coding agent as tools: status, restart, stop, start, signal
// kill and logs. Each tool is one control request (procrun/control.hpp);
// what the running procrun refuses, or its absence, is a tool error carrying
// the control's message. docs/mcp.md describes the tools.

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/control.hpp"

namespace procrun::mcp {

// The protocol revisions this server speaks, newest first. A client asking
// for one of them gets it; any other request gets the newest.
const std::vector<std::string>& protocol_versions();

// How the tools reach the running procrun.
class Control {
  public:
    virtual ~Control() = default;
    // The reply of the procrun running in the root; throws ControlError (NotRunning: none
    // runs there) as control_request() does.
    virtual ControlReply request(const ControlRequest& request) = 0;
    // A `logs` request (not followed): the reply, and when it is ok the lines
    // of output that came with it (each a LogLine's JSON, decode_log_line).
    struct Logs {
        ControlReply reply;
        std::vector<std::string> lines;
    };
    virtual Logs logs(const ControlRequest& request) = 0;
};

// One MCP session: each message in, at most one message out.
class Server {
  public:
    // `control` must outlive the server; `version` is procrun's, for serverInfo.
    Server(Control& control, std::string version);

    // `line`: one JSON-RPC message without its newline. Returns the reply, one
    // line of JSON without a newline, or nullopt for a notification (or a
    // response, which this server never asked for).
    std::optional<std::string> handle(std::string_view line);

    // The protocol revision agreed at initialize ("" before it).
    [[nodiscard]] const std::string& protocol_version() const { return protocol_version_; }

  private:
    Control& control_;
    std::string version_;
    std::string protocol_version_;
};

// A message longer than this (newline excluded) is answered with an error and skipped.
inline constexpr std::size_t kMaxMessage = 4 * 1024 * 1024;

// Serves `in` until its end: each line is one message, each reply is written
// to `out` followed by a newline and flushed. Blank lines are skipped.
void serve(Server& server, std::istream& in, std::ostream& out);

}  // namespace procrun::mcp
