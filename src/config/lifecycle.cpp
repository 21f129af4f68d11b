#include "procrun/lifecycle.hpp"

#include <algorithm>
#include <cmath>

namespace procrun {

Millis Backoff::delay(int restart) const {
    const Millis cap = std::max(max, Millis{0});
    const Millis first = std::clamp(initial, Millis{0}, cap);
    if (restart <= 1 || first.count() == 0 || multiplier <= 1.0)
        return first;
    // In floating point: multiplier^(n-1) overflows to infinity for a huge n,
    // which compares above the cap like any other large value.
    const double grown =
        static_cast<double>(first.count()) * std::pow(multiplier, static_cast<double>(restart - 1));
    if (!std::isfinite(grown) || grown >= static_cast<double>(cap.count()))
        return cap;
    return Millis{static_cast<Millis::rep>(grown)};
}

Readiness Liveness::attempt() const {
    Readiness r;
    r.kind = kind;
    r.host = host;
    r.port = port;
    r.path = path;
    r.command = command;
    r.initial_delay = Millis{0};
    r.timeout = timeout;
    r.retries = 1;
    r.where = where;
    return r;
}

std::string_view to_string(RestartPolicy p) {
    switch (p) {
        case RestartPolicy::no:
            return "no";
        case RestartPolicy::on_failure:
            return "on-failure";
        case RestartPolicy::always:
            return "always";
    }
    return "?";
}

std::string_view to_string(DependencyCondition c) {
    switch (c) {
        case DependencyCondition::started:
            return "started";
        case DependencyCondition::ready:
            return "ready";
        case DependencyCondition::completed_successfully:
            return "completed_successfully";
    }
    return "?";
}

std::string_view to_string(ProbeKind k) {
    switch (k) {
        case ProbeKind::none:
            return "none";
        case ProbeKind::tcp:
            return "tcp";
        case ProbeKind::http:
            return "http";
        case ProbeKind::log:
            return "log";
        case ProbeKind::exec:
            return "exec";
    }
    return "?";
}

}  // namespace procrun
