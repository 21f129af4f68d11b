// .procrun.yaml and .foreman: the top-level settings, one table for both
// dialects; `processes:` is read by processes.cpp.

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "config/document.hpp"
#include "config/processes.hpp"
#include "config/reader.hpp"

namespace procrun {

void Settings::overlay(const Settings& over) {
    auto take = [](auto& mine, const auto& theirs) {
        if (theirs)
            mine = theirs;
    };
    take(procfile, over.procfile);
    take(root, over.root);
    take(env_files, over.env_files);
    if (over.formation || over.formation_map) {
        formation = over.formation;
        formation_map = over.formation_map;
    }
    take(port, over.port);
    take(timeout, over.timeout);
    take(strict, over.strict);
    take(color, over.color);
    take(timestamp, over.timestamp);
    take(prefix, over.prefix);
    take(quiet, over.quiet);
    take(log_memory, over.log_memory);
    take(log_memory_bytes, over.log_memory_bytes);
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

namespace config {

namespace {

constexpr int kMaxPort = 65535;
constexpr int kMaxLogMemoryLines = 1000000;
constexpr std::uint64_t kMinLogMemoryBytesSetting = 4096;
constexpr std::uint64_t kMaxLogMemoryBytesSetting = 1024ULL * 1024 * 1024;

using Handler = void (*)(Reader&, const YAML::Node& key, const YAML::Node& value);

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

template <auto Member>
void string_key(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    if (!value.IsScalar() || value.Scalar().empty()) {
        r.wrong_type(key, value, "a non-empty string");
        return;
    }
    r.settings().*Member = r.sourced(value.Scalar(), value);
}

template <auto Member>
void bool_key(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    if (auto b = read_bool(r, key, value))
        r.settings().*Member = r.sourced(*b, value);
}

void port_key(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    if (auto v = read_whole(r, key, value, 1, kMaxPort, "a port number from 1 to 65535"))
        r.settings().port = r.sourced(*v, value);
}

// Seconds from the stop signal to SIGKILL, in the duration syntax (a plain
// number is seconds, as foreman reads it).
void timeout_key(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    if (auto d = read_duration(r, key, value, false))
        r.settings().timeout = r.sourced(*d, value);
}

// Lines kept per instance by the output memory; 0 keeps none.
void log_memory_key(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    if (auto v = read_whole(r, key, value, 0, kMaxLogMemoryLines,
                            fmt::format("a number of lines from 0 to {}", kMaxLogMemoryLines)))
        r.settings().log_memory = r.sourced(*v, value);
}

// "1048576", "512K", "512KiB", "1M", "1MiB" (K and M are 1024 and 1024*1024).
std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && digits < 12 && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    if (digits == 0)
        return std::nullopt;
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < digits; ++i)
        n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
    const std::string_view unit = text.substr(digits);
    if (unit.empty() || unit == "B")
        return n;
    if (unit == "K" || unit == "KiB")
        return n * 1024;
    if (unit == "M" || unit == "MiB")
        return n * 1024 * 1024;
    return std::nullopt;
}

void log_memory_bytes_key(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    const auto n = value.IsScalar() ? parse_byte_size(value.Scalar()) : std::nullopt;
    if (!n || *n < kMinLogMemoryBytesSetting || *n > kMaxLogMemoryBytesSetting) {
        r.wrong_type(key, value,
                     "a size from 4K to 1024M: bytes, or a number with K or M (1024-based), "
                     "like 1M");
        return;
    }
    r.settings().log_memory_bytes = r.sourced(*n, value);
}

// Items of a comma-separated string, blanks around each trimmed; nothing when
// one is empty.
std::optional<std::vector<std::string>> split_items(std::string_view s) {
    std::vector<std::string> items;
    std::size_t begin = 0;
    while (true) {
        const std::size_t comma = s.find(',', begin);
        std::string_view item = s.substr(
            begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin);
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
            item.remove_suffix(1);
        if (item.empty())
            return std::nullopt;
        items.emplace_back(item);
        if (comma == std::string_view::npos)
            return items;
        begin = comma + 1;
    }
}

// A string of comma-separated items, or a list of strings.
template <auto Member>
void list_key(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    std::optional<std::vector<std::string>> items;
    if (value.IsScalar()) {
        items = split_items(value.Scalar());
    } else if (value.IsSequence()) {
        items.emplace();
        for (const auto& item : value) {
            if (!item.IsScalar() || item.Scalar().empty()) {
                r.error(item.Mark(), "config/wrong-type",
                        fmt::format("each item of {} must be a non-empty string",
                                    quoted(key.Scalar())));
                return;
            }
            items->push_back(item.Scalar());
        }
        if (items->empty())
            items.reset();
    }
    if (!items) {
        r.wrong_type(key, value, "a string or a list of strings (no empty items)");
        return;
    }
    r.settings().*Member = r.sourced(std::move(*items), value);
}

// "web=2,worker=1" or a mapping {web: 2, worker: 1}.
void formation_key(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    Settings& s = r.settings();
    if (value.IsScalar()) {
        s.formation = r.sourced(value.Scalar(), value);
        s.formation_map.reset();
        return;
    }
    if (!value.IsMap()) {
        r.wrong_type(key, value, "a spec like \"web=2,worker=1\" or a mapping like {web: 2}");
        return;
    }
    KeyRules rules;
    rules.where = " in the formation";
    rules.names.twice = "is given twice";
    rules.names.invalid_code = "formation/invalid-name";
    rules.names.invalid_hint = "process names contain only letters, digits, '_' and '-'";
    rules.names.duplicate_code = "formation/duplicate-name";
    rules.names.duplicate_hint = "give each process type once";
    Formation formation;
    std::map<std::string, FormationSource>& sources = formation.sources;
    const std::size_t before = r.errors();
    walk_mapping(r, value, rules, [&](const YAML::Node& name, const YAML::Node& count) {
        const auto n = count.IsScalar() ? parse_whole(count.Scalar()) : std::nullopt;
        if (!n || *n > kMaxFormationCount) {
            const std::string found = count.IsScalar() ? quoted(count.Scalar()) : "no number";
            r.error(count.IsNull() ? name.Mark() : count.Mark(),
                    n ? "formation/count-too-large" : "formation/not-a-number",
                    fmt::format("count for {} must be a whole number from 0 to {}, found {}",
                                quoted(name.Scalar()), kMaxFormationCount, found));
            return;
        }
        if (name.Scalar() == "all")
            formation.all = static_cast<int>(*n);
        else
            formation.counts[name.Scalar()] = static_cast<int>(*n);
        const Location where = r.at(name.Mark());
        sources[name.Scalar()] = FormationSource{where, std::string(r.line(where.line))};
    });
    sources.erase("all");
    if (r.errors() != before)
        return;
    if (formation.empty()) {
        r.wrong_type(key, value, "a spec like \"web=2,worker=1\" or a non-empty mapping");
        return;
    }
    s.formation_map = r.sourced(std::move(formation), value);
    s.formation.reset();
}

// One table for both dialects: foreman reads .foreman as YAML whose keys are
// its long option names, a subset of procrun's (and `template` for
// `template-dir`).
const std::vector<Key>& all_keys() {
    static const std::vector<Key> keys = {
        {"procfile", kBoth, string_key<&Settings::procfile>},
        {"root", kBoth, string_key<&Settings::root>},
        {"env", kBoth, list_key<&Settings::env_files>},
        {"formation", kBoth, formation_key},
        {"concurrency", kBoth, formation_key},
        {"port", kBoth, port_key},
        {"timeout", kBoth, timeout_key},
        {"strict", kProcrunOnly, bool_key<&Settings::strict>},
        {"color", kBoth, bool_key<&Settings::color>},
        {"timestamp", kProcrunOnly, bool_key<&Settings::timestamp>},
        {"prefix", kProcrunOnly, bool_key<&Settings::prefix>},
        {"quiet", kProcrunOnly, list_key<&Settings::quiet>},
        {"log_memory", kProcrunOnly, log_memory_key},
        {"log_memory_bytes", kProcrunOnly, log_memory_bytes_key},
        {"app", kBoth, string_key<&Settings::app>},
        {"user", kBoth, string_key<&Settings::user>},
        {"log", kBoth, string_key<&Settings::log>},
        {"run", kBoth, string_key<&Settings::run>},
        {"image", kProcrunOnly, string_key<&Settings::image>},
        {"template-dir", kProcrunOnly, string_key<&Settings::template_dir>},
        {"template", kForemanOnly, string_key<&Settings::template_dir>},
        {"processes", kProcrunOnly, read_processes},
    };
    return keys;
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
    const unsigned bit = dialect_bit(dialect);
    std::vector<const Key*> keys;
    KeyRules rules;
    rules.same = {{"formation", "concurrency"}};
    for (const auto& k : all_keys()) {
        if ((k.dialects & bit) != 0) {
            keys.push_back(&k);
            rules.known.emplace_back(k.name);
        }
    }
    walk_mapping(r, doc, rules, [&](const YAML::Node& key, const YAML::Node& value) {
        for (const Key* k : keys) {
            if (k->name == key.Scalar())
                k->handle(r, key, value);
        }
    });
}

}  // namespace

}  // namespace config

std::optional<RestartPolicy> parse_restart_policy(std::string_view text) {
    for (const auto& [name, policy] : config::restart_choices()) {
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
        if (!config::is_name(out.type))
            return std::nullopt;
        text.remove_prefix(eq + 1);
    }
    const auto policy = parse_restart_policy(text);
    if (!policy)
        return std::nullopt;
    out.policy = *policy;
    return out;
}

Parsed<Settings> parse_config(std::string_view text, std::string_view file, ConfigDialect dialect) {
    Parsed<Settings> out;
    config::Reader reader(text, file, out);
    const std::optional<YAML::Node> doc = config::load_document(reader);
    if (!doc)
        return out;
    try {
        config::read_document(reader, *doc, dialect);
    } catch (const YAML::Exception& e) {
        reader.error(e.mark, "config/invalid-yaml", fmt::format("invalid YAML: {}", e.msg));
    }
    return out;
}

}  // namespace procrun
