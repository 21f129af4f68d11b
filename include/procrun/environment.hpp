#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace procrun {

// An ordered set of environment variables. Order of first insertion is kept
// (exports and `check` list variables the way the user wrote them); setting an
// existing key replaces its value in place.
class Environment {
  public:
    using Entry = std::pair<std::string, std::string>;

    Environment() = default;
    Environment(std::initializer_list<Entry> entries);

    void set(std::string key, std::string value);
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
    static Environment from_process();

    friend bool operator==(const Environment&, const Environment&) = default;

  private:
    std::vector<Entry> entries_;
};

}  // namespace procrun
