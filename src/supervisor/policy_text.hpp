#pragma once

// Wording shared by the policy's two halves (policy.cpp, policy_stop.cpp).

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace procrun::policy_text {

inline std::string processes(std::size_t n) {
    return std::to_string(n) + (n == 1 ? " process" : " processes");
}

inline std::string seconds(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0)
        return std::to_string(d.count() / 1000) + "s";
    return std::to_string(d.count()) + "ms";
}

inline std::string join(const std::vector<std::string>& parts, const char* sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty())
            out += sep;
        out += p;
    }
    return out;
}

}  // namespace procrun::policy_text
