// libFuzzer target for the .env parser: any bytes must parse without a crash,
// a hang or undefined behaviour, and every diagnostic must point into the text.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "procrun/dotenv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // A fixed outside lookup so `$HOME`, `${EMPTY:-x}` and unset names all take their paths.
    const procrun::EnvLookup outside = [](std::string_view name) -> std::optional<std::string> {
        if (name == "HOME")
            return std::string("/home/fuzz");
        if (name == "EMPTY")
            return std::string();
        return std::nullopt;
    };
    const auto parsed = procrun::parse_dotenv(text, ".env", outside);
    for (const auto& d : parsed.diagnostics) {
        if (d.where.file != ".env" || d.where.line < 1 || d.where.column < 0)
            std::abort();
        if (d.message.empty())
            std::abort();
    }
    for (const auto& e : parsed.value) {
        if (e.key.empty() || e.line < 1)
            std::abort();
        if (e.value.find('\0') != std::string::npos)
            std::abort();
    }
    return 0;
}
