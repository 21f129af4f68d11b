#include "supervisor/watcher.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

namespace procrun {

namespace fs = std::filesystem;
using Kind = posix::InotifyEvent::Kind;

std::vector<WatchTarget> watch_targets(const Plan& plan, std::optional<bool> flag) {
    std::vector<WatchTarget> out;
    if (flag == false)
        return out;
    for (const auto& type : plan.types) {
        const auto& w = type.lifecycle.watch;
        if (type.selected && w && w->enabled)
            out.push_back(WatchTarget{type.name, *w});
    }
    if (!out.empty() || flag != true)
        return out;
    for (const auto& type : plan.types) {
        if (!type.selected || (type.lifecycle.watch && !type.lifecycle.watch->enabled))
            continue;
        Watch w;
        w.where = Location{"--watch", 0, 0};
        out.push_back(WatchTarget{type.name, std::move(w)});
    }
    return out;
}

std::optional<PathPattern> watch_exclusion(const fs::path& root,
                                           const std::optional<fs::path>& folder) {
    if (!folder)
        return std::nullopt;
    const fs::path base = fs::absolute(root).lexically_normal();
    const fs::path rel = fs::absolute(*folder).lexically_normal().lexically_relative(base);
    std::string text = rel.generic_string();
    while (!text.empty() && text.back() == '/')
        text.pop_back();
    if (text.empty() || text == "." || text.rfind("..", 0) == 0)
        return std::nullopt;
    std::string glob;
    for (char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == '\\')
            glob += '\\';
        glob += c;
    }
    return PathPattern{std::move(glob), true, true, false, {}};
}

namespace {

std::string shown(const std::string& rel) {
    return rel.empty() ? "the root" : "'" + rel + "'";
}

std::string join_path(const std::string& dir, const std::string& name) {
    return dir.empty() ? name : dir + "/" + name;
}

std::string at(const Location& where) {
    if (where.line == 0)
        return where.file;
    return where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
}

}  // namespace

Watcher::Watcher(boost::asio::io_context& io, const fs::path& root,
                 std::vector<WatchTarget> targets, std::vector<PathPattern> gitignore,
                 std::vector<PathPattern> exclude, Changed changed, Warn warn)
    : fd_(io),
      root_(fs::absolute(root).lexically_normal().generic_string()),
      targets_(std::move(targets)),
      gitignore_(std::move(gitignore)),
      exclude_(std::move(exclude)),
      changed_(std::move(changed)),
      warn_(std::move(warn)) {
    while (root_.size() > 1 && root_.back() == '/')
        root_.pop_back();
    filters_.reserve(targets_.size());
    for (const auto& t : targets_)
        filters_.emplace_back(t.watch, gitignore_, exclude_);
}

void Watcher::start() {
    try {
        fd_.assign(posix::inotify_open().release());
    } catch (const std::system_error& e) {
        throw WatchSetupError(std::string("cannot watch files: ") + e.what());
    }
    for (std::size_t t = 0; t < targets_.size(); ++t) {
        const auto& w = targets_[t].watch;
        if (w.paths.empty()) {
            watch_base(t, WatchPath{".", w.where}, true);
            continue;
        }
        for (const auto& base : w.paths)
            watch_base(t, base, true);
    }
    wait();
}

void Watcher::watch_base(std::size_t target, const WatchPath& base, bool at_start) {
    fs::path abs =
        fs::path(base.path).is_absolute() ? fs::path(base.path) : fs::path(root_) / base.path;
    abs = abs.lexically_normal();
    if (!abs.has_filename() && abs.has_parent_path() && abs != abs.root_path())
        abs = abs.parent_path();
    std::string rel = abs.lexically_relative(root_).generic_string();
    if (rel.empty())
        rel = abs.generic_string();
    else if (rel == ".")
        rel.clear();
    std::error_code ec;
    const fs::file_status st = fs::status(abs, ec);
    if (ec || !fs::exists(st)) {
        if (at_start) {
            warn_("warning: " + at(base.where) + ": watch path '" + base.path + "' of " +
                  targets_[target].type + " does not exist: nothing there is watched");
        }
        return;
    }
    if (fs::is_directory(st)) {
        const fs::path real = fs::canonical(abs, ec);
        add_tree(target, ec ? abs.generic_string() : real.generic_string(), rel, at_start, nullptr);
        return;
    }
    // A file: its folder, for that name alone (editors replace a file by
    // renaming a new one over it, which a watch on the file itself would miss).
    const fs::path dir = fs::canonical(abs.parent_path(), ec);
    const auto slash = rel.rfind('/');
    const std::string dir_rel = slash == std::string::npos ? "" : rel.substr(0, slash);
    add_folder(ec ? abs.parent_path().generic_string() : dir.generic_string(), dir_rel,
               Interest{target, false, abs.filename().string()}, at_start);
}

void Watcher::add_tree(std::size_t target, const std::string& abs, const std::string& rel,
                       bool at_start, Found* found) {
    std::vector<std::pair<std::string, std::string>> todo{{abs, rel}};
    std::vector<posix::FolderEntry> entries;
    while (!todo.empty()) {
        auto [dir, dir_rel] = std::move(todo.back());
        todo.pop_back();
        // Watched first, then listed: what appears in between is in the list.
        if (!add_folder(dir, dir_rel, Interest{target, true, {}}, at_start))
            continue;
        entries.clear();
        if (posix::list_folder(dir, entries) != 0)
            continue;  // gone or unreadable since: add_folder said so if it matters
        for (const auto& e : entries) {
            std::string child_rel = join_path(dir_rel, e.name);
            if (e.is_dir) {
                if (!filters_[target].excluded(child_rel, true))
                    todo.emplace_back(dir + "/" + e.name, std::move(child_rel));
            } else if (found != nullptr && filters_[target].wanted(child_rel)) {
                found->push_back(std::move(child_rel));
            }
        }
    }
}

