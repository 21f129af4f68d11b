// libFuzzer target for the formation parser: any bytes must parse without a
// crash or undefined behaviour; counts stay in range and every diagnostic
// points into the spec.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/formation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = procrun::parse_formation(text);
    for (const auto& d : parsed.diagnostics) {
        if (d.where.file != "--formation" || d.where.line != 1 || d.message.empty())
            std::abort();
        if (d.where.column < 1 || static_cast<std::size_t>(d.where.column) > text.size() + 1) {
            std::abort();
        }
    }
    const procrun::Formation& f = parsed.value;
    if (f.all && (*f.all < 0 || *f.all > procrun::kMaxFormationCount))
        std::abort();
    for (const auto& [name, count] : f.counts) {
        if (name.empty() || name == "all")
            std::abort();
        if (count < 0 || count > procrun::kMaxFormationCount)
            std::abort();
        if (f.sources.count(name) == 0)
            std::abort();
    }
    // A formation that names a type runs no type it does not name, unless all=.
    std::string unnamed = "not-named";
    while (f.counts.count(unnamed) != 0)
        unnamed += "-x";
    if (!f.counts.empty() && f.count_for(unnamed) != f.all.value_or(0))
        std::abort();

    // The same spec inside a config file line.
    const std::string line = "formation: " + std::string(text);
    const auto located =
        procrun::parse_formation(text, procrun::Location{".procrun.yaml", 3, 12}, line);
    if (located.diagnostics.size() != parsed.diagnostics.size())
        std::abort();
    for (const auto& d : located.diagnostics) {
        if (d.where.line != 3 || d.where.column < 12)
            std::abort();
        if (procrun::format_human(d, false).empty())
            std::abort();
    }
    return 0;
}
