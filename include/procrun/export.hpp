#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/diagnostic.hpp"
#include "procrun/plan.hpp"

namespace procrun {

// One file an exporter produces. `path` is relative to the export directory
// and uses '/' separators; `mode` is the permission bits it is written with.
struct ExportedFile {
    std::string path;
    std::string content;
    unsigned mode = 0644;

    friend bool operator==(const ExportedFile&, const ExportedFile&) = default;
};

// A template the user supplied (--template-dir) in place of a built-in one.
struct TemplateSource {
    std::string file;  // as shown in diagnostics
    std::string text;
};

struct ExportOptions {
    std::string app;                   // -a/--app: prefixes every name
    std::optional<std::string> user;   // -u/--user: the account processes run as
    std::filesystem::path log_dir;     // -l/--log (default /var/log/APP)
    std::filesystem::path run_dir;     // -r/--run (default /var/run/APP)
    std::filesystem::path target_dir;  // the export directory, absolute: where the files live
    std::optional<std::string> image;  // --image: container image (compose, kubernetes)
    bool secret_all = false;           // --secret: every variable goes into the Secret
    std::chrono::seconds timeout{5};   // -t/--timeout: seconds from SIGTERM to SIGKILL
    // Templates overriding the built-in ones, by template name ("service.tmpl").
    std::map<std::string, TemplateSource> templates;
};

// The formats `procrun export` knows, in the order --help lists them.
const std::vector<std::string>& export_formats();

// Whether every rendering of `format` is exactly one file (compose), which
// `procrun export FORMAT -` prints to standard output.
bool renders_one_file(std::string_view format);

// The template names a format renders from (empty for formats built with a
// YAML emitter, which cannot be overridden).
std::vector<std::string> export_template_names(std::string_view format);

// The built-in text of one of a format's templates (for docs and for users who
// want to start from it), or nullopt when the format has no such template.
std::optional<std::string> builtin_template(std::string_view format, std::string_view name);

// Pure: renders the plan's instances for `format`. Never touches the disk.
// Values a format cannot represent exactly are errors naming the variable or
// option and why; nothing is silently altered.
Parsed<std::vector<ExportedFile>> render_export(std::string_view format, const Plan& plan,
                                                const ExportOptions& options);

// True when an environment variable's name looks like it holds a credential
// (a part of the name, split on '_', ends in KEY, TOKEN, SECRET, PASSWORD,
// PASSWD or CREDENTIALS, or is PASS, AUTH or PRIVATE). Kubernetes puts these
// into a Secret instead of the ConfigMap.
bool looks_secret(std::string_view key);

// The name of the manifest a previous export of `app` left in the export
// directory: the files it wrote, one relative path a line.
std::string export_manifest_name(std::string_view app);

struct WriteResult {
    std::vector<std::string> written;  // relative paths, in the order written
    std::vector<std::string> removed;  // relative paths of stale files removed
    // What was refused without failing the export: an untrusted manifest (then
    // nothing is removed), a listed path that leads through a link.
    std::vector<std::string> warnings;
};

// The one writer: creates `dir`, writes every file atomically (a temporary file
// in the same directory, its mode set, then renamed over the target), removes
// the files that the previous export of the same app listed in its manifest
// and this one no longer produces (and directories it created that are now
// empty), then records the new manifest. Nothing not listed in the manifest is
// ever removed. `on_path` is called with each absolute path written or removed.
//
// Every path below `dir` is resolved one component at a time without following
// symbolic links: a file or directory that would be reached through a link
// inside `dir` is refused (std::runtime_error, before any file is written),
// and a manifest entry through a link is not removed (a warning). The manifest
// is trusted only when it is a regular file owned by the effective uid and not
// writable by group or others; otherwise nothing is removed (a warning) and it
// is replaced by the new one. Failing system calls throw std::system_error
// naming the call and the path.
WriteResult write_export(
    const std::filesystem::path& dir, std::string_view app, const std::vector<ExportedFile>& files,
    const std::function<void(const std::string& what, const std::filesystem::path& path)>& on_path =
        {});

}  // namespace procrun
