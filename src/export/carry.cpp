#include "export/carry.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace procrun::exporter {

std::vector<std::string_view> settings_given(const Lifecycle& lc) {
    const Lifecycle d;
    std::vector<std::string_view> out;
    auto given = [&out](bool set, std::string_view key) {
        if (set)
            out.push_back(key);
    };
    given(lc.restart != d.restart, "restart");
    given(lc.backoff != d.backoff, "backoff");
    given(lc.max_restarts != d.max_restarts, "max_restarts");
    given(lc.on_exhausted != d.on_exhausted, "on_exhausted");
    given(lc.can_die != d.can_die, "can_die");
    given(lc.exit_with != d.exit_with, "exit_with");
    given(lc.stop_signal != d.stop_signal, "stop_signal");
    given(lc.stop_timeout.has_value(), "stop_timeout");
    given(!lc.depends_on.empty(), "depends_on");
    given(lc.readiness.kind != ProbeKind::none, "readiness");
    given(lc.pty != d.pty, "pty");
    given(!lc.forward_signals.empty(), "forward_signals");
    given(lc.liveness.kind != ProbeKind::none, "liveness");
    given(!lc.stop_command.empty(), "stop_command");
    given(lc.autostart != d.autostart, "autostart");
    return out;
}

void warn_not_carried(Job& job, const std::vector<std::string_view>& carried) {
    for (const auto& type : job.plan().types) {
        if (!type.selected)
            continue;
        for (const std::string_view key : settings_given(type.lifecycle)) {
            if (std::find(carried.begin(), carried.end(), key) != carried.end())
                continue;
            job.warning("export/not-carried",
                        fmt::format("process type '{}' sets '{}', which {} cannot express: it is "
                                    "left out",
                                    type.name, key, job.format()),
                        "docs/export.md lists what each format carries");
        }
    }
}

void warn_restart_always(Job& job) {
    for (const auto& type : job.plan().types) {
        if (!type.selected)
            continue;
        const ExportRestart r = export_restart(type.lifecycle);
        if (r != ExportRestart::on_failure && r != ExportRestart::never)
            continue;
        job.warning(
            "export/not-carried",
            fmt::format("process type '{}' sets '{}', but '{}' restarts after every exit "
                        "under {}",
                        type.name, r == ExportRestart::never ? "can_die" : "restart: on-failure",
                        type.name, job.format()),
            "docs/export.md lists what each format carries");
    }
}

ExportRestart export_restart(const Lifecycle& lc) {
    switch (lc.restart) {
        case RestartPolicy::always:
            return ExportRestart::always;
        case RestartPolicy::on_failure:
            return ExportRestart::on_failure;
        case RestartPolicy::no:
            break;
    }
    return lc.can_die ? ExportRestart::never : ExportRestart::usual;
}

long whole_seconds(Millis d, long minimum) {
    const long s = static_cast<long>((d.count() + 999) / 1000);
    return std::max(s, minimum);
}

}  // namespace procrun::exporter
