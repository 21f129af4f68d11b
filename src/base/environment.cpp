#include "procrun/environment.hpp"

extern char** environ;

namespace procrun {

Environment::Environment(std::initializer_list<Entry> entries) {
    for (const auto& [k, v] : entries)
        set(k, v);
}

namespace {

// Up to this many variables are found by a scan (an instance's own PORT and
// PS, a type's few): no index to allocate. Past it, a hash index.
constexpr std::size_t kScanUpTo = 8;

}  // namespace

std::optional<std::size_t> Environment::position(std::string_view key) const {
    if (index_.empty()) {
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            if (entries_[i].first == key)
                return i;
        }
        return std::nullopt;
    }
    if (auto it = index_.find(key); it != index_.end())
        return it->second;
    return std::nullopt;
}

void Environment::reindex() {
    index_.clear();
    if (entries_.size() <= kScanUpTo)
        return;
    index_.reserve(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i)
        index_.emplace(entries_[i].first, i);
}

void Environment::set(std::string key, std::string value) {
    if (const auto at = position(key)) {
        entries_[*at].second = std::move(value);
        return;
    }
    entries_.emplace_back(std::move(key), std::move(value));
    if (!index_.empty())
        index_.emplace(entries_.back().first, entries_.size() - 1);
    else if (entries_.size() > kScanUpTo)
        reindex();
}

bool Environment::erase(std::string_view key) {
    const auto at = position(key);
    if (!at)
        return false;
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(*at));
    reindex();
    return true;
}

const std::string* Environment::find(std::string_view key) const {
    if (const auto at = position(key))
        return &entries_[*at].second;
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
