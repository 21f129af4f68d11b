#pragma once

// Reading the user's export templates (`--template-dir`, `template-dir:`): part
// of the loader, the only code that reads the user's files. `procrun export`
// hands what this returns to the renderers, which never touch the disk.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "procrun/diagnostic.hpp"
#include "procrun/export.hpp"

namespace procrun {

// Reads the templates of `format` found in `dir`: DIR/FORMAT/NAME when
// DIR/FORMAT is a directory, else DIR/NAME, for every template name of the
// format (export_template_names). Errors, located at the directory or the
// file: `dir` missing or not a directory, a format without templates (built
// with a YAML emitter), a file that cannot be read, none of the names present.
Parsed<std::map<std::string, TemplateSource>> load_templates(std::string_view format,
                                                             const std::filesystem::path& dir);

}  // namespace procrun
