#include "procrun/dotenv.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

// The dialect, and why each choice was made where the dotenv libraries
// disagree, is documented in docs/dotenv.md.

#include "characters.hpp"

namespace procrun {

namespace {

using characters::is_blank;
using characters::kBom;

// `${A:-${B:-...}}` defaults nest; past this depth a default is kept literally
// so hostile input cannot exhaust the stack.
constexpr int kMaxExpansionDepth = 32;

constexpr std::string_view kKeyHint =
    "a key is letters, digits, '_', '.' and '-', starting with a letter or '_'";

bool is_name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Characters of a name in `$NAME` / `${NAME}`.
bool is_name_char(char c) {
    return is_name_start(c) || is_digit(c);
}

// Characters of a key on the left of `=`.
bool is_key_char(char c) {
    return is_name_char(c) || c == '.' || c == '-';
}

bool is_quote(char c) {
    return c == '"' || c == '\'' || c == '`';
}

// Names the character that starts `at` for a message: '+', a tab, U+00E9 'é'.
std::string describe(std::string_view at) {
    if (at.empty())
        return "the end of the line";
    const auto u = static_cast<unsigned char>(at.front());
    if (at.front() == '\t')
        return "a tab";
    if (u < 0x20 || u == 0x7f)
        return fmt::format("the control character 0x{:02X}", u);
    if (u < 0x80)
        return fmt::format("'{}'", at.front());
    // A UTF-8 sequence: decode it to name the code point.
    const std::size_t length = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : u >= 0xC0 ? 2 : 1;
    char32_t cp = length == 4 ? u & 0x07u : length == 3 ? u & 0x0Fu : u & 0x1Fu;
    bool valid = length > 1 && at.size() >= length;
    for (std::size_t i = 1; valid && i < length; ++i) {
        const auto b = static_cast<unsigned char>(at[i]);
        valid = (b & 0xC0u) == 0x80u;
        cp = (cp << 6) | (b & 0x3Fu);
    }
    if (!valid)
        return fmt::format("the byte 0x{:02X} (not UTF-8)", u);
    if (cp == 0xFEFF)
        return "a byte order mark (U+FEFF)";
    return fmt::format("U+{:04X} '{}'", static_cast<std::uint32_t>(cp), at.substr(0, length));
}

std::string_view quote_name(char quote) {
    switch (quote) {
        case '"':
            return "double-quoted";
        case '\'':
            return "single-quoted";
        default:
            return "backtick-quoted";
    }
}

// Line endings: CRLF, LF and a lone CR each end a line.
std::string normalise_newlines(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            out += '\n';
            if (i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
        } else {
            out += text[i];
        }
    }
    return out;
}

class Parser {
  public:
    Parser(std::string_view text, std::string_view file, const EnvLookup& outside)
        : file_(file), outside_(outside) {
        if (text.substr(0, kBom.size()) == kBom)
            text.remove_prefix(kBom.size());
        utf16_ = text.substr(0, 2) == "\xFF\xFE" || text.substr(0, 2) == "\xFE\xFF";
        src_ = normalise_newlines(text);
    }

    Parsed<std::vector<DotenvEntry>> run() {
        if (utf16_) {
            result_.diagnostics.push_back(
                make_error(Location{file_, 1, 1}, "dotenv/utf-16", "the file is UTF-16 encoded", {},
                           "save it as UTF-8 (Notepad: Save As, Encoding: UTF-8)"));
            return std::move(result_);
        }
        while (pos_ < src_.size())
            parse_line();
        return std::move(result_);
    }

  private:
    // ---- position ---------------------------------------------------------

    [[nodiscard]] bool at_end() const { return pos_ >= src_.size(); }
    [[nodiscard]] char peek(std::size_t ahead = 0) const {
        return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
    }
    [[nodiscard]] bool at_eol() const { return at_end() || src_[pos_] == '\n'; }

    void skip_blanks() {
        while (!at_end() && is_blank(src_[pos_]))
            ++pos_;
    }

