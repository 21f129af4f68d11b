// The requirements.txt parser (pip's format, the parts `procrun check` reads):
// requirement lines with their version specifiers, `-r`/`-c` references, and
// the distribution named by `#egg=` in a URL or path line.

#include <fmt/format.h>

#include <cctype>

#include "check/text.hpp"
#include "procrun/check.hpp"

namespace procrun {

namespace {

using lint::is_ident_char;
using lint::starts_with;
using lint::trim;

// Length of the distribution name at the start of a requirement line.
std::size_t name_length(std::string_view t) {
    std::size_t k = 0;
    while (k < t.size() && (std::isalnum(static_cast<unsigned char>(t[k])) != 0 || t[k] == '-' ||
                            t[k] == '_' || t[k] == '.')) {
        ++k;
    }
    return k;
}

// `line` without a comment: a '#' at the start or after whitespace.
std::string_view strip_comment(std::string_view l) {
    for (std::size_t k = 0; k < l.size(); ++k) {
        if (l[k] == '#' && (k == 0 || l[k - 1] == ' ' || l[k - 1] == '\t'))
            return l.substr(0, k);
    }
    return l;
}

// One logical line: physical lines joined at a trailing backslash.
struct LogicalLine {
    struct Piece {
        std::size_t offset = 0;  // where the physical line starts in `text`
        int line = 0;
        std::string source;  // the physical line as written
    };
    std::string text;
    std::vector<Piece> pieces;

    void add(int line, std::string_view raw, std::string_view part) {
        pieces.push_back(Piece{text.size(), line, std::string(raw)});
        text += part;
    }
    // The physical line holding byte `offset` of `text`.
    const Piece& piece_at(std::size_t offset) const {
        std::size_t k = 0;
        while (k + 1 < pieces.size() && pieces[k + 1].offset <= offset)
            ++k;
        return pieces[k];
    }
    void clear() {
        text.clear();
        pieces.clear();
    }
};

class Parser {
  public:
    Parser(std::string_view file, Parsed<Requirements>& out) : file_(file), out_(out) {}

    void line(const LogicalLine& l) {
        l_ = &l;
        const std::string_view t = trim(strip_comment(l.text));
        if (t.empty())
            return;
        const std::size_t start = offset_of(t);
        if (reference(t, start, "-r", "--requirement", out_.value.includes))
            return;
        if (reference(t, start, "-c", "--constraint", out_.value.constraints))
            return;
        const std::string_view after_name = t.substr(name_length(t));
        if (t.front() == '-' || t.front() == '.' || t.front() == '/' ||
            starts_with(after_name, "://") || starts_with(after_name, "+")) {
            egg();
        } else {
            requirement(t);
        }
    }

  private:
    std::string_view file_;
    Parsed<Requirements>& out_;
    const LogicalLine* l_ = nullptr;

    std::size_t offset_of(std::string_view part) const {
        return static_cast<std::size_t>(part.data() - l_->text.data());
    }
    // Where byte `offset` of the logical line is in the file.
    Location at(std::size_t offset) const {
        const auto& piece = l_->piece_at(offset);
        return Location{std::string(file_), piece.line,
                        static_cast<int>(offset - piece.offset) + 1};
    }
    const std::string& source(std::size_t offset) const { return l_->piece_at(offset).source; }

    void warn(std::size_t offset, std::string code, std::string message, std::string hint) {
        out_.diagnostics.push_back(make_warning(at(offset), std::move(code), std::move(message),
                                                source(offset), std::move(hint)));
    }

