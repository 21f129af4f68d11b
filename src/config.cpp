#include "procrun/config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <regex>
#include <sstream>

namespace procrun {

void Settings::overlay(const Settings& over) {
    auto take = [](auto& mine, const auto& theirs) {
        if (theirs)
            mine = theirs;
    };
    take(procfile, over.procfile);
    take(root, over.root);
    take(env_files, over.env_files);
    if (over.formation) {
        formation = over.formation;
        formation_sources = over.formation_sources;
    }
    take(port, over.port);
    take(timeout, over.timeout);
    take(strict, over.strict);
    take(color, over.color);
    take(timestamp, over.timestamp);
    take(prefix, over.prefix);
    take(quiet, over.quiet);
    take(app, over.app);
    take(user, over.user);
    take(log, over.log);
    take(run, over.run);
    take(image, over.image);
    take(template_dir, over.template_dir);
    for (const auto& [name, lifecycle] : over.processes)
        processes[name] = lifecycle;
    take(can_die, over.can_die);
    take(exit_with, over.exit_with);
    take(restart, over.restart);
    take(pty, over.pty);
}

namespace {

constexpr int kMaxPort = 65535;
constexpr int kMaxTimeout = 86400;

struct Reader;
using Handler = std::function<void(Reader&, const YAML::Node& key, const YAML::Node& value)>;

enum DialectBits : unsigned {
    kProcrunOnly = 1U,
    kForemanOnly = 2U,
    kBoth = 3U,
};

unsigned dialect_bit(ConfigDialect d) {
    return d == ConfigDialect::foreman ? kForemanOnly : kProcrunOnly;
}

struct Key {
    std::string_view name;
    unsigned dialects;
    Handler handle;
};

struct Reader {
    std::string_view text;
    std::string file;
    Parsed<Settings>& out;

    [[nodiscard]] Location at(const YAML::Mark& mark) const {
        if (mark.is_null())
            return Location{file, 0, 0};
        return Location{file, mark.line + 1, mark.column + 1};
    }

    void error(const YAML::Mark& mark, std::string code, std::string message,
               std::string hint = {}) {
        const Location where = at(mark);
        out.diagnostics.push_back(make_error(where, std::move(code), std::move(message),
                                             std::string(line_at(text, where.line)),
                                             std::move(hint)));
    }

    // "'port' must be EXPECTS, found 'http'", at the value (at the key when
    // there is no value). `label` replaces "'KEY'" when given.
    void wrong_type(const YAML::Node& key, const YAML::Node& value, std::string_view expects,
                    std::string hint = {}, std::string label = {}) {
        std::string found = "a mapping";
        if (value.IsNull()) {
            found = "nothing";
        } else if (value.IsScalar()) {
            found = fmt::format("'{}'", value.Scalar());
        } else if (value.IsSequence()) {
            found = "a list";
        }
        if (label.empty())
            label = fmt::format("'{}'", key.Scalar());
        error(value.IsNull() ? key.Mark() : value.Mark(), "config/wrong-type",
              fmt::format("{} must be {}, found {}", label, expects, found), std::move(hint));
    }

