#include "procrun/config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
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
}

namespace {

constexpr int kMaxPort = 65535;
constexpr int kMaxTimeout = 86400;

struct Reader;
using Handler = std::function<void(Reader&, const YAML::Node& key, const YAML::Node& value)>;

struct Key {
    std::string_view name;
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

    void wrong_type(const YAML::Node& key, const YAML::Node& value, std::string_view expects) {
        std::string found = "a mapping";
        if (value.IsNull()) {
            found = "nothing";
        } else if (value.IsScalar()) {
            found = fmt::format("'{}'", value.Scalar());
        } else if (value.IsSequence()) {
            found = "a list";
        }
        error(value.IsNull() ? key.Mark() : value.Mark(), "config/wrong-type",
              fmt::format("'{}' must be {}, found {}", key.Scalar(), expects, found));
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

Handler string_key(std::optional<Sourced<std::string>> Settings::*member) {
    return [member](Reader& r, const YAML::Node& key, const YAML::Node& value) {
        if (!value.IsScalar() || value.Scalar().empty()) {
            r.wrong_type(key, value, "a non-empty string");
            return;
        }
        r.out.value.*member = r.sourced(value.Scalar(), value);
    };
}

Handler bool_key(std::optional<Sourced<bool>> Settings::*member) {
    return [member](Reader& r, const YAML::Node& key, const YAML::Node& value) {
        bool b = false;
        if (!value.IsScalar() || !YAML::convert<bool>::decode(value, b)) {
            r.wrong_type(key, value, "true or false");
            return;
        }
        r.out.value.*member = r.sourced(b, value);
    };
}

Handler int_key(std::optional<Sourced<int>> Settings::*member, int min, int max,
                std::string_view expects) {
    return [member, min, max, expects](Reader& r, const YAML::Node& key, const YAML::Node& value) {
        const auto v = value.IsScalar() ? parse_whole(value.Scalar()) : std::nullopt;
        if (!v || *v < min || *v > max) {
            r.wrong_type(key, value, expects);
            return;
        }
        r.out.value.*member = r.sourced(static_cast<int>(*v), value);
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

const std::vector<Key>& procrun_keys() {
    static const std::vector<Key> keys = {
        {"procfile", string_key(&Settings::procfile)},
        {"root", string_key(&Settings::root)},
        {"env", list_key(&Settings::env_files)},
        {"formation", formation_key},
        {"concurrency", formation_key},
        {"port", int_key(&Settings::port, 1, kMaxPort, "a port number from 1 to 65535")},
        {"timeout",
         int_key(&Settings::timeout, 0, kMaxTimeout, "a number of seconds from 0 to 86400")},
        {"strict", bool_key(&Settings::strict)},
        {"color", bool_key(&Settings::color)},
        {"timestamp", bool_key(&Settings::timestamp)},
        {"prefix", bool_key(&Settings::prefix)},
        {"quiet", list_key(&Settings::quiet)},
        {"app", string_key(&Settings::app)},
        {"user", string_key(&Settings::user)},
        {"log", string_key(&Settings::log)},
        {"run", string_key(&Settings::run)},
        {"image", string_key(&Settings::image)},
        {"template-dir", string_key(&Settings::template_dir)},
    };
    return keys;
}

// foreman reads .foreman as YAML whose keys are its long option names.
const std::vector<Key>& foreman_keys() {
    static const std::vector<Key> keys = {
        {"procfile", string_key(&Settings::procfile)},
        {"root", string_key(&Settings::root)},
        {"env", list_key(&Settings::env_files)},
        {"formation", formation_key},
        {"concurrency", formation_key},
        {"port", int_key(&Settings::port, 1, kMaxPort, "a port number from 1 to 65535")},
        {"timeout",
         int_key(&Settings::timeout, 0, kMaxTimeout, "a number of seconds from 0 to 86400")},
        {"color", bool_key(&Settings::color)},
        {"app", string_key(&Settings::app)},
        {"user", string_key(&Settings::user)},
        {"log", string_key(&Settings::log)},
        {"run", string_key(&Settings::run)},
        {"template", string_key(&Settings::template_dir)},
    };
    return keys;
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

std::string unknown_key_hint(std::string_view key, const std::vector<Key>& keys) {
    std::string_view best;
    std::size_t best_distance = 3;
    std::string all;
    for (const auto& k : keys) {
        if (!all.empty())
            all += ", ";
        all += k.name;
        std::size_t d = edit_distance(key, k.name);
        // "template" for "template-dir": a prefix counts as close.
        if (key.size() >= 3 && (k.name.rfind(key, 0) == 0 || key.rfind(k.name, 0) == 0)) {
            d = std::min<std::size_t>(d, 1);
        }
        if (d < best_distance) {
            best_distance = d;
            best = k.name;
        }
    }
    if (!best.empty())
        return fmt::format("did you mean '{}'?", best);
    return fmt::format("known keys: {}", all);
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
    const auto& keys = dialect == ConfigDialect::foreman ? foreman_keys() : procrun_keys();
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
        const auto k = std::find_if(keys.begin(), keys.end(),
                                    [&](const Key& candidate) { return candidate.name == name; });
        if (k == keys.end()) {
            r.error(key.Mark(), "config/unknown-key", fmt::format("unknown key '{}'", name),
                    unknown_key_hint(name, keys));
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
