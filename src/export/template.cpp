#include "export/template.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace procrun::tmpl {

namespace {

struct Token {
    enum class Kind { text, value, open, inverted, close, comment } kind = Kind::text;
    std::string text;
    int line = 0;
    int column = 0;
};

bool is_blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool is_name(std::string_view s) {
    if (s.empty())
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
    });
}

class Parser {
  public:
    Parser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

    std::vector<Token> tokenize() {
        std::vector<Token> tokens;
        int line_no = 0;
        std::size_t pos = 0;
        while (pos < text_.size()) {
            ++line_no;
            std::size_t end = text_.find('\n', pos);
            const bool has_newline = end != std::string_view::npos;
            if (!has_newline)
                end = text_.size();
            const std::string_view line = text_.substr(pos, end - pos);
            std::vector<Token> line_tokens = tokenize_line(line, line_no);
            // A line that is only one section/comment tag (and blanks) vanishes.
            std::size_t tags = 0;
            std::size_t value_tags = 0;
            bool blank_text = true;
            for (const auto& t : line_tokens) {
                if (t.kind == Token::Kind::text) {
                    blank_text = blank_text && is_blank(t.text);
                } else {
                    ++tags;
                    if (t.kind == Token::Kind::value)
                        ++value_tags;
                }
            }
            if (tags == 1 && value_tags == 0 && blank_text) {
                for (auto& t : line_tokens) {
                    if (t.kind != Token::Kind::text)
                        tokens.push_back(std::move(t));
                }
            } else {
                for (auto& t : line_tokens)
                    tokens.push_back(std::move(t));
                if (has_newline)
                    tokens.push_back(Token{Token::Kind::text, "\n", line_no, 0});
            }
            pos = has_newline ? end + 1 : end;
        }
        return tokens;
    }

    void error(int line, int column, std::string message, std::string hint = {}) {
        diagnostics_.push_back(make_error(Location{file_, line, column}, "export/template",
                                          std::move(message), std::string(line_at(text_, line)),
                                          std::move(hint)));
    }

    std::vector<Diagnostic> take_diagnostics() { return std::move(diagnostics_); }

  private:
    std::vector<Token> tokenize_line(std::string_view line, int line_no) {
        std::vector<Token> out;
        std::size_t pos = 0;
        while (pos < line.size()) {
            const std::size_t open = line.find("{{", pos);
            if (open == std::string_view::npos) {
                out.push_back(Token{Token::Kind::text, std::string(line.substr(pos)), line_no, 0});
                break;
            }
            if (open > pos) {
                out.push_back(Token{Token::Kind::text, std::string(line.substr(pos, open - pos)),
                                    line_no, 0});
            }
            const int column = static_cast<int>(open) + 1;
            const std::size_t close = line.find("}}", open + 2);
            if (close == std::string_view::npos) {
                error(line_no, column, "unterminated tag: '{{' without '}}' on the same line",
                      "a tag is {{name}}, {{#name}}, {{^name}}, {{/name}} or {{! comment }}");
                break;
            }
            std::string_view inner = line.substr(open + 2, close - open - 2);
            Token t;
            t.line = line_no;
            t.column = column;
            if (!inner.empty() && inner.front() == '!') {
                t.kind = Token::Kind::comment;
            } else {
                t.kind = Token::Kind::value;
                if (!inner.empty() &&
                    (inner.front() == '#' || inner.front() == '^' || inner.front() == '/')) {
                    t.kind = inner.front() == '#'   ? Token::Kind::open
                             : inner.front() == '^' ? Token::Kind::inverted
                                                    : Token::Kind::close;
                    inner.remove_prefix(1);
                }
                t.text = std::string(trim(inner));
                if (!is_name(t.text)) {
                    error(line_no, column, fmt::format("'{{{{{}}}}}' is not a valid tag", inner),
                          "names are letters, digits, '_', '.' and '-'");
                }
            }
            out.push_back(std::move(t));
            pos = close + 2;
        }
        return out;
    }

    std::string_view text_;
    std::string file_;
    std::vector<Diagnostic> diagnostics_;
};

enum class Found { none, value, list };

Found find(const std::vector<const Schema*>& scopes, const std::string& name) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
        const Schema& s = **it;
        if (std::find(s.values.begin(), s.values.end(), name) != s.values.end()) {
            return Found::value;
        }
        if (s.lists.count(name) != 0)
            return Found::list;
    }
    return Found::none;
}

const Schema* find_list(const std::vector<const Schema*>& scopes, const std::string& name) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
        auto found = (*it)->lists.find(name);
        if (found != (*it)->lists.end())
            return &found->second;
    }
    return nullptr;
}

std::string known_names(const std::vector<const Schema*>& scopes) {
    std::vector<std::string> names;
    for (const Schema* s : scopes) {
        for (const auto& v : s->values)
            names.push_back(v);
        for (const auto& [k, v] : s->lists)
            names.push_back("#" + k);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::string out;
    for (const auto& n : names) {
        if (!out.empty())
            out += ", ";
        out += n;
    }
    return out;
}

const std::string* lookup_value(const std::vector<const Context*>& scopes,
                                const std::string& name) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
        auto found = (*it)->values.find(name);
        if (found != (*it)->values.end())
            return &found->second;
    }
    return nullptr;
}