    template <class T>
    Sourced<T> sourced(T v, const YAML::Node& value) {
        return Sourced<T>{std::move(v), at(value.Mark())};
    }
};

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

bool is_name(const YAML::Node& node) {
    return node.IsScalar() && !node.Scalar().empty() &&
           std::all_of(node.Scalar().begin(), node.Scalar().end(), is_name_char);
}

// Digits with an optional fraction ("2", "0.5", ".5"); no sign, no exponent.
std::optional<double> parse_decimal(std::string_view s) {
    constexpr std::size_t kLongest = 20;
    if (s.empty() || s.size() > kLongest)
        return std::nullopt;
    double value = 0;
    double scale = 0;  // 0 before the point, then 0.1, 0.01, ...
    bool digits = false;
    for (char c : s) {
        if (c == '.') {
            if (scale != 0)
                return std::nullopt;
            scale = 1;
            continue;
        }
        if (c < '0' || c > '9')
            return std::nullopt;
        digits = true;
        if (scale == 0) {
            value = value * 10 + (c - '0');
        } else {
            scale /= 10;
            value += scale * (c - '0');
        }
    }
    if (!digits)
        return std::nullopt;
    return value;
}

std::optional<long> parse_whole(std::string_view s) {
    if (s.empty() || s.size() > 9)
        return std::nullopt;
    long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
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

std::string unknown_key_hint(std::string_view key, const std::vector<std::string>& names) {
    if (std::string best = nearest_name(key, names); !best.empty())
        return fmt::format("did you mean '{}'?", best);
    std::string all;
    for (const auto& n : names) {
        if (!all.empty())
            all += ", ";
        all += n;
    }
    return fmt::format("known keys: {}", all);
}

Handler string_key(std::optional<Sourced<std::string>> Settings::*member) {
    return [member](Reader& r, const YAML::Node& key, const YAML::Node& value) {
        if (!value.IsScalar() || value.Scalar().empty()) {
            r.wrong_type(key, value, "a non-empty string");
            return;
        }
        r.out.value.*member = r.sourced(value.Scalar(), value);
    };
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

Handler bool_key(std::optional<Sourced<bool>> Settings::*member) {
    return [member](Reader& r, const YAML::Node& key, const YAML::Node& value) {
        if (auto b = read_bool(r, key, value))
            r.out.value.*member = r.sourced(*b, value);
    };
}

Handler int_key(std::optional<Sourced<int>> Settings::*member, int min, int max,
                std::string_view expects) {
    return [member, min, max, expects](Reader& r, const YAML::Node& key, const YAML::Node& value) {
        if (auto v = read_whole(r, key, value, min, max, expects))
            r.out.value.*member = r.sourced(*v, value);
    };
}

// A string of comma-separated items, or a list of strings.
Handler list_key(std::optional<Sourced<std::vector<std::string>>> Settings::*member) {
    return [member](Reader& r, const YAML::Node& key, const YAML::Node& value) {
        std::vector<std::string> items;
        bool ok = true;
        if (value.IsScalar()) {
            std::string_view s = value.Scalar();
            std::size_t begin = 0;
            while (true) {
                const std::size_t comma = s.find(',', begin);
                std::string_view item =
                    s.substr(begin, comma == std::string_view::npos ? std::string_view::npos
                                                                    : comma - begin);
                while (!item.empty() && item.front() == ' ')
                    item.remove_prefix(1);
                while (!item.empty() && item.back() == ' ')
                    item.remove_suffix(1);
                if (item.empty())
                    ok = false;
                items.emplace_back(item);
                if (comma == std::string_view::npos)
                    break;
                begin = comma + 1;
            }
        } else if (value.IsSequence()) {
            for (const auto& item : value) {
                if (!item.IsScalar() || item.Scalar().empty()) {
                    r.error(
                        item.Mark(), "config/wrong-type",
                        fmt::format("each item of '{}' must be a non-empty string", key.Scalar()));
                    return;
                }
                items.push_back(item.Scalar());
            }
            if (items.empty())
                ok = false;
        } else {
            ok = false;
        }
        if (!ok) {
            r.wrong_type(key, value, "a string or a list of strings (no empty items)");
            return;
        }
        r.out.value.*member = r.sourced(std::move(items), value);
    };
}

// "web=2,worker=1" or a mapping {web: 2, worker: 1}.
void formation_key(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    if (value.IsScalar()) {
        r.out.value.formation = r.sourced(value.Scalar(), value);
        r.out.value.formation_sources.clear();
        return;
    }
    if (!value.IsMap()) {
        r.wrong_type(key, value, "a spec like \"web=2,worker=1\" or a mapping like {web: 2}");
        return;
    }
    std::string spec;
    std::map<std::string, FormationSource> sources;
    bool ok = true;
    for (const auto& item : value) {
        const YAML::Node& name = item.first;
        const YAML::Node& count = item.second;
        if (!name.IsScalar() || name.Scalar().empty() ||
            !std::all_of(name.Scalar().begin(), name.Scalar().end(), is_name_char)) {
            r.error(name.Mark(), "formation/invalid-name",
                    fmt::format("'{}' is not a process type name",
                                name.IsScalar() ? name.Scalar() : std::string("?")),
                    "process names contain only letters, digits, '_' and '-'");
            ok = false;
            continue;
        }
        if (sources.count(name.Scalar()) != 0) {
            r.error(name.Mark(), "formation/duplicate-name",
                    fmt::format("'{}' is given twice in the formation (first on line {})",
                                name.Scalar(), sources[name.Scalar()].where.line),
                    "give each process type once");
            ok = false;
            continue;
        }
        const auto n = count.IsScalar() ? parse_whole(count.Scalar()) : std::nullopt;
        if (!n || *n > kMaxFormationCount) {
            std::string found =
                count.IsScalar() ? fmt::format("'{}'", count.Scalar()) : std::string("no number");
            r.error(count.IsNull() ? name.Mark() : count.Mark(),
                    n ? "formation/count-too-large" : "formation/not-a-number",
                    fmt::format("count for '{}' must be a whole number from 0 to {}, found {}",
                                name.Scalar(), kMaxFormationCount, found));
            ok = false;
            continue;
        }
        if (!spec.empty())
            spec += ',';
        spec += fmt::format("{}={}", name.Scalar(), *n);
        const Location where = r.at(name.Mark());
        sources[name.Scalar()] = FormationSource{where, std::string(line_at(r.text, where.line))};
    }
    if (!ok)
        return;
    if (spec.empty()) {
        r.wrong_type(key, value, "a spec like \"web=2,worker=1\" or a non-empty mapping");
        return;
    }
    sources.erase("all");
    r.out.value.formation = r.sourced(std::move(spec), value);
    r.out.value.formation_sources = std::move(sources);
}

// ---- processes: per process type lifecycle settings ----

constexpr int kMaxRestarts = 1000000;
constexpr int kMaxRetries = 1000000;
constexpr double kMaxMultiplier = 100;
constexpr std::size_t kMaxPattern = 1024;
constexpr std::string_view kDurationExpects =
    "a duration like 500ms, 2s or 1m, or a number of seconds (at most 24h)";

// Walks a mapping's entries: each key must be a known plain name, given once;
// any other is reported (with the nearest known key) and skipped. `context`
// completes "unknown key 'x' ...": "for process type 'web'", "in backoff".
template <class Handle>
void each_entry(Reader& r, const YAML::Node& map, const std::string& context,
                const std::vector<std::string>& known, Handle&& handle) {
    std::map<std::string, int> seen;  // key -> line
    for (const auto& item : map) {
        const YAML::Node& key = item.first;
        if (!key.IsScalar()) {
            r.error(key.Mark(), "config/invalid-key",
                    fmt::format("a key {} must be a plain name", context));
            continue;
        }
        const std::string& name = key.Scalar();
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            r.error(key.Mark(), "config/unknown-key",
                    fmt::format("unknown key '{}' {}", name, context),
                    unknown_key_hint(name, known));
            continue;
        }
        if (auto it = seen.find(name); it != seen.end()) {
            r.error(
                key.Mark(), "config/duplicate-key",
                fmt::format("'{}' is set twice {} (first on line {})", name, context, it->second));
            continue;
        }
        seen.emplace(name, key.Mark().line + 1);
        handle(key, item.second);
    }
}

// One of a few words; an unknown word suggests the nearest.
template <class E>
std::optional<E> read_choice(Reader& r, const YAML::Node& key, const YAML::Node& value,
                             const std::vector<std::pair<std::string, E>>& choices,
                             std::string label = {}) {
    std::vector<std::string> names;
    for (const auto& [name, e] : choices) {
        if (value.IsScalar() && value.Scalar() == name)
            return e;
        names.push_back(name);
    }
    std::string hint;
    if (value.IsScalar()) {
        if (std::string best = nearest_name(value.Scalar(), names); !best.empty())
            hint = fmt::format("did you mean '{}'?", best);
    }
    std::string list;
    for (std::size_t i = 0; i < names.size(); ++i) {
        list += i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ");
        list += names[i];
    }
    r.wrong_type(key, value, fmt::format("one of {}", list), std::move(hint), std::move(label));
    return std::nullopt;
}

const std::vector<std::pair<std::string, RestartPolicy>>& restart_choices() {
    static const std::vector<std::pair<std::string, RestartPolicy>> choices = {
        {std::string(to_string(RestartPolicy::no)), RestartPolicy::no},
        {std::string(to_string(RestartPolicy::on_failure)), RestartPolicy::on_failure},
        {std::string(to_string(RestartPolicy::always)), RestartPolicy::always},
    };
    return choices;
}

const std::vector<std::pair<std::string, DependencyCondition>>& condition_choices() {
    using C = DependencyCondition;
    static const std::vector<std::pair<std::string, C>> choices = {
        {std::string(to_string(C::started)), C::started},
        {std::string(to_string(C::ready)), C::ready},
        {std::string(to_string(C::completed_successfully)), C::completed_successfully},
    };
    return choices;
}

std::optional<Millis> read_duration(Reader& r, const YAML::Node& key, const YAML::Node& value,
                                    bool above_zero) {
    const std::optional<Millis> d =
        value.IsScalar() ? parse_duration(value.Scalar()) : std::nullopt;
    if (!d) {
        std::string hint;
        if (value.IsScalar() && value.Scalar().rfind('-', 0) == 0)
            hint = "a duration cannot be negative";
        r.wrong_type(key, value, kDurationExpects, std::move(hint));
        return std::nullopt;
    }
    if (above_zero && d->count() == 0) {
        r.wrong_type(key, value, "a duration above 0, like 500ms or 1s");
        return std::nullopt;
    }
    return d;
}

std::optional<int> parse_signal(std::string_view text) {
    if (auto n = parse_whole(text)) {
        if (*n >= 1 && *n < NSIG)
            return static_cast<int>(*n);
        return std::nullopt;
    }
    std::string name(text);
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
        return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    });
    if (name.rfind("SIG", 0) == 0)
        name.erase(0, 3);
    for (int sig = 1; sig < NSIG; ++sig) {
        const char* abbrev = ::sigabbrev_np(sig);
        if (abbrev != nullptr && name == abbrev)
            return sig;
    }
    return std::nullopt;
}

void read_stop_signal(Reader& r, const YAML::Node& key, const YAML::Node& value, int& out) {
    const auto sig = value.IsScalar() ? parse_signal(value.Scalar()) : std::nullopt;
    if (sig) {
        out = *sig;
        return;
    }
    std::string hint;
    if (value.IsScalar()) {
        std::vector<std::string> names;
        for (int s = 1; s < NSIG; ++s) {
            if (const char* abbrev = ::sigabbrev_np(s))
                names.emplace_back(abbrev);
        }
        std::string word = value.Scalar();
        std::transform(word.begin(), word.end(), word.begin(), [](char c) {
            return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        });
        if (word.rfind("SIG", 0) == 0)
            word.erase(0, 3);
        if (std::string best = nearest_name(word, names); !best.empty())
            hint = fmt::format("did you mean '{}'?", best);
    }
    r.wrong_type(key, value,
                 fmt::format("a signal name (TERM, SIGQUIT, INT, ...) or number (1-{})", NSIG - 1),
                 std::move(hint));
}

// forward_signals: a list of forwardable signals (names or numbers).
void read_forward_signals(Reader& r, const YAML::Node& key, const YAML::Node& value,
                          std::vector<int>& out) {
    constexpr std::string_view kExpects =
        "a list of signals to pass on, like [USR1, HUP] (forwardable: HUP, USR1, USR2, WINCH, "
        "ALRM, PWR)";
    if (!value.IsSequence()) {
        r.wrong_type(key, value, kExpects,
                     value.IsScalar() ? fmt::format("a list, even of one: [{}]", value.Scalar())
                                      : std::string());
        return;
    }
    std::vector<int> sigs;
    for (const auto& item : value) {
        const auto sig = item.IsScalar() ? parse_signal(item.Scalar()) : std::nullopt;
        if (!sig || !forwardable_signal(*sig)) {
            r.wrong_type(key, item, kExpects,
                         sig ? "SIGINT, SIGTERM and SIGQUIT stop procrun and every process; "
                               "`procrun signal` sends any signal to one type"
                             : "");
            return;
        }
        if (std::find(sigs.begin(), sigs.end(), *sig) == sigs.end())
            sigs.push_back(*sig);
    }
    out = std::move(sigs);
}

void read_backoff(Reader& r, const YAML::Node& key, const YAML::Node& value, Backoff& out) {
    if (!value.IsMap()) {
        r.wrong_type(key, value,
                     "a mapping like {initial: 1s, max: 30s, multiplier: 2, reset_after: 10s}");
        return;
    }
    static const std::vector<std::string> known = {"initial", "max", "multiplier", "reset_after"};
    Backoff b = out;
    bool ranged = true;
    each_entry(r, value, "in backoff", known, [&](const YAML::Node& k, const YAML::Node& v) {
        const std::string& name = k.Scalar();
        if (name == "multiplier") {
            const auto m = v.IsScalar() ? parse_decimal(v.Scalar()) : std::nullopt;
            if (!m || *m < 1 || *m > kMaxMultiplier) {
                r.wrong_type(k, v, "a number from 1 to 100", "1 keeps the delay at 'initial'");
                return;
            }
            b.multiplier = *m;
            return;
        }
        const auto d = read_duration(r, k, v, false);
        if (!d) {
            ranged = false;
            return;
        }
        if (name == "initial") {
            b.initial = *d;
        } else if (name == "max") {
            b.max = *d;
        } else {
            b.reset_after = *d;
        }
    });
    if (ranged && b.initial > b.max) {
        r.error(key.Mark(), "config/backoff-range",
                fmt::format("backoff 'initial' ({}) is more than 'max' ({})",
                            format_duration(b.initial), format_duration(b.max)),
                "raise 'max' or lower 'initial' (the defaults are 1s and 30s)");
    }
    out = b;
}

void read_depends_on(Reader& r, const YAML::Node& key, const YAML::Node& value,
                     std::vector<Dependency>& out) {
    std::map<std::string, int> seen;  // name -> line
    auto add = [&](const YAML::Node& name, DependencyCondition condition) {
        if (!is_name(name)) {
            r.error(name.Mark(), "config/invalid-name",
                    fmt::format("'{}' is not a process type name",
                                name.IsScalar() ? name.Scalar() : std::string("?")),
                    "depends_on names process types: letters, digits, '_' and '-'");
            return;
        }
        if (auto it = seen.find(name.Scalar()); it != seen.end()) {
            r.error(name.Mark(), "config/duplicate-key",
                    fmt::format("'{}' is named twice in depends_on (first on line {})",
                                name.Scalar(), it->second));
            return;
        }
        seen.emplace(name.Scalar(), name.Mark().line + 1);
        out.push_back(Dependency{name.Scalar(), condition, r.at(name.Mark())});
    };
    if (value.IsScalar() && !value.Scalar().empty()) {
        add(value, DependencyCondition::started);
    } else if (value.IsSequence()) {
        for (const auto& item : value) {
            if (item.IsMap()) {
                r.error(item.Mark(), "config/wrong-type",
                        "each item of 'depends_on' must be a process type name",
                        "to wait for a condition, make depends_on a mapping: {db: ready}");
                continue;
            }
            add(item, DependencyCondition::started);
        }
    } else if (value.IsMap()) {
        for (const auto& item : value) {
            const YAML::Node& name = item.first;
            const std::string label = fmt::format(
                "the condition for '{}'", name.IsScalar() ? name.Scalar() : std::string("?"));
            if (auto c = read_choice(r, name, item.second, condition_choices(), label))
                add(name, *c);
        }
    } else {
        r.wrong_type(key, value,
                     "a list of process types, or a mapping of process types to started, ready "
                     "or completed_successfully");
    }
}

// "host:port" or "[v6]:port".
bool split_host_port(std::string_view s, std::string& host, int& port) {
    const std::size_t colon = s.rfind(':');
    if (colon == std::string_view::npos)
        return false;
    std::string_view h = s.substr(0, colon);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']')
        h = h.substr(1, h.size() - 2);
    const auto p = parse_whole(s.substr(colon + 1));
    if (h.empty() || !p || *p < 1 || *p > kMaxPort ||
        h.find_first_of(" \t\r\n") != std::string_view::npos) {
        return false;
    }
    host = std::string(h);
    port = static_cast<int>(*p);
    return true;
}

