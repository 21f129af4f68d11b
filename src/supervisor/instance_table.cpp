#include "supervisor/instance_table.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <utility>

namespace procrun {

InstanceTable::InstanceTable(const Plan& plan) : plan_(plan) {
    all_.reserve(plan.instances.size());
    for (const auto& inst : plan.instances)
        all_.push_back(&inst);
}

std::size_t InstanceTable::add(const ProcessType& type, int index) {
    // The settings and environment of the type's other instances, shared,
    // when it has any.
    for (const Instance* other : all_) {
        if (other->type == type.name) {
            added_.push_back(make_instance(plan_, type, index, *other));
            all_.push_back(&added_.back());
            return all_.size() - 1;
        }
    }
    added_.push_back(make_instance(plan_, type, index));
    all_.push_back(&added_.back());
    return all_.size() - 1;
}

std::vector<std::size_t> InstanceTable::of_type(std::string_view type) const {
    std::vector<std::size_t> out;
    for (std::size_t id = 0; id < all_.size(); ++id) {
        if (all_[id]->type == type)
            out.push_back(id);
    }
    std::sort(out.begin(), out.end(),
              [this](std::size_t a, std::size_t b) { return all_[a]->index < all_[b]->index; });
    return out;
}

std::vector<std::size_t> InstanceTable::ordered() const {
    std::vector<std::size_t> ids(all_.size());
    for (std::size_t id = 0; id < ids.size(); ++id)
        ids[id] = id;
    sort_ordered(ids);
    return ids;
}

ResolvedTargets InstanceTable::resolve(const std::vector<std::string>& targets) const {
    ResolvedTargets out = resolve_targets(
        targets, size(), [this](std::size_t id) -> const Instance& { return *all_[id]; });
    sort_ordered(out.instances);
    return out;
}

// The plan's instances are already in this order; only added ones move.
void InstanceTable::sort_ordered(std::vector<std::size_t>& ids) const {
    if (added_.empty())
        return;
    std::map<std::string_view, int> position;
    for (const auto& type : plan_.types)
        position.emplace(type.name, type.position);
    std::vector<std::pair<int, int>> key(all_.size());
    for (std::size_t id : ids)
        key[id] = {position[all_[id]->type], all_[id]->index};
    std::stable_sort(ids.begin(), ids.end(),
                     [&key](std::size_t a, std::size_t b) { return key[a] < key[b]; });
}

std::size_t InstanceTable::name_width() const {
    std::size_t width = 0;
    for (const Instance* inst : all_)
        width = std::max(width, inst->name.size());
    return width;
}

}  // namespace procrun
