// libFuzzer target for the Procfile lints and the check reports. The input is
// up to four parts separated by a line "%%": the Procfile, a Python module
// (app.py and pkg/__init__.py), requirements.txt and a file read as
// config/puma.rb, package.json and server.js. Any bytes
// must lint without a crash or undefined behaviour, every warning must point
// at a real line and column of its file, and every report format must render
// without a control character of the input (only the line breaks it adds).
// The shell lexer and the requirements.txt parser get the parts on their own.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/check.hpp"
#include "procrun/json.hpp"
#include "procrun/procfile.hpp"
#include "procrun/shell.hpp"

namespace {

std::vector<std::string_view> split_parts(std::string_view data) {
    std::vector<std::string_view> parts;
    constexpr std::string_view kSeparator = "\n%%\n";
    while (parts.size() < 3) {
        const auto at = data.find(kSeparator);
        if (at == std::string_view::npos)
            break;
        parts.push_back(data.substr(0, at));
        data.remove_prefix(at + kSeparator.size());
    }
    parts.push_back(data);
    parts.resize(4);
    return parts;
}

int count_lines(std::string_view text) {
    int lines = 1;
    for (char c : text) {
        if (c == '\n')
            ++lines;
    }
    return lines;
}

void check_located(const procrun::Diagnostic& d, std::string_view text) {
    if (d.where.line < 1 || d.where.line > count_lines(text))
        std::abort();
    const std::string_view line = procrun::line_at(text, d.where.line);
    if (d.where.column < 1 || static_cast<std::size_t>(d.where.column) > line.size() + 1) {
        std::abort();
    }
}

// No control character but line breaks in text rendered from any input.
void check_printable(const std::string& rendered) {
    for (char c : rendered) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n') || u == 0x7f)
            std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto parts = split_parts(input);
    const std::string_view procfile_text = parts[0];

    procrun::MemoryFiles files;
    files.add("app.py", std::string(parts[1]));
    files.add("pkg/__init__.py", std::string(parts[1]));
    files.add("requirements.txt", std::string(parts[2]));
    files.add("config/puma.rb", std::string(parts[3]));
    files.add("package.json", std::string(parts[3]));
    files.add("server.js", std::string(parts[3]));

    const auto requirements = procrun::parse_requirements(parts[2], "requirements.txt");
    for (const auto& d : requirements.diagnostics)
        check_located(d, parts[2]);
    for (const auto& w : procrun::shell_words(procfile_text)) {
        if (w.begin > w.end || w.end > procfile_text.size())
            std::abort();
    }

    const auto parsed = procrun::parse_procfile(procfile_text, "Procfile");
    for (bool strict : {false, true}) {
        procrun::LintOptions options;
        options.strict = strict;
        auto lints = procrun::lint_procfile(parsed.value, procfile_text, files, options);
        for (const auto& d : lints) {
            if (d.severity != procrun::Severity::warning || d.code.empty() || d.message.empty()) {
                std::abort();
            }
            if (d.where.file == "Procfile") {
                check_located(d, procfile_text);
            } else if (d.where.file.find("requirements") == std::string::npos) {
                std::abort();  // only requirements files are read besides the Procfile
            } else if (d.where.file == "requirements.txt") {
                check_located(d, parts[2]);
            }
            if (procrun::format_human(d, true).empty())
                std::abort();
            check_printable(procrun::format_human(d, false));
            check_printable(procrun::format_github(d));
            if (procrun::format_github(d).find('\n') + 1 != procrun::format_github(d).size()) {
                std::abort();  // one workflow command per line, newlines escaped
            }
        }
        procrun::promote_warnings(lints);
        procrun::CheckSummary summary;
        summary.procfile = "Procfile";
        for (const auto& e : parsed.value.entries)
            summary.types.push_back({e.name, e.command, e.line, 1});
        summary.valid = !procrun::has_errors(lints);
        const std::string doc = procrun::format_check_json(summary, lints);
        if (doc.empty() || doc.back() != '\n')
            std::abort();
    }
    return 0;
}
