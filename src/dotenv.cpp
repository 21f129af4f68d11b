#include "procrun/dotenv.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <utility>

// The dialect, and why each choice was made where the dotenv libraries
// disagree, is documented in docs/dotenv.md.

namespace procrun {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// `${A:-${B:-...}}` defaults nest; past this depth a default is kept literally
// so hostile input cannot exhaust the stack.
constexpr int kMaxExpansionDepth = 32;

constexpr std::string_view kKeyHint =
    "a key is letters, digits, '_', '.' and '-', starting with a letter or '_'";

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

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
        src_ = normalise_newlines(text);
    }

    Parsed<std::vector<DotenvEntry>> run() {
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
        defined_.set(key, value);
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
                  fmt::format("invalid character {} in key", describe(key[bad])),
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
                  fmt::format("unexpected {} after the quoted key", describe(peek())),
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
              fmt::format("invalid character {} in key", describe(src_[pos_])),
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
        out = render(std::string_view(src_).substr(begin, stop - begin), Mode::unquoted, 0);
        pos_ = end;
        skip_line();
    }

    bool parse_quoted(int line, std::size_t start, std::string& out) {
        const char quote = peek();
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
            if (ch == '\\' && quote != '`' && peek(1) != '\n' && peek(1) != '\0') {
                // `\"` in double quotes, `\'` in single quotes: not the end.
                if (quote == '"' || peek(1) == '\'') {
                    pos_ += 2;
                    continue;
                }
            }
            if (ch == '\n') {
                next_line();
                continue;
            }
            ++pos_;
        }
        if (!closed) {
            error(line, start, open, "dotenv/unterminated-quote",
                  fmt::format("unterminated {} value", quote_name(quote)),
                  fmt::format("add the closing {}; a quoted value may span lines, so the rest of "
                              "the file was read as this value",
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
            error(line_, line_start_, pos_, "dotenv/text-after-quote",
                  fmt::format("unexpected {} after the closing quote", describe(peek())),
                  "put the whole value inside the quotes; a comment starts with ' #'");
            skip_line();
            return false;
        }
        skip_line();
        out = quote == '"' ? render(raw, Mode::double_quoted, 0) : std::string(raw);
        return true;
    }

    // ---- escapes and expansion --------------------------------------------

    enum class Mode { unquoted, double_quoted };

    [[nodiscard]] std::optional<std::string> lookup_opt(std::string_view name) const {
        if (const std::string* v = defined_.find(name))
            return *v;
        if (outside_)
            return outside_(name);
        return std::nullopt;
    }

    // Expands `$` references in `text`. Double-quoted text also resolves
    // escapes: `\n \t \r` are control characters, a backslash before any
    // other character keeps just that character (`\$` is a literal `$`).
    // Unquoted text only knows `\$`.
    std::string render(std::string_view text, Mode mode, int depth) const {
        std::string out;
        out.reserve(text.size());
        std::size_t i = 0;
        while (i < text.size()) {
            const char c = text[i];
            if (c == '\\' && i + 1 < text.size() &&
                (mode == Mode::double_quoted || text[i + 1] == '$')) {
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
                i = expand_reference(text, i, out, mode, depth);
            } else {
                out += c;
                ++i;
            }
        }
        return out;
    }

    // Expands the reference at `text[at]` (a '$') into `out` and returns the
    // offset just past it. A '$' that starts no reference stays literal.
    std::size_t expand_reference(std::string_view text, std::size_t at, std::string& out, Mode mode,
                                 int depth) const {
        const std::size_t i = at + 1;
        if (i < text.size() && text[i] == '{') {
            std::size_t j = i + 1;
            while (j < text.size() && is_name_char(text[j]))
                ++j;
            const std::string_view name = text.substr(i + 1, j - i - 1);
            if (name.empty() || is_digit(name.front()) || j >= text.size()) {
                out += '$';
                return at + 1;
            }
            if (text[j] == '}') {
                out += lookup_opt(name).value_or("");
                return j + 1;
            }
            // ${NAME:-default} (unset or empty) and ${NAME-default} (unset).
            const bool colon = text[j] == ':';
            const std::size_t dash = colon ? j + 1 : j;
            if (dash >= text.size() || text[dash] != '-') {
                out += '$';
                return at + 1;
            }
            std::size_t k = dash + 1;
            int nest = 1;
            for (; k < text.size(); ++k) {
                if (text[k] == '{')
                    ++nest;
                if (text[k] == '}' && --nest == 0)
                    break;
            }
            if (k >= text.size()) {
                out += '$';
                return at + 1;
            }
            const std::string_view fallback = text.substr(dash + 1, k - dash - 1);
            const auto value = lookup_opt(name);
            if (!value || (colon && value->empty())) {
                out += depth < kMaxExpansionDepth ? render(fallback, mode, depth + 1)
                                                  : std::string(fallback);
            } else {
                out += *value;
            }
            return k + 1;
        }
        if (i < text.size() && is_name_start(text[i])) {
            std::size_t j = i;
            while (j < text.size() && is_name_char(text[j]))
                ++j;
            out += lookup_opt(text.substr(i, j - i)).value_or("");
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
