// procrun-yaml2json FILE: prints FILE's one YAML document as JSON, read by
// yaml-cpp (the parser procrun's loader uses), with plain scalars typed by the
// YAML 1.2 core schema as editors' yaml-language-server types them: true/false
// are booleans, numbers are numbers, null/~/empty are null, everything else
// (yes, no, on, off, quoted scalars) a string. The ecosystem tests validate
// .procrun.yaml files against the JSON Schema and read the docs' CI YAML with
// it. Exit status 1 with a message on stderr for YAML it cannot convert.

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <iostream>
#include <regex>
#include <stdexcept>
#include <string>

namespace {

constexpr int kMaxDepth = 64;  // deeper means an alias that refers to itself

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\r') {
            out += "\\r";
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// A plain scalar as the YAML 1.2 core schema reads it.
std::string plain_scalar(const std::string& s) {
    static const std::regex null_re("null|Null|NULL|~|");
    static const std::regex bool_re("true|True|TRUE|false|False|FALSE");
    static const std::regex int_re("[-+]?[0-9]+");
    static const std::regex float_re(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    if (std::regex_match(s, null_re))
        return "null";
    if (std::regex_match(s, bool_re))
        return (s[0] == 't' || s[0] == 'T') ? "true" : "false";
    if (std::regex_match(s, int_re)) {
        // JSON has no leading '+' or leading zeros: keep the digits' value.
        std::string digits = s[0] == '+' ? s.substr(1) : s;
        const bool negative = !digits.empty() && digits[0] == '-';
        if (negative)
            digits.erase(0, 1);
        const auto first = digits.find_first_not_of('0');
        digits = first == std::string::npos ? "0" : digits.substr(first);
        return (negative ? "-" : "") + digits;
    }
    if (std::regex_match(s, float_re)) {
        std::size_t used = 0;
        const double d = std::stod(s, &used);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", d);
        return buf;
    }
    return quote(s);
}

std::string to_json(const YAML::Node& node, int depth) {
    if (depth > kMaxDepth)
        throw std::runtime_error("nesting deeper than 64 levels (a recursive alias?)");
    switch (node.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            return "null";
        case YAML::NodeType::Scalar:
            // "?" is the tag of a plain scalar; quoted ones ("!") and explicit tags are strings.
            return node.Tag() == "?" ? plain_scalar(node.Scalar()) : quote(node.Scalar());
        case YAML::NodeType::Sequence: {
            std::string out = "[";
            for (std::size_t i = 0; i < node.size(); ++i)
                out += (i == 0 ? "" : ",") + to_json(node[i], depth + 1);
            return out + "]";
        }
        case YAML::NodeType::Map: {
            std::string out = "{";
            bool first = true;
            for (const auto& item : node) {
                if (!item.first.IsScalar())
                    throw std::runtime_error("a mapping key that is not a scalar");
                out += (first ? "" : ",") + quote(item.first.Scalar()) + ":" +
                       to_json(item.second, depth + 1);
                first = false;
            }
            return out + "}";
        }
    }
    return "null";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: procrun-yaml2json FILE\n";
        return 2;
    }
    try {
        std::cout << to_json(YAML::LoadFile(argv[1]), 0) << '\n';
    } catch (const std::exception& e) {
        std::cerr << argv[1] << ": " << e.what() << '\n';
        return 1;
    }
    return 0;
}
