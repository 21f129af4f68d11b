#pragma once

// Signal names and what each signal does by default: pure (no system calls),
// the numbers are <csignal>'s constants.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace procrun {

// "SIGTERM" for SIGTERM; "SIG42" for a number without a name.
std::string signal_name(int signal);

// A signal as users write it: a name with or without "SIG", in any case
// ("TERM", "SIGquit", "hup"), or a number from 1 to NSIG - 1 ("15").
std::optional<int> parse_signal(std::string_view text);

// The names parse_signal takes, without "SIG", in the order of their numbers
// (HUP, INT, QUIT, ...): for "did you mean" hints.
const std::vector<std::string>& signal_names();

// What a signal does to a process that has not set a handler for it.
enum class SignalDefault {
    terminate,  // ends the process (some also dump core)
    ignore,     // nothing: CHLD, URG, WINCH
    suspend,    // suspends it: STOP, TSTP, TTIN, TTOU
    resume,     // resumes a suspended process, nothing else: CONT
};
SignalDefault default_action(int signal);

// False for KILL and STOP, which no process can handle, block or ignore.
bool can_be_handled(int signal);

}  // namespace procrun
