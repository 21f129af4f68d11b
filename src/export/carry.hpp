#pragma once

// What each format carries of a process type's settings, and the warning for
// what it cannot: every setting a type gives that a format has no place for
// is named, never dropped silently.

#include <string>
#include <string_view>
#include <vector>

#include "export/format.hpp"

namespace procrun::exporter {

// The settings of `lifecycle` that differ from their defaults, by their key
// in `.procrun.yaml` (restart, stop_signal, depends_on, readiness, ...).
// env, env_file and working_dir are not listed: every format carries them.
std::vector<std::string_view> settings_given(const Lifecycle& lifecycle);

// A warning "export FORMAT: process type 'T' sets 'KEY', which FORMAT cannot
// express: it is left out", for each setting given by a selected type and not
// in `carried`.
void warn_not_carried(Job& job, const std::vector<std::string_view>& carried);

// How a type's processes restart under the format's supervisor. The default
// `restart: no` means "an exit stops everything" under procrun start, which
// has no place among independent services: it keeps the format's usual
// policy; with `can_die: true` it is a process that may finish, which is not
// restarted.
enum class ExportRestart { usual, on_failure, always, never };
ExportRestart export_restart(const Lifecycle& lifecycle);

// For formats whose supervisor restarts every exit (runit, inittab, a
// Kubernetes Deployment): a warning for each type that asks for less
// (restart: on-failure, or a process that may finish: can_die).
void warn_restart_always(Job& job);

// A duration in whole seconds, rounded up, at least `minimum`.
long whole_seconds(Millis d, long minimum = 0);

}  // namespace procrun::exporter
