#include "procrun/environment.hpp"

extern char** environ;

namespace procrun {

Environment::Environment(std::initializer_list<Entry> entries) {
    for (const auto& [k, v] : entries)
        set(k, v);
}

void Environment::set(std::string key, std::string value) {
    for (auto& entry : entries_) {
        if (entry.first == key) {
            entry.second = std::move(value);
            return;
        }
    }
    entries_.emplace_back(std::move(key), std::move(value));
}

bool Environment::erase(std::string_view key) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->first == key) {
            entries_.erase(it);
            return true;
        }
    }
    return false;
}

const std::string* Environment::find(std::string_view key) const {
    for (const auto& entry : entries_) {
        if (entry.first == key)
            return &entry.second;
    }
    return nullptr;
}

std::optional<std::string> Environment::get(std::string_view key) const {
    if (const std::string* v = find(key))
        return *v;
    return std::nullopt;
}

void Environment::merge(const Environment& other) {
    for (const auto& [k, v] : other.entries_)
        set(k, v);
}

std::vector<std::string> Environment::to_strings() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& [k, v] : entries_)
        out.push_back(k + "=" + v);
    return out;
}

Environment Environment::from_process() {
    Environment env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view s(*e);
        const auto eq = s.find('=');
        if (eq == std::string_view::npos || eq == 0)
            continue;
        env.entries_.emplace_back(std::string(s.substr(0, eq)), std::string(s.substr(eq + 1)));
    }
    return env;
}

}  // namespace procrun
