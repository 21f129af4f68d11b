#include "load/project_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>

#include "procrun/project.hpp"

namespace procrun {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

std::string mebibytes(std::uintmax_t bytes) {
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace

namespace project_detail {

PathProbe probe_path(const fs::path& path) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (!ec || st.type() == fs::file_type::not_found) {
        switch (st.type()) {
            case fs::file_type::regular:
                return {PathKind::regular, {}};
            case fs::file_type::directory:
                return {PathKind::directory, {}};
            case fs::file_type::not_found:
                break;
            default:
                return {PathKind::other, {}};
        }
    } else if (ec == std::errc::too_many_symbolic_link_levels) {
        return {PathKind::link_loop, {}};
    } else if (ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory) {
        return {PathKind::no_access, ec.message()};
    }
    // Nothing to follow to: a link to nothing, or nothing at all.
    std::error_code lec;
    if (fs::is_symlink(fs::symlink_status(path, lec))) {
        const fs::path target = fs::read_symlink(path, lec);
        return {PathKind::dangling_link, lec ? std::string("?") : target.string()};
    }
    return {PathKind::missing, {}};
}

std::string named(std::string_view what, const std::string& shown) {
    return what.empty() ? fmt::format("'{}'", shown) : fmt::format("{} '{}'", what, shown);
}

std::optional<Problem> link_problem(const PathProbe& probe, std::string_view prefix,
                                    std::string_view what, const std::string& shown) {
    switch (probe.kind) {
        case PathKind::dangling_link:
            return Problem{fmt::format("{}/dangling-symlink", prefix),
                           fmt::format("{} is a symbolic link to '{}', which does not exist",
                                       named(what, shown), probe.detail),
                           "create the file it points to, or point the link at an existing file"};
        case PathKind::link_loop:
            return Problem{fmt::format("{}/symlink-loop", prefix),
                           fmt::format("{} is a symbolic link loop", named(what, shown)),
                           "a link in its chain points back into the chain; point it at a file"};
        case PathKind::no_access:
            return Problem{fmt::format("{}/unreadable", prefix),
                           fmt::format("cannot access {}: {}", named(what, shown), probe.detail),
                           "check the permissions of the file and of its directories"};
        default:
            return std::nullopt;
    }
}

std::optional<Problem> working_dir_problem(const fs::path& root, const fs::path& path,
                                           const std::string& shown) {
    const PathProbe probe = probe_path(path);
    if (probe.kind == PathKind::missing) {
        return Problem{"config/working-dir-not-found",
                       fmt::format("working_dir '{}' does not exist", shown),
                       "create it, or write the folder relative to the root"};
    }
    if (auto problem = link_problem(probe, "config", "working_dir", shown))
        return problem;
    if (probe.kind != PathKind::directory) {
        return Problem{"config/working-dir-not-a-directory",
                       fmt::format("working_dir '{}' is not a directory", shown),
                       {}};
    }
    std::error_code ec;
    const fs::path real_root = fs::canonical(root, ec);
    const fs::path real = ec ? fs::path() : fs::canonical(path, ec);
    if (ec)
        return std::nullopt;
    const fs::path rel = real.lexically_relative(real_root);
    if (rel.empty() || *rel.begin() == "..") {
        return Problem{"config/working-dir-outside",
                       fmt::format("working_dir '{}' leads out of the root through a link to {}",
                                   shown, real.string()),
                       "working_dir names a folder inside the root"};
    }
    return std::nullopt;
}

FileText read_text_file(const fs::path& path, std::uintmax_t limit, std::string_view prefix,
                        std::string_view what, const std::string& shown) {
    FileText out;
    auto fail = [&](std::string code, std::string message, std::string hint) {
        out.problem =
            Problem{fmt::format("{}/{}", prefix, code), std::move(message), std::move(hint)};
        return std::move(out);
    };
    auto too_large = [&](std::uintmax_t size) {
        return fail("too-large",
                    fmt::format("{} is {}; procrun reads files of at most {}", named(what, shown),
                                mebibytes(size), mebibytes(limit)),
                    "is this the right file? a Procfile, .env or .procrun.yaml is a few lines");
    };
    errno = 0;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) {
        return fail("unreadable",
                    fmt::format("cannot read {}: {}", named(what, shown),
                                std::strerror(errno != 0 ? errno : EIO)),
                    "check the file's permissions");
    }
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > limit)
        return too_large(size);
    std::string text;
    text.resize(ec ? 0 : static_cast<std::size_t>(size));
    std::size_t have = text.size() == 0 ? 0 : std::fread(text.data(), 1, text.size(), f.get());
    text.resize(have);
    // The file may have grown since, or have no size (a pipe): read the rest.
    char buf[65536];
    while (std::ferror(f.get()) == 0 && std::feof(f.get()) == 0) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
        if (text.size() + n > limit)
            return too_large(text.size() + n);
        text.append(buf, n);
    }
    if (std::ferror(f.get()) != 0) {
        return fail("unreadable",
                    fmt::format("cannot read {}: {}", named(what, shown),
                                std::strerror(errno != 0 ? errno : EIO)),
                    "check the file's permissions");
    }
    out.text = std::move(text);
    return out;
}

