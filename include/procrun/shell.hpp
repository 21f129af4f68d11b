#pragma once

#include <cstddef>
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

// One token of a shell command line: a word, a control operator or a
// redirection operator.
struct ShellWord {
    std::string text;       // after quote removal (operators as written)
    std::size_t begin = 0;  // byte offset of the raw token in the command
    std::size_t end = 0;    // one past its last byte
    bool quoted = false;    // any part of a word was quoted or escaped
    bool op = false;        // a control operator: && || ; | & ( ) or a line break
    bool redirect = false;  // a redirection operator: > >> < >& &> ... (a descriptor number
                            // written right before it is not a word)
};

// Splits a command line the way /bin/sh tokenises it, without expanding
// anything: blanks separate words; quotes ('...', "...") and backslashes are
// removed from a word's text; `#` at the start of a word comments out the rest
// of the line; a line break is an operator. An unterminated quote runs to the
// end. The only shell lexer of procrun: can_exec and `procrun check`'s lints
// both read commands through it.
std::vector<ShellWord> shell_words(std::string_view command);

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