    // `-r FILE`, `-rFILE`, `--requirement FILE`, `--requirement=FILE` (and -c).
    bool reference(std::string_view t, std::size_t start, std::string_view short_opt,
                   std::string_view long_opt, std::vector<RequirementsReference>& into) {
        for (std::string_view opt : {long_opt, short_opt}) {
            if (!starts_with(t, opt))
                continue;
            std::string_view rest = t.substr(opt.size());
            if (!rest.empty() && rest.front() == '=')
                rest.remove_prefix(1);
            if (opt == long_opt && !rest.empty() && rest.front() != ' ' && rest.front() != '\t' &&
                t[opt.size()] != '=') {
                continue;  // another long option that starts the same
            }
            const std::string path(trim(rest));
            if (path.empty()) {
                warn(start, "requirements/missing-file", fmt::format("{} names no file", opt),
                     fmt::format("write `{} FILE`", opt));
            } else {
                into.push_back(RequirementsReference{path, at(start)});
            }
            return true;
        }
        return false;
    }

    // Other options, URLs and paths: the name is in `#egg=` if anywhere.
    void egg() {
        const std::string& joined = l_->text;
        const auto egg = joined.find("#egg=");
        if (egg == std::string::npos)
            return;
        const std::size_t k = egg + 5;
        std::size_t e = k;
        while (e < joined.size() &&
               (is_ident_char(joined[e]) || joined[e] == '-' || joined[e] == '.')) {
            ++e;
        }
        if (e == k)
            return;
        out_.value.requirements.push_back(
            Requirement{joined.substr(k, e - k), "", true, at(k), source(k)});
    }

    void requirement(std::string_view t) {
        const std::size_t k = name_length(t);
        const std::size_t start = offset_of(t);
        if (k == 0) {
            warn(start, "requirements/invalid-line",
                 "expected a distribution name, an option, a path or a URL",
                 "a requirement line starts with the name of a distribution, e.g. "
                 "`gunicorn==22.0.0`");
            return;
        }
        Requirement r;
        r.name = std::string(t.substr(0, k));
        r.where = at(start);
        r.source_line = source(start);
        std::string_view rest = trim(t.substr(k));
        if (!rest.empty() && rest.front() == '[') {
            const auto close = rest.find(']');
            if (close == std::string_view::npos) {
                warn(offset_of(rest), "requirements/unclosed-extras",
                     fmt::format("the extras of {} have no closing ']'", r.name),
                     "write extras as `name[extra1,extra2]`");
            }
            rest =
                close == std::string_view::npos ? std::string_view() : trim(rest.substr(close + 1));
        }
        rest = rest.substr(0, rest.find(';'));
        const auto opts = rest.find(" --");
        if (opts != std::string_view::npos)
            rest = rest.substr(0, opts);
        r.spec = std::string(trim(rest));
        r.pinned = starts_with(r.spec, "@") || r.spec.find("==") != std::string::npos ||
                   r.spec.find("~=") != std::string::npos || r.spec.find('<') != std::string::npos;
        out_.value.requirements.push_back(std::move(r));
    }
};

}  // namespace

std::string normalize_distribution(std::string_view name) {
    std::string out;
    bool sep = false;
    for (char c : name) {
        if (c == '-' || c == '_' || c == '.') {
            sep = true;
            continue;
        }
        if (sep && !out.empty())
            out += '-';
        sep = false;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

Parsed<Requirements> parse_requirements(std::string_view text, std::string_view file) {
    Parsed<Requirements> out;
    if (starts_with(text, "\xEF\xBB\xBF"))
        text.remove_prefix(3);  // a UTF-8 byte order mark; columns count from after it
    Parser parser(file, out);
    LogicalLine logical;
    int number = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const auto nl = text.find('\n', pos);
        std::string_view raw =
            text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++number;
        if (!raw.empty() && raw.back() == '\r')
            raw.remove_suffix(1);
        if (!raw.empty() && raw.back() == '\\') {
            logical.add(number, raw, raw.substr(0, raw.size() - 1));
            continue;
        }
        logical.add(number, raw, raw);
        parser.line(logical);
        logical.clear();
    }
    if (!logical.text.empty())
        parser.line(logical);  // a backslash on the last line joins it with nothing
    return out;
}

}  // namespace procrun