bool is_http_path(const std::string& s) {
    return !s.empty() && s[0] == '/' && std::none_of(s.begin(), s.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
    });
}

void read_tcp(Reader& r, const YAML::Node& key, const YAML::Node& value, Readiness& out) {
    constexpr std::string_view expects =
        "true (the instance's $PORT), a port number or \"host:port\"";
    bool b = false;
    if (value.IsScalar() && YAML::convert<bool>::decode(value, b)) {
        if (!b)
            r.wrong_type(key, value, expects, "to probe nothing, remove readiness");
        return;
    }
    if (value.IsScalar()) {
        if (auto p = parse_whole(value.Scalar()); p && *p >= 1 && *p <= kMaxPort) {
            out.port = static_cast<int>(*p);
            return;
        }
        if (split_host_port(value.Scalar(), out.host, out.port))
            return;
    }
    r.wrong_type(key, value, expects);
}

void read_http(Reader& r, const YAML::Node& key, const YAML::Node& value, Readiness& out) {
    if (value.IsScalar() && is_http_path(value.Scalar())) {
        out.path = value.Scalar();
        return;
    }
    if (!value.IsMap()) {
        r.wrong_type(key, value,
                     "a path like /health, or a mapping like {path: /health, port: 8080}");
        return;
    }
    static const std::vector<std::string> known = {"path", "port", "host"};
    each_entry(r, value, "in readiness http", known, [&](const YAML::Node& k, const YAML::Node& v) {
        const std::string& name = k.Scalar();
        if (name == "path") {
            if (v.IsScalar() && is_http_path(v.Scalar())) {
                out.path = v.Scalar();
            } else {
                r.wrong_type(k, v, "a path starting with / (no spaces)");
            }
        } else if (name == "port") {
            if (auto p = read_whole(r, k, v, 1, kMaxPort, "a port number from 1 to 65535"))
                out.port = *p;
        } else if (v.IsScalar() && !v.Scalar().empty() &&
                   v.Scalar().find_first_of(" \t\r\n/") == std::string::npos) {
            out.host = v.Scalar();
        } else {
            r.wrong_type(k, v, "a host name or address, like 127.0.0.1");
        }
    });
}

