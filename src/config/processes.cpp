#include "config/processes.hpp"

#include <fmt/format.h>
#include <algorithm>

#include <csignal>
#include <map>

#include "config/watch.hpp"
#include "procrun/signal_name.hpp"

namespace procrun::config {

namespace {

constexpr int kMaxRestarts = 1000000;
constexpr double kMaxMultiplier = 100;

const std::vector<std::pair<std::string, DependencyCondition>>& condition_choices() {
    using C = DependencyCondition;
    static const std::vector<std::pair<std::string, C>> choices = {
        {std::string(to_string(C::started)), C::started},
        {std::string(to_string(C::ready)), C::ready},
        {std::string(to_string(C::completed_successfully)), C::completed_successfully},
    };
    return choices;
}

// Why `signal` cannot ask a process to stop; empty when it can.
std::string_view cannot_stop(int signal) {
    if (signal == SIGSTOP)
        return "it suspends the process, which cannot handle it, instead of ending it";
    switch (default_action(signal)) {
        case SignalDefault::suspend:
            return "it suspends the process instead of ending it";
        case SignalDefault::resume:
            return "it resumes a suspended process and does nothing else";
        case SignalDefault::ignore:
            return "a process ignores it unless it handles it";
        case SignalDefault::terminate:
            break;
    }
    return {};
}

void read_stop_signal(Reader& r, const YAML::Node& key, const YAML::Node& value, int& out) {
    const auto sig = value.IsScalar() ? parse_signal(value.Scalar()) : std::nullopt;
    if (!sig) {
        std::string hint;
        if (value.IsScalar()) {
            std::string word = value.Scalar();
            for (char& c : word)
                c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
            if (word.rfind("SIG", 0) == 0)
                word.erase(0, 3);
            if (std::string best = nearest_name(word, signal_names()); !best.empty())
                hint = fmt::format("did you mean '{}'?", best);
        }
        r.wrong_type(
            key, value,
            fmt::format("a signal name (TERM, SIGQUIT, INT, ...) or number (1-{})", NSIG - 1),
            std::move(hint));
        return;
    }
    constexpr std::string_view kGraceful =
        "use a signal the process can handle to clean up and exit: TERM (the default), INT, "
        "QUIT or HUP";
    if (const std::string_view why = cannot_stop(*sig); !why.empty()) {
        r.error(value.Mark(), "config/stop-signal",
                fmt::format("'stop_signal' {} cannot stop a process: {}", signal_name(*sig), why),
                std::string(kGraceful));
        return;
    }
    if (*sig == SIGKILL) {
        r.warning(value.Mark(), "config/stop-signal-kill",
                  "'stop_signal' SIGKILL cannot be handled: the process gets no chance to stop "
                  "gracefully",
                  fmt::format("{}; SIGKILL follows after stop_timeout anyway", kGraceful));
    }
    out = *sig;
}

void read_backoff(Reader& r, const YAML::Node& key, const YAML::Node& value, Backoff& out) {
    if (!value.IsMap()) {
        r.wrong_type(key, value,
                     "a mapping like {initial: 1s, max: 30s, multiplier: 2, reset_after: 10s}");
        return;
    }
    static const KeyRules rules{
        " in backoff", {"initial", "max", "multiplier", "reset_after"}, {}, {}};
    Backoff b = out;
    bool ranged = true;
    walk_mapping(r, value, rules, [&](const YAML::Node& k, const YAML::Node& v) {
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
        (name == "initial" ? b.initial : name == "max" ? b.max : b.reset_after) = *d;
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
                    fmt::format("{} is not a process type name",
                                quoted(name.IsScalar() ? name.Scalar() : std::string("?"))),
                    "depends_on names process types: letters, digits, '_' and '-'");
            return;
        }
        if (auto it = seen.find(name.Scalar()); it != seen.end()) {
            r.error(name.Mark(), "config/duplicate-key",
                    fmt::format("{} is named twice in depends_on (first on line {})",
                                quoted(name.Scalar()), it->second));
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
            const std::string label =
                fmt::format("the condition for {}", quoted(name.IsScalar() ? name.Scalar() : "?"));
            if (auto c = read_choice(r, name, item.second, condition_choices(), label))
                add(name, *c);
        }
    } else {
        r.wrong_type(key, value,
                     "a list of process types, or a mapping of process types to started, ready "
                     "or completed_successfully");
    }
}

template <bool Lifecycle::*Field>
void read_flag(Reader& r, const YAML::Node& key, const YAML::Node& value, Lifecycle& lc) {
    if (auto b = read_bool(r, key, value))
        lc.*Field = *b;
}

// One key of a process type's settings: reads `value` into the Lifecycle.
using LifecycleField = void (*)(Reader& r, const YAML::Node& key, const YAML::Node& value,
                                Lifecycle& lc);

struct LifecycleKey {
    std::string name;
    LifecycleField read;
};

// The keys of a process type, in the order a hint lists them. A new key is
// one entry here (and its field in Lifecycle).
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

// A portable environment variable name: letters, digits and '_', not
// starting with a digit.
bool is_env_name(std::string_view s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9'))
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

// env: a mapping of variable names to values, taken as written.
void read_type_env(Reader& r, const YAML::Node& key, const YAML::Node& value,
                   std::vector<TypeVariable>& out) {
    if (!value.IsMap()) {
        r.wrong_type(key, value, "a mapping of variable names to values, like {LOG_LEVEL: debug}");
        return;
    }
    std::vector<TypeVariable> vars;
    for (const auto& item : value) {
        const YAML::Node& name = item.first;
        const YAML::Node& v = item.second;
        const std::string text = name.IsScalar() ? name.Scalar() : std::string();
        if (!is_env_name(text)) {
            r.error(name.Mark(), "config/env-name",
                    fmt::format("{} is not an environment variable name", quoted(text)),
                    "names are letters, digits and '_', not starting with a digit");
            continue;
        }
        if (text == "PORT" || text == "PS") {
            r.error(name.Mark(), "config/env-reserved",
                    fmt::format("{} is set by procrun for each instance and cannot be set in env",
                                text),
                    text == "PORT" ? "PORT is base + 100 x position + instance - 1; change the "
                                     "base with --port or `port:`, or set it in the command "
                                     "(`web: PORT=3000 npm start`)"
                                   : "PS names the instance (web.1)");
            continue;
        }
        auto same = std::find_if(vars.begin(), vars.end(),
                                 [&](const TypeVariable& t) { return t.name == text; });
        if (same != vars.end()) {
            r.error(name.Mark(), "config/duplicate-key",
                    fmt::format("{} is set twice in env (first on line {})", quoted(text),
                                same->where.line));
            continue;
        }
        if (!v.IsScalar()) {
            r.wrong_type(
                name, v, "a value (a string, number or boolean, as written)",
                v.IsNull() ? fmt::format("for an empty value write {}: \"\"", text) : std::string(),
                fmt::format("the value of {}", quoted(text)));
            continue;
        }
        vars.push_back(TypeVariable{text, v.Scalar(), r.at(name.Mark())});
    }
    out = std::move(vars);
}

// env_file: one path or a list of paths, layered over the app's env files.
void read_type_env_files(Reader& r, const YAML::Node& key, const YAML::Node& value,
                         std::vector<ConfigPath>& out) {
    constexpr std::string_view kExpects = "an env file path or a list of them, like [.env.api]";
    std::vector<ConfigPath> files;
    auto add = [&](const YAML::Node& item) {
        if (!item.IsScalar() || item.Scalar().empty()) {
            r.wrong_type(key, item, kExpects);
            return;
        }
        files.push_back(ConfigPath{item.Scalar(), r.at(item.Mark())});
    };
    if (value.IsSequence()) {
        for (const auto& item : value)
            add(item);
    } else if (value.IsScalar()) {
        add(value);
    } else {
        r.wrong_type(key, value, kExpects);
        return;
    }
    out = std::move(files);
}

// working_dir: a folder of the root, written relative to it.
void read_working_dir(Reader& r, const YAML::Node& key, const YAML::Node& value,
                      std::optional<ConfigPath>& out) {
    if (!value.IsScalar() || value.Scalar().empty()) {
        r.wrong_type(key, value, "a folder relative to the root, like services/api");
        return;
    }
    const std::string& path = value.Scalar();
    if (path.front() == '/') {
        r.error(value.Mark(), "config/working-dir-absolute",
                fmt::format("working_dir {} is an absolute path", quoted(path)),
                "write it relative to the root (the Procfile's folder): the exports move the "
                "root, and a path outside it would not move with it");
        return;
    }
    int depth = 0;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view part = std::string_view(path).substr(start, end - start);
        if (part == "..")
            --depth;
        else if (!part.empty() && part != ".")
            ++depth;
        if (depth < 0) {
            r.error(value.Mark(), "config/working-dir-outside",
                    fmt::format("working_dir {} leads out of the root", quoted(path)),
                    "working_dir names a folder inside the root, like services/api");
            return;
        }
        start = end + 1;
    }
    out = ConfigPath{path, r.at(value.Mark())};
}

const std::vector<LifecycleKey>& lifecycle_keys() {
    using N = const YAML::Node&;
    static const std::vector<std::pair<std::string, OnExhausted>> exhausted = {
        {"stop-all", OnExhausted::stop_all},
        {"give-up", OnExhausted::give_up},
    };
    static const std::vector<LifecycleKey> keys = {
        {"restart",
         [](Reader& r, N k, N v, Lifecycle& lc) {
             if (auto p = read_choice(r, k, v, restart_choices()))
                 lc.restart = *p;
         }},
        {"backoff", [](Reader& r, N k, N v, Lifecycle& lc) { read_backoff(r, k, v, lc.backoff); }},
        {"max_restarts",
         [](Reader& r, N k, N v, Lifecycle& lc) {
             if (auto n = read_whole(r, k, v, 0, kMaxRestarts,
                                     "a whole number from 0 to 1000000 (leave it out for no "
                                     "limit)"))
                 lc.max_restarts = *n;
         }},
        {"on_exhausted",
         [](Reader& r, N k, N v, Lifecycle& lc) {
             if (auto e = read_choice(r, k, v, exhausted))
                 lc.on_exhausted = *e;
         }},
        {"can_die", read_flag<&Lifecycle::can_die>},
        {"exit_with", read_flag<&Lifecycle::exit_with>},
        {"stop_signal",
         [](Reader& r, N k, N v, Lifecycle& lc) { read_stop_signal(r, k, v, lc.stop_signal); }},
        {"forward_signals",
         [](Reader& r, N k, N v, Lifecycle& lc) {
             read_forward_signals(r, k, v, lc.forward_signals);
         }},
        {"stop_timeout",
         [](Reader& r, N k, N v, Lifecycle& lc) {
             if (auto d = read_duration(r, k, v, false))
                 lc.stop_timeout = *d;
         }},
        {"pty", read_flag<&Lifecycle::pty>},
        {"interactive", read_flag<&Lifecycle::interactive>},
        {"autostart", read_flag<&Lifecycle::autostart>},
        {"depends_on",
         [](Reader& r, N k, N v, Lifecycle& lc) { read_depends_on(r, k, v, lc.depends_on); }},
        {"readiness",
         [](Reader& r, N k, N v, Lifecycle& lc) { read_readiness(r, k, v, lc.readiness); }},
        {"watch", [](Reader& r, N k, N v, Lifecycle& lc) { read_watch(r, k, v, lc.watch); }},
        {"liveness",
         [](Reader& r, N k, N v, Lifecycle& lc) { read_liveness(r, k, v, lc.liveness); }},
        {"stop_command",
         [](Reader& r, N k, N v, Lifecycle& lc) {
             if (v.IsScalar() && !v.Scalar().empty() &&
                 v.Scalar().find_first_not_of(" \t\r\n") != std::string::npos) {
                 lc.stop_command = v.Scalar();
             } else {
                 r.wrong_type(k, v, "a shell command, like redis-cli shutdown",
                              "leave stop_command out to send stop_signal");
             }
         }},
        {"env", [](Reader& r, N k, N v, Lifecycle& lc) { read_type_env(r, k, v, lc.env); }},
        {"env_file",
         [](Reader& r, N k, N v, Lifecycle& lc) { read_type_env_files(r, k, v, lc.env_files); }},
        {"working_dir",
         [](Reader& r, N k, N v, Lifecycle& lc) { read_working_dir(r, k, v, lc.working_dir); }},
    };
    return keys;
}

void read_lifecycle(Reader& r, const YAML::Node& map, const std::string& type, Lifecycle& lc) {
    const auto& keys = lifecycle_keys();
    KeyRules rules;
    rules.where = fmt::format(" for process type {}", quoted(type));
    for (const auto& k : keys)
        rules.known.push_back(k.name);
    walk_mapping(r, map, rules, [&](const YAML::Node& key, const YAML::Node& value) {
        for (const auto& k : keys) {
            if (k.name == key.Scalar())
                k.read(r, key, value, lc);
        }
    });
}

}  // namespace

