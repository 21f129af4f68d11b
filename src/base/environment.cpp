#include "procrun/environment.hpp"

extern char** environ;

namespace procrun {

Environment::Environment(std::initializer_list<Entry> entries) {
    for (const auto& [k, v] : entries)
        set(k, v);
}

void Environment::set(std::string key, std::string value) {
    if (auto it = index_.find(std::string_view(key)); it != index_.end()) {
        entries_[it->second].second = std::move(value);
        return;
    }
    index_.emplace(key, entries_.size());
    entries_.emplace_back(std::move(key), std::move(value));
}

bool Environment::erase(std::string_view key) {
    const auto it = index_.find(key);
    if (it == index_.end())
        return false;
    const std::size_t position = it->second;
    index_.erase(it);
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(position));
    for (std::size_t i = position; i < entries_.size(); ++i)
        index_[entries_[i].first] = i;
    return true;
}

const std::string* Environment::find(std::string_view key) const {
    if (auto it = index_.find(key); it != index_.end())
        return &entries_[it->second].second;
    return nullptr;
}

std::optional<std::string> Environment::get(std::string_view key) const {
    if (const std::string* v = find(key))
        return *v;
    return std::nullopt;
}

void Environment::merge(const Environment& other) {
    entries_.reserve(entries_.size() + other.entries_.size());
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
        if (eq == std::string_view::npos || eq == 0 || env.contains(s.substr(0, eq)))
            continue;
        env.set(std::string(s.substr(0, eq)), std::string(s.substr(eq + 1)));
    }
    return env;
}

}  // namespace procrun
