#include "procrun/shell.hpp"

#include <algorithm>
#include <array>

namespace procrun {

std::string shell_quote(std::string_view word) {
    auto safe = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
    };
    bool plain = !word.empty();
    for (char c : word)
        plain = plain && safe(c);
    if (plain)
        return std::string(word);
    std::string out = "'";
    for (char c : word) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

std::string shell_join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty())
            out += ' ';
        out += shell_quote(w);
    }
    return out;
}

namespace {

bool is_operator_char(char c) {
    return c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '\n';
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A shell lexer over one command line; each lex_* reads one token at i_.
class Lexer {
  public:
    explicit Lexer(std::string_view cmd) : cmd_(cmd) {}

    std::vector<ShellWord> run() {
        while (i_ < cmd_.size()) {
            const char c = cmd_[i_];
            if (c == ' ' || c == '\t') {
                ++i_;
            } else if (c == '#') {
                // A comment runs to the end of the line.
                const std::size_t nl = cmd_.find('\n', i_);
                i_ = nl == std::string_view::npos ? cmd_.size() : nl;
            } else if (is_operator_char(c)) {
                lex_operator();
            } else if (c == '<' || c == '>') {
                lex_redirect();
            } else {
                lex_word();
            }
        }
        return std::move(words_);
    }

  private:
    std::string_view cmd_;
    std::size_t i_ = 0;
    std::vector<ShellWord> words_;

    void push(ShellWord w) {
        w.end = std::min(i_, cmd_.size());
        if (w.op || w.redirect)
            w.text = std::string(cmd_.substr(w.begin, w.end - w.begin));
        words_.push_back(std::move(w));
    }

    // && || ; | & ( ) and a line break; `&>` is a redirection.
    void lex_operator() {
        ShellWord w;
        w.begin = i_;
        const char c = cmd_[i_];
        const char next = i_ + 1 < cmd_.size() ? cmd_[i_ + 1] : '\0';
        if ((c == '&' || c == '|') && next == c) {
            i_ += 2;
        } else if (c == '&' && next == '>') {
            i_ += 2;
            w.redirect = true;
        } else {
            ++i_;
        }
        w.op = !w.redirect;
        push(std::move(w));
    }

    // < > >> <& >& ..., taking a word of digits right before it as the
    // descriptor number it redirects.
    void lex_redirect() {
        if (!words_.empty() && words_.back().end == i_ && !words_.back().quoted &&
            !words_.back().op && !words_.back().redirect && all_digits(words_.back().text)) {
            words_.pop_back();
        }
        ShellWord w;
        w.begin = i_;
        w.redirect = true;
        while (i_ < cmd_.size() && (cmd_[i_] == '<' || cmd_[i_] == '>'))
            ++i_;
        if (i_ < cmd_.size() && cmd_[i_] == '&')
            ++i_;
        push(std::move(w));
    }

    void lex_double_quoted(ShellWord& w) {
        w.quoted = true;
        ++i_;
        while (i_ < cmd_.size() && cmd_[i_] != '"') {
            if (cmd_[i_] == '\\' && i_ + 1 < cmd_.size() &&
                std::string_view("\"\\$`").find(cmd_[i_ + 1]) != std::string_view::npos) {
                w.text += cmd_[i_ + 1];
                i_ += 2;
            } else {
                w.text += cmd_[i_++];
            }
        }
        if (i_ < cmd_.size())
            ++i_;
    }

    void lex_word() {
        ShellWord w;
        w.begin = i_;
        while (i_ < cmd_.size()) {
            const char d = cmd_[i_];
            if (d == ' ' || d == '\t' || d == '<' || d == '>' || is_operator_char(d))
                break;
            if (d == '\\') {
                if (i_ + 1 < cmd_.size())
                    w.text += cmd_[i_ + 1];
                i_ += 2;
                w.quoted = true;
            } else if (d == '\'') {
                w.quoted = true;
                const std::size_t close = cmd_.find('\'', i_ + 1);
                const std::size_t stop = close == std::string_view::npos ? cmd_.size() : close;
                w.text += cmd_.substr(i_ + 1, stop - i_ - 1);
                i_ = close == std::string_view::npos ? cmd_.size() : close + 1;
            } else if (d == '"') {
                lex_double_quoted(w);
            } else {
                w.text += d;
                ++i_;
            }
        }
        push(std::move(w));
    }
};

// Reserved words and the builtins that have no program of the same name to exec.
constexpr std::array<std::string_view, 42> kShellOnly{
    "if",    "then",   "else",     "elif",     "fi",      "case",     "esac",    "for",   "while",
    "until", "do",     "done",     "in",       "[[",      "function", "select",  "exec",  "cd",
    ".",     "source", "export",   "set",      "unset",   "trap",     "ulimit",  "umask", "eval",
    "wait",  "read",   "shift",    "alias",    "unalias", "command",  "builtin", "local", "return",
    "exit",  "break",  "continue", "readonly", "getopts", "hash"};

}  // namespace

std::vector<ShellWord> shell_words(std::string_view command) {
    return Lexer(command).run();
}

bool can_exec(std::string_view command) {
    const std::vector<ShellWord> words = shell_words(command);
    const ShellWord* program = nullptr;
    bool target = false;  // the next word is a redirection's file
    for (const ShellWord& w : words) {
        const std::string_view raw = command.substr(w.begin, w.end - w.begin);
        if (w.op)
            return false;
        if (w.redirect) {
            // `&` only in a descriptor redirection (2>&1, <&3), not `&>`.
            if (raw.front() == '&')
                return false;
            target = true;
            continue;
        }
        // Conservative: these stay out even quoted.
        if (raw.find_first_of(";|()`&\r\n") != std::string_view::npos)
            return false;
        if (program == nullptr && !target)
            program = &w;
        target = false;
    }
    if (program == nullptr || program->text.empty())
        return false;
    const std::string& first = program->text;
    if (first.find('=') != std::string::npos || first.front() == '#' || first.front() == '{' ||
        first.front() == '!') {
        return false;
    }
    return std::find(kShellOnly.begin(), kShellOnly.end(), first) == kShellOnly.end();
}

std::string exec_form(std::string_view command) {
    if (!can_exec(command))
        return std::string(command);
    return "exec " + std::string(command);
}

}  // namespace procrun