const std::vector<Context>* lookup_list(const std::vector<const Context*>& scopes,
                                        const std::string& name) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
        auto found = (*it)->lists.find(name);
        if (found != (*it)->lists.end())
            return &found->second;
    }
    return nullptr;
}

void render_nodes(const std::vector<Node>& nodes, std::vector<const Context*>& scopes,
                  std::string& out) {
    for (const Node& n : nodes) {
        switch (n.kind) {
            case Node::Kind::text:
                out += n.text;
                break;
            case Node::Kind::value:
                if (const std::string* v = lookup_value(scopes, n.text))
                    out += *v;
                break;
            case Node::Kind::section:
                if (const auto* list = lookup_list(scopes, n.text)) {
                    for (const Context& item : *list) {
                        scopes.push_back(&item);
                        render_nodes(n.children, scopes, out);
                        scopes.pop_back();
                    }
                } else if (const std::string* v = lookup_value(scopes, n.text);
                           v != nullptr && !v->empty()) {
                    render_nodes(n.children, scopes, out);
                }
                break;
            case Node::Kind::inverted: {
                bool empty = true;
                if (const auto* list = lookup_list(scopes, n.text)) {
                    empty = list->empty();
                } else if (const std::string* v = lookup_value(scopes, n.text)) {
                    empty = v->empty();
                }
                if (empty)
                    render_nodes(n.children, scopes, out);
                break;
            }
        }
    }
}

}  // namespace

Parsed<Template> parse(std::string_view text, std::string_view file, const Schema& schema) {
    Parser parser(text, file);
    const std::vector<Token> tokens = parser.tokenize();

    struct Open {
        std::vector<Node>* nodes;
        std::string name;
        int line;
        int column;
        bool pushed_scope;
    };
    Template result;
    std::vector<Open> stack;
    std::vector<const Schema*> scopes{&schema};
    std::vector<Node>* current = &result.nodes;

    for (const Token& t : tokens) {
        switch (t.kind) {
            case Token::Kind::text:
                if (!current->empty() && current->back().kind == Node::Kind::text) {
                    current->back().text += t.text;
                } else {
                    current->push_back(Node{Node::Kind::text, t.text, {}});
                }
                break;
            case Token::Kind::comment:
                break;
            case Token::Kind::value: {
                const Found f = find(scopes, t.text);
                if (f == Found::none) {
                    parser.error(t.line, t.column, fmt::format("unknown name '{}'", t.text),
                                 "known here: " + known_names(scopes));
                } else if (f == Found::list) {
                    parser.error(
                        t.line, t.column, fmt::format("'{}' is a list, not a value", t.text),
                        fmt::format("repeat over it with {{{{#{0}}}}}...{{{{/{0}}}}}", t.text));
                }
                current->push_back(Node{Node::Kind::value, t.text, {}});
                break;
            }
            case Token::Kind::open:
            case Token::Kind::inverted: {
                const Found f = find(scopes, t.text);
                if (f == Found::none) {
                    parser.error(t.line, t.column, fmt::format("unknown name '{}'", t.text),
                                 "known here: " + known_names(scopes));
                }
                const Node::Kind kind =
                    t.kind == Token::Kind::open ? Node::Kind::section : Node::Kind::inverted;
                current->push_back(Node{kind, t.text, {}});
                const bool push = kind == Node::Kind::section && f == Found::list;
                if (push)
                    scopes.push_back(find_list(scopes, t.text));
                stack.push_back(Open{current, t.text, t.line, t.column, push});
                current = &current->back().children;
                break;
            }
            case Token::Kind::close:
                if (stack.empty()) {
                    parser.error(t.line, t.column,
                                 fmt::format("'{{{{/{}}}}}' closes no open section", t.text));
                    break;
                }
                if (stack.back().name != t.text) {
                    parser.error(t.line, t.column,
                                 fmt::format("'{{{{/{}}}}}' closes section '{}' opened at line {}",
                                             t.text, stack.back().name, stack.back().line),
                                 fmt::format("close it with {{{{/{}}}}}", stack.back().name));
                }
                if (stack.back().pushed_scope)
                    scopes.pop_back();
                current = stack.back().nodes;
                stack.pop_back();
                break;
        }
    }
    while (!stack.empty()) {
        parser.error(stack.back().line, stack.back().column,
                     fmt::format("section '{}' is never closed", stack.back().name),
                     fmt::format("add {{{{/{}}}}}", stack.back().name));
        stack.pop_back();
    }
    Parsed<Template> parsed;
    parsed.value = std::move(result);
    parsed.diagnostics = parser.take_diagnostics();
    return parsed;
}

std::string render(const Template& t, const Context& context) {
    std::string out;
    std::vector<const Context*> scopes{&context};
    render_nodes(t.nodes, scopes, out);
    return out;
}

std::vector<std::string> with_common(std::vector<std::string> names,
                                     const std::vector<std::string>& common) {
    names.insert(names.end(), common.begin(), common.end());
    return names;
}

}  // namespace procrun::tmpl
