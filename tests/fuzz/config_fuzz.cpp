// libFuzzer target for the config file parser (both dialects): any bytes must
// parse without a crash, an escaping exception or undefined behaviour, and every
// diagnostic must point into the text.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "procrun/config.hpp"

namespace {

int count_lines(std::string_view text) {
    int lines = 1;
    for (char c : text) {
        if (c == '\n' || c == '\r')
            ++lines;
    }
    return lines;
}

void check(std::string_view text, procrun::ConfigDialect dialect, const char* file) {
    const auto parsed = procrun::parse_config(text, file, dialect);
    const int lines = count_lines(text);
    for (const auto& d : parsed.diagnostics) {
        if (d.where.file != file || d.message.empty() || d.code.empty())
            std::abort();
        if (d.where.line < 0 || d.where.line > lines || d.where.column < 0)
            std::abort();
        if (procrun::format_human(d, true).empty())
            std::abort();
    }
    const procrun::Settings& s = parsed.value;
    if (s.port && (s.port->value < 1 || s.port->value > 65535))
        std::abort();
    if (s.timeout &&
        (s.timeout->value < procrun::Millis{0} || s.timeout->value > procrun::kMaxDuration))
        std::abort();
    if (s.formation_map) {
        // A mapping is read into a formation: each name located, counts in range.
        const procrun::Formation& f = s.formation_map->value;
        if (s.formation || f.empty())
            std::abort();
        for (const auto& [name, count] : f.counts) {
            if (count < 0 || count > procrun::kMaxFormationCount || f.sources.count(name) == 0)
                std::abort();
        }
    }
    procrun::Settings merged;
    merged.overlay(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check(text, procrun::ConfigDialect::procrun, ".procrun.yaml");
    check(text, procrun::ConfigDialect::foreman, ".foreman");
    return 0;
}