    void next_line() {
        ++pos_;
        ++line_;
        line_start_ = pos_;
    }

    // Moves past the end of the current line and its newline.
    void skip_line() {
        while (!at_end() && src_[pos_] != '\n')
            ++pos_;
        if (!at_end())
            next_line();
    }

    [[nodiscard]] std::string line_text(std::size_t start) const {
        std::size_t end = src_.find('\n', start);
        if (end == std::string::npos)
            end = src_.size();
        return src_.substr(start, end - start);
    }

    // Reports an error at byte `offset` of the line that starts at `start`.
    void error(int line, std::size_t start, std::size_t offset, std::string code,
               std::string message, std::string hint = {}) {
        const int column = static_cast<int>(offset - start) + 1;
        result_.diagnostics.push_back(make_error(Location{file_, line, column}, std::move(code),
                                                 std::move(message), line_text(start),
                                                 std::move(hint)));
    }

    // ---- lines ------------------------------------------------------------

    void parse_line() {
        skip_blanks();
        if (at_eol()) {
            if (!at_end())
                next_line();
            return;
        }
        if (peek() == '#') {
            skip_line();
            return;
        }

        const int line = line_;
        const std::size_t start = line_start_;
        if (reject_nul(line, start, start, src_.find('\n', start))) {
            skip_line();
            return;
        }

        // `export KEY=value`; `export` alone is an ordinary key (`export=1`).
        bool exported = false;
        if (src_.compare(pos_, 6, "export") == 0 && is_blank(peek(6))) {
            std::size_t after = pos_ + 6;
            while (after < src_.size() && is_blank(src_[after]))
                ++after;
            if (after < src_.size() &&
                (is_name_start(src_[after]) || src_[after] == '\'' || src_[after] == '"')) {
                exported = true;
                pos_ = after;
            }
        }

        const std::size_t key_begin = pos_;
        std::string key;
        if (peek() == '\'' || peek() == '"') {
            if (!read_quoted_key(line, start, key)) {
                skip_line();
                return;
            }
        } else {
            while (!at_end() && is_key_char(src_[pos_]))
                ++pos_;
            key = src_.substr(key_begin, pos_ - key_begin);
            if (key.empty() || (!at_eol() && !is_blank(peek()) && peek() != '=' && peek() != ':')) {
                bad_key(line, start, key_begin);
                skip_line();
                return;
            }
            if (!is_name_start(key.front())) {
                error(line, start, key_begin, "dotenv/invalid-key",
                      fmt::format("invalid key '{}': a key must start with a letter or '_'", key),
                      std::string(kKeyHint));
                skip_line();
                return;
            }
        }

        // `KEY: value`, the YAML-like form node, ruby and go dotenv accept.
        if (peek() == ':' && (is_blank(peek(1)) || peek(1) == '\n' || peek(1) == '\0')) {
            ++pos_;
        } else {
            const std::size_t after_key = pos_;
            skip_blanks();
            if (peek() != '=') {
                if (exported && (at_eol() || peek() == '#')) {
                    export_existing(key, line, start, key_begin);
                    skip_line();
                    return;
                }
                error(line, start, at_eol() ? after_key : pos_, "dotenv/not-an-assignment",
                      fmt::format("expected '=' after '{}'", key),
                      fmt::format("write {}=value, or {}= for an empty value", key, key));
                skip_line();
                return;
            }
            ++pos_;
        }
        skip_blanks();

        std::string value;
        if (!parse_value(line, start, value))
            return;
        defined_[key] = value;
        result_.value.push_back(DotenvEntry{std::move(key), std::move(value), line});
    }

    // `export KEY` on its own marks a variable that is already set: a no-op
    // when it is, an error when it is not.
    void export_existing(const std::string& key, int line, std::size_t start,
                         std::size_t key_begin) {
        if (lookup_opt(key))
            return;
        error(line, start, key_begin, "dotenv/export-unset",
              fmt::format("'export {}' names a variable that is not set", key),
              fmt::format("give it a value: export {}=value", key));
    }

