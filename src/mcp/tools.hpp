#pragma once

// The tools of `procrun mcp`: their definitions (name, description, input
// schema) and their calls, each one control request to the running procrun.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

#include "procrun/mcp.hpp"

namespace procrun::mcp {

// What tools/list returns under "tools".
boost::json::array tool_definitions();

bool is_tool(std::string_view name);

struct ToolResult {
    std::string text;
    bool error = false;  // a tool error (isError): the text says why
};

// Runs tool `name` (is_tool) with `arguments`; invalid arguments, a refusal
// and an unreachable procrun are tool errors, never exceptions.
ToolResult call_tool(Control& control, std::string_view name, const boost::json::object& arguments);

}  // namespace procrun::mcp
