#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace procrun {

// An ordered set of environment variables. Order of first insertion is kept
// (exports and `check` list variables the way the user wrote them); setting an
// existing key replaces its value in place. Lookups and assignments take
// constant time (a hash index over the keys, made once there are more than a
// few), so building an environment of n variables costs O(n) however large n is.
class Environment {
  public:
    using Entry = std::pair<std::string, std::string>;

    Environment() = default;
    Environment(std::initializer_list<Entry> entries);

    void set(std::string key, std::string value);
    // Removes `key`; O(n), as the positions after it move.
    bool erase(std::string_view key);
    [[nodiscard]] const std::string* find(std::string_view key) const;
    [[nodiscard]] std::optional<std::string> get(std::string_view key) const;
    [[nodiscard]] bool contains(std::string_view key) const { return find(key) != nullptr; }

    // Adds or replaces every variable of `other`, in `other`'s order.
    void merge(const Environment& other);

    [[nodiscard]] const std::vector<Entry>& entries() const { return entries_; }
    [[nodiscard]] std::size_t size() const { return entries_.size(); }
    [[nodiscard]] bool empty() const { return entries_.empty(); }

    // "KEY=value" strings, for execve.
    [[nodiscard]] std::vector<std::string> to_strings() const;

    // Reads `environ`. The only function here that touches process state.
    // When a name appears twice, the first one counts (as getenv(3) reads it).
    static Environment from_process();

    // Equal when the same variables have the same values in the same order.
    friend bool operator==(const Environment& a, const Environment& b) {
        return a.entries_ == b.entries_;
    }

  private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    // Where `key` is in entries_.
    [[nodiscard]] std::optional<std::size_t> position(std::string_view key) const;
    // Makes the index again (none for a few variables).
    void reindex();

    std::vector<Entry> entries_;
    // Key -> its position in entries_; empty while a scan is as fast.
    std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index_;
};

}  // namespace procrun