    // `'KEY'=value` / `"KEY"=value`, as python-dotenv allows: the quotes go,
    // what is inside them must still be a valid key.
    bool read_quoted_key(int line, std::size_t start, std::string& key) {
        const char quote = peek();
        const std::size_t open = pos_;
        std::size_t close = open + 1;
        while (close < src_.size() && src_[close] != quote && src_[close] != '\n')
            ++close;
        if (close >= src_.size() || src_[close] != quote) {
            error(line, start, open, "dotenv/unterminated-quote", "unterminated quoted key",
                  fmt::format("add the closing {} on the same line", quote));
            return false;
        }
        key = src_.substr(open + 1, close - open - 1);
        std::size_t bad = 0;
        while (bad < key.size() && is_key_char(key[bad]))
            ++bad;
        if (key.empty()) {
            error(line, start, open, "dotenv/invalid-key", "empty key", std::string(kKeyHint));
            return false;
        }
        if (bad < key.size()) {
            error(line, start, open + 1 + bad, "dotenv/invalid-key",
                  fmt::format("invalid character {} in key",
                              describe(std::string_view(key).substr(bad))),
                  std::string(kKeyHint));
            return false;
        }
        if (!is_name_start(key.front())) {
            error(line, start, open + 1, "dotenv/invalid-key",
                  fmt::format("invalid key '{}': a key must start with a letter or '_'", key),
                  std::string(kKeyHint));
            return false;
        }
        pos_ = close + 1;
        if (!at_eol() && !is_blank(peek()) && peek() != '=' && peek() != ':') {
            error(line, start, pos_, "dotenv/invalid-key",
                  fmt::format("unexpected {} after the quoted key",
                              describe(std::string_view(src_).substr(pos_))),
                  "write 'KEY'=value");
            return false;
        }
        return true;
    }

    void bad_key(int line, std::size_t start, std::size_t key_begin) {
        const std::size_t eol = src_.find('\n', key_begin);
        const std::string_view rest = std::string_view(src_).substr(
            key_begin, (eol == std::string::npos ? src_.size() : eol) - key_begin);
        if (rest.find('=') == std::string_view::npos) {
            error(line, start, key_begin, "dotenv/not-an-assignment",
                  "expected an assignment KEY=value",
                  "each line is KEY=value, a '#' comment, or blank");
            return;
        }
        if (pos_ == key_begin && src_[pos_] == '=') {
            error(line, start, pos_, "dotenv/invalid-key", "missing key before '='",
                  std::string(kKeyHint));
            return;
        }
        error(line, start, pos_, "dotenv/invalid-key",
              fmt::format("invalid character {} in key",
                          describe(std::string_view(src_).substr(pos_))),
              std::string(kKeyHint));
    }

    // ---- values -----------------------------------------------------------

    // Reads the value at pos_ and moves past the end of its (last) line.
    // Returns false, having reported why, when the value is malformed.
    bool parse_value(int line, std::size_t start, std::string& out) {
        if (is_quote(peek()))
            return parse_quoted(line, start, out);
        parse_unquoted(out);
        return true;
    }

    // Runs to the end of the line; ` #` (or `#` first) starts a comment;
    // trailing blanks are dropped.
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
        out = render(std::string_view(src_).substr(begin, stop - begin), Mode::unquoted);
        pos_ = end;
        skip_line();
    }

