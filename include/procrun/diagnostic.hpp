#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace procrun {

enum class Severity { error, warning, note };

std::string_view to_string(Severity severity);

// A place in an input file. Lines and columns are 1-based; 0 means "not known"
// (a whole-file problem has line 0, a whole-line problem column 0).
struct Location {
    std::string file;
    int line = 0;
    int column = 0;
    friend bool operator==(const Location&, const Location&) = default;
};

// One finding about the user's input: an error, a lint warning or a note.
// `code` is a stable identifier (e.g. "procfile/space-before-colon") for
// machine-readable output; `source_line` is the offending line's text so a
// caret can be drawn without reading the file again.
struct Diagnostic {
    Severity severity = Severity::error;
    Location where;
    std::string code;
    std::string message;
    std::string hint;
    std::string source_line;
};

Diagnostic make_error(Location where, std::string code, std::string message,
                      std::string source_line = {}, std::string hint = {});
Diagnostic make_warning(Location where, std::string code, std::string message,
                        std::string source_line = {}, std::string hint = {});

// Parsers return their value together with every diagnostic they found, so a
// caller can report all problems at once instead of only the first.
template <class T>
struct Parsed {
    T value{};
    std::vector<Diagnostic> diagnostics;

    [[nodiscard]] bool ok() const {
        for (const auto& d : diagnostics) {
            if (d.severity == Severity::error)
                return false;
        }
        return true;
    }
};

[[nodiscard]] bool has_errors(const std::vector<Diagnostic>& diagnostics);
std::size_t count(const std::vector<Diagnostic>& diagnostics, Severity severity);

// Compiler-style rendering, the one renderer of every command's diagnostics:
//   Procfile:3:4: error: message
//       3 | web : cmd
//         |    ^
//   hint: ...
// The file, message and hint go through escape_control (the hint keeps its
// line breaks). The source line shows tabs as a space and control characters,
// C1 controls and bytes that are not UTF-8 as '?'; a BOM is not shown. A line
// over 100 columns is cut to 100 around the column, with "..." on each cut
// side. The caret sits under the character the column (a 1-based byte offset
// into source_line) points into.
std::string format_human(const Diagnostic& d, bool colour);

// `text` safe to print on a terminal or in a CI log: each C0 control
// character and DEL as \xHH (ESC as \x1B, BEL as \x07), each C1 control
// (U+0080..U+009F) as \uHHHH, each byte that is not part of valid UTF-8 as
// \xHH; a line break too unless `keep_newlines`. Text over 4096 bytes is cut,
// with "... (N more bytes)".
std::string escape_control(std::string_view text, bool keep_newlines = false);

// The text of line `line` (1-based) of `text`, without its line terminator
// (and, on line 1, without a UTF-8 byte order mark).
std::string_view line_at(std::string_view text, int line);

}  // namespace procrun
