#include "procrun/procfile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "characters.hpp"

namespace procrun {

const ProcfileEntry* Procfile::find(std::string_view name) const {
    for (const auto& e : entries) {
        if (e.name == name)
            return &e;
    }
    return nullptr;
}

std::vector<std::string> Procfile::names() const {
    std::vector<std::string> out;
    out.reserve(entries.size());
    for (const auto& e : entries)
        out.push_back(e.name);
    return out;
}

namespace {

using characters::is_blank;
using characters::is_process_name_char;
using characters::kBom;

constexpr std::size_t kMaxStrictNameLength = 63;

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// How a character is named in a message: printable ASCII as itself, the rest
// as a code so the message stays readable.
std::string describe_char(std::string_view text, std::size_t pos) {
    const auto u = static_cast<unsigned char>(text[pos]);
    if (u == ' ')
        return "a space";
    if (u == '\t')
        return "a tab";
    if (u >= 0x21 && u < 0x7f)
        return fmt::format("'{}'", text[pos]);
    if (u >= 0x80) {
        // A whole UTF-8 sequence, shown as written.
        std::size_t len = 1;
        if ((u & 0xE0) == 0xC0) {
            len = 2;
        } else if ((u & 0xF0) == 0xE0) {
            len = 3;
        } else if ((u & 0xF8) == 0xF0) {
            len = 4;
        }
        bool valid = pos + len <= text.size();
        for (std::size_t i = 1; valid && i < len; ++i) {
            valid = (static_cast<unsigned char>(text[pos + i]) & 0xC0) == 0x80;
        }
        if (len > 1 && valid)
            return fmt::format("'{}'", text.substr(pos, len));
        return fmt::format("byte 0x{:02X}", u);
    }
    return fmt::format("control character 0x{:02X}", u);
}

// At most `limit` bytes of `s` for a message, cut at a character boundary.
std::string shorten(std::string_view s, std::size_t limit) {
    if (s.size() <= limit)
        return std::string(s);
    std::size_t cut = limit - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
        --cut;
    return std::string(s.substr(0, cut)) + "...";
}

int column_of(std::size_t offset) {
    return static_cast<int>(offset) + 1;
}

struct LineParser {
    std::string_view file;
    const ProcfileOptions& options;
    Parsed<Procfile>& out;
    std::map<std::string, int, std::less<>> first_line;  // name -> line
    int continued_from = 0;  // line whose command ended with a backslash

    void error(int line, std::size_t offset, std::string_view text, std::string code,
               std::string message, std::string hint = {}) {
        out.diagnostics.push_back(make_error(Location{std::string(file), line, column_of(offset)},
                                             std::move(code), std::move(message), std::string(text),
                                             std::move(hint)));
    }

    void parse(int line, std::string_view text) {
        const int previous_continuation = continued_from;
        continued_from = 0;

        if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
            error(line, nul, text, "procfile/nul-byte", "NUL byte in Procfile",
                  "a Procfile is a text file; was a binary or UTF-16 file saved as Procfile?");
            return;
        }
        if (const auto cr = text.find('\r'); cr != std::string_view::npos) {
            error(line, cr, text, "procfile/carriage-return",
                  "carriage return in the middle of a line",
                  "end lines with LF or CRLF; a lone CR (old Mac line ending) is not a line break");
            return;
        }

        std::size_t start = 0;
        while (start < text.size() && is_blank(text[start]))
            ++start;
        if (start == text.size())
            return;  // blank
        if (text[start] == '#')
            return;  // comment

        const std::size_t colon = text.find(':', start);
        std::size_t name_end = start;
        while (name_end < text.size() && !is_blank(text[name_end]) && text[name_end] != ':') {
            ++name_end;
        }
        std::size_t after_name = name_end;
        while (after_name < text.size() && is_blank(text[after_name]))
            ++after_name;

        // A name followed (after optional blanks) by the colon; anything else
        // before the first colon means this is not an entry at all.
        if (colon == std::string_view::npos || after_name != colon) {
            std::string hint =
                "each line is `name: command`, a `#` comment or blank; for example `web: "
                "bundle exec puma`";
            if (previous_continuation > 0) {
                hint = fmt::format(
                    "this looks like the continuation of line {}, but a Procfile has no line "
                    "continuation: put the whole command on one line or in a script",
                    previous_continuation);
            }
            std::string message = "expected `name: command`, found a line without a colon";
            if (colon != std::string_view::npos) {
                std::string_view before = text.substr(start, colon - start);
                while (!before.empty() && is_blank(before.back()))
                    before.remove_suffix(1);
                message = fmt::format(
                    "expected `name: command`, but '{}' before the colon is not a process name",
                    shorten(before, 40));
            }
            error(line, start, text, "procfile/not-an-entry", std::move(message), std::move(hint));
            return;
        }

        const std::string_view name = text.substr(start, name_end - start);
        if (name.empty()) {
            error(line, colon, text, "procfile/missing-name", "missing process name before ':'",
                  "write the process type first, for example `web: bundle exec puma`");
            return;
        }

