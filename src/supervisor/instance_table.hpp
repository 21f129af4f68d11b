#pragma once

// The instances of one `procrun start`: the plan's, in its order, then those
// added while it runs (the instances of a type that was not started, `procrun
// scale`). An instance's id is its index here: ids are only ever appended and
// never reused, and an instance never moves, so every per-instance table of
// the supervisor (the policy's, the launcher's, the runtime's, the sink's)
// grows with it through Runtime::add_instance and nothing else.

#include <cstddef>
#include <deque>
#include <string_view>
#include <vector>

#include "procrun/control.hpp"
#include "procrun/plan.hpp"

namespace procrun {

class InstanceTable {
  public:
    // `plan` must outlive the table.
    explicit InstanceTable(const Plan& plan);

    [[nodiscard]] std::size_t size() const { return all_.size(); }
    [[nodiscard]] const Instance& operator[](std::size_t id) const { return *all_[id]; }
    [[nodiscard]] const Plan& plan() const { return plan_; }

    // Appends instance `index` of `type` (a type of the plan), with its PORT
    // by the plan's rule; returns its id.
    std::size_t add(const ProcessType& type, int index);
    // The ids of every instance of `type`, by index.
    [[nodiscard]] std::vector<std::size_t> of_type(std::string_view type) const;
    // Every id in the Procfile's order of types, each type's by index (what
    // status lists): web.1, web.2 (scaled up later), worker.1.
    [[nodiscard]] std::vector<std::size_t> ordered() const;
    // The instances `targets` name (types or instances; all when empty), in
    // the order of ordered(), or the error naming the unknown ones.
    [[nodiscard]] ResolvedTargets resolve(const std::vector<std::string>& targets) const;
    // The longest instance name.
    [[nodiscard]] std::size_t name_width() const;

  private:
    void sort_ordered(std::vector<std::size_t>& ids) const;

    const Plan& plan_;
    std::deque<Instance> added_;        // stable addresses
    std::vector<const Instance*> all_;  // by id
};

}  // namespace procrun
