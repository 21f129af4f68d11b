#pragma once

// The process types of a plan that tests grow while it runs: web (position 0)
// and worker (position 1), one instance each by the formation.

#include <vector>

#include "procrun/plan.hpp"

namespace procrun::test {

inline std::vector<ProcessType> web_and_worker_types() {
    ProcessType web;
    web.name = "web";
    ProcessType worker;
    worker.name = "worker";
    worker.position = 1;
    return {web, worker};
}

}  // namespace procrun::test
