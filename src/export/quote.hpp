#pragma once

// Quoting for the languages the exporters write: POSIX sh, systemd unit files
// and environment files, supervisord's config file, runit's envdir files and
// XML. Each function either returns text that the target's own parser turns
// back into exactly the input, or explains (in `why`) why that is impossible.

#include <optional>
#include <string>
#include <string_view>

#include "procrun/shell.hpp"

namespace procrun::quote {

// True when `key` is a portable environment variable name: [A-Za-z_][A-Za-z0-9_]*.
bool is_env_name(std::string_view key);

// True when `s` is well-formed UTF-8.
bool is_utf8(std::string_view s);

// --- systemd (systemd.syntax(7), systemd.service(5) "Command lines") ---

// One word of ExecStart=: double-quoted with C escapes (\\ \" \n \t \r ...,
// \xHH for other control bytes), '$' written "$$" (no variable expansion) and
// '%' written "%%" (no specifier expansion).
std::string systemd_exec_word(std::string_view s);

// A setting value that is taken literally apart from specifiers (paths,
// User=): '%' doubled. Nullopt when `s` holds a control character or leading or
// trailing whitespace, which the unit file parser cannot keep.
std::optional<std::string> systemd_value(std::string_view s, std::string* why);

// One line of an EnvironmentFile=: KEY="value" with \ " ` $ backslash-escaped;
// newlines are kept literally inside the quotes, which systemd's parser allows.
std::string systemd_env_line(std::string_view key, std::string_view value);

// --- supervisord (Python configparser + shlex) ---

// A word of command= that shlex.split (POSIX mode) turns back into `s` after
// the config parser has joined continuation lines and dropped inline comments:
// single-quoted, '%' doubled, whitespace before ';' or '#' split off with '',
// newlines carried by indented continuation lines. Nullopt for a carriage
// return, which the config file reader turns into a line break.
std::optional<std::string> supervisor_word(std::string_view s, std::string* why);

// The value of one KEY=VALUE pair of environment=, which supervisord reads with
// shlex in non-POSIX mode (no escapes) and then strips quote characters from
// both ends. Nullopt when that cannot reproduce `s` exactly.
std::optional<std::string> supervisor_env_value(std::string_view s, std::string* why);

// A plain setting value (directory=, user=, stdout_logfile=): '%' doubled.
// Nullopt for control characters, leading/trailing whitespace, or whitespace
// followed by ';' or '#' (an inline comment to supervisord).
std::optional<std::string> supervisor_value(std::string_view s, std::string* why);

// --- runit ---

// The content of an envdir file for chpst -e: chpst keeps the first line,
// strips trailing spaces and tabs and turns NUL into newline, so newlines are
// written as NUL. Nullopt when the value ends in a space or tab.
std::optional<std::string> runit_env_file(std::string_view value, std::string* why);

// --- XML ---

// Character data for an XML 1.0 element: & < > escaped, carriage return as
// &#13; (a parser would turn a literal one into a newline). Nullopt for control
// characters XML 1.0 cannot carry and for malformed UTF-8.
std::optional<std::string> xml_text(std::string_view s, std::string* why);

}  // namespace procrun::quote
