#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace procrun {

// A word quoted for /bin/sh: left as it is when it holds only characters the
// shell never interprets (letters, digits, `_@%+=:,./-`), otherwise in single
// quotes with each ' written '\'' . The empty word is ''.
std::string shell_quote(std::string_view word);

// Words joined with spaces, each quoted, so that the shell passes exactly these
// arguments.
std::string shell_join(const std::vector<std::string>& words);

// Whether /bin/sh can replace itself with `command` (`exec COMMAND`): one simple
// command, without lists, pipelines, background jobs, subshells or command
// substitution in backquotes (`; | ( ) \``, a line break, or an `&` that is
// not part of a redirection such as 2>&1, anywhere, even quoted), whose first word is a program
// rather than an assignment, a reserved word or a builtin that only works inside the shell (cd,
// export, ., exit...). Conservative: when in doubt, false.
bool can_exec(std::string_view command);

// `exec COMMAND` when can_exec(command), otherwise `command` unchanged. Run
// through `sh -c`, the program then is the process procrun started: it gets
// signals directly and its exit status is the one reported.
std::string exec_form(std::string_view command);

}  // namespace procrun
