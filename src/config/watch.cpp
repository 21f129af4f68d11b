#include "config/watch.hpp"

#include <fmt/format.h>

namespace procrun {

const std::vector<PathPattern>& default_watch_exclusions() {
    static const std::vector<PathPattern> patterns = [] {
        std::vector<PathPattern> out;
        const char* dirs[] = {".git", ".hg",    ".svn",  "node_modules", "__pycache__", ".venv",
                              "venv", "target", "build", "dist",         "tmp",         "log"};
        for (const char* d : dirs)
            out.push_back(PathPattern{d, false, true, false, {}});
        const char* files[] = {"*.swp",         "*.swx",         "*~",
                               ".#*",           "#*#",           "4913",
                               ".procrun.lock", "*___jb_tmp___", "*___jb_old___"};
        for (const char* f : files)
            out.push_back(PathPattern{f, false, false, false, {}});
        return out;
    }();
    return patterns;
}

}  // namespace procrun

namespace procrun::config {

namespace {

constexpr std::string_view kExpects =
    "true, false, a folder, a list of folders, or a mapping with paths, include, exclude, "
    "gitignore, debounce and restart_dependents";

// One string or a list of strings: each item to `add`.
template <class Add>
void read_strings(Reader& r, const YAML::Node& key, const YAML::Node& value,
                  std::string_view expects, Add add) {
    if (value.IsScalar()) {
        add(value);
        return;
    }
    if (!value.IsSequence()) {
        r.wrong_type(key, value, expects);
        return;
    }
    for (const auto& item : value) {
        if (!item.IsScalar()) {
            r.wrong_type(key, item, expects);
            continue;
        }
        add(item);
    }
}

void read_paths(Reader& r, const YAML::Node& key, const YAML::Node& value, Watch& w) {
    read_strings(r, key, value, "a folder or file, or a list of them (relative to the root)",
                 [&](const YAML::Node& item) {
                     const std::string& p = item.Scalar();
                     if (p.empty() || p.find('\0') != std::string::npos) {
                         r.error(item.Mark(), "config/watch-path", "a watch path cannot be empty",
                                 "'.' is the root, which is watched when no path is given");
                         return;
                     }
                     w.paths.push_back(WatchPath{p, r.at(item.Mark())});
                 });
}

void read_globs(Reader& r, const YAML::Node& key, const YAML::Node& value,
                std::vector<PathPattern>& out) {
    read_strings(r, key, value, "a glob or a list of globs, like ['*.py', 'templates/**']",
                 [&](const YAML::Node& item) {
                     std::string why;
                     auto p = parse_path_pattern(item.Scalar(), false, &why);
                     if (!p) {
                         r.error(
                             item.Mark(), "config/watch-glob",
                             fmt::format("{} is not a valid glob: {}", quoted(item.Scalar()), why),
                             "globs take *, ?, [abc], ** and \\ to escape");
                         return;
                     }
                     p->where = r.at(item.Mark());
                     out.push_back(std::move(*p));
                 });
}

void read_watch_map(Reader& r, const YAML::Node& value, Watch& w) {
    static const KeyRules rules{
        " in watch",
        {"paths", "include", "exclude", "gitignore", "debounce", "restart_dependents"},
        {},
        {}};
    walk_mapping(r, value, rules, [&](const YAML::Node& k, const YAML::Node& v) {
        const std::string& name = k.Scalar();
        if (name == "paths") {
            read_paths(r, k, v, w);
        } else if (name == "include") {
            read_globs(r, k, v, w.include);
        } else if (name == "exclude") {
            read_globs(r, k, v, w.exclude);
        } else if (name == "gitignore") {
            if (auto b = read_bool(r, k, v))
                w.gitignore = *b;
        } else if (name == "debounce") {
            if (auto d = read_duration(r, k, v, false))
                w.debounce = *d;
        } else if (name == "restart_dependents") {
            if (auto b = read_bool(r, k, v))
                w.restart_dependents = *b;
        }
    });
}

}  // namespace

void read_watch(Reader& r, const YAML::Node& key, const YAML::Node& value,
                std::optional<Watch>& out) {
    Watch w;
    w.where = r.at(key.Mark());
    bool flag = false;
    if (value.IsScalar() && YAML::convert<bool>::decode(value, flag)) {
        w.enabled = flag;
    } else if (value.IsScalar() || value.IsSequence()) {
        read_paths(r, key, value, w);
    } else if (value.IsMap()) {
        read_watch_map(r, value, w);
    } else {
        r.wrong_type(key, value, kExpects);
        return;
    }
    out = std::move(w);
}

}  // namespace procrun::config
