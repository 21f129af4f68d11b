// The loader's reader of export templates: `--template-dir` is a user's
// directory, read here and nowhere else (see include/procrun/templates.hpp).

#include "procrun/templates.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <system_error>

namespace procrun {

namespace fs = std::filesystem;

Parsed<std::map<std::string, TemplateSource>> load_templates(std::string_view format,
                                                             const fs::path& dir) {
    Parsed<std::map<std::string, TemplateSource>> out;
    const std::string shown = dir.string();
    const std::vector<std::string> names = export_template_names(format);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        out.diagnostics.push_back(make_error(
            Location{shown, 0, 0}, "export/template-dir",
            fmt::format("template directory '{}' does not exist or is not a directory", shown)));
        return out;
    }
    if (names.empty()) {
        out.diagnostics.push_back(make_error(
            Location{shown, 0, 0}, "export/no-templates",
            fmt::format("the {} format is built with a YAML emitter and has no templates", format),
            {}, "drop --template-dir"));
        return out;
    }
    fs::path base = dir;
    if (fs::is_directory(base / format, ec))
        base /= format;
    std::string known;
    for (const auto& name : names) {
        known += (known.empty() ? "" : ", ") + name;
        const fs::path file = base / name;
        if (!fs::exists(file, ec))
            continue;
        std::ifstream in(file, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in) {
            out.diagnostics.push_back(
                make_error(Location{file.string(), 0, 0}, "export/template-unreadable",
                           fmt::format("cannot read template '{}'", file.string())));
            return out;
        }
        out.value[name] = TemplateSource{file.string(), std::move(text).str()};
    }
    if (out.value.empty()) {
        out.diagnostics.push_back(
            make_error(Location{shown, 0, 0}, "export/no-templates",
                       fmt::format("'{}' holds none of the {} templates", base.string(), format),
                       {}, "the " + std::string(format) + " templates are: " + known));
    }
    return out;
}

}  // namespace procrun
