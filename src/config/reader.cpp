#include "config/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace procrun::config {

namespace {

// Beyond this many problems the file is not a config file gone slightly wrong;
// the rest would only bury the first ones.
constexpr std::size_t kMaxDiagnostics = 100;
// Source lines copied into diagnostics, in bytes: the first diagnostic always
// gets its line, later ones while the total stays below this.
constexpr std::size_t kSourceBudget = std::size_t{1} << 20;
// A quoted value in a message is cut after this many bytes.
constexpr std::size_t kMaxQuoted = 60;

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

// Edits (insert, delete, substitute, swap two neighbours) from a to b.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

}  // namespace

Location Reader::at(const YAML::Mark& mark) const {
    if (mark.is_null())
        return Location{file_, 0, 0};
    return Location{file_, mark.line + 1, mark.column + 1};
}

std::string_view Reader::line(int line) const {
    if (line < 1)
        return {};
    auto& starts = line_starts_;
    if (starts.empty()) {
        starts.push_back(0);
        for (std::size_t i = text_.find('\n'); i != std::string_view::npos;
             i = text_.find('\n', i + 1)) {
            starts.push_back(i + 1);
        }
    }
    const auto index = static_cast<std::size_t>(line - 1);
    if (index >= starts.size())
        return {};
    const std::size_t begin = starts[index];
    const std::size_t end = index + 1 < starts.size() ? starts[index + 1] - 1 : text_.size();
    std::string_view l = text_.substr(begin, end - begin);
    if (!l.empty() && l.back() == '\r')
        l.remove_suffix(1);
    return l;
}

void Reader::add(Severity severity, const YAML::Mark& mark, std::string code, std::string message,
                 std::string hint) {
    if (severity == Severity::error)
        ++errors_;
    if (stopped_)
        return;
    const Location where = at(mark);
    if (out_.diagnostics.size() >= kMaxDiagnostics) {
        stopped_ = true;
        out_.diagnostics.push_back(
            make_error(Location{file_, where.line, 0}, "config/too-many-errors",
                       fmt::format("too many problems; the first {} are shown", kMaxDiagnostics)));
        return;
    }
    std::string_view source = line(where.line);
    if (!out_.diagnostics.empty() && source_bytes_ + source.size() > kSourceBudget)
        source = {};
    source_bytes_ += source.size();
    Diagnostic d = severity == Severity::error
                       ? make_error(where, std::move(code), std::move(message), std::string(source),
                                    std::move(hint))
                       : make_warning(where, std::move(code), std::move(message),
                                      std::string(source), std::move(hint));
    out_.diagnostics.push_back(std::move(d));
}

void Reader::error(const YAML::Mark& mark, std::string code, std::string message,
                   std::string hint) {
    add(Severity::error, mark, std::move(code), std::move(message), std::move(hint));
}

void Reader::warning(const YAML::Mark& mark, std::string code, std::string message,
                     std::string hint) {
    add(Severity::warning, mark, std::move(code), std::move(message), std::move(hint));
}

void Reader::wrong_type(const YAML::Node& key, const YAML::Node& value, std::string_view expects,
                        std::string hint, std::string label) {
    std::string found = "a mapping";
    if (value.IsNull()) {
        found = "nothing";
    } else if (value.IsScalar()) {
        found = quoted(value.Scalar());
    } else if (value.IsSequence()) {
        found = "a list";
    }
    if (label.empty())
        label = quoted(key.IsScalar() ? key.Scalar() : std::string("?"));
    error(value.IsNull() ? key.Mark() : value.Mark(), "config/wrong-type",
          fmt::format("{} must be {}, found {}", label, expects, found), std::move(hint));
}

std::string quoted(std::string_view text) {
    if (text.size() <= kMaxQuoted)
        return fmt::format("'{}'", text);
    std::size_t cut = kMaxQuoted - 3;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut;  // not inside a UTF-8 sequence
    return fmt::format("'{}...' ({} bytes)", text.substr(0, cut), text.size());
}

bool is_name(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_name_char);
}

bool is_name(const YAML::Node& node) {
    return node.IsScalar() && is_name(node.Scalar());
}