    bool parse_quoted(int line, std::size_t start, std::string& out) {
        const char quote = peek();
        const std::size_t open = pos_;
        const int open_line = line_;
        const std::size_t open_line_start = line_start_;
        ++pos_;
        // A value that is not closed runs to the end of the file; the scan
        // is still linear overall, since no later value can start with this
        // quote character (it would have closed this one).
        const bool closed = quote == '\'' ? scan_single_quoted() : scan_to_quote(quote);
        if (!closed) {
            error(line, start, open, "dotenv/unterminated-quote",
                  fmt::format("unterminated {} value", quote_name(quote)),
                  fmt::format("add the closing {} (a quoted value may span lines, but no later "
                              "line closes this one)",
                              quote));
            // Carry on from the line after the opening quote so later errors show too.
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
            const std::string what = describe(std::string_view(src_).substr(pos_));
            if (line_ == open_line) {
                error(line_, line_start_, pos_, "dotenv/text-after-quote",
                      fmt::format("unexpected {} after the closing quote", what),
                      "put the whole value inside the quotes; a comment starts with ' #'");
            } else {
                error(line_, line_start_, pos_, "dotenv/text-after-quote",
                      fmt::format("unexpected {} after the quote that closes the value opened "
                                  "on line {}",
                                  what, open_line),
                      fmt::format("if this quote was meant to open a value, the value on line {} "
                                  "is missing its closing {}",
                                  open_line, quote));
            }
            skip_line();
            return false;
        }
        skip_line();
        if (reject_nul(open_line, open_line_start, open, pos_))
            return false;
        out = quote == '"' ? render(raw, Mode::double_quoted) : std::string(raw);
        return true;
    }

    // Moves pos_ to the closing `quote` (true) or the end of the text
    // (false). In double quotes a backslash escapes the next character.
    bool scan_to_quote(char quote) {
        while (!at_end()) {
            const char ch = src_[pos_];
            if (ch == quote)
                return true;
            if (quote == '"' && ch == '\\' && pos_ + 1 < src_.size() && peek(1) != '\n') {
                pos_ += 2;
                continue;
            }
            if (ch == '\n') {
                next_line();
                continue;
            }
            ++pos_;
        }
        return false;
    }

    // Single quotes as node, ruby and go dotenv read them: `\'` does not
    // close the value (and stays as written), unless no other quote can:
    // then the last `\'` that ends its line closes it, so 'C:\dir\' works.
    bool scan_single_quoted() {
        struct Mark {
            std::size_t pos;
            int line;
            std::size_t line_start;
        };
        std::optional<Mark> fallback;
        while (!at_end()) {
            const char ch = src_[pos_];
            if (ch == '\'') {
                if (!fallback || ends_value(pos_ + 1))
                    return true;
                break;
            }
            if (ch == '\\' && peek(1) == '\'') {
                if (ends_value(pos_ + 2))
                    fallback = Mark{pos_ + 1, line_, line_start_};
                pos_ += 2;
                continue;
            }
            if (ch == '\n') {
                next_line();
                continue;
            }
            ++pos_;
        }
        if (!fallback)
            return false;
        pos_ = fallback->pos;
        line_ = fallback->line;
        line_start_ = fallback->line_start;
        return true;
    }

    // Whether only blanks, then a comment or the end of the line, follow `i`.
    [[nodiscard]] bool ends_value(std::size_t i) const {
        while (i < src_.size() && is_blank(src_[i]))
            ++i;
        return i >= src_.size() || src_[i] == '\n' || src_[i] == '#';
    }

    // A NUL byte cannot be part of an environment variable: reports the first
    // one in [from, to) of the text that starts on `line` at `start`.
    bool reject_nul(int line, std::size_t start, std::size_t from, std::size_t to) {
        const std::size_t found = std::string_view(src_).substr(from, to - from).find('\0');
        if (found == std::string_view::npos)
            return false;
        const std::size_t nul = from + found;
        for (std::size_t i = start; i < nul; ++i) {
            if (src_[i] == '\n') {
                ++line;
                start = i + 1;
            }
        }
        error(line, start, nul, "dotenv/nul-byte", "unexpected NUL byte",
              "a .env file is text; is this file binary or UTF-16 encoded?");
        return true;
    }

    // ---- escapes and expansion --------------------------------------------

    enum class Mode { unquoted, double_quoted };

