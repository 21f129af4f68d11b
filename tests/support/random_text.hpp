#pragma once

// Reproducible pseudo-random output: procrun-testchild writes it from a seed,
// and the stress tests regenerate it from the same seed to compare what
// procrun relayed byte for byte. splitmix64, so both sides agree on every
// platform.

#include <cstddef>
#include <cstdint>
#include <string>

namespace procrun::test {

class RandomText {
  public:
    static constexpr std::size_t kMaxLine = 4096;

    explicit RandomText(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31U);
    }

    // Appends `n` printable ASCII bytes ('0'..'o').
    void printable(std::string& out, std::size_t n) {
        while (n > 0) {
            std::uint64_t r = next();
            for (int i = 0; i < 8 && n > 0; ++i, --n) {
                out.push_back(static_cast<char>('0' + (r & 63U)));
                r >>= 8U;
            }
        }
    }

    // Appends `n` arbitrary bytes: NUL, newlines, invalid UTF-8, anything.
    void bytes(std::string& out, std::size_t n) {
        while (n > 0) {
            std::uint64_t r = next();
            for (int i = 0; i < 8 && n > 0; ++i, --n) {
                out.push_back(static_cast<char>(r & 0xFFU));
                r >>= 8U;
            }
        }
    }

    // Appends the next line of the `random-lines` stream: 0..kMaxLine
    // printable bytes, without the newline.
    void line(std::string& out) { printable(out, next() % (kMaxLine + 1)); }

  private:
    std::uint64_t state_;
};

}  // namespace procrun::test
