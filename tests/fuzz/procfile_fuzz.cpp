// libFuzzer target for the Procfile parser: any bytes must parse without a
// crash, a hang or undefined behaviour; every entry must be well formed and
// every diagnostic must point into the text.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "procrun/procfile.hpp"

namespace {

bool valid_name(std::string_view name) {
    if (name.empty())
        return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

int count_lines(std::string_view text) {
    int lines = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        ++lines;
        const std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            break;
        pos = nl + 1;
    }
    return lines;
}

void check(std::string_view text, bool strict) {
    procrun::ProcfileOptions options;
    options.strict = strict;
    const auto parsed = procrun::parse_procfile(text, "Procfile", options);
    const int lines = count_lines(text);
    for (const auto& e : parsed.value.entries) {
        if (!valid_name(e.name) || e.command.empty())
            std::abort();
        if (strict && !procrun::is_strict_process_name(e.name))
            std::abort();
        if (e.command.front() == ' ' || e.command.back() == ' ' || e.command.back() == '\t') {
            std::abort();
        }
        if (e.line < 1 || e.line > lines || e.command_column < 1)
            std::abort();
    }
    int previous_line = 0;
    for (const auto& d : parsed.diagnostics) {
        if (d.where.file != "Procfile" || d.message.empty() || d.code.empty())
            std::abort();
        if (d.where.line < 0 || d.where.line > lines || d.where.line < previous_line)
            std::abort();
        if (d.where.line > 0 && (d.where.column < 1 || static_cast<std::size_t>(d.where.column) >
                                                           d.source_line.size() + 1)) {
            std::abort();
        }
        previous_line = d.where.line;
        if (procrun::format_human(d, true).empty())
            std::abort();
    }
    // Every problem is reported: no entries and no errors cannot both happen.
    if (parsed.value.entries.empty() && parsed.ok())
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check(text, false);
    check(text, true);
    return 0;
}