std::string PathDisplay::operator()(const fs::path& p) const {
    fs::path abs = (p.is_absolute() || cwd_.empty() ? p : cwd_ / p).lexically_normal();
    if (!cwd_.empty()) {
        const fs::path rel = abs.lexically_relative(cwd_);
        if (!rel.empty() && *rel.begin() != "..") {
            std::string s = rel.string();
            if (!s.empty() && s.back() == '/')
                s.pop_back();
            return s;
        }
    }
    std::string s = abs.string();
    if (s.size() > 1 && s.back() == '/')
        s.pop_back();
    return s;
}

std::string PathDisplay::describe_dir(const fs::path& dir) const {
    const std::string d = (*this)(dir);
    if (d == ".")
        return fmt::format("the current directory ({})", cwd_.string());
    return d;
}

std::vector<std::string> near_miss_hints(const std::vector<std::string>& found) {
    std::vector<std::string> hints;
    for (const auto& name : found) {
        const std::string l = lower(name);
        if (l.rfind("procfile.", 0) == 0 && l != "procfile.txt" && l != "procfile.yml" &&
            l != "procfile.yaml" && l != "procfile.py" && l != "procfile.sh") {
            hints.push_back(fmt::format("rename it to Procfile, or pass it with -f {}", name));
        } else {
            hints.push_back(fmt::format("rename it: mv '{}' Procfile", name));
        }
    }
    return hints;
}

std::vector<std::string> loose_names(std::string_view text) {
    std::vector<std::string> names;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        std::size_t b = line.find_first_not_of(" \t\xEF\xBB\xBF");
        if (b == std::string_view::npos || line[b] == '#')
            continue;
        std::size_t e = b;
        while (e < line.size() && (std::isalnum(static_cast<unsigned char>(line[e])) != 0 ||
                                   line[e] == '_' || line[e] == '-')) {
            ++e;
        }
        if (e > b)
            names.emplace_back(line.substr(b, e - b));
    }
    return names;
}

}  // namespace project_detail

std::vector<std::string> procfile_near_misses(const fs::path& dir) {
    std::vector<std::pair<int, std::string>> found;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec)
        return {};
    for (const auto& entry : it) {
        std::error_code ec2;
        if (!entry.is_regular_file(ec2))
            continue;
        const std::string name = entry.path().filename().string();
        if (name == "Procfile")
            continue;
        std::string l = lower(name);
        while (!l.empty() && (l.back() == ' ' || l.back() == '~'))
            l.pop_back();
        int rank = -1;
        if (l == "procfile") {
            rank = 0;
        } else if (l.rfind("procfile.", 0) == 0) {
            rank = name.rfind("Procfile.", 0) == 0 ? 1 : 2;
        } else if (l == "procfile-dev" || l == "procfile_dev" || l == ".procfile") {
            rank = 3;
        }
        if (rank >= 0)
            found.emplace_back(rank, name);
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    out.reserve(found.size());
    for (auto& f : found)
        out.push_back(std::move(f.second));
    return out;
}

}  // namespace procrun
