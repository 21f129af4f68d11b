#pragma once

// What every part of the config reader shares: the reader state (text, file,
// the diagnostics it adds), one walk over a YAML mapping's keys, and the
// readers of plain values (booleans, whole numbers, choices, durations).

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "procrun/config.hpp"

namespace procrun::config {

class Reader {
  public:
    Reader(std::string_view text, std::string_view file, Parsed<Settings>& out)
        : text_(text), file_(file), out_(out) {}

    [[nodiscard]] Settings& settings() { return out_.value; }
    [[nodiscard]] std::string_view text() const { return text_; }
    // Errors found so far (also those not kept once there were too many).
    [[nodiscard]] std::size_t errors() const { return errors_; }

    [[nodiscard]] Location at(const YAML::Mark& mark) const;

    // The text of line `line` (1-based), without its terminator.
    [[nodiscard]] std::string_view line(int line) const;

    void error(const YAML::Mark& mark, std::string code, std::string message,
               std::string hint = {});
    void warning(const YAML::Mark& mark, std::string code, std::string message,
                 std::string hint = {});

    // "'port' must be EXPECTS, found 'http'", at the value (at the key when
    // there is no value). `label` replaces "'KEY'" when given.
    void wrong_type(const YAML::Node& key, const YAML::Node& value, std::string_view expects,
                    std::string hint = {}, std::string label = {});

    template <class T>
    Sourced<T> sourced(T v, const YAML::Node& value) const {
        return Sourced<T>{std::move(v), at(value.Mark())};
    }

  private:
    void add(Severity severity, const YAML::Mark& mark, std::string code, std::string message,
             std::string hint);

    std::string_view text_;
    std::string file_;
    Parsed<Settings>& out_;
    mutable std::vector<std::size_t> line_starts_;  // built on the first diagnostic
    std::size_t errors_ = 0;
    std::size_t source_bytes_ = 0;  // copied into diagnostics so far
    bool stopped_ = false;          // too many errors: the rest are dropped
};

// `text` in single quotes for a message, cut short when long: a value can be
// a whole multi-megabyte line.
std::string quoted(std::string_view text);

// Letters, digits, '_' and '-': a process type name.
bool is_name(const YAML::Node& node);
bool is_name(std::string_view text);

// Up to 9 digits, nothing else.
std::optional<long> parse_whole(std::string_view text);

// How walk_mapping checks a mapping's keys.
struct KeyRules {
    // Completes the messages, "unknown key 'x'WHERE", "'x' is set twiceWHERE":
    // " for process type 'web'", " in backoff"; empty at the top level.
    std::string where;
    // The keys it takes, in the order a hint lists them. Empty: the keys are
    // process type names, and `names` says how they are reported.
    std::vector<std::string> known;
    // Pairs of keys that are one setting under two names.
    std::vector<std::pair<std::string, std::string>> same;

    struct Names {
        std::string noun;  // before the quoted name: "process type "
        std::string twice = "is set twice";
        std::string invalid_code = "config/invalid-name";
        std::string invalid_hint;
        std::string duplicate_code = "config/duplicate-key";
        std::string duplicate_hint;
    } names;
};

using EntryHandler = std::function<void(const YAML::Node& key, const YAML::Node& value)>;

// The one walk over a mapping: its entries in order; a key that is not a plain
// name, not known (with "did you mean" or the known keys as a hint) or given
// twice is a located error and skipped; every other entry goes to `handle`.
void walk_mapping(Reader& r, const YAML::Node& map, const KeyRules& rules,
                  const EntryHandler& handle);

// "did you mean 'x'?", else "known keys: a, b, c".
std::string unknown_key_hint(std::string_view key, const std::vector<std::string>& known);

std::optional<bool> read_bool(Reader& r, const YAML::Node& key, const YAML::Node& value);
std::optional<int> read_whole(Reader& r, const YAML::Node& key, const YAML::Node& value, int min,
                              int max, std::string_view expects);
std::optional<Millis> read_duration(Reader& r, const YAML::Node& key, const YAML::Node& value,
                                    bool above_zero);

// One of a few words; an unknown word suggests the nearest.
template <class E>
std::optional<E> read_choice(Reader& r, const YAML::Node& key, const YAML::Node& value,
                             const std::vector<std::pair<std::string, E>>& choices,
                             std::string label = {}) {
    std::vector<std::string> names;
    for (const auto& [name, e] : choices) {
        if (value.IsScalar() && value.Scalar() == name)
            return e;
        names.push_back(name);
    }
    std::string hint;
    if (value.IsScalar()) {
        if (std::string best = nearest_name(value.Scalar(), names); !best.empty())
            hint = "did you mean '" + best + "'?";
    }
    std::string list;
    for (std::size_t i = 0; i < names.size(); ++i) {
        list += i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ");
        list += names[i];
    }
    r.wrong_type(key, value, "one of " + list, std::move(hint), std::move(label));
    return std::nullopt;
}

}  // namespace procrun::config