bool Watcher::add_folder(const std::string& abs, const std::string& rel, const Interest& interest,
                         bool at_start) {
    int wd = 0;
    if (auto known = by_path_.find(abs); known != by_path_.end()) {
        wd = known->second;
    } else {
        wd = posix::inotify_watch_folder(fd_.native_handle(), abs);
        if (wd < 0) {
            const int error = -wd;
            if (error == ENOENT || error == ENOTDIR)
                return false;  // gone since it was listed
            const std::string advice = posix::inotify_limit_advice(error);
            const std::string text = "cannot watch " + shown(rel) + " for " +
                                     targets_[interest.target].type + ": " +
                                     (advice.empty() ? std::strerror(error) : advice);
            if (!advice.empty() && at_start)
                throw WatchSetupError(text);
            if (advice.empty() || !limit_warned_) {
                limit_warned_ = limit_warned_ || !advice.empty();
                warn_("warning: " + text + "; changes there restart nothing");
            }
            return false;
        }
        by_path_[abs] = wd;
    }
    Folder& f = by_wd_[wd];
    if (f.path.empty()) {
        f.path = abs;
        f.rel = rel;
    }
    for (const auto& i : f.interests) {
        if (i == interest)
            return true;
    }
    f.interests.push_back(interest);
    return true;
}

void Watcher::remove_tree(const std::string& abs) {
    const std::string prefix = abs + "/";
    for (auto it = by_path_.begin(); it != by_path_.end();) {
        if (it->first == abs || it->first.compare(0, prefix.size(), prefix) == 0) {
            posix::inotify_unwatch(fd_.native_handle(), it->second);
            by_wd_.erase(it->second);
            it = by_path_.erase(it);
        } else {
            ++it;
        }
    }
}

void Watcher::wait() {
    fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [this](const boost::system::error_code& ec) {
                       if (ec)
                           return;  // cancelled: the watcher is going away
                       on_readable();
                   });
}

void Watcher::on_readable() {
    std::vector<posix::InotifyEvent> events;
    while (posix::inotify_read(fd_.native_handle(), events)) {
    }
    std::map<std::size_t, Changes> changed;
    bool overflow = false;
    for (const auto& e : events) {
        if (e.kind == Kind::overflow) {
            // Events were lost: every type restarts (reported without a path),
            // and folders made meanwhile are watched.
            overflow = true;
            for (std::size_t t = 0; t < targets_.size(); ++t)
                changed[t].add(std::string());
            continue;
        }
        handle(e, changed);
    }
    if (overflow)
        rescan();
    for (auto& [t, changes] : changed)
        changed_(event::FilesChanged{targets_[t].type, std::move(changes.paths)});
    wait();
}

void Watcher::Changes::add(const std::string& path, bool removal) {
    const auto [at, fresh] = position.try_emplace(path, paths.size());
    if (fresh) {
        paths.push_back(event::PathChange{path, !removal, removal});
        return;
    }
    event::PathChange& change = paths[at->second];
    change.written = change.written || !removal;
    change.removed = removal;
}

void Watcher::handle(const posix::InotifyEvent& e, std::map<std::size_t, Changes>& out) {
    const auto it = by_wd_.find(e.wd);
    if (it == by_wd_.end())
        return;
    if (e.kind == Kind::gone) {
        if (auto p = by_path_.find(it->second.path); p != by_path_.end() && p->second == e.wd)
            by_path_.erase(p);
        by_wd_.erase(it);
        return;
    }
    if (e.name.empty())
        return;
    // Copies: add_tree below may add folders and move the table.
    const std::string abs = it->second.path + "/" + e.name;
    const std::string rel = join_path(it->second.rel, e.name);
    const std::vector<Interest> interests = it->second.interests;
    const bool removal = e.kind == Kind::moved_from || e.kind == Kind::deleted;
    if (e.is_dir && removal)
        remove_tree(abs);
    for (const auto& in : interests) {
        const WatchFilter& filter = filters_[in.target];
        if (!in.recursive) {
            if (e.name == in.only && !e.is_dir)
                out[in.target].add(rel, removal);
            continue;
        }
        if (!e.is_dir) {
            if (filter.wanted(rel))
                out[in.target].add(rel, removal);
            continue;
        }
        if (filter.excluded(rel, true))
            continue;
        if (e.kind == Kind::created || e.kind == Kind::moved_to) {
            Found found;
            add_tree(in.target, abs, rel, false, &found);
            for (auto& f : found)
                out[in.target].add(std::move(f));
        } else if (e.kind == Kind::moved_from) {
            out[in.target].add(rel, true);
        }
    }
}

void Watcher::rescan() {
    for (std::size_t t = 0; t < targets_.size(); ++t) {
        const auto& w = targets_[t].watch;
        if (w.paths.empty())
            watch_base(t, WatchPath{".", w.where}, false);
        for (const auto& base : w.paths)
            watch_base(t, base, false);
    }
}

}  // namespace procrun