void read_log(Reader& r, const YAML::Node& key, const YAML::Node& value, Readiness& out) {
    if (!value.IsScalar() || value.Scalar().empty() || value.Scalar().size() > kMaxPattern) {
        r.wrong_type(key, value,
                     fmt::format("a regular expression of 1 to {} characters", kMaxPattern));
        return;
    }
    try {
        std::regex compiled(value.Scalar(), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        r.error(value.Mark(), "config/invalid-regex",
                fmt::format("'log' is not a valid regular expression: {}", e.what()),
                "the pattern is an ECMAScript regular expression searched in each line; put a "
                "backslash before ( ) [ ] { } . * + ? | ^ $ \\ to match it literally");
        return;
    }
    out.pattern = value.Scalar();
}

void read_readiness(Reader& r, const YAML::Node& key, const YAML::Node& value, Readiness& out) {
    if (!value.IsMap()) {
        r.wrong_type(key, value,
                     "a mapping with one probe (tcp, http, log or exec) and its timing");
        return;
    }
    static const std::vector<std::string> known = {
        "tcp", "http", "log", "exec", "initial_delay", "interval", "timeout", "retries"};
    static const std::vector<std::pair<std::string, ProbeKind>> kinds = {
        {"tcp", ProbeKind::tcp},
        {"http", ProbeKind::http},
        {"log", ProbeKind::log},
        {"exec", ProbeKind::exec},
    };
    Readiness rd;
    std::string probe;  // the probe key given first
    int probe_line = 0;
    const std::size_t before = r.out.diagnostics.size();
    each_entry(r, value, "in readiness", known, [&](const YAML::Node& k, const YAML::Node& v) {
        const std::string& name = k.Scalar();
        const auto kind = std::find_if(kinds.begin(), kinds.end(),
                                       [&](const auto& p) { return p.first == name; });
        if (kind != kinds.end()) {
            if (!probe.empty()) {
                r.error(k.Mark(), "config/readiness-probes",
                        fmt::format("readiness takes one probe, and '{}' is already set on line {}",
                                    probe, probe_line),
                        "keep one of tcp, http, log and exec; exec can run a command that "
                        "checks several things");
                return;
            }
            probe = name;
            probe_line = k.Mark().line + 1;
            rd.kind = kind->second;
            rd.where = r.at(k.Mark());
            switch (rd.kind) {
                case ProbeKind::tcp:
                    read_tcp(r, k, v, rd);
                    break;
                case ProbeKind::http:
                    read_http(r, k, v, rd);
                    break;
                case ProbeKind::log:
                    read_log(r, k, v, rd);
                    break;
                case ProbeKind::exec:
                    if (v.IsScalar() && !v.Scalar().empty()) {
                        rd.command = v.Scalar();
                    } else {
                        r.wrong_type(k, v, "a shell command, like pg_isready -q");
                    }
                    break;
                case ProbeKind::none:
                    break;
            }
            return;
        }
        if (name == "retries") {
            if (auto n = read_whole(r, k, v, 1, kMaxRetries,
                                    "a whole number of attempts from 1 to 1000000"))
                rd.retries = *n;
            return;
        }
        const auto d = read_duration(r, k, v, name != "initial_delay");
        if (!d)
            return;
        if (name == "initial_delay") {
            rd.initial_delay = *d;
        } else if (name == "interval") {
            rd.interval = *d;
        } else {
            rd.timeout = *d;
        }
    });
    if (probe.empty()) {
        if (r.out.diagnostics.size() != before)
            return;  // a misspelt probe was reported as an unknown key
        r.error(key.Mark(), "config/readiness-no-probe",
                "readiness needs a probe: one of tcp, http, log or exec",
                "for example `tcp: true` (the instance's $PORT accepts connections) or "
                "`http: /health`");
        return;
    }
    out = std::move(rd);
}

void read_lifecycle(Reader& r, const YAML::Node& map, const std::string& type, Lifecycle& lc) {
    static const std::vector<std::string> known = {
        "restart", "backoff",    "max_restarts", "on_exhausted",
        "can_die", "exit_with",  "stop_signal",  "stop_timeout",
        "pty",     "depends_on", "readiness",    "forward_signals"};
    static const std::vector<std::pair<std::string, OnExhausted>> exhausted = {
        {"stop-all", OnExhausted::stop_all},
        {"give-up", OnExhausted::give_up},
    };
    each_entry(
        r, map, fmt::format("for process type '{}'", type), known,
        [&](const YAML::Node& key, const YAML::Node& value) {
            const std::string& name = key.Scalar();
            if (name == "restart") {
                if (auto p = read_choice(r, key, value, restart_choices()))
                    lc.restart = *p;
            } else if (name == "backoff") {
                read_backoff(r, key, value, lc.backoff);
            } else if (name == "max_restarts") {
                if (auto n = read_whole(r, key, value, 0, kMaxRestarts,
                                        "a whole number from 0 to 1000000 (leave it out for no "
                                        "limit)"))
                    lc.max_restarts = *n;
            } else if (name == "on_exhausted") {
                if (auto e = read_choice(r, key, value, exhausted))
                    lc.on_exhausted = *e;
            } else if (name == "can_die" || name == "exit_with" || name == "pty") {
                if (auto b = read_bool(r, key, value)) {
                    (name == "can_die"     ? lc.can_die
                     : name == "exit_with" ? lc.exit_with
                                           : lc.pty) = *b;
                }
            } else if (name == "stop_signal") {
                read_stop_signal(r, key, value, lc.stop_signal);
            } else if (name == "stop_timeout") {
                if (auto d = read_duration(r, key, value, false))
                    lc.stop_timeout = *d;
            } else if (name == "depends_on") {
                read_depends_on(r, key, value, lc.depends_on);
            } else if (name == "forward_signals") {
                read_forward_signals(r, key, value, lc.forward_signals);
            } else {
                read_readiness(r, key, value, lc.readiness);
            }
        });
}

void processes_key(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    if (!value.IsMap()) {
        r.wrong_type(key, value, "a mapping of process types to their settings",
                     "for example\n  processes:\n    web:\n      restart: on-failure");
        return;
    }
    std::map<std::string, int> seen;  // type -> line
    for (const auto& item : value) {
        const YAML::Node& name = item.first;
        const YAML::Node& settings = item.second;
        if (!is_name(name)) {
            r.error(name.Mark(), "config/invalid-name",
                    fmt::format("'{}' is not a process type name",
                                name.IsScalar() ? name.Scalar() : std::string("?")),
                    "the keys of processes are the Procfile's process types");
            continue;
        }
        if (auto it = seen.find(name.Scalar()); it != seen.end()) {
            r.error(name.Mark(), "config/duplicate-key",
                    fmt::format("process type '{}' is set twice in processes (first on line {})",
                                name.Scalar(), it->second));
            continue;
        }
        seen.emplace(name.Scalar(), name.Mark().line + 1);
        Lifecycle lifecycle;
        if (settings.IsMap()) {
            read_lifecycle(r, settings, name.Scalar(), lifecycle);
        } else {
            r.wrong_type(name, settings, "a mapping of settings, like {restart: on-failure}");
        }
        r.out.value.processes[name.Scalar()] =
            Sourced<Lifecycle>{std::move(lifecycle), r.at(name.Mark())};
    }
}

// One table for both dialects: foreman reads .foreman as YAML whose keys are
// its long option names, a subset of procrun's (and `template` for
// `template-dir`).
const std::vector<Key>& all_keys() {
    static const std::vector<Key> keys = {
        {"procfile", kBoth, string_key(&Settings::procfile)},
        {"root", kBoth, string_key(&Settings::root)},
        {"env", kBoth, list_key(&Settings::env_files)},
        {"formation", kBoth, formation_key},
        {"concurrency", kBoth, formation_key},
        {"port", kBoth, int_key(&Settings::port, 1, kMaxPort, "a port number from 1 to 65535")},
        {"timeout", kBoth,
         int_key(&Settings::timeout, 0, kMaxTimeout, "a number of seconds from 0 to 86400")},
        {"strict", kProcrunOnly, bool_key(&Settings::strict)},
        {"color", kBoth, bool_key(&Settings::color)},
        {"timestamp", kProcrunOnly, bool_key(&Settings::timestamp)},
        {"prefix", kProcrunOnly, bool_key(&Settings::prefix)},
        {"quiet", kProcrunOnly, list_key(&Settings::quiet)},
        {"app", kBoth, string_key(&Settings::app)},
        {"user", kBoth, string_key(&Settings::user)},
        {"log", kBoth, string_key(&Settings::log)},
        {"run", kBoth, string_key(&Settings::run)},
        {"image", kProcrunOnly, string_key(&Settings::image)},
        {"template-dir", kProcrunOnly, string_key(&Settings::template_dir)},
        {"template", kForemanOnly, string_key(&Settings::template_dir)},
        {"processes", kProcrunOnly, processes_key},
    };
    return keys;
}

std::vector<std::string> key_names(ConfigDialect dialect) {
    std::vector<std::string> names;
    for (const auto& k : all_keys()) {
        if ((k.dialects & dialect_bit(dialect)) != 0)
            names.emplace_back(k.name);
    }
    return names;
}

void read_document(Reader& r, const YAML::Node& doc, ConfigDialect dialect) {
    if (!doc.IsDefined() || doc.IsNull())
        return;  // an empty file sets nothing
    if (!doc.IsMap()) {
        r.error(doc.Mark(), "config/not-a-mapping",
                "expected a mapping of settings (`key: value` lines)",
                "for example `formation: web=2` or `port: 5000`");
        return;
    }
    const auto& keys = all_keys();
    const unsigned bit = dialect_bit(dialect);
    std::map<std::string, int> seen;  // key -> line
    int formation_line = 0;
    for (const auto& item : doc) {
        const YAML::Node& key = item.first;
        const YAML::Node& value = item.second;
        if (!key.IsScalar()) {
            r.error(key.Mark(), "config/invalid-key", "a setting's key must be a plain name");
            continue;
        }
        const std::string& name = key.Scalar();
        const auto k = std::find_if(keys.begin(), keys.end(), [&](const Key& candidate) {
            return candidate.name == name && (candidate.dialects & bit) != 0;
        });
        if (k == keys.end()) {
            r.error(key.Mark(), "config/unknown-key", fmt::format("unknown key '{}'", name),
                    unknown_key_hint(name, key_names(dialect)));
            continue;
        }
        const int line = key.Mark().line + 1;
        if (auto it = seen.find(name); it != seen.end()) {
            r.error(key.Mark(), "config/duplicate-key",
                    fmt::format("'{}' is set twice (first on line {})", name, it->second));
            continue;
        }
        seen.emplace(name, line);
        if (name == "formation" || name == "concurrency") {
            if (formation_line != 0) {
                r.error(key.Mark(), "config/duplicate-key",
                        fmt::format("'formation' and 'concurrency' are the same setting, "
                                    "already set on line {}",
                                    formation_line));
                continue;
            }
            formation_line = line;
        }
        k->handle(r, key, value);
    }
}

// Walks the documents of a YAML stream without building nodes, to find what
// YAML::LoadAll gets wrong in yaml-cpp 0.7: a stray token at the start of a
// document (`,`, `]`, `}`) is read as an empty document without being
// consumed, so LoadAll loops forever and Load returns null.
class DocumentProbe : public YAML::EventHandler {
  public:
    YAML::Mark start;
    bool content = false;

    void reset() {
        start = YAML::Mark::null_mark();
        content = false;
    }
    void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override { content = true; }
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {
        content = true;
    }
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        content = true;
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        content = true;
    }
    void OnMapEnd() override {}
};

