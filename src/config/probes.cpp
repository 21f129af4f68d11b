// `readiness:` and `liveness:` of a process type: one probe (tcp, http, log,
// exec; liveness without log) and its timing.

#include <fmt/format.h>

#include <algorithm>

#include "config/processes.hpp"
#include "procrun/line_pattern.hpp"

namespace procrun::config {

namespace {

constexpr int kMaxPort = 65535;
constexpr int kMaxRetries = 1000000;
constexpr std::size_t kMaxPattern = 1024;

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
    static const KeyRules rules{" in readiness http", {"path", "port", "host"}, {}, {}};
    walk_mapping(r, value, rules, [&](const YAML::Node& k, const YAML::Node& v) {
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
        const LinePattern compiled(value.Scalar());
    } catch (const std::invalid_argument& e) {
        r.error(value.Mark(), "config/invalid-regex",
                fmt::format("'log' is not a valid regular expression: {}", e.what()),
                "the pattern is an ECMAScript regular expression searched in each line; put a "
                "backslash before ( ) [ ] { } . * + ? | ^ $ \\ to match it literally");
        return;
    }
    out.pattern = value.Scalar();
}

void read_probe(Reader& r, const YAML::Node& key, const YAML::Node& value, Readiness& out) {
    switch (out.kind) {
        case ProbeKind::tcp:
            read_tcp(r, key, value, out);
            break;
        case ProbeKind::http:
            read_http(r, key, value, out);
            break;
        case ProbeKind::log:
            read_log(r, key, value, out);
            break;
        case ProbeKind::exec:
            if (value.IsScalar() && !value.Scalar().empty()) {
                out.command = value.Scalar();
            } else {
                r.wrong_type(key, value, "a shell command, like pg_isready -q");
            }
            break;
        case ProbeKind::none:
            break;
    }
}

// initial_delay, interval, timeout, retries.
void read_timing(Reader& r, const YAML::Node& key, const YAML::Node& value, Readiness& out) {
    const std::string& name = key.Scalar();
    if (name == "retries") {
        if (auto n = read_whole(r, key, value, 1, kMaxRetries,
                                "a whole number of attempts from 1 to 1000000"))
            out.retries = *n;
        return;
    }
    const auto d = read_duration(r, key, value, name != "initial_delay");
    if (!d)
        return;
    (name == "initial_delay" ? out.initial_delay
     : name == "interval"    ? out.interval
                             : out.timeout) = *d;
}

// The probe mapping shared by readiness and liveness: exactly one probe of
// `kinds` (read into `out`: kind, target, where) and timing keys, each given
// to `timing`. False when no probe was read.
struct ProbeSection {
    std::string_view name;  // readiness, liveness
    std::vector<std::string> timing_keys;
    bool log = true;  // whether `log` is a probe of this section
};

template <typename Timing>
bool read_probe_section(Reader& r, const YAML::Node& key, const YAML::Node& value,
                        const ProbeSection& section, Readiness& out, Timing timing) {
    const std::string kind_list = section.log ? "tcp, http, log or exec" : "tcp, http or exec";
    if (!value.IsMap()) {
        r.wrong_type(key, value,
                     fmt::format("a mapping with one probe ({}) and its timing", kind_list));
        return false;
    }
    KeyRules rules{fmt::format(" in {}", section.name), {"tcp", "http", "log", "exec"}, {}, {}};
    rules.known.insert(rules.known.end(), section.timing_keys.begin(), section.timing_keys.end());
    static const std::vector<std::pair<std::string, ProbeKind>> kinds = {
        {"tcp", ProbeKind::tcp},
        {"http", ProbeKind::http},
        {"log", ProbeKind::log},
        {"exec", ProbeKind::exec},
    };
    std::string probe;  // the probe key given first
    int probe_line = 0;
    const std::size_t before = r.errors();
    walk_mapping(r, value, rules, [&](const YAML::Node& k, const YAML::Node& v) {
        const auto kind = std::find_if(kinds.begin(), kinds.end(),
                                       [&](const auto& p) { return p.first == k.Scalar(); });
        if (kind == kinds.end()) {
            timing(k, v);
            return;
        }
        if (kind->second == ProbeKind::log && !section.log) {
            r.error(k.Mark(), fmt::format("config/{}-log", section.name),
                    fmt::format("{} cannot be a log probe: output says nothing about whether a "
                                "running process still answers",
                                section.name),
                    "probe what the process serves: tcp (its port accepts connections), http "
                    "(/health answers) or exec (a command that checks it)");
            return;
        }
        if (!probe.empty()) {
            r.error(k.Mark(), fmt::format("config/{}-probes", section.name),
                    fmt::format("{} takes one probe, and '{}' is already set on line {}",
                                section.name, probe, probe_line),
                    fmt::format("keep one of {}; exec can run a command that checks several "
                                "things",
                                section.log ? "tcp, http, log and exec" : "tcp, http and exec"));
            return;
        }
        probe = k.Scalar();
        probe_line = k.Mark().line + 1;
        out.kind = kind->second;
        out.where = r.at(k.Mark());
        read_probe(r, k, v, out);
    });
    if (probe.empty()) {
        if (r.errors() != before)
            return false;  // a misspelt probe was reported as an unknown key
        r.error(key.Mark(), fmt::format("config/{}-no-probe", section.name),
                fmt::format("{} needs a probe: one of {}", section.name, kind_list),
                "for example `tcp: true` (the instance's $PORT accepts connections) or "
                "`http: /health`");
        return false;
    }
    return true;
}

}  // namespace

void read_readiness(Reader& r, const YAML::Node& key, const YAML::Node& value, Readiness& out) {
    static const ProbeSection section{
        "readiness", {"initial_delay", "interval", "timeout", "retries"}, true};
    Readiness rd;
    if (read_probe_section(
            r, key, value, section, rd,
            [&](const YAML::Node& k, const YAML::Node& v) { read_timing(r, k, v, rd); }))
        out = std::move(rd);
}

void read_liveness(Reader& r, const YAML::Node& key, const YAML::Node& value, Liveness& out) {
    static const ProbeSection section{
        "liveness", {"initial_delay", "period", "timeout", "failure_threshold"}, false};
    Readiness probe;
    Liveness lv;
    const auto timing = [&](const YAML::Node& k, const YAML::Node& v) {
        const std::string& name = k.Scalar();
        if (name == "failure_threshold") {
            if (auto n = read_whole(r, k, v, 1, kMaxRetries,
                                    "a whole number of failed attempts from 1 to 1000000"))
                lv.failure_threshold = *n;
            return;
        }
        const auto d = read_duration(r, k, v, name != "initial_delay");
        if (!d)
            return;
        (name == "initial_delay" ? lv.initial_delay
         : name == "period"      ? lv.period
                                 : lv.timeout) = *d;
    };
    if (!read_probe_section(r, key, value, section, probe, timing))
        return;
    lv.kind = probe.kind;
    lv.host = probe.host;
    lv.port = probe.port;
    lv.path = probe.path;
    lv.command = probe.command;
    lv.where = probe.where;
    out = std::move(lv);
}

}  // namespace procrun::config
