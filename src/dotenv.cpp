#include "procrun/dotenv.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <utility>

namespace procrun {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// `${A:-${B:-...}}` defaults nest; past this depth the rest is kept literally
// so hostile input cannot exhaust the stack.
constexpr int kMaxExpansionDepth = 32;

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

bool is_name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_key_char(char c) {
    return is_name_char(c) || c == '.';
}

std::string describe(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\t')
        return "a tab";
    if (u < 0x20 || u == 0x7f)
        return fmt::format("the control character 0x{:02x}", u);
    if (u >= 0x80)
        return "a non-ASCII character";
    return fmt::format("'{}'", c);
}

class Parser {
  public:
    Parser(std::string_view text, std::string_view file, const EnvLookup& outside)
        : file_(file), outside_(outside) {
        if (text.substr(0, kBom.size()) == kBom)
            text.remove_prefix(kBom.size());
        // CRLF becomes LF once, up front; a lone CR stays part of the text.
        src_.reserve(text.size());
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
                continue;
            src_ += text[i];
        }
    }

    Parsed<std::vector<DotenvEntry>> run() {
        while (pos_ < src_.size())
            parse_line();
        return std::move(result_);
    }

  private:
    // ---- position helpers -------------------------------------------------

    [[nodiscard]] bool at_end() const { return pos_ >= src_.size(); }
    [[nodiscard]] char peek() const { return at_end() ? '\0' : src_[pos_]; }
    [[nodiscard]] bool at_eol() const { return at_end() || src_[pos_] == '\n'; }

    void skip_blanks() {
        while (!at_end() && is_blank(src_[pos_]))
            ++pos_;
    }

    // Moves past the end of the current line (and its newline).
    void skip_line() {
        while (!at_end() && src_[pos_] != '\n')
            ++pos_;
        if (!at_end())
            advance_newline();
    }

    void advance_newline() {
        ++pos_;
        ++line_;
        line_start_ = pos_;
    }

    [[nodiscard]] int column_of(std::size_t offset, std::size_t start) const {
        return static_cast<int>(offset - start) + 1;
    }

    [[nodiscard]] std::string line_text(std::size_t start) const {
        std::size_t end = src_.find('\n', start);
        if (end == std::string::npos)
            end = src_.size();
        return src_.substr(start, end - start);
    }

    void error(int line, std::size_t start, std::size_t offset, std::string code,
               std::string message, std::string hint = {}) {
        result_.diagnostics.push_back(make_error(Location{file_, line, column_of(offset, start)},
                                                 std::move(code), std::move(message),
                                                 line_text(start), std::move(hint)));
    }

    // ---- lines ------------------------------------------------------------

    void parse_line() {
        skip_blanks();
        if (at_eol()) {
            if (!at_end())
                advance_newline();
            return;
        }
        if (peek() == '#') {
            skip_line();
            return;
        }

        const int line = line_;
        const std::size_t start = line_start_;

        if (src_.compare(pos_, 6, "export") == 0 && pos_ + 6 < src_.size() &&
            is_blank(src_[pos_ + 6])) {
            pos_ += 6;
            skip_blanks();
        }

        const std::size_t key_begin = pos_;
        while (!at_end() && is_key_char(src_[pos_]))
            ++pos_;
        std::string key = src_.substr(key_begin, pos_ - key_begin);

        if (!at_eol() && !is_blank(peek()) && peek() != '=') {
            bad_key(line, start, key_begin);
            skip_line();
            return;
        }
        if (key.empty()) {
            bad_key(line, start, key_begin);
            skip_line();
            return;
        }
        if (key.front() >= '0' && key.front() <= '9') {
            error(line, start, key_begin, "dotenv/invalid-key",
                  fmt::format("invalid key '{}': a key cannot start with a digit", key),
                  "keys are letters, digits, '_' and '.', starting with a letter or '_'");
            skip_line();
            return;
        }

        skip_blanks();
        if (peek() != '=') {
            error(line, start, pos_, "dotenv/not-an-assignment",
                  fmt::format("expected '=' after '{}'", key),
                  fmt::format("write {}=value (or {}= for an empty value)", key, key));
            skip_line();
            return;
        }
        ++pos_;
        skip_blanks();

        std::string value;
        if (!parse_value(line, start, value))
            return;
        defined_.set(key, value);
        result_.value.push_back(DotenvEntry{std::move(key), std::move(value), line});
    }