// Checks the stream has at most one document with content and no stray token.
// Returns false (with a diagnostic) when it does not.
bool probe_documents(Reader& r) {
    std::istringstream in{std::string(r.text)};
    YAML::Parser parser(in);
    DocumentProbe probe;
    int documents = 0;
    YAML::Mark previous = YAML::Mark::null_mark();
    while (true) {
        probe.reset();
        if (!parser.HandleNextDocument(probe))
            return true;
        if (documents > 0 && probe.start.pos == previous.pos) {
            const auto pos = static_cast<std::size_t>(probe.start.pos);
            const char c = pos < r.text.size() ? r.text[pos] : '?';
            const bool printable = c > 0x20 && c < 0x7f;
            r.error(probe.start, "config/invalid-yaml",
                    printable ? fmt::format("invalid YAML: unexpected '{}'", c)
                              : std::string("invalid YAML: unexpected character"));
            return false;
        }
        if (probe.content && documents > 0) {
            r.error(probe.start, "config/multiple-documents",
                    "the config file holds more than one YAML document",
                    "remove the `---` separator: all settings go in one mapping");
            return false;
        }
        previous = probe.start;
        ++documents;
    }
}

}  // namespace

std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates) {
    constexpr std::size_t kLongest = 64;  // beyond this, no name is "a typo away"
    if (word.empty() || word.size() > kLongest)
        return {};
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& c : candidates) {
        if (c.size() > kLongest)
            continue;
        std::size_t d = edit_distance(word, c);
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

std::optional<RestartPolicy> parse_restart_policy(std::string_view text) {
    for (const auto& [name, policy] : restart_choices()) {
        if (name == text)
            return policy;
    }
    return std::nullopt;
}

std::optional<RestartOverride> parse_restart_override(std::string_view text) {
    RestartOverride out;
    const std::size_t eq = text.find('=');
    if (eq != std::string_view::npos) {
        out.type = std::string(text.substr(0, eq));
        if (out.type.empty() || !std::all_of(out.type.begin(), out.type.end(), is_name_char))
            return std::nullopt;
        text.remove_prefix(eq + 1);
    }
    const auto policy = parse_restart_policy(text);
    if (!policy)
        return std::nullopt;
    out.policy = *policy;
    return out;
}

std::optional<Millis> parse_duration(std::string_view text) {
    constexpr double kMaxMillis = 86400.0 * 1000;
    const std::size_t end = text.find_first_not_of("0123456789.");
    const std::string_view unit = end == std::string_view::npos ? "" : text.substr(end);
    const auto number = parse_decimal(text.substr(0, end));
    if (!number)
        return std::nullopt;
    double factor = 0;
    if (unit.empty() || unit == "s") {
        factor = 1000;
    } else if (unit == "ms") {
        factor = 1;
    } else if (unit == "m") {
        factor = 60.0 * 1000;
    } else if (unit == "h") {
        factor = 3600.0 * 1000;
    } else {
        return std::nullopt;
    }
    const double ms = *number * factor;
    if (ms > kMaxMillis)
        return std::nullopt;
    return Millis{std::llround(ms)};
}

std::string format_duration(Millis d) {
    const auto ms = d.count();
    if (ms == 0)
        return "0s";
    if (ms % 3600000 == 0)
        return fmt::format("{}h", ms / 3600000);
    if (ms % 60000 == 0)
        return fmt::format("{}m", ms / 60000);
    if (ms % 1000 == 0)
        return fmt::format("{}s", ms / 1000);
    return fmt::format("{}ms", ms);
}

Parsed<Settings> parse_config(std::string_view text, std::string_view file, ConfigDialect dialect) {
    Parsed<Settings> out;
    Reader reader{text, std::string(file), out};
    try {
        if (!probe_documents(reader))
            return out;
        read_document(reader, YAML::Load(std::string(text)), dialect);
    } catch (const YAML::Exception& e) {
        reader.error(e.mark, "config/invalid-yaml", fmt::format("invalid YAML: {}", e.msg));
    }
    return out;
}

}  // namespace procrun
