// The root's .gitignore, read for `watch:` (the patterns it leaves out).

#include "load/project_files.hpp"
#include "procrun/project.hpp"

namespace procrun {

namespace fs = std::filesystem;
using namespace project_detail;

Parsed<std::vector<PathPattern>> load_gitignore(const fs::path& root) {
    Parsed<std::vector<PathPattern>> out;
    const fs::path path = (root / ".gitignore").lexically_normal();
    const std::string shown = path.string();
    const PathProbe probe = probe_path(path);
    if (probe.kind == PathKind::missing)
        return out;
    if (probe.kind != PathKind::regular) {
        out.diagnostics.push_back(make_warning(
            Location{shown, 0, 0}, "gitignore/unreadable",
            "'" + shown + "' is not a regular file: its patterns are not excluded from watches", {},
            "watch: exclude takes the same patterns"));
        return out;
    }
    FileText read = read_text_file(path, kMaxProjectFileSize, "gitignore", ".gitignore", shown);
    if (!read.text) {
        out.diagnostics.push_back(
            make_warning(Location{shown, 0, 0}, read.problem.code,
                         read.problem.message + ": its patterns are not excluded from watches", {},
                         read.problem.hint));
        return out;
    }
    return parse_gitignore(*read.text, shown);
}

}  // namespace procrun
