#pragma once

// The small template language of the text exporters (docs/export.md):
//   {{name}}               the value of `name`, inserted as is
//   {{#name}}...{{/name}}  a list: the body once per item, the item's names in
//                          scope; a value: the body once when it is not empty
//   {{^name}}...{{/name}}  the body once when `name` is empty (or an empty list)
//   {{! comment }}         nothing
// A line holding only a section tag or a comment (and whitespace) vanishes
// whole. Names are checked against the format's schema when the template is
// parsed, so a misspelt name is an error even inside a section that is empty.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/diagnostic.hpp"

namespace procrun::tmpl {

// What a template may refer to: plain values and lists with their own names.
struct Schema {
    std::vector<std::string> values;
    std::map<std::string, Schema> lists;
};

// The data a template is rendered with; matches a Schema.
struct Context {
    std::map<std::string, std::string> values;
    std::map<std::string, std::vector<Context>> lists;
};

struct Node {
    enum class Kind { text, value, section, inverted } kind = Kind::text;
    std::string text;  // text, or the name
    std::vector<Node> children;
};

struct Template {
    std::vector<Node> nodes;
};

// Parses and checks `text` against `schema`. Diagnostics are located in `file`.
Parsed<Template> parse(std::string_view text, std::string_view file, const Schema& schema);

// `names`, then the names every template of a format takes (`common`).
std::vector<std::string> with_common(std::vector<std::string> names,
                                     const std::vector<std::string>& common);

// Renders a parsed template. Names are known to exist (parse checked them).
std::string render(const Template& t, const Context& context);

}  // namespace procrun::tmpl
