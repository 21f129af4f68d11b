#include "supervisor/instance_table.hpp"

#include <algorithm>

namespace procrun {

InstanceTable::InstanceTable(const Plan& plan) : plan_(plan) {
    all_.reserve(plan.instances.size());
    for (const auto& inst : plan.instances)
        all_.push_back(&inst);
}

std::size_t InstanceTable::add(const ProcessType& type, int index) {
    // The settings of the type's other instances, shared, when it has any.
    for (const Instance* other : all_) {
        if (other->type == type.name) {
            added_.push_back(make_instance(plan_, type, index, other->lifecycle));
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

ResolvedTargets InstanceTable::resolve(const std::vector<std::string>& targets) const {
    return resolve_targets(targets, size(),
                           [this](std::size_t id) -> const Instance& { return *all_[id]; });
}

std::size_t InstanceTable::name_width() const {
    std::size_t width = 0;
    for (const Instance* inst : all_)
        width = std::max(width, inst->name.size());
    return width;
}

}  // namespace procrun
