#include "check/port.hpp"

#include <fmt/format.h>

#include <array>

#include "check/text.hpp"

namespace procrun::lint {

namespace {

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

PortUse puma_port_use(const Invocation& inv, const RootFiles& files) {
    if (!option_values(inv.args, {"-p", "--port", "-b", "--bind"}).empty())
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

// What the package.json script `name` runs (npm's default start is `node server.js`).
PortUse package_port_use(const Invocation& inv, const std::string& name, const RootFiles& files,
                         int depth) {
    const auto json = files.read(under(*inv.dir, "package.json"));
    std::optional<std::string> script;
    if (json)
        script = package_script(*json, name);
    if (!script && name == "start")
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

// A script of the app's own (bin/web, server.js, app.py) that mentions PORT
// is taken to read it.
PortUse own_script_port_use(const Invocation& inv, const RootFiles& files) {
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

}  // namespace

std::string_view server_hint(std::string_view server) {
    for (const auto& info : kServerHints) {
        if (info.name == server)
            return info.hint;
    }
    return {};
}

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

PortUse port_use(const Invocation& inv, const RootFiles& files, int depth) {
    const std::string& s = inv.server;
    if (s == "gunicorn")
        return option_values(inv.args, {"-b", "--bind"}).empty() ? PortUse::reads
                                                                 : PortUse::ignores;
    if (s == "rails server" || s == "next")
        return option_values(inv.args, {"-p", "--port"}).empty() ? PortUse::reads
                                                                 : PortUse::ignores;
    if (s == "heroku-php-apache2" || s == "heroku-php-nginx")
        return PortUse::reads;
    if (s == "puma")
        return puma_port_use(inv, files);
    if (!inv.dir)
        return PortUse::unknown;
    if (auto name = package_script_name(inv); name && depth < 4)
        return package_port_use(inv, *name, files, depth);
    return own_script_port_use(inv, files);
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

}  // namespace procrun::lint