std::optional<long> parse_whole(std::string_view text) {
    if (text.empty() || text.size() > 9)
        return std::nullopt;
    long v = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

std::string unknown_key_hint(std::string_view key, const std::vector<std::string>& known) {
    if (std::string best = nearest_name(key, known); !best.empty())
        return fmt::format("did you mean '{}'?", best);
    std::string all;
    for (const auto& n : known) {
        if (!all.empty())
            all += ", ";
        all += n;
    }
    return fmt::format("known keys: {}", all);
}

namespace {

// The key of an entry is usable: a known plain name, or a process type name.
bool check_key(Reader& r, const YAML::Node& key, const KeyRules& rules) {
    if (rules.known.empty()) {
        if (is_name(key))
            return true;
        r.error(key.Mark(), rules.names.invalid_code,
                fmt::format("{} is not a process type name",
                            quoted(key.IsScalar() ? key.Scalar() : std::string("?"))),
                rules.names.invalid_hint);
        return false;
    }
    if (!key.IsScalar()) {
        r.error(key.Mark(), "config/invalid-key",
                fmt::format("a key{} must be a plain name", rules.where),
                unknown_key_hint("", rules.known));
        return false;
    }
    const std::string& name = key.Scalar();
    if (std::find(rules.known.begin(), rules.known.end(), name) != rules.known.end())
        return true;
    r.error(key.Mark(), "config/unknown-key",
            fmt::format("unknown key {}{}", quoted(name), rules.where),
            unknown_key_hint(name, rules.known));
    return false;
}

// The name under which a key is remembered: the first of a `same` pair.
const std::string& canonical(const KeyRules& rules, const std::string& name) {
    for (const auto& [first, second] : rules.same) {
        if (name == second)
            return first;
    }
    return name;
}

}  // namespace

void walk_mapping(Reader& r, const YAML::Node& map, const KeyRules& rules,
                  const EntryHandler& handle) {
    struct First {
        std::string spelling;
        int line;
    };
    std::map<std::string, First> seen;
    for (const auto& item : map) {
        const YAML::Node& key = item.first;
        if (!check_key(r, key, rules))
            continue;
        const std::string& name = key.Scalar();
        const std::string& under = canonical(rules, name);
        if (auto it = seen.find(under); it != seen.end()) {
            if (it->second.spelling != name) {
                r.error(
                    key.Mark(), "config/duplicate-key",
                    fmt::format("'{}' and '{}' are the same setting, already set on line {}", under,
                                name == under ? it->second.spelling : name, it->second.line));
            } else {
                r.error(key.Mark(), rules.names.duplicate_code,
                        fmt::format("{}{} {}{} (first on line {})", rules.names.noun, quoted(name),
                                    rules.names.twice, rules.where, it->second.line),
                        rules.names.duplicate_hint);
            }
            continue;
        }
        seen.emplace(under, First{name, key.Mark().line + 1});
        handle(key, item.second);
    }
}

std::optional<bool> read_bool(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    bool b = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, b)) {
        r.wrong_type(key, value, "true or false");
        return std::nullopt;
    }
    return b;
}

std::optional<int> read_whole(Reader& r, const YAML::Node& key, const YAML::Node& value, int min,
                              int max, std::string_view expects) {
    const auto v = value.IsScalar() ? parse_whole(value.Scalar()) : std::nullopt;
    if (!v || *v < min || *v > max) {
        r.wrong_type(key, value, expects);
        return std::nullopt;
    }
    return static_cast<int>(*v);
}

std::optional<Millis> read_duration(Reader& r, const YAML::Node& key, const YAML::Node& value,
                                    bool above_zero) {
    const std::optional<Millis> d =
        value.IsScalar() ? parse_duration(value.Scalar()) : std::nullopt;
    if (!d) {
        std::string hint;
        if (value.IsScalar() && value.Scalar().rfind('-', 0) == 0)
            hint = "a duration cannot be negative";
        r.wrong_type(key, value, kDurationSyntax, std::move(hint));
        return std::nullopt;
    }
    if (above_zero && d->count() == 0) {
        r.wrong_type(key, value, "a duration above 0, like 500ms or 1s");
        return std::nullopt;
    }
    return d;
}

}  // namespace procrun::config

namespace procrun {

std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates) {
    constexpr std::size_t kLongest = 64;  // beyond this, no name is "a typo away"
    if (word.empty() || word.size() > kLongest)
        return {};
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& c : candidates) {
        if (c.size() > kLongest)
            continue;
        std::size_t d = config::edit_distance(word, c);
        // "template" for "template-dir": a prefix counts as close.
        if (word.size() >= 3 && (c.rfind(word, 0) == 0 || word.rfind(c, 0) == 0))
            d = std::min<std::size_t>(d, 1);
        // Not when every letter would change ("x" for "db").
        if (d < best_distance && d < std::max(word.size(), c.size())) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

}  // namespace procrun
