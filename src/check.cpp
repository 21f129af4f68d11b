#include "procrun/check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <filesystem>
#include <set>

#include "procrun/json.hpp"

namespace procrun {

// ---------------------------------------------------------------------------
// MemoryFiles

std::optional<std::string> MemoryFiles::read(const std::string& path) const {
    auto it = files_.find(path);
    if (it == files_.end())
        return std::nullopt;
    return it->second;
}

bool MemoryFiles::is_directory(const std::string& path) const {
    if (path.empty())
        return true;
    const std::string prefix = path + "/";
    auto it = files_.lower_bound(prefix);
    return it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

namespace {

// ---------------------------------------------------------------------------
// Small text helpers

bool is_ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool is_ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_identifier(std::string_view s) {
    if (s.empty() || !is_ident_start(s[0]))
        return false;
    return std::all_of(s.begin(), s.end(), is_ident_char);
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::string_view basename(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// True when `command` expands the variable PORT: $PORT or ${PORT...}.
bool mentions_port(std::string_view command) {
    for (std::size_t at = command.find('$'); at != std::string_view::npos;
         at = command.find('$', at + 1)) {
        std::string_view rest = command.substr(at + 1);
        if (starts_with(rest, "PORT") && (rest.size() == 4 || !is_ident_char(rest[4]))) {
            return true;
        }
        if (starts_with(rest, "{PORT") && rest.size() > 5 &&
            std::string_view("}:-=+?").find(rest[5]) != std::string_view::npos) {
            return true;
        }
    }
    return false;
}

// Joins `relative` onto the root-relative directory `base` and normalises it.
// Nullopt when the result is not under the root or cannot be known statically
// (absolute, `~`, a variable).
std::optional<std::string> join_under_root(std::string_view base, std::string_view relative) {
    if (relative.empty())
        return std::string(base);
    if (relative.front() == '/' || relative.front() == '~' ||
        relative.find('$') != std::string_view::npos ||
        relative.find('`') != std::string_view::npos) {
        return std::nullopt;
    }
    std::filesystem::path p = std::filesystem::path(std::string(base)) / std::string(relative);
    std::string normal = p.lexically_normal().generic_string();
    while (!normal.empty() && normal.back() == '/')
        normal.pop_back();
    if (normal == ".")
        normal.clear();
    if (normal == ".." || starts_with(normal, "../"))
        return std::nullopt;
    return normal;
}

std::string under(std::string_view dir, std::string_view file) {
    if (dir.empty())
        return std::string(file);
    return fmt::format("{}/{}", dir, file);
}

// ---------------------------------------------------------------------------
// Shell words

struct Word {
    std::string text;       // after quote removal
    std::size_t begin = 0;  // byte offset of the raw word in the command
    std::size_t end = 0;    // one past its last byte
    bool quoted = false;    // any part was quoted
    bool op = false;        // a control operator: && || ; | & ( )
    bool redirect = false;  // a redirection operator: > >> < >& ...
};

// Splits a command the way sh would into words and operators (no expansion).
std::vector<Word> split_words(std::string_view cmd) {
    std::vector<Word> words;
    std::size_t i = 0;
    const std::size_t n = cmd.size();
    while (i < n) {
        const char c = cmd[i];
        if (c == ' ' || c == '\t') {
            ++i;
            continue;
        }
        if (c == '#')
            break;  // a comment runs to the end of the line
        if (c == ';' || c == '&' || c == '|' || c == '(' || c == ')') {
            Word w;
            w.begin = i;
            if ((c == '&' || c == '|') && i + 1 < n && cmd[i + 1] == c) {
                i += 2;
            } else if (c == '&' && i + 1 < n && cmd[i + 1] == '>') {
                i += 2;
                w.redirect = true;
            } else {
                ++i;
            }
            w.end = i;
            w.text = std::string(cmd.substr(w.begin, w.end - w.begin));
            w.op = !w.redirect;
            words.push_back(std::move(w));
            continue;
        }
        if (c == '<' || c == '>') {
            // A word of digits right before it is a file descriptor number.
            if (!words.empty() && words.back().end == i && !words.back().quoted &&
                !words.back().op && !words.back().redirect && all_digits(words.back().text)) {
                words.pop_back();
            }
            Word w;
            w.begin = i;
            while (i < n && (cmd[i] == '<' || cmd[i] == '>'))
                ++i;
            if (i < n && cmd[i] == '&')
                ++i;
            w.end = i;
            w.text = std::string(cmd.substr(w.begin, w.end - w.begin));
            w.redirect = true;
            words.push_back(std::move(w));
            continue;
        }
        Word w;
        w.begin = i;
        while (i < n) {
            const char d = cmd[i];
            if (d == ' ' || d == '\t' || d == ';' || d == '&' || d == '|' || d == '(' || d == ')' ||
                d == '<' || d == '>') {
                break;
            }
            if (d == '\\') {
                if (i + 1 < n)
                    w.text += cmd[i + 1];
                i += 2;
                w.quoted = true;
            } else if (d == '\'') {
                w.quoted = true;
                const std::size_t close = cmd.find('\'', i + 1);
                const std::size_t stop = close == std::string_view::npos ? n : close;
                w.text += cmd.substr(i + 1, stop - i - 1);
                i = close == std::string_view::npos ? n : close + 1;
            } else if (d == '"') {
                w.quoted = true;
                ++i;
                while (i < n && cmd[i] != '"') {
                    if (cmd[i] == '\\' && i + 1 < n &&
                        std::string_view("\"\\$`").find(cmd[i + 1]) != std::string_view::npos) {
                        w.text += cmd[i + 1];
                        i += 2;
                    } else {
                        w.text += cmd[i++];
                    }
                }
                if (i < n)
                    ++i;
            } else {
                w.text += d;
                ++i;
            }
        }
        w.end = std::min(i, n);
        words.push_back(std::move(w));
    }
    return words;
}

// The column (1-based, in the Procfile line) of character `index` of a word's
// unquoted text; the word's start when quoting makes the mapping unclear.
int word_column(const ProcfileEntry& entry, std::string_view command, const Word& w,
                std::size_t index = 0) {
    const std::string_view raw = command.substr(w.begin, w.end - w.begin);
    std::size_t offset = 0;
    if (raw == w.text) {
        offset = index;
    } else if (raw.size() >= 2 && (raw.front() == '\'' || raw.front() == '"') &&
               raw.substr(1, w.text.size()) == w.text) {
        offset = index + 1;
    }
    return entry.command_column + static_cast<int>(w.begin + offset);
}

// ---------------------------------------------------------------------------
// What a command runs

// One simple command of a Procfile entry, after unwrapping `exec`, `bundle
// exec`, `python -m` and friends: the program (the "server") and its arguments.
struct Invocation {
    std::string server;          // "gunicorn", "rails server", "runserver", "app.py", ...
    const Word* word = nullptr;  // the word naming it
    std::vector<const Word*> args;
    std::vector<const Word*> assignments;  // NAME=value words before the program
    std::optional<std::string> dir;        // working directory relative to the root
};

bool is_assignment(const Word& w) {
    const auto eq = w.text.find('=');
    return eq != std::string::npos && eq > 0 &&
           is_identifier(std::string_view(w.text).substr(0, eq));
}

bool is_python(std::string_view program) {
    if (!starts_with(program, "python"))
        return false;
    std::string_view version = program.substr(6);
    return std::all_of(version.begin(), version.end(),
                       [](char c) { return is_digit(c) || c == '.'; });
}

Invocation analyse(const std::vector<const Word*>& words, std::optional<std::string> dir) {
    Invocation inv;
    inv.dir = std::move(dir);
    std::size_t i = 0;
    const std::size_t n = words.size();
    auto skip_options = [&] {
        while (i < n && !words[i]->text.empty() && words[i]->text[0] == '-')
            ++i;
    };
    while (i < n && is_assignment(*words[i]))
        inv.assignments.push_back(words[i++]);
    // Wrappers that run the rest of the line.
    for (bool unwrapped = true; unwrapped && i < n;) {
        unwrapped = false;
        const std::string program(basename(words[i]->text));
        const std::string next = i + 1 < n ? words[i + 1]->text : std::string();
        if (program == "exec" || program == "command" || program == "nohup" || program == "time" ||
            program == "setsid" || program == "ddtrace-run" ||
            program == "opentelemetry-instrument" || program == "npx" || program == "bunx" ||
            program == "pnpx" || program == "--") {
            ++i;
            skip_options();
            unwrapped = true;
        } else if (program == "env") {
            ++i;
            skip_options();
            while (i < n && is_assignment(*words[i]))
                inv.assignments.push_back(words[i++]);
            unwrapped = true;
        } else if (program == "nice") {
            ++i;
            if (i < n && words[i]->text == "-n")
                i += 2;
            skip_options();
            unwrapped = true;
        } else if ((program == "bundle" && next == "exec") ||
                   ((program == "poetry" || program == "pipenv" || program == "uv" ||
                     program == "pdm" || program == "hatch" || program == "rye") &&
                    next == "run") ||
                   (program == "newrelic-admin" && next == "run-program") ||
                   ((program == "pnpm" || program == "npm") && next == "exec")) {
            i += 2;
            skip_options();
            unwrapped = true;
        }
    }
    if (i >= n)
        return inv;
    const std::string program(basename(words[i]->text));
    auto take = [&](std::string server, std::size_t word_index, std::size_t args_from) {
        inv.server = std::move(server);
        inv.word = words[word_index];
        for (std::size_t k = args_from; k < n; ++k)
            inv.args.push_back(words[k]);
    };
    const std::string next = i + 1 < n ? words[i + 1]->text : std::string();
    if (is_python(program)) {
        std::size_t k = i + 1;
        while (k < n && !words[k]->text.empty() && words[k]->text[0] == '-') {
            const std::string& opt = words[k]->text;
            if (opt == "-m" && k + 1 < n) {
                take(words[k + 1]->text, k + 1, k + 2);
                return inv;
            }
            if (starts_with(opt, "-m") && opt.size() > 2) {
                take(opt.substr(2), k, k + 1);
                return inv;
            }
            k += (opt == "-X" || opt == "-W" || opt == "-c") ? 2 : 1;
        }
        if (k < n) {
            if (basename(words[k]->text) == "manage.py" && k + 1 < n &&
                words[k + 1]->text == "runserver") {
                take("runserver", k + 1, k + 2);
            } else {
                take(std::string(basename(words[k]->text)), k, k + 1);
            }
            return inv;
        }
        take(program, i, i + 1);
        return inv;
    }
    if (program == "manage.py" && next == "runserver") {
        take("runserver", i + 1, i + 2);
    } else if (program == "rails" && (next == "server" || next == "s")) {
        take("rails server", i, i + 2);
    } else if (program == "next" && (next == "start" || next == "dev")) {
        take("next", i, i + 2);
    } else if (program == "flask" && next == "run") {
        take("flask run", i, i + 2);
    } else if (program == "streamlit" && next == "run") {
        take("streamlit", i, i + 2);
    } else {
        take(program, i, i + 1);
    }
    return inv;
}

// Every simple command of `words`, with the directory a preceding `cd DIR &&`
// moved to.
bool is_shell(std::string_view program) {
    return program == "sh" || program == "bash" || program == "dash" || program == "zsh";
}

// Every simple command of `words`, with the directory a preceding `cd DIR &&`
// moved to. The script of `sh -c '...'` is split in turn when its quoting maps
// it character for character onto the Procfile line; its words are kept in
// `storage`.
void collect_invocations(std::string_view command, const std::vector<Word>& words,
                         std::optional<std::string> dir, std::deque<std::vector<Word>>& storage,
                         int depth, std::vector<Invocation>& out) {
    std::vector<const Word*> segment;
    bool skip_next = false;
    auto flush = [&] {
        if (segment.empty())
            return;
        if (basename(segment.front()->text) == "cd") {
            if (segment.size() == 2 && dir) {
                dir = join_under_root(*dir, segment[1]->text);
            } else {
                dir.reset();
            }
            segment.clear();
            return;
        }
        Invocation inv = analyse(segment, dir);
        segment.clear();
        if (is_shell(inv.server) && depth < 4 && inv.args.size() >= 2 &&
            inv.args[0]->text == "-c") {
            const Word& script = *inv.args[1];
            const std::string_view raw = command.substr(script.begin, script.end - script.begin);
            if (raw.size() == script.text.size() + 2 &&
                (raw.front() == '\'' || raw.front() == '"') && raw.back() == raw.front() &&
                raw.substr(1, script.text.size()) == script.text) {
                std::vector<Word> inner = split_words(script.text);
                for (Word& w : inner) {
                    w.begin += script.begin + 1;
                    w.end += script.begin + 1;
                }
                storage.push_back(std::move(inner));
                collect_invocations(command, storage.back(), dir, storage, depth + 1, out);
                return;
            }
        }
        out.push_back(std::move(inv));
    };
    for (const Word& w : words) {
        if (skip_next) {
            skip_next = false;
            continue;
        }
        if (w.redirect) {
            skip_next = true;
        } else if (w.op) {
            flush();
        } else {
            segment.push_back(&w);
        }
    }
    flush();
}

// A Procfile command split into what it runs.
struct Command {
    std::vector<Word> words;
    std::deque<std::vector<Word>> storage;  // words of nested `sh -c` scripts
    std::vector<Invocation> invocations;

    explicit Command(std::string_view text, std::string dir = {}) : words(split_words(text)) {
        collect_invocations(text, words, std::move(dir), storage, 0, invocations);
    }
    Command(const Command&) = delete;
    Command& operator=(const Command&) = delete;
};

// The value of option `names` in `args` (`--opt VALUE`, `--opt=VALUE`, `-oVALUE`
// for single-letter options), with the word it is in and where it starts.
struct OptionValue {
    std::string value;
    const Word* word = nullptr;
    std::size_t index = 0;  // of the value within word->text
};

std::vector<OptionValue> option_values(const std::vector<const Word*>& args,
                                       std::initializer_list<std::string_view> names) {
    std::vector<OptionValue> out;
    for (std::size_t k = 0; k < args.size(); ++k) {
        const std::string& t = args[k]->text;
        for (std::string_view name : names) {
            if (t == name) {
                if (k + 1 < args.size())
                    out.push_back({args[k + 1]->text, args[k + 1], 0});
            } else if (starts_with(t, name) && t.size() > name.size() && t[name.size()] == '=') {
                out.push_back({t.substr(name.size() + 1), args[k], name.size() + 1});
            }
        }
    }
    return out;
}

// ---------------------------------------------------------------------------
// Servers and PORT

// Whether the server reads PORT by itself, per its documentation or source:
//   gunicorn      binds 0.0.0.0:$PORT when no --bind is given (gunicorn/config.py)
//   rails server  port = --port || ENV["PORT"] || 3000 (railties server_command.rb)
//   next          `next start|dev`: --port, else PORT, else 3000 (Next.js CLI docs)
//   heroku-php-*  Heroku's PHP boot scripts listen on $PORT
//   puma          only through its config file (Rails generates
//                 `port ENV.fetch("PORT") { 3000 }` in config/puma.rb)
enum class PortUse { reads, ignores, unknown };

struct ServerInfo {
    std::string_view name;
    std::string_view hint;  // how to pass the port
};

constexpr std::array kServerHints = {
    ServerInfo{"uvicorn", "uvicorn does not read PORT: add `--host 0.0.0.0 --port $PORT`"},
    ServerInfo{"hypercorn", "hypercorn does not read PORT: add `--bind 0.0.0.0:$PORT`"},
    ServerInfo{"daphne", "daphne does not read PORT: add `-b 0.0.0.0 -p $PORT`"},
    ServerInfo{"waitress-serve", "waitress does not read PORT: add `--port=$PORT`"},
    ServerInfo{"waitress", "waitress does not read PORT: add `--port=$PORT`"},
    ServerInfo{"uwsgi", "uwsgi does not read PORT: add `--http :$PORT`"},
    ServerInfo{"granian", "granian does not read PORT: add `--host 0.0.0.0 --port $PORT`"},
    ServerInfo{"flask run", "flask run does not read PORT: add `--host 0.0.0.0 --port $PORT`"},
    ServerInfo{"runserver", "runserver does not read PORT: pass `0.0.0.0:$PORT` to it"},
    ServerInfo{"streamlit", "streamlit does not read PORT: add `--server.port $PORT`"},
    ServerInfo{"http.server", "http.server does not read PORT: pass `$PORT` as its argument"},
    ServerInfo{"puma",
               "puma reads PORT only through a config file: add `-p $PORT`, or "
               "`port ENV.fetch(\"PORT\") { 3000 }` to config/puma.rb"},
    ServerInfo{"thin", "thin does not read PORT: add `-p $PORT`"},
    ServerInfo{"unicorn", "unicorn does not read PORT: add `-p $PORT`"},
    ServerInfo{"rackup", "rackup does not read PORT: add `-p $PORT`"},
};

std::string_view server_hint(std::string_view server) {
    for (const auto& info : kServerHints) {
        if (info.name == server)
            return info.hint;
    }
    return {};
}

bool mentions_word(std::string_view text, std::string_view word) {
    for (std::size_t at = text.find(word); at != std::string_view::npos;
         at = text.find(word, at + 1)) {
        const bool left = at == 0 || !is_ident_char(text[at - 1]);
        const std::size_t after = at + word.size();
        const bool right = after >= text.size() || !is_ident_char(text[after]);
        if (left && right)
            return true;
    }
    return false;
}

// The command of script `name` in package.json's "scripts", if it has one.
std::optional<std::string> package_script(std::string_view json, std::string_view name) {
    const auto scripts = json.find("\"scripts\"");
    if (scripts == std::string_view::npos)
        return std::nullopt;
    const auto open = json.find('{', scripts);
    if (open == std::string_view::npos)
        return std::nullopt;
    const auto close = json.find('}', open);
    std::string_view body =
        json.substr(open, close == std::string_view::npos ? close : close - open);
    const std::string key = fmt::format("\"{}\"", name);
    auto skip_space = [](std::string_view v) {
        while (!v.empty() &&
               (v.front() == ' ' || v.front() == '\t' || v.front() == '\n' || v.front() == '\r')) {
            v.remove_prefix(1);
        }
        return v;
    };
    for (auto at = body.find(key); at != std::string_view::npos; at = body.find(key, at + 1)) {
        std::string_view rest = skip_space(body.substr(at + key.size()));
        if (rest.empty() || rest.front() != ':')
            continue;
        rest = skip_space(rest.substr(1));
        if (rest.empty() || rest.front() != '"')
            continue;
        std::string value;
        for (std::size_t k = 1; k < rest.size(); ++k) {
            if (rest[k] == '"')
                return value;
            if (rest[k] == '\\' && k + 1 < rest.size())
                ++k;
            value += rest[k];
        }
        return std::nullopt;
    }
    return std::nullopt;
}

// The package.json script `npm start`, `npm run NAME`, `yarn NAME`, `pnpm
// NAME` or `bun run NAME` runs, or nullopt when the command is not one.
std::optional<std::string> package_script_name(const Invocation& inv) {
    const std::string& s = inv.server;
    if (s != "npm" && s != "yarn" && s != "pnpm" && s != "bun")
        return std::nullopt;
    std::vector<std::string_view> words;
    for (const Word* a : inv.args) {
        if (!a->text.empty() && a->text[0] != '-')
            words.push_back(a->text);
    }
    if (words.empty())
        return std::nullopt;
    if (words[0] == "run" || words[0] == "run-script") {
        if (words.size() < 2)
            return std::nullopt;
        return std::string(words[1]);
    }
    if (words[0] == "start" || s == "yarn" || s == "pnpm")
        return std::string(words[0]);
    return std::nullopt;
}

PortUse port_use(const Invocation& inv, const RootFiles& files, int depth = 0) {
    auto given = [&](std::initializer_list<std::string_view> names) {
        return !option_values(inv.args, names).empty();
    };
    const std::string& s = inv.server;
    if (s == "gunicorn")
        return given({"-b", "--bind"}) ? PortUse::ignores : PortUse::reads;
    if (s == "rails server" || s == "next") {
        return given({"-p", "--port"}) ? PortUse::ignores : PortUse::reads;
    }
    if (s == "heroku-php-apache2" || s == "heroku-php-nginx")
        return PortUse::reads;
    if (s == "puma") {
        if (given({"-p", "--port", "-b", "--bind"}))
            return PortUse::ignores;
        if (!inv.dir)
            return PortUse::unknown;
        std::vector<std::string> configs;
        for (const auto& v : option_values(inv.args, {"-C", "--config"})) {
            auto path = join_under_root(*inv.dir, v.value);
            if (!path)
                return PortUse::unknown;
            configs.push_back(*path);
        }
        if (configs.empty())
            configs.push_back(under(*inv.dir, "config/puma.rb"));
        for (const auto& path : configs) {
            auto text = files.read(path);
            if (text && mentions_word(*text, "PORT"))
                return PortUse::reads;
        }
        return PortUse::ignores;
    }
    if (!inv.dir)
        return PortUse::unknown;
    // A package.json script: what it runs (npm's default start is
    // `node server.js`).
    if (auto name = package_script_name(inv); name && depth < 4) {
        const auto json = files.read(under(*inv.dir, "package.json"));
        std::optional<std::string> script;
        if (json)
            script = package_script(*json, *name);
        if (!script && *name == "start")
            script = "node server.js";
        if (!script)
            return PortUse::unknown;
        if (mentions_port(*script))
            return PortUse::reads;
        const Command command(*script, *inv.dir);
        for (const auto& nested : command.invocations) {
            if (port_use(nested, files, depth + 1) == PortUse::reads)
                return PortUse::reads;
        }
        return PortUse::unknown;
    }
    // A script of the app's own (bin/web, server.js, app.py) that mentions
    // PORT is taken to read it.
    std::vector<const Word*> candidates;
    if (inv.word != nullptr)
        candidates.push_back(inv.word);
    for (const Word* a : inv.args) {
        if (!a->text.empty() && a->text[0] == '-')
            continue;
        candidates.push_back(a);
        break;
    }
    for (const Word* w : candidates) {
        const std::string_view t = w->text;
        const auto dot = t.rfind('.');
        const std::string_view ext = dot == std::string_view::npos ? "" : t.substr(dot);
        const bool script = t.find('/') != std::string_view::npos || ext == ".js" ||
                            ext == ".mjs" || ext == ".cjs" || ext == ".ts" || ext == ".py" ||
                            ext == ".rb" || ext == ".sh" || ext == ".php" || ext == ".pl";
        if (!script)
            continue;
        auto path = join_under_root(*inv.dir, t);
        if (!path)
            continue;
        auto text = files.read(*path);
        if (text && mentions_word(*text, "PORT"))
            return PortUse::reads;
    }
    return PortUse::unknown;
}

// A port number written into a web command.
struct HardCodedPort {
    const Word* word = nullptr;
    std::size_t index = 0;  // where the digits start in word->text
    std::string port;
    std::string replacement;  // the word's text with $PORT instead of the number
    bool loopback = false;    // it listened on 127.0.0.1 / localhost
};

// The port at the end of a listen address: "8000", ":8000", "0.0.0.0:8000",
// "[::]:8000", "tcp://host:8000". Returns its offset in `value`.
std::optional<std::size_t> port_in_address(std::string_view value) {
    if (value.find('$') != std::string_view::npos)
        return std::nullopt;
    if (all_digits(value))
        return 0;
    const auto colon = value.rfind(':');
    if (colon == std::string_view::npos)
        return std::nullopt;
    std::string_view digits = value.substr(colon + 1);
    if (!all_digits(digits) || digits.size() > 5)
        return std::nullopt;
    if (starts_with(value, "unix:"))
        return std::nullopt;
    return colon + 1;
}

void find_hard_coded(const Invocation& inv, std::vector<HardCodedPort>& out) {
    auto record = [&](const Word* w, std::size_t index, std::size_t length) {
        HardCodedPort h;
        h.word = w;
        h.index = index;
        h.port = w->text.substr(index, length);
        std::string host = w->text.substr(0, index);
        // A loopback address is unreachable from the platform's router.
        for (std::string_view loopback : {"127.0.0.1:", "localhost:", "[::1]:"}) {
            if (host.size() >= loopback.size() &&
                host.compare(host.size() - loopback.size(), loopback.size(), loopback) == 0) {
                host = host.substr(0, host.size() - loopback.size()) + "0.0.0.0:";
                h.loopback = true;
            }
        }
        h.replacement = host + "$PORT" + w->text.substr(index + length);
        out.push_back(std::move(h));
    };
    auto digits_at = [](const std::string& text, std::size_t from) {
        std::size_t end = from;
        while (end < text.size() && is_digit(text[end]))
            ++end;
        return end - from;
    };
    for (const Word* a : inv.assignments) {
        if (starts_with(a->text, "PORT=") && all_digits(std::string_view(a->text).substr(5))) {
            record(a, 5, a->text.size() - 5);
        }
    }
    for (const auto& v : option_values(
             inv.args, {"-p", "--port", "-b", "--bind", "--listen", "-l", "--http", "--http-socket",
                        "--server.port", "--server-port", "--server_port"})) {
        if (auto at = port_in_address(v.value)) {
            record(v.word, v.index + *at, digits_at(v.word->text, v.index + *at));
        }
    }
    for (const Word* a : inv.args) {
        for (std::string_view prefix : {"-Dserver.port=", "-Dport="}) {
            if (starts_with(a->text, prefix) &&
                all_digits(std::string_view(a->text).substr(prefix.size()))) {
                record(a, prefix.size(), a->text.size() - prefix.size());
            }
        }
    }
    // Positional addresses: `manage.py runserver 0.0.0.0:8000`, `-m http.server 8000`.
    if (inv.server == "runserver" || inv.server == "http.server") {
        for (const Word* a : inv.args) {
            if (!a->text.empty() && a->text[0] == '-')
                continue;
            if (auto at = port_in_address(a->text))
                record(a, *at, digits_at(a->text, *at));
            break;
        }
    }
}

// ---------------------------------------------------------------------------
// gunicorn

// gunicorn's command-line flags that take no value (gunicorn/config.py); every
// other option is assumed to take one.
constexpr std::array<std::string_view, 24> kGunicornFlags = {
    "-v",
    "--version",
    "-h",
    "--help",
    "--reload",
    "--spew",
    "--check-config",
    "--print-config",
    "--preload",
    "--no-sendfile",
    "--reuse-port",
    "-D",
    "--daemon",
    "--initgroups",
    "--disable-redirect-access-to-syslog",
    "--capture-output",
    "--log-syslog",
    "-R",
    "--enable-stdio-inheritance",
    "--proxy-protocol",
    "--suppress-ragged-eofs",
    "--do-handshake-on-connect",
    "--strip-header-spaces",
    "--casefold-http-method",
};

bool gunicorn_flag(std::string_view opt) {
    if (starts_with(opt, "--permit-"))
        return true;
    return std::find(kGunicornFlags.begin(), kGunicornFlags.end(), opt) != kGunicornFlags.end();
}

struct GunicornArgs {
    const Word* app = nullptr;  // the MODULE:APP word
    std::vector<std::string> chdir;
    std::vector<std::string> pythonpath;
    bool paste = false;
};

GunicornArgs parse_gunicorn(const std::vector<const Word*>& args) {
    GunicornArgs g;
    for (std::size_t k = 0; k < args.size(); ++k) {
        const std::string& t = args[k]->text;
        if (t == "--") {
            if (k + 1 < args.size() && g.app == nullptr)
                g.app = args[k + 1];
            break;
        }
        if (t.size() > 1 && t[0] == '-') {
            std::string name = t;
            std::optional<std::string> value;
            const auto eq = t.find('=');
            if (starts_with(t, "--") && eq != std::string::npos) {
                name = t.substr(0, eq);
                value = t.substr(eq + 1);
            } else if (!starts_with(t, "--") && t.size() > 2) {
                name = t.substr(0, 2);
                value = t.substr(2);
            } else if (!gunicorn_flag(t) && k + 1 < args.size()) {
                value = args[++k]->text;
            }
            if (!value)
                continue;
            if (name == "--chdir")
                g.chdir.push_back(*value);
            if (name == "--pythonpath")
                g.pythonpath.push_back(*value);
            if (name == "--paste" || name == "--paster")
                g.paste = true;
            continue;
        }
        if (g.app == nullptr)
            g.app = args[k];
    }
    return g;
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

enum class Defined { yes, no, unknown };

// A simple scan of Python source for a module-level name: assignments
// (including annotated and tuple targets, `:=`), def/async def/class,
// imports (`import x as NAME`, `from m import NAME`, parenthesised lists),
// `as NAME` and `for NAME`. `from m import *`, a module `__getattr__`,
// `globals()` or `setattr` make the answer unknown.
Defined python_defines(std::string_view source, std::string_view name) {
    bool in_import_list = false;
    Defined result = Defined::no;
    auto name_in_list = [&](std::string_view list) {
        // "a, b as c, (d)" -> names bound: a, c, d
        std::size_t start = 0;
        while (start <= list.size()) {
            auto comma = list.find(',', start);
            std::string_view item = list.substr(
                start, comma == std::string_view::npos ? list.size() - start : comma - start);
            item = trim(item);
            while (!item.empty() && (item.front() == '(' || item.front() == ' ')) {
                item.remove_prefix(1);
            }
            while (!item.empty() &&
                   (item.back() == ')' || item.back() == '\\' || item.back() == ' ')) {
                item.remove_suffix(1);
            }
            item = trim(item);
            const auto as = item.find(" as ");
            std::string_view bound =
                as == std::string_view::npos ? item : trim(item.substr(as + 4));
            if (as == std::string_view::npos) {
                // `import a.b` binds `a`
                bound = bound.substr(0, bound.find('.'));
            }
            if (bound == "*")
                result = Defined::unknown;
            if (bound == name)
                return true;
            if (comma == std::string_view::npos)
                break;
            start = comma + 1;
        }
        return false;
    };
    std::size_t pos = 0;
    while (pos <= source.size()) {
        auto nl = source.find('\n', pos);
        std::string_view line =
            source.substr(pos, nl == std::string_view::npos ? source.size() - pos : nl - pos);
        pos = nl == std::string_view::npos ? source.size() + 1 : nl + 1;
        const auto hash = line.find('#');
        if (hash != std::string_view::npos)
            line = line.substr(0, hash);
        line = trim(line);
        if (line.empty())
            continue;
        if (in_import_list) {
            if (name_in_list(line))
                return Defined::yes;
            if (line.find(')') != std::string_view::npos)
                in_import_list = false;
            continue;
        }
        if (mentions_word(line, "__getattr__") ||
            line.find("globals()") != std::string_view::npos || mentions_word(line, "setattr")) {
            result = Defined::unknown;
        }
        std::string_view l = line;
        if (starts_with(l, "async "))
            l = trim(l.substr(6));
        for (std::string_view kw : {"def ", "class "}) {
            if (starts_with(l, kw)) {
                std::string_view rest = trim(l.substr(kw.size()));
                std::size_t k = 0;
                while (k < rest.size() && is_ident_char(rest[k]))
                    ++k;
                if (rest.substr(0, k) == name)
                    return Defined::yes;
            }
        }
        if (starts_with(l, "import ")) {
            if (name_in_list(l.substr(7)))
                return Defined::yes;
            continue;
        }
        if (starts_with(l, "from ")) {
            const auto imp = l.find(" import ");
            if (imp != std::string_view::npos) {
                std::string_view list = trim(l.substr(imp + 8));
                if (name_in_list(list))
                    return Defined::yes;
                if (!list.empty() && list.front() == '(' &&
                    list.find(')') == std::string_view::npos) {
                    in_import_list = true;
                }
                continue;
            }
        }
        // `for NAME in`, `... as NAME`, `NAME :=`
        for (std::size_t at = l.find(name); at != std::string_view::npos;
             at = l.find(name, at + 1)) {
            if (at > 0 && is_ident_char(l[at - 1]))
                continue;
            const std::size_t after = at + name.size();
            if (after < l.size() && is_ident_char(l[after]))
                continue;
            std::string_view before = trim(l.substr(0, at));
            std::string_view rest = trim(l.substr(after));
            if (before.size() >= 3 && before.substr(before.size() - 3) == " as")
                return Defined::yes;
            if (before == "for" || before == "as")
                return Defined::yes;
            if (starts_with(rest, ":="))
                return Defined::yes;
        }
        // Assignment targets: everything before the first `=` that is not part
        // of a comparison, outside brackets.
        int depth = 0;
        for (std::size_t k = 0; k < l.size(); ++k) {
            const char c = l[k];
            if (c == '(' || c == '[' || c == '{')
                ++depth;
            if (c == ')' || c == ']' || c == '}')
                --depth;
            if (c == '\'' || c == '"')
                break;
            if (c != '=' || depth != 0)
                continue;
            const char prev = k > 0 ? l[k - 1] : ' ';
            const char nextc = k + 1 < l.size() ? l[k + 1] : ' ';
            if (nextc == '=' || std::string_view("=!<>:").find(prev) != std::string_view::npos) {
                break;
            }
            std::string targets(l.substr(0, k));
            for (char& t : targets) {
                if (t == '(' || t == ')' || t == '[' || t == ']' || t == '*')
                    t = ' ';
            }
            std::string_view tv = targets;
            std::size_t start = 0;
            while (start <= tv.size()) {
                auto comma = tv.find(',', start);
                std::string_view item = trim(tv.substr(
                    start, comma == std::string_view::npos ? tv.size() - start : comma - start));
                item = trim(item.substr(0, item.find(':')));  // annotated: `app: Flask`
                while (!item.empty() &&
                       std::string_view("+-*/%&|^@").find(item.back()) != std::string_view::npos) {
                    item.remove_suffix(1);
                }
                if (trim(item) == name)
                    return Defined::yes;
                if (comma == std::string_view::npos)
                    break;
                start = comma + 1;
            }
            break;
        }
    }
    return result;
}

// Names a WSGI/ASGI module commonly defines, to suggest when APP is wrong.
constexpr std::array<std::string_view, 7> kCommonAppNames = {
    "application", "app", "create_app", "make_app", "api", "server", "main",
};

// ---------------------------------------------------------------------------
// requirements.txt

struct Requirement {
    std::string file;
    std::string name;  // as written
    std::string spec;  // the version specifier, "" when none
    bool pinned = false;
    int line = 0;
    int column = 0;
    std::string source_line;
};

std::string normalize_dist(std::string_view name) {
    std::string out;
    bool sep = false;
    for (char c : name) {
        if (c == '-' || c == '_' || c == '.') {
            sep = true;
            continue;
        }
        if (sep && !out.empty())
            out += '-';
        sep = false;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

struct RequirementsFile {
    std::vector<Requirement> requirements;
    std::vector<std::string> includes;     // -r FILE
    std::vector<std::string> constraints;  // -c FILE
};

// Length of the distribution name at the start of a requirement line.
std::size_t name_length(std::string_view t) {
    std::size_t k = 0;
    while (k < t.size() && (std::isalnum(static_cast<unsigned char>(t[k])) != 0 || t[k] == '-' ||
                            t[k] == '_' || t[k] == '.')) {
        ++k;
    }
    return k;
}

RequirementsFile parse_requirements(std::string_view text, const std::string& file) {
    RequirementsFile out;
    int number = 0;
    std::size_t pos = 0;
    std::string joined;
    int joined_start = 0;
    std::string first_line;
    while (pos <= text.size()) {
        auto nl = text.find('\n', pos);
        std::string_view raw =
            text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++number;
        if (!raw.empty() && raw.back() == '\r')
            raw.remove_suffix(1);
        if (joined.empty()) {
            joined_start = number;
            first_line = std::string(raw);
        }
        if (!raw.empty() && raw.back() == '\\') {
            joined += raw.substr(0, raw.size() - 1);
            continue;
        }
        joined += raw;
        std::string_view l = joined;
        // Comments: a '#' at the start or after whitespace.
        for (std::size_t k = 0; k < l.size(); ++k) {
            if (l[k] == '#' && (k == 0 || l[k - 1] == ' ' || l[k - 1] == '\t')) {
                l = l.substr(0, k);
                break;
            }
        }
        std::string_view t = trim(l);
        const int column = static_cast<int>(t.data() - joined.data()) + 1;
        if (!t.empty()) {
            auto option_arg = [&](std::string_view short_opt,
                                  std::string_view long_opt) -> std::optional<std::string> {
                for (std::string_view opt : {long_opt, short_opt}) {
                    if (!starts_with(t, opt))
                        continue;
                    std::string_view rest = t.substr(opt.size());
                    if (!rest.empty() && rest.front() == '=')
                        rest.remove_prefix(1);
                    if (opt == long_opt && !rest.empty() && rest.front() != ' ' &&
                        rest.front() != '\t' && t[opt.size()] != '=') {
                        continue;
                    }
                    return std::string(trim(rest));
                }
                return std::nullopt;
            };
            if (auto inc = option_arg("-r", "--requirement")) {
                out.includes.push_back(*inc);
            } else if (auto con = option_arg("-c", "--constraint")) {
                out.constraints.push_back(*con);
            } else if (t.front() == '-' || t.front() == '.' || t.front() == '/' ||
                       starts_with(t.substr(name_length(t)), "://") ||
                       starts_with(t.substr(name_length(t)), "+")) {
                // Other options, URLs and paths: the name is in `#egg=` if anywhere.
                const auto egg = joined.find("#egg=");
                if (egg != std::string::npos) {
                    std::size_t k = egg + 5;
                    std::size_t e = k;
                    while (e < joined.size() &&
                           (is_ident_char(joined[e]) || joined[e] == '-' || joined[e] == '.')) {
                        ++e;
                    }
                    Requirement r{file,         joined.substr(k, e - k), "",        true,
                                  joined_start, static_cast<int>(k) + 1, first_line};
                    if (!r.name.empty())
                        out.requirements.push_back(std::move(r));
                }
            } else {
                const std::size_t k = name_length(t);
                Requirement r;
                r.file = file;
                r.name = std::string(t.substr(0, k));
                std::string_view rest = trim(t.substr(k));
                if (!rest.empty() && rest.front() == '[') {
                    const auto close = rest.find(']');
                    rest = close == std::string_view::npos ? std::string_view()
                                                           : trim(rest.substr(close + 1));
                }
                rest = rest.substr(0, rest.find(';'));
                const auto opts = rest.find(" --");
                if (opts != std::string_view::npos)
                    rest = rest.substr(0, opts);
                r.spec = std::string(trim(rest));
                r.pinned = starts_with(r.spec, "@") || r.spec.find("==") != std::string::npos ||
                           r.spec.find("~=") != std::string::npos ||
                           r.spec.find('<') != std::string::npos;
                r.line = joined_start;
                r.column = column;
                r.source_line = first_line;
                if (!r.name.empty())
                    out.requirements.push_back(std::move(r));
            }
        }
        joined.clear();
    }
    return out;
}

// Reads requirements.txt and the files it includes (-r) or constrains with (-c).
struct RequirementsSet {
    std::vector<Requirement> requirements;
    std::vector<Requirement> constraints;
};

void read_requirements(const RootFiles& files, const std::string& path, bool constraint, int depth,
                       std::set<std::string>& seen, RequirementsSet& out) {
    if (depth > 8 || !seen.insert(path).second)
        return;
    auto text = files.read(path);
    if (!text)
        return;
    RequirementsFile parsed = parse_requirements(*text, path);
    auto& dest = constraint ? out.constraints : out.requirements;
    dest.insert(dest.end(), parsed.requirements.begin(), parsed.requirements.end());
    const std::string dir = std::filesystem::path(path).parent_path().generic_string();
    for (const auto& inc : parsed.includes) {
        if (auto p = join_under_root(dir, inc)) {
            read_requirements(files, *p, constraint, depth + 1, seen, out);
        }
    }
    for (const auto& con : parsed.constraints) {
        if (auto p = join_under_root(dir, con)) {
            read_requirements(files, *p, true, depth + 1, seen, out);
        }
    }
}

// The PyPI distribution that provides a Python server.
std::optional<std::string_view> python_distribution(std::string_view server) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kDists = {{
        {"gunicorn", "gunicorn"},
        {"uvicorn", "uvicorn"},
        {"hypercorn", "hypercorn"},
        {"daphne", "daphne"},
        {"waitress-serve", "waitress"},
        {"waitress", "waitress"},
        {"uwsgi", "uwsgi"},
        {"granian", "granian"},
        {"streamlit", "streamlit"},
    }};
    for (const auto& [cmd, dist] : kDists) {
        if (cmd == server)
            return dist;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------
// The lints

struct Linter {
    const Procfile& procfile;
    std::string_view text;
    const RootFiles& files;
    const LintOptions& options;
    std::vector<Diagnostic> out;

    Location at(const ProcfileEntry& e, int column) const {
        return Location{procfile.file, e.line, column};
    }
    std::string source(const ProcfileEntry& e) const { return std::string(line_at(text, e.line)); }

    void warn(Location where, std::string_view code, std::string message, std::string src,
              std::string hint) {
        out.push_back(make_warning(std::move(where), std::string(code), std::move(message),
                                   std::move(src), std::move(hint)));
    }

    void strict_name(const ProcfileEntry& e) {
        std::string why;
        if (options.strict || is_strict_process_name(e.name, &why))
            return;
        const std::string src = source(e);
        const auto name_at = src.find(e.name);
        const int column = name_at == std::string::npos ? 1 : static_cast<int>(name_at) + 1;
        std::string suggestion;
        for (char c : e.name) {
            const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if ((l >= 'a' && l <= 'z') || is_digit(l)) {
                suggestion += l;
            } else if (!suggestion.empty() && suggestion.back() != '-') {
                suggestion += '-';
            }
        }
        if (suggestion.size() > 63)
            suggestion.resize(63);
        while (!suggestion.empty() && suggestion.back() == '-')
            suggestion.pop_back();
        std::string hint =
            "Cloud Native Buildpacks (Heroku's current stack) and Kubernetes accept lowercase "
            "a-z, 0-9 and '-', starting and ending with a letter or digit, at most 63 "
            "characters";
        if (!suggestion.empty() && suggestion != e.name) {
            hint += fmt::format("; rename it, e.g. '{}'", suggestion);
        }
        if (!why.empty())
            why = ": " + why;
        warn(at(e, column), lint::kStrictName,
             fmt::format("process name '{}' would be rejected by --strict{}", e.name, why), src,
             std::move(hint));
    }

    void web(const ProcfileEntry& e, const std::vector<Invocation>& invs) {
        std::vector<HardCodedPort> hard;
        for (const auto& inv : invs)
            find_hard_coded(inv, hard);
        for (const auto& h : hard) {
            std::string hint;
            if (h.word->text == "PORT=" + h.port) {
                hint =
                    "remove it: the platform sets PORT for the web process and routes "
                    "traffic only to that port";
            } else {
                hint = fmt::format(
                    "the platform sets PORT for the web process and routes traffic only to that "
                    "port: use `{}`{}",
                    h.replacement,
                    h.loopback ? " (on 0.0.0.0: the router cannot reach a loopback address)" : "");
            }
            warn(at(e, word_column(e, e.command, *h.word, h.index)), lint::kHardCodedPort,
                 fmt::format("web command hard-codes port {}", h.port), source(e), std::move(hint));
        }
        if (hard.empty() && !mentions_port(e.command)) {
            const Invocation* known = nullptr;
            bool reads = false;
            bool unknown_config = false;
            for (const auto& inv : invs) {
                const PortUse use = port_use(inv, files);
                if (use == PortUse::reads)
                    reads = true;
                if (inv.server == "puma" && use == PortUse::unknown)
                    unknown_config = true;
                if (known == nullptr && inv.word != nullptr &&
                    (!server_hint(inv.server).empty() || use == PortUse::ignores)) {
                    known = &inv;
                }
            }
            if (!reads && !unknown_config) {
                int column = e.command_column;
                std::string message = "web process does not use $PORT";
                std::string hint;
                if (known != nullptr) {
                    column = word_column(e, e.command, *known->word);
                    hint = std::string(server_hint(known->server));
                    if (known->server == "gunicorn") {
                        hint =
                            "gunicorn reads PORT only when no --bind is given: use "
                            "`--bind 0.0.0.0:$PORT` or drop --bind";
                    } else if (known->server == "rails server" || known->server == "next") {
                        hint = fmt::format(
                            "{} reads PORT only when no --port is given: use "
                            "`--port $PORT` or drop --port",
                            known->server);
                    }
                    message = fmt::format("web process runs {} without $PORT", known->server);
                }
                if (hint.empty()) {
                    hint =
                        "the platform routes HTTP traffic to the port in $PORT: pass it to the "
                        "server (e.g. `--port $PORT`), unless the program reads PORT itself";
                }
                warn(at(e, column), lint::kWebPort, std::move(message), source(e), std::move(hint));
            }
        }
        requirements(e, invs);
    }

    void requirements(const ProcfileEntry& e, const std::vector<Invocation>& invs) {
        const Invocation* server = nullptr;
        std::string_view dist;
        for (const auto& inv : invs) {
            if (auto d = python_distribution(inv.server)) {
                server = &inv;
                dist = *d;
                break;
            }
        }
        if (server == nullptr || !files.read("requirements.txt"))
            return;
        RequirementsSet reqs;
        std::set<std::string> seen;
        read_requirements(files, "requirements.txt", false, 0, seen, reqs);
        const std::string want = normalize_dist(dist);
        const Requirement* listed = nullptr;
        bool pinned = false;
        for (const auto& r : reqs.requirements) {
            if (normalize_dist(r.name) != want)
                continue;
            if (listed == nullptr)
                listed = &r;
            pinned = pinned || r.pinned;
        }
        for (const auto& r : reqs.constraints) {
            if (normalize_dist(r.name) == want && r.pinned)
                pinned = true;
        }
        if (listed == nullptr) {
            warn(at(e, word_column(e, e.command, *server->word)), lint::kRequirementsMissing,
                 fmt::format("web runs {}, but requirements.txt does not list it", dist), source(e),
                 fmt::format("the platform installs only what requirements.txt lists: add a "
                             "pinned `{}==VERSION` line",
                             dist));
        } else if (!pinned) {
            const std::string what = listed->spec.empty()
                                         ? listed->name
                                         : fmt::format("{}{}", listed->name, listed->spec);
            warn(Location{under(options.display_root, listed->file), listed->line, listed->column},
                 lint::kRequirementsUnpinned,
                 listed->spec.empty()
                     ? fmt::format("{} is not pinned to a version", listed->name)
                     : fmt::format("{} is not pinned: '{}' has no upper bound", listed->name, what),
                 listed->source_line,
                 fmt::format("pin the version you tested (e.g. `{}==X.Y.Z`), so a new release "
                             "cannot change the web server under a deploy",
                             listed->name));
        }
    }

    void gunicorn(const ProcfileEntry& e, const Invocation& inv) {
        const GunicornArgs g = parse_gunicorn(inv.args);
        if (g.app == nullptr || g.paste || !inv.dir)
            return;
        const std::string& spec = g.app->text;
        if (spec.find('$') != std::string::npos)
            return;
        const auto colon = spec.find(':');
        const std::string module = spec.substr(0, colon);
        const std::string app = colon == std::string::npos ? "application" : spec.substr(colon + 1);
        const int module_column = word_column(e, e.command, *g.app);
        const int app_column = colon == std::string::npos
                                   ? module_column
                                   : word_column(e, e.command, *g.app, colon + 1);

        const bool file_name = module.size() > 3 && module.substr(module.size() - 3) == ".py";
        if (file_name || !is_dotted_module(module)) {
            std::string hint =
                "gunicorn takes MODULE:APP, where MODULE is a dotted Python module "
                "name (e.g. myproject.wsgi:application)";
            if (file_name) {
                std::string stem = module.substr(0, module.size() - 3);
                std::replace(stem.begin(), stem.end(), '/', '.');
                hint = fmt::format("name the module, not the file: `{}:{}`", stem,
                                   colon == std::string::npos ? "app" : app);
            } else if (module.find('/') != std::string::npos) {
                const auto slash = module.rfind('/');
                hint = fmt::format("use `--chdir {} {}:{}`", module.substr(0, slash),
                                   module.substr(slash + 1), app);
            }
            warn(at(e, module_column), lint::kGunicornModule,
                 fmt::format("'{}' is not a Python module name", module), source(e),
                 std::move(hint));
            return;
        }

        // Where gunicorn imports from: --chdir (default: the working
        // directory), then each --pythonpath entry (relative to --chdir).
        std::string base = *inv.dir;
        for (const auto& c : g.chdir) {
            auto p = join_under_root(base, c);
            if (!p)
                return;
            base = *p;
        }
        std::vector<std::string> search{base};
        for (const auto& pp : g.pythonpath) {
            std::size_t start = 0;
            while (start <= pp.size()) {
                const auto comma = pp.find(',', start);
                const std::string entry = std::string(trim(std::string_view(pp).substr(
                    start, comma == std::string::npos ? pp.size() - start : comma - start)));
                if (!entry.empty()) {
                    auto p = join_under_root(base, entry);
                    if (!p)
                        return;
                    search.push_back(*p);
                }
                if (comma == std::string::npos)
                    break;
                start = comma + 1;
            }
        }
        std::string rel = module;
        std::replace(rel.begin(), rel.end(), '.', '/');
        std::optional<std::string> found_file;
        bool found_namespace = false;
        for (const auto& dir : search) {
            const std::string path = under(dir, rel);
            if (files.read(path + ".py")) {
                found_file = path + ".py";
                break;
            }
            if (files.is_directory(path)) {
                if (files.read(path + "/__init__.py")) {
                    found_file = path + "/__init__.py";
                    break;
                }
                found_namespace = true;
            }
        }
        if (!found_file && !found_namespace) {
            const std::string where = base.empty() ? "the root" : base + "/";
            std::string dirs;
            for (const auto& d : search) {
                dirs += (dirs.empty() ? "" : ", ") + (d.empty() ? std::string(".") : d + "/");
            }
            warn(at(e, module_column), lint::kGunicornModule,
                 fmt::format("gunicorn module '{}' not found: no {}.py or {}/__init__.py under {}",
                             module, rel, rel, where),
                 source(e),
                 fmt::format("gunicorn imports MODULE:APP from its working directory and "
                             "--pythonpath (searched: {}); check the spelling, or add "
                             "`--chdir DIR` where the module lives",
                             dirs));
            return;
        }
        const auto name = app_lookup_name(app);
        if (!name) {
            std::string hint =
                "gunicorn 20.1 and later accept a variable name or a call of one "
                "(e.g. `create_app()`); for an attribute, assign it to a "
                "module-level name first (e.g. `server = app.server`)";
            warn(at(e, app_column), lint::kGunicornApp,
                 fmt::format("gunicorn cannot load '{}' from '{}': not a name or a call", app,
                             module),
                 source(e), std::move(hint));
            return;
        }
        if (!found_file) {
            warn(at(e, app_column), lint::kGunicornApp,
                 fmt::format("'{}' is a directory without __init__.py, so it defines no '{}'", rel,
                             *name),
                 source(e),
                 fmt::format("add {}/__init__.py defining {}, or point gunicorn at the module "
                             "that does",
                             rel, *name));
            return;
        }
        const auto text_of = files.read(*found_file);
        if (!text_of || python_defines(*text_of, *name) != Defined::no)
            return;
        std::string hint;
        for (std::string_view candidate : kCommonAppNames) {
            if (candidate != *name && python_defines(*text_of, candidate) == Defined::yes) {
                const bool call = candidate == "create_app" || candidate == "make_app";
                hint = fmt::format("{} defines '{}': use `{}:{}{}`", *found_file, candidate, module,
                                   candidate, call ? "()" : "");
                break;
            }
        }
        if (hint.empty()) {
            hint = fmt::format(
                "gunicorn looks up '{}' in the module: define it at module level, "
                "or name the variable the module does define",
                *name);
        }
        warn(at(e, app_column), lint::kGunicornApp,
             fmt::format("'{}' is not defined in {}", *name, *found_file), source(e),
             std::move(hint));
    }

    void run() {
        for (const auto& e : procfile.entries) {
            strict_name(e);
            const Command command(e.command);
            const std::vector<Invocation>& invs = command.invocations;
            if (e.name == "web")
                web(e, invs);
            for (const auto& inv : invs) {
                if (inv.server == "gunicorn")
                    gunicorn(e, inv);
            }
        }
    }
};

}  // namespace

std::vector<Diagnostic> lint_procfile(const Procfile& procfile, std::string_view procfile_text,
                                      const RootFiles& files, const LintOptions& options) {
    Linter linter{procfile, procfile_text, files, options, {}};
    linter.run();
    // Procfile findings in line and column order, then the other files'.
    std::stable_sort(linter.out.begin(), linter.out.end(),
                     [&](const Diagnostic& a, const Diagnostic& b) {
                         const bool a_other = a.where.file != procfile.file;
                         const bool b_other = b.where.file != procfile.file;
                         if (a_other != b_other)
                             return b_other;
                         if (a_other)
                             return false;
                         if (a.where.line != b.where.line)
                             return a.where.line < b.where.line;
                         return a.where.column < b.where.column;
                     });
    return std::move(linter.out);
}

void promote_warnings(std::vector<Diagnostic>& diagnostics) {
    for (auto& d : diagnostics) {
        if (d.severity == Severity::warning)
            d.severity = Severity::error;
    }
}

// ---------------------------------------------------------------------------
// Reporting

CheckSummary summarize(const Project& project, const std::vector<Diagnostic>& diagnostics) {
    CheckSummary s;
    s.valid = !has_errors(diagnostics);
    s.procfile = project.procfile_path;
    s.config = project.config_path;
    for (const auto& f : project.env_files)
        s.env_files.push_back(f.path);
    if (!project.plan.types.empty()) {
        for (const auto& t : project.plan.types) {
            s.types.push_back({t.name, t.command, t.line, t.count});
        }
    } else {
        for (const auto& e : project.procfile.entries)
            s.types.push_back({e.name, e.command, e.line, 1});
    }
    for (const auto& i : project.plan.instances)
        s.instances.push_back({i.name, i.port});
    return s;
}

namespace {

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::string format_success(const CheckSummary& summary, std::size_t warnings) {
    std::string types;
    for (const auto& t : summary.types) {
        if (!types.empty())
            types += ", ";
        types += t.name;
        if (t.count != 1)
            types += fmt::format("={}", t.count);
    }
    std::string out = fmt::format("valid {}: {} ({})", summary.procfile, types,
                                  plural(summary.instances.size(), "process", "processes"));
    if (warnings > 0)
        out += ", " + plural(warnings, "warning", "warnings");
    return out + "\n";
}

std::string format_failure(std::size_t errors, std::size_t warnings) {
    std::string out = "check failed: " + plural(errors, "error", "errors");
    if (warnings > 0)
        out += ", " + plural(warnings, "warning", "warnings");
    return out + "\n";
}

std::string format_check_json(const CheckSummary& summary,
                              const std::vector<Diagnostic>& diagnostics) {
    json::Writer w;
    auto optional_int = [&](int v) {
        if (v > 0) {
            w.value(v);
        } else {
            w.value(nullptr);
        }
    };
    auto optional_string = [&](std::string_view v) {
        if (v.empty()) {
            w.value(nullptr);
        } else {
            w.value(v);
        }
    };
    w.begin_object();
    w.key("summary").begin_object();
    w.field("valid", summary.valid);
    w.field("errors", count(diagnostics, Severity::error));
    w.field("warnings", count(diagnostics, Severity::warning));
    w.key("procfile");
    optional_string(summary.procfile);
    w.key("config");
    optional_string(summary.config.value_or(""));
    w.key("env_files").begin_array();
    for (const auto& f : summary.env_files)
        w.value(f);
    w.end_array();
    w.key("process_types").begin_array();
    for (const auto& t : summary.types) {
        w.begin_object()
            .field("name", t.name)
            .field("command", t.command)
            .field("line", t.line)
            .field("count", t.count)
            .end_object();
    }
    w.end_array();
    w.key("instances").begin_array();
    for (const auto& i : summary.instances) {
        w.begin_object().field("name", i.name).field("port", i.port).end_object();
    }
    w.end_array();
    w.end_object();
    w.key("diagnostics").begin_array();
    for (const auto& d : diagnostics) {
        w.begin_object();
        w.field("severity", to_string(d.severity));
        w.field("code", d.code);
        w.key("file");
        optional_string(d.where.file);
        w.key("line");
        optional_int(d.where.line);
        w.key("column");
        optional_int(d.where.line > 0 ? d.where.column : 0);
        w.field("message", d.message);
        w.key("hint");
        optional_string(d.hint);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return w.str();
}

std::string github_escape_data(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '%':
                out += "%25";
                break;
            case '\r':
                out += "%0D";
                break;
            case '\n':
                out += "%0A";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string github_escape_property(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : github_escape_data(text)) {
        if (c == ':') {
            out += "%3A";
        } else if (c == ',') {
            out += "%2C";
        } else {
            out += c;
        }
    }
    return out;
}

std::string format_github(const Diagnostic& d) {
    std::string_view command = "error";
    if (d.severity == Severity::warning)
        command = "warning";
    if (d.severity == Severity::note)
        command = "notice";
    std::vector<std::string> props;
    if (!d.where.file.empty())
        props.push_back("file=" + github_escape_property(d.where.file));
    if (d.where.line > 0) {
        props.push_back(fmt::format("line={}", d.where.line));
        if (d.where.column > 0)
            props.push_back(fmt::format("col={}", d.where.column));
    }
    if (!d.code.empty())
        props.push_back("title=" + github_escape_property(d.code));
    std::string message = d.message;
    if (!d.hint.empty())
        message += "\nhint: " + d.hint;
    std::string out = fmt::format("::{}", command);
    for (std::size_t k = 0; k < props.size(); ++k)
        out += (k == 0 ? " " : ",") + props[k];
    return out + "::" + github_escape_data(message) + "\n";
}

}  // namespace procrun