        bool bad = false;
        for (std::size_t i = 0; i < name.size(); ++i) {
            if (!is_process_name_char(name[i])) {
                error(line, start + i, text, "procfile/invalid-name",
                      fmt::format("invalid character {} in process name '{}'",
                                  describe_char(name, i), name),
                      "process names may contain only letters, digits, '_' and '-'");
                bad = true;
                break;
            }
        }
        if (!bad && name_end != colon) {
            error(line, name_end, text, "procfile/space-before-colon",
                  fmt::format("space between process name '{}' and ':'", name),
                  fmt::format("write `{}: ...`; foreman and Heroku do not recognise the line "
                              "with a space before the colon and skip it silently",
                              name));
            bad = true;
        }
        if (!bad && options.strict) {
            std::string why;
            if (!is_strict_process_name(name, &why)) {
                error(line, start, text, "procfile/strict-name",
                      fmt::format("process name '{}' is not allowed with --strict: {}", name, why),
                      "Cloud Native Buildpacks (Heroku) and Kubernetes need lowercase a-z, "
                      "0-9 and '-', starting and ending with a letter or digit, at most 63 "
                      "characters");
                bad = true;
            }
        }

        std::size_t cmd_start = colon + 1;
        while (cmd_start < text.size() && is_blank(text[cmd_start]))
            ++cmd_start;
        std::size_t cmd_end = text.size();
        while (cmd_end > cmd_start && is_blank(text[cmd_end - 1]))
            --cmd_end;
        const std::string_view command = text.substr(cmd_start, cmd_end - cmd_start);

        if (command.empty()) {
            error(line, colon + 1, text, "procfile/empty-command",
                  fmt::format("process '{}' has no command", name),
                  "write the command after the colon, or delete the line");
            bad = true;
        } else {
            std::size_t backslashes = 0;
            while (backslashes < command.size() &&
                   command[command.size() - 1 - backslashes] == '\\') {
                ++backslashes;
            }
            if (backslashes % 2 == 1) {
                error(line, cmd_end - 1, text, "procfile/line-continuation",
                      "a backslash at the end of a line does not continue the command",
                      "Heroku and foreman run this line as it is, with a literal `\\`, and the "
                      "next line is not part of it; put a long command in a script (e.g. "
                      "bin/web) and run that");
                continued_from = line;
                bad = true;
            }
        }

        if (auto it = first_line.find(name); it != first_line.end()) {
            error(line, start, text, "procfile/duplicate-name",
                  fmt::format("duplicate process type '{}' (first defined on line {}, again on "
                              "line {})",
                              name, it->second, line),
                  "each process type may appear once; rename or remove one of them");
            return;
        }
        first_line.emplace(std::string(name), line);
        if (bad)
            return;

        out.value.entries.push_back(
            ProcfileEntry{std::string(name), std::string(command), line, column_of(cmd_start)});
    }
};

}  // namespace

bool is_strict_process_name(std::string_view name, std::string* why) {
    auto fail = [why](std::string reason) {
        if (why != nullptr)
            *why = std::move(reason);
        return false;
    };
    if (name.empty())
        return fail("the name is empty");
    if (name.size() > kMaxStrictNameLength) {
        return fail(fmt::format("it is {} characters long, the limit is {}", name.size(),
                                kMaxStrictNameLength));
    }
    for (char c : name) {
        if (c >= 'A' && c <= 'Z')
            return fail("it contains an uppercase letter");
        if (c == '_')
            return fail("it contains '_' (use '-')");
        if (!is_lower_alnum(c) && c != '-') {
            return fail(fmt::format("it contains {}", describe_char(std::string_view(&c, 1), 0)));
        }
    }
    if (!is_lower_alnum(name.front()))
        return fail("it must start with a letter or digit");
    if (!is_lower_alnum(name.back()))
        return fail("it must end with a letter or digit");
    return true;
}

Parsed<Procfile> parse_procfile(std::string_view text, std::string_view file,
                                const ProcfileOptions& options) {
    Parsed<Procfile> out;
    out.value.file = std::string(file);
    if (text.substr(0, kBom.size()) == kBom)
        text.remove_prefix(kBom.size());

    LineParser parser{file, options, out, {}, 0};
    int line = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        ++line;
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = text.size();
        std::string_view l = text.substr(pos, nl - pos);
        if (!l.empty() && l.back() == '\r')
            l.remove_suffix(1);
        parser.parse(line, l);
        pos = nl + 1;
    }

    if (out.diagnostics.empty() && out.value.entries.empty()) {
        const bool blank = std::all_of(text.begin(), text.end(), [](char c) {
            return c == ' ' || c == '\t' || c == '\n' || c == '\r';
        });
        if (blank) {
            out.diagnostics.push_back(make_error(Location{std::string(file), 0, 0},
                                                 "procfile/empty", "the Procfile is empty", {},
                                                 "add one line per process type, for example "
                                                 "`web: bundle exec puma -p $PORT`"));
        } else {
            out.diagnostics.push_back(make_error(
                Location{std::string(file), 0, 0}, "procfile/no-processes",
                "the Procfile defines no process type (it has only comments)", {},
                "add one line per process type, for example `web: bundle exec puma -p $PORT`"));
        }
    }
    return out;
}

}  // namespace procrun