    void bad_key(int line, std::size_t start, std::size_t key_begin) {
        // Find the offending character: the first one that is not a key character.
        std::size_t bad = pos_;
        const std::size_t eol = src_.find('\n', key_begin);
        const std::string_view rest = std::string_view(src_).substr(
            key_begin, (eol == std::string::npos ? src_.size() : eol) - key_begin);
        if (rest.find('=') == std::string_view::npos) {
            error(line, start, key_begin, "dotenv/not-an-assignment",
                  "expected an assignment KEY=value",
                  "each line is KEY=value, a '#' comment, or blank");
            return;
        }
        error(line, start, bad, "dotenv/invalid-key",
              fmt::format("invalid character {} in key", describe(src_[bad])),
              "keys are letters, digits, '_' and '.', starting with a letter or '_'");
    }

    // ---- values -----------------------------------------------------------

    // Reads the value at pos_ and moves past the end of its (last) line.
    // Returns false (after reporting) when the value is malformed.
    bool parse_value(int line, std::size_t start, std::string& out) {
        const char c = peek();
        if (c == '\'' || c == '"')
            return parse_quoted(c, line, start, out);
        parse_unquoted(out);
        return true;
    }

    void parse_unquoted(std::string& out) {
        const std::size_t begin = pos_;
        std::size_t end = begin;
        while (end < src_.size() && src_[end] != '\n') {
            if (src_[end] == '#' && (end == begin || is_blank(src_[end - 1])))
                break;
            ++end;
        }
        std::size_t stop = end;
        while (stop > begin && is_blank(src_[stop - 1]))
            --stop;
        out = render(std::string_view(src_).substr(begin, stop - begin), false, 0);
        pos_ = end;
        skip_line();
    }

    bool parse_quoted(char quote, int line, std::size_t start, std::string& out) {
        const std::size_t open = pos_;
        const int open_line = line_;
        const std::size_t open_line_start = line_start_;
        ++pos_;
        bool closed = false;
        while (!at_end()) {
            const char ch = src_[pos_];
            if (ch == quote) {
                closed = true;
                break;
            }
            if (ch == '\\' && quote == '"' && pos_ + 1 < src_.size() && src_[pos_ + 1] != '\n') {
                pos_ += 2;
                continue;
            }
            if (ch == '\n') {
                advance_newline();
                continue;
            }
            ++pos_;
        }
        if (!closed) {
            const char* kind = quote == '"' ? "double" : "single";
            error(line, start, open, "dotenv/unterminated-quote",
                  fmt::format("unterminated {}-quoted value", kind),
                  fmt::format("add the closing {} (a quoted value may span lines, so everything up "
                              "to the end of the file was read as its value)",
                              quote));
            // Resume on the line after the opening quote so later errors still show.
            line_ = open_line;
            line_start_ = open_line_start;
            pos_ = open;
            skip_line();
            return false;
        }
        const std::string_view raw = std::string_view(src_).substr(open + 1, pos_ - open - 1);
        ++pos_;
        skip_blanks();
        if (!at_eol() && peek() != '#') {
            error(line_, line_start_, pos_, "dotenv/trailing-characters",
                  fmt::format("unexpected {} after the closing quote", describe(peek())),
                  "put the whole value inside the quotes, or start a comment with ' #'");
            skip_line();
            return false;
        }
        skip_line();
        out = quote == '"' ? render(raw, true, 0) : std::string(raw);
        return true;
    }