    [[nodiscard]] std::optional<std::string> lookup_opt(std::string_view name) const {
        if (auto it = defined_.find(name); it != defined_.end())
            return it->second;
        if (outside_)
            return outside_(name);
        return std::nullopt;
    }

    // Expands `$` references in `text`. Double-quoted text also resolves
    // escapes: `\n \t \r` are control characters, a backslash before any
    // other character keeps just that character (`\$` is a literal `$`).
    // Unquoted text only knows `\$`.
    std::string render(std::string_view text, Mode mode) const {
        // The matching '}' of every '{', found once, so that nested defaults
        // like ${A:-${B:-...}} cost linear time however they are written.
        std::vector<std::size_t> match(text.size(), std::string_view::npos);
        std::vector<std::size_t> open;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '{') {
                open.push_back(i);
            } else if (text[i] == '}' && !open.empty()) {
                match[open.back()] = i;
                open.pop_back();
            }
        }
        std::string out;
        out.reserve(text.size());
        render_range(Span{text, match}, 0, text.size(), mode, 0, out);
        return out;
    }

    struct Span {
        std::string_view text;
        const std::vector<std::size_t>& match;
    };

    void render_range(const Span& s, std::size_t begin, std::size_t end, Mode mode, int depth,
                      std::string& out) const {
        const std::string_view text = s.text;
        std::size_t i = begin;
        while (i < end) {
            const char c = text[i];
            if (c == '\\' && i + 1 < end && (mode == Mode::double_quoted || text[i + 1] == '$')) {
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
                    default:
                        out += next;
                        break;
                }
                i += 2;
            } else if (c == '$') {
                i = expand_reference(s, i, end, mode, depth, out);
            } else {
                out += c;
                ++i;
            }
        }
    }

    // Expands the reference at `text[at]` (a '$') into `out` and returns the
    // offset just past it. A '$' that starts no reference stays literal.
    std::size_t expand_reference(const Span& s, std::size_t at, std::size_t end, Mode mode,
                                 int depth, std::string& out) const {
        const std::string_view text = s.text;
        const std::size_t i = at + 1;
        if (i < end && text[i] == '{') {
            std::size_t j = i + 1;
            while (j < end && is_name_char(text[j]))
                ++j;
            const std::string_view name = text.substr(i + 1, j - i - 1);
            const std::size_t close = s.match[i];
            if (name.empty() || is_digit(name.front()) || close >= end) {
                out += '$';
                return at + 1;
            }
            if (close == j) {
                out += lookup_opt(name).value_or("");
                return close + 1;
            }
            // ${NAME:-default} (unset or empty) and ${NAME-default} (unset).
            const bool colon = text[j] == ':';
            const std::size_t dash = colon ? j + 1 : j;
            if (dash >= close || text[dash] != '-') {
                out += '$';
                return at + 1;
            }
            const auto value = lookup_opt(name);
            if (value && !(colon && value->empty())) {
                out += *value;
            } else if (depth < kMaxExpansionDepth) {
                render_range(s, dash + 1, close, mode, depth + 1, out);
            } else {
                out += text.substr(dash + 1, close - dash - 1);
            }
            return close + 1;
        }
        if (i < end && is_name_start(text[i])) {
            std::size_t j = i;
            while (j < end && is_name_char(text[j]))
                ++j;
            out += lookup_opt(text.substr(i, j - i)).value_or("");
            return j;
        }
        out += '$';
        return at + 1;
    }

    std::string src_;
    bool utf16_ = false;
    std::string file_;
    const EnvLookup& outside_;
    std::size_t pos_ = 0;
    int line_ = 1;
    std::size_t line_start_ = 0;
    // The variables defined so far in this file, for expansion.
    std::map<std::string, std::string, std::less<>> defined_;
    Parsed<std::vector<DotenvEntry>> result_;
};

}  // namespace

Parsed<std::vector<DotenvEntry>> parse_dotenv(std::string_view text, std::string_view file,
                                              const EnvLookup& outside) {
    return Parser(text, file, outside).run();
}

}  // namespace procrun