const std::vector<std::pair<std::string, RestartPolicy>>& restart_choices() {
    static const std::vector<std::pair<std::string, RestartPolicy>> choices = {
        {std::string(to_string(RestartPolicy::no)), RestartPolicy::no},
        {std::string(to_string(RestartPolicy::on_failure)), RestartPolicy::on_failure},
        {std::string(to_string(RestartPolicy::always)), RestartPolicy::always},
    };
    return choices;
}

void read_processes(Reader& r, const YAML::Node& key, const YAML::Node& value) {
    if (!value.IsMap()) {
        r.wrong_type(key, value, "a mapping of process types to their settings",
                     "for example\n  processes:\n    web:\n      restart: on-failure");
        return;
    }
    KeyRules rules;
    rules.where = " in processes";
    rules.names.noun = "process type ";
    rules.names.invalid_hint = "the keys of processes are the Procfile's process types";
    std::string interactive;  // the first type with `interactive: true`
    walk_mapping(r, value, rules, [&](const YAML::Node& name, const YAML::Node& settings) {
        Lifecycle lifecycle;
        if (settings.IsMap()) {
            read_lifecycle(r, settings, name.Scalar(), lifecycle);
        } else {
            r.wrong_type(name, settings, "a mapping of settings, like {restart: on-failure}");
        }
        if (lifecycle.interactive && interactive.empty()) {
            interactive = name.Scalar();
        } else if (lifecycle.interactive) {
            r.error(settings["interactive"].Mark(), "config/interactive-twice",
                    fmt::format("process types {} and {} are both interactive: only one process "
                                "can read procrun's terminal",
                                quoted(interactive), quoted(name.Scalar())),
                    "leave interactive: true on one type, or choose at start with --interactive "
                    "NAME");
        }
        r.settings().processes[name.Scalar()] =
            Sourced<Lifecycle>{std::move(lifecycle), r.at(name.Mark())};
    });
}

}  // namespace procrun::config
