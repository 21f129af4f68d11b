// check/gunicorn-module and check/gunicorn-app: gunicorn's MODULE:APP must
// name a module under the root that defines APP.

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "check/lints.hpp"
#include "check/python.hpp"
#include "check/text.hpp"

namespace procrun::lint {

namespace {

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

// Where gunicorn imports from: --chdir (default: the working directory), then
// each --pythonpath entry (relative to --chdir). Nullopt when one is outside
// the root or unknown.
std::optional<std::vector<std::string>> gunicorn_search_path(const GunicornArgs& g,
                                                             std::string& base) {
    for (const auto& c : g.chdir) {
        auto p = join_under_root(base, c);
        if (!p)
            return std::nullopt;
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
                    return std::nullopt;
                search.push_back(*p);
            }
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
    }
    return search;
}

// The module's file (`rel`.py or `rel`/__init__.py in a directory of the
// search path), or a namespace package (a directory without __init__.py).
struct FoundModule {
    std::optional<std::string> file;
    bool namespace_package = false;
};

FoundModule find_module(const RootFiles& files, const std::vector<std::string>& search,
                        const std::string& rel) {
    FoundModule found;
    for (const auto& dir : search) {
        const std::string path = under(dir, rel);
        if (files.read(path + ".py")) {
            found.file = path + ".py";
            return found;
        }
        if (files.is_directory(path)) {
            if (files.read(path + "/__init__.py")) {
                found.file = path + "/__init__.py";
                return found;
            }
            found.namespace_package = true;
        }
    }
    return found;
}

}  // namespace

bool Linter::gunicorn_module_name(const ProcfileEntry& e, const std::string& module,
                                  const std::string& app, bool has_colon, int column) {
    const bool file_name = module.size() > 3 && module.substr(module.size() - 3) == ".py";
    if (!file_name && is_dotted_module(module))
        return true;
    std::string hint =
        "gunicorn takes MODULE:APP, where MODULE is a dotted Python module "
        "name (e.g. myproject.wsgi:application)";
    if (file_name) {
        std::string stem = module.substr(0, module.size() - 3);
        std::replace(stem.begin(), stem.end(), '/', '.');
        hint = fmt::format("name the module, not the file: `{}:{}`", stem, has_colon ? app : "app");
    } else if (module.find('/') != std::string::npos) {
        const auto slash = module.rfind('/');
        hint = fmt::format("use `--chdir {} {}:{}`", module.substr(0, slash),
                           module.substr(slash + 1), app);
    }
    warn(at(e, column), kGunicornModule, fmt::format("'{}' is not a Python module name", module),
         source(e), std::move(hint));
    return false;
}

bool Linter::gunicorn_app(const ProcfileEntry& e, const std::string& module, const std::string& app,
                          const std::string& rel, const std::optional<std::string>& found_file,
                          int column) {
    const auto name = app_lookup_name(app);
    if (!name) {
        warn(at(e, column), kGunicornApp,
             fmt::format("gunicorn cannot load '{}' from '{}': not a name or a call", app, module),
             source(e),
             "gunicorn 20.1 and later accept a variable name or a call of one "
             "(e.g. `create_app()`); for an attribute, assign it to a "
             "module-level name first (e.g. `server = app.server`)");
        return false;
    }
    if (!found_file) {
        warn(at(e, column), kGunicornApp,
             fmt::format("'{}' is a directory without __init__.py, so it defines no '{}'", rel,
                         *name),
             source(e),
             fmt::format("add {}/__init__.py defining {}, or point gunicorn at the module "
                         "that does",
                         rel, *name));
        return false;
    }
    const auto text_of = files_.read(*found_file);
    if (!text_of || python_defines(*text_of, *name) != Defined::no)
        return true;
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
    warn(at(e, column), kGunicornApp, fmt::format("'{}' is not defined in {}", *name, *found_file),
         source(e), std::move(hint));
    return false;
}

void Linter::gunicorn(const ProcfileEntry& e, const Invocation& inv) {
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
    const int app_column =
        colon == std::string::npos ? module_column : word_column(e, e.command, *g.app, colon + 1);
    if (!gunicorn_module_name(e, module, app, colon != std::string::npos, module_column))
        return;

    std::string base = *inv.dir;
    const auto search = gunicorn_search_path(g, base);
    if (!search)
        return;
    std::string rel = module;
    std::replace(rel.begin(), rel.end(), '.', '/');
    const FoundModule found = find_module(files_, *search, rel);
    if (!found.file && !found.namespace_package) {
        const std::string where = base.empty() ? "the root" : base + "/";
        std::string dirs;
        for (const auto& d : *search)
            dirs += (dirs.empty() ? "" : ", ") + (d.empty() ? std::string(".") : d + "/");
        warn(at(e, module_column), kGunicornModule,
             fmt::format("gunicorn module '{}' not found: no {}.py or {}/__init__.py under {}",
                         module, rel, rel, where),
             source(e),
             fmt::format("gunicorn imports MODULE:APP from its working directory and "
                         "--pythonpath (searched: {}); check the spelling, or add "
                         "`--chdir DIR` where the module lives",
                         dirs));
        return;
    }
    gunicorn_app(e, module, app, rel, found.file, app_column);
}

}  // namespace procrun::lint