    // ---- expansion --------------------------------------------------------

    [[nodiscard]] std::string lookup(std::string_view name) const {
        if (const std::string* v = defined_.find(name))
            return *v;
        if (outside_) {
            if (auto v = outside_(name))
                return *v;
        }
        return {};
    }

    [[nodiscard]] std::optional<std::string> lookup_opt(std::string_view name) const {
        if (const std::string* v = defined_.find(name))
            return *v;
        if (outside_)
            return outside_(name);
        return std::nullopt;
    }

    // Expands `$` references in `text`; with `escapes`, also resolves the
    // double-quote escapes (`\\$` is a literal dollar sign).
    std::string render(std::string_view text, bool escapes, int depth) const {
        std::string out;
        std::size_t i = 0;
        while (i < text.size()) {
            const char c = text[i];
            if (escapes && c == '\\' && i + 1 < text.size()) {
                const char next = text[i + 1];
                switch (next) {
                    case 'n':
                        out += '\n';
                        break;
                    case 't':
                        out += '\t';
                        break;
                    case 'r':
                        out += '\r';
                        break;
                    case '"':
                    case '\\':
                    case '$':
                        out += next;
                        break;
                    default:
                        out += '\\';
                        out += next;
                        break;
                }
                i += 2;
            } else if (c == '$') {
                i = expand_reference(text, i, out, escapes, depth);
            } else {
                out += c;
                ++i;
            }
        }
        return out;
    }

    // Expands the reference starting at `text[at]` (a '$') into `out`; returns
    // the offset just past it. Text that is not a reference stays literal.
    std::size_t expand_reference(std::string_view text, std::size_t at, std::string& out,
                                 bool escapes, int depth) const {
        std::size_t i = at + 1;
        if (i < text.size() && text[i] == '{') {
            std::size_t j = i + 1;
            const std::size_t name_begin = j;
            while (j < text.size() && is_name_char(text[j]))
                ++j;
            const std::string_view name = text.substr(name_begin, j - name_begin);
            if (name.empty() || j >= text.size()) {
                out += '$';
                return at + 1;
            }
            if (text[j] == '}') {
                out += lookup(name);
                return j + 1;
            }
            const bool colon = text[j] == ':';
            std::size_t op = colon ? j + 1 : j;
            if (op < text.size() && text[op] == '-') {
                // Find the matching brace, allowing nested ${...} in the default.
                std::size_t k = op + 1;
                int nest = 1;
                while (k < text.size()) {
                    if (text[k] == '{')
                        ++nest;
                    if (text[k] == '}' && --nest == 0)
                        break;
                    ++k;
                }
                if (k >= text.size()) {
                    out += '$';
                    return at + 1;
                }
                const std::string_view fallback = text.substr(op + 1, k - op - 1);
                const auto v = lookup_opt(name);
                const bool use_default = !v || (colon && v->empty());
                if (use_default) {
                    out += depth < kMaxExpansionDepth ? render(fallback, escapes, depth + 1)
                                                      : std::string(fallback);
                } else {
                    out += *v;
                }
                return k + 1;
            }
            out += '$';
            return at + 1;
        }
        std::size_t j = i;
        if (j < text.size() && is_name_start(text[j])) {
            while (j < text.size() && is_name_char(text[j]))
                ++j;
            out += lookup(text.substr(i, j - i));
            return j;
        }
        out += '$';
        return at + 1;
    }

    std::string src_;
    std::string file_;
    const EnvLookup& outside_;
    std::size_t pos_ = 0;
    int line_ = 1;
    std::size_t line_start_ = 0;
    Environment defined_;
    Parsed<std::vector<DotenvEntry>> result_;
};

}  // namespace

Parsed<std::vector<DotenvEntry>> parse_dotenv(std::string_view text, std::string_view file,
                                              const EnvLookup& outside) {
    return Parser(text, file, outside).run();
}

}  // namespace procrun
