#include "check/python.hpp"

#include <vector>

#include "check/text.hpp"

namespace procrun::lint {

namespace {

// `item` of an import list ("a", "b as c", "(d)") -> the name it binds.
std::string_view bound_name(std::string_view item) {
    item = trim(item);
    while (!item.empty() && (item.front() == '(' || item.front() == ' '))
        item.remove_prefix(1);
    while (!item.empty() && (item.back() == ')' || item.back() == '\\' || item.back() == ' '))
        item.remove_suffix(1);
    item = trim(item);
    const auto as = item.find(" as ");
    if (as != std::string_view::npos)
        return trim(item.substr(as + 4));
    return item.substr(0, item.find('.'));  // `import a.b` binds `a`
}

// The comma-separated items of `list`.
std::vector<std::string_view> split_commas(std::string_view list) {
    std::vector<std::string_view> items;
    std::size_t start = 0;
    while (start <= list.size()) {
        const auto comma = list.find(',', start);
        items.push_back(list.substr(
            start, comma == std::string_view::npos ? list.size() - start : comma - start));
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return items;
}

// Whether `line` assigns `name`: it is one of the targets before the first `=`
// that is not part of a comparison, outside brackets.
bool assigns(std::string_view l, std::string_view name) {
    int depth = 0;
    for (std::size_t k = 0; k < l.size(); ++k) {
        const char c = l[k];
        if (c == '(' || c == '[' || c == '{')
            ++depth;
        if (c == ')' || c == ']' || c == '}')
            --depth;
        if (c == '\'' || c == '"')
            return false;
        if (c != '=' || depth != 0)
            continue;
        const char prev = k > 0 ? l[k - 1] : ' ';
        const char nextc = k + 1 < l.size() ? l[k + 1] : ' ';
        if (nextc == '=' || std::string_view("=!<>:").find(prev) != std::string_view::npos)
            return false;
        std::string targets(l.substr(0, k));
        for (char& t : targets) {
            if (t == '(' || t == ')' || t == '[' || t == ']' || t == '*')
                t = ' ';
        }
        for (std::string_view item : split_commas(targets)) {
            item = trim(item);
            item = trim(item.substr(0, item.find(':')));  // annotated: `app: Flask`
            while (!item.empty() &&
                   std::string_view("+-*/%&|^@").find(item.back()) != std::string_view::npos) {
                item.remove_suffix(1);
            }
            if (trim(item) == name)
                return true;
        }
        return false;
    }
    return false;
}

// `def NAME`, `class NAME` (after an optional `async`).
bool defines_function_or_class(std::string_view l, std::string_view name) {
    for (std::string_view kw : {"def ", "class "}) {
        if (!starts_with(l, kw))
            continue;
        std::string_view rest = trim(l.substr(kw.size()));
        std::size_t k = 0;
        while (k < rest.size() && is_ident_char(rest[k]))
            ++k;
        if (rest.substr(0, k) == name)
            return true;
    }
    return false;
}

// `for NAME in`, `... as NAME`, `NAME :=`.
bool binds_in_statement(std::string_view l, std::string_view name) {
    for (std::size_t at = l.find(name); at != std::string_view::npos; at = l.find(name, at + 1)) {
        if (at > 0 && is_ident_char(l[at - 1]))
            continue;
        const std::size_t after = at + name.size();
        if (after < l.size() && is_ident_char(l[after]))
            continue;
        std::string_view before = trim(l.substr(0, at));
        std::string_view rest = trim(l.substr(after));
        if (before.size() >= 3 && before.substr(before.size() - 3) == " as")
            return true;
        if (before == "for" || before == "as" || starts_with(rest, ":="))
            return true;
    }
    return false;
}

// The scan, one logical line at a time.
class Scan {
  public:
    explicit Scan(std::string_view name) : name_(name) {}

    Defined run(std::string_view source) {
        std::size_t pos = 0;
        while (pos <= source.size()) {
            const auto nl = source.find('\n', pos);
            std::string_view line =
                source.substr(pos, nl == std::string_view::npos ? source.size() - pos : nl - pos);
            pos = nl == std::string_view::npos ? source.size() + 1 : nl + 1;
            line = trim(line.substr(0, line.find('#')));
            if (!line.empty() && defines(line))
                return Defined::yes;
        }
        return result_;
    }

  private:
    std::string_view name_;
    bool in_import_list_ = false;
    Defined result_ = Defined::no;

    // "a, b as c, (d)" -> names bound: a, c, d
    bool name_in_list(std::string_view list) {
        for (std::string_view item : split_commas(list)) {
            const std::string_view bound = bound_name(item);
            if (bound == "*")
                result_ = Defined::unknown;
            if (bound == name_)
                return true;
        }
        return false;
    }

    bool imports(std::string_view l) {
        if (starts_with(l, "import "))
            return name_in_list(l.substr(7));
        const auto imp = l.find(" import ");
        std::string_view list = trim(l.substr(imp + 8));
        if (name_in_list(list))
            return true;
        if (!list.empty() && list.front() == '(' && list.find(')') == std::string_view::npos)
            in_import_list_ = true;
        return false;
    }

    bool defines(std::string_view line) {
        if (in_import_list_) {
            const bool found = name_in_list(line);
            if (line.find(')') != std::string_view::npos)
                in_import_list_ = false;
            return found;
        }
        if (mentions_word(line, "__getattr__") ||
            line.find("globals()") != std::string_view::npos || mentions_word(line, "setattr")) {
            result_ = Defined::unknown;
        }
        std::string_view l = line;
        if (starts_with(l, "async "))
            l = trim(l.substr(6));
        if (defines_function_or_class(l, name_))
            return true;
        if (starts_with(l, "import ") ||
            (starts_with(l, "from ") && l.find(" import ") != std::string_view::npos)) {
            return imports(l);
        }
        return binds_in_statement(l, name_) || assigns(l, name_);
    }
};

}  // namespace

Defined python_defines(std::string_view source, std::string_view name) {
    return Scan(name).run(source);
}

bool is_dotted_module(std::string_view s) {
    if (s.empty())
        return false;
    std::size_t start = 0;
    while (true) {
        const auto dot = s.find('.', start);
        if (!is_identifier(s.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
            return false;
        }
        if (dot == std::string_view::npos)
            return true;
        start = dot + 1;
    }
}

// The name gunicorn looks up for APP: `app` or the function of `create_app(...)`.
// Gunicorn 20.1+ parses APP with Python's ast: a name or a call of a name only.
std::optional<std::string> app_lookup_name(std::string_view app) {
    app = trim(app);
    std::size_t k = 0;
    while (k < app.size() && is_ident_char(app[k]))
        ++k;
    std::string_view name = app.substr(0, k);
    if (!is_identifier(name))
        return std::nullopt;
    std::string_view rest = trim(app.substr(k));
    if (rest.empty())
        return std::string(name);
    if (rest.front() == '(' && rest.back() == ')')
        return std::string(name);
    return std::nullopt;
}

}  // namespace procrun::lint
