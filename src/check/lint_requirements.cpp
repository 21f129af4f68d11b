// check/requirements-missing and check/requirements-unpinned: the Python
// server `web` runs must be listed, pinned, in requirements.txt (or the files
// it includes with -r, or pinned by a -c constraints file).

#include <fmt/format.h>

#include <array>
#include <filesystem>
#include <set>

#include "check/lints.hpp"
#include "check/text.hpp"

namespace procrun::lint {

namespace {

// requirements.txt and the files it includes (-r) or constrains with (-c).
struct RequirementsSet {
    std::vector<Requirement> requirements;
    std::vector<Requirement> constraints;
    std::vector<Diagnostic> diagnostics;  // of the parser
};

void read_requirements(const RootFiles& files, const std::string& path, bool constraint, int depth,
                       std::set<std::string>& seen, RequirementsSet& out) {
    if (depth > 8 || !seen.insert(path).second)
        return;
    auto text = files.read(path);
    if (!text)
        return;
    Parsed<Requirements> parsed = parse_requirements(*text, path);
    auto& dest = constraint ? out.constraints : out.requirements;
    dest.insert(dest.end(), parsed.value.requirements.begin(), parsed.value.requirements.end());
    out.diagnostics.insert(out.diagnostics.end(), parsed.diagnostics.begin(),
                           parsed.diagnostics.end());
    const std::string dir = std::filesystem::path(path).parent_path().generic_string();
    for (const auto& inc : parsed.value.includes) {
        if (auto p = join_under_root(dir, inc.path))
            read_requirements(files, *p, constraint, depth + 1, seen, out);
    }
    for (const auto& con : parsed.value.constraints) {
        if (auto p = join_under_root(dir, con.path))
            read_requirements(files, *p, true, depth + 1, seen, out);
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

}  // namespace

void Linter::requirements(const ProcfileEntry& e, const std::vector<Invocation>& invs) {
    const Invocation* server = nullptr;
    std::string_view dist;
    for (const auto& inv : invs) {
        if (auto d = python_distribution(inv.server)) {
            server = &inv;
            dist = *d;
            break;
        }
    }
    if (server == nullptr || !files_.read("requirements.txt"))
        return;
    RequirementsSet reqs;
    std::set<std::string> seen;
    read_requirements(files_, "requirements.txt", false, 0, seen, reqs);
    for (Diagnostic& d : reqs.diagnostics) {
        d.where.file = under(options_.display_root, d.where.file);
        out_.push_back(std::move(d));
    }
    const std::string want = normalize_distribution(dist);
    const Requirement* listed = nullptr;
    bool pinned = false;
    for (const auto& r : reqs.requirements) {
        if (normalize_distribution(r.name) != want)
            continue;
        if (listed == nullptr)
            listed = &r;
        pinned = pinned || r.pinned;
    }
    for (const auto& r : reqs.constraints) {
        if (normalize_distribution(r.name) == want && r.pinned)
            pinned = true;
    }
    if (listed == nullptr) {
        warn(at(e, word_column(e, e.command, *server->word)), kRequirementsMissing,
             fmt::format("web runs {}, but requirements.txt does not list it", dist), source(e),
             fmt::format("the platform installs only what requirements.txt lists: add a "
                         "pinned `{}==VERSION` line",
                         dist));
    } else if (!pinned) {
        const std::string what =
            listed->spec.empty() ? listed->name : fmt::format("{}{}", listed->name, listed->spec);
        Location where = listed->where;
        where.file = under(options_.display_root, where.file);
        warn(std::move(where), kRequirementsUnpinned,
             listed->spec.empty()
                 ? fmt::format("{} is not pinned to a version", listed->name)
                 : fmt::format("{} is not pinned: '{}' has no upper bound", listed->name, what),
             listed->source_line,
             fmt::format("pin the version you tested (e.g. `{}==X.Y.Z`), so a new release "
                         "cannot change the web server under a deploy",
                         listed->name));
    }
}

}  // namespace procrun::lint
