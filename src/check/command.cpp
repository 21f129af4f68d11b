#include "check/command.hpp"

#include <algorithm>
#include <array>

#include "check/text.hpp"

namespace procrun::lint {

namespace {

bool is_assignment(const Word& w) {
    const auto eq = w.text.find('=');
    return eq != std::string::npos && eq > 0 &&
           is_identifier(std::string_view(w.text).substr(0, eq));
}

bool is_python(std::string_view program) {
    if (!starts_with(program, "python"))
        return false;
    std::string_view version = program.substr(6);
    return std::all_of(version.begin(), version.end(),
                       [](char c) { return is_digit(c) || c == '.'; });
}

bool is_shell(std::string_view program) {
    return program == "sh" || program == "bash" || program == "dash" || program == "zsh";
}

// Programs that run the rest of the line after their own options.
constexpr std::array<std::string_view, 11> kPrefixWrappers = {
    "exec", "command", "nohup", "time", "setsid", "ddtrace-run", "opentelemetry-instrument",
    "npx",  "bunx",    "pnpx",  "--"};

// Two-word wrappers: `bundle exec`, `poetry run`, ...
bool is_two_word_wrapper(std::string_view program, std::string_view next) {
    if (program == "bundle" || program == "pnpm" || program == "npm")
        return next == "exec";
    if (program == "poetry" || program == "pipenv" || program == "uv" || program == "pdm" ||
        program == "hatch" || program == "rye") {
        return next == "run";
    }
    return program == "newrelic-admin" && next == "run-program";
}

// Reads one simple command's words: assignments, wrappers, then the program.
class Analyser {
  public:
    Analyser(const std::vector<const Word*>& words, std::optional<std::string> dir)
        : words_(words), n_(words.size()) {
        inv_.dir = std::move(dir);
    }

    Invocation run() {
        take_assignments();
        while (i_ < n_ && unwrap()) {
        }
        if (i_ < n_)
            program();
        return std::move(inv_);
    }

  private:
    const std::vector<const Word*>& words_;
    std::size_t n_;
    std::size_t i_ = 0;
    Invocation inv_;

    const std::string& text(std::size_t k) const { return words_[k]->text; }
    std::string next_text() const { return i_ + 1 < n_ ? text(i_ + 1) : std::string(); }

    void take_assignments() {
        while (i_ < n_ && is_assignment(*words_[i_]))
            inv_.assignments.push_back(words_[i_++]);
    }
    void skip_options() {
        while (i_ < n_ && !text(i_).empty() && text(i_)[0] == '-')
            ++i_;
    }

    // Steps over one wrapper; false when the word at i_ is none.
    bool unwrap() {
        const std::string_view program = basename(text(i_));
        if (std::find(kPrefixWrappers.begin(), kPrefixWrappers.end(), program) !=
            kPrefixWrappers.end()) {
            ++i_;
            skip_options();
        } else if (program == "env") {
            ++i_;
            skip_options();
            take_assignments();
        } else if (program == "nice") {
            ++i_;
            if (i_ < n_ && text(i_) == "-n")
                i_ += 2;
            skip_options();
        } else if (is_two_word_wrapper(program, next_text())) {
            i_ += 2;
            skip_options();
        } else {
            return false;
        }
        return true;
    }

    void take(std::string server, std::size_t word_index, std::size_t args_from) {
        inv_.server = std::move(server);
        inv_.word = words_[word_index];
        for (std::size_t k = args_from; k < n_; ++k)
            inv_.args.push_back(words_[k]);
    }

    // `python [-X opt] -m MODULE ...`, `python manage.py runserver`, `python app.py`.
    void python(const std::string& interpreter) {
        std::size_t k = i_ + 1;
        while (k < n_ && !text(k).empty() && text(k)[0] == '-') {
            const std::string& opt = text(k);
            if (opt == "-m" && k + 1 < n_)
                return take(text(k + 1), k + 1, k + 2);
            if (starts_with(opt, "-m") && opt.size() > 2)
                return take(opt.substr(2), k, k + 1);
            k += (opt == "-X" || opt == "-W" || opt == "-c") ? 2 : 1;
        }
        if (k >= n_)
            return take(interpreter, i_, i_ + 1);
        if (basename(text(k)) == "manage.py" && k + 1 < n_ && text(k + 1) == "runserver")
            return take("runserver", k + 1, k + 2);
        take(std::string(basename(text(k))), k, k + 1);
    }

    void program() {
        const std::string program(basename(text(i_)));
        const std::string next = next_text();
        if (is_python(program)) {
            python(program);
        } else if (program == "manage.py" && next == "runserver") {
            take("runserver", i_ + 1, i_ + 2);
        } else if (program == "rails" && (next == "server" || next == "s")) {
            take("rails server", i_, i_ + 2);
        } else if (program == "next" && (next == "start" || next == "dev")) {
            take("next", i_, i_ + 2);
        } else if (program == "flask" && next == "run") {
            take("flask run", i_, i_ + 2);
        } else if (program == "streamlit" && next == "run") {
            take("streamlit", i_, i_ + 2);
        } else {
            take(program, i_, i_ + 1);
        }
    }
};

// The words of `script` (the text of word `w` of `command`) when its quoting
// maps it character for character onto the command, located in the command.
std::optional<std::vector<Word>> script_words(std::string_view command, const Word& w) {
    const std::string_view raw = command.substr(w.begin, w.end - w.begin);
    if (raw.size() != w.text.size() + 2 || (raw.front() != '\'' && raw.front() != '"') ||
        raw.back() != raw.front() || raw.substr(1, w.text.size()) != w.text) {
        return std::nullopt;
    }
    std::vector<Word> inner = shell_words(w.text);
    for (Word& iw : inner) {
        iw.begin += w.begin + 1;
        iw.end += w.begin + 1;
    }
    return inner;
}

// Every simple command of `words`, with the directory a preceding `cd DIR &&`
// moved to; the words of nested `sh -c` scripts are kept in `storage`.
class Collector {
  public:
    Collector(std::string_view command, std::deque<std::vector<Word>>& storage,
              std::vector<Invocation>& out)
        : command_(command), storage_(storage), out_(out) {}

    void collect(const std::vector<Word>& words, std::optional<std::string> dir, int depth) {
        std::vector<const Word*> segment;
        bool skip_next = false;
        for (const Word& w : words) {
            if (skip_next) {
                skip_next = false;
            } else if (w.redirect) {
                skip_next = true;  // its file
            } else if (w.op) {
                flush(segment, dir, depth);
            } else {
                segment.push_back(&w);
            }
        }
        flush(segment, dir, depth);
    }

  private:
    std::string_view command_;
    std::deque<std::vector<Word>>& storage_;
    std::vector<Invocation>& out_;

    void flush(std::vector<const Word*>& segment, std::optional<std::string>& dir, int depth) {
        if (segment.empty())
            return;
        if (basename(segment.front()->text) == "cd") {
            if (segment.size() == 2 && dir) {
                dir = join_under_root(*dir, segment[1]->text);
            } else {
                dir.reset();
            }
            segment.clear();
            return;
        }
        Invocation inv = Analyser(segment, dir).run();
        segment.clear();
        if (is_shell(inv.server) && depth < 4 && inv.args.size() >= 2 &&
            inv.args[0]->text == "-c") {
            if (auto inner = script_words(command_, *inv.args[1])) {
                storage_.push_back(std::move(*inner));
                collect(storage_.back(), dir, depth + 1);
                return;
            }
        }
        out_.push_back(std::move(inv));
    }
};

}  // namespace

Command::Command(std::string_view text, std::string dir) : words(shell_words(text)) {
    Collector(text, storage, invocations).collect(words, std::move(dir), 0);
}

std::vector<OptionValue> option_values(const std::vector<const Word*>& args,
                                       std::initializer_list<std::string_view> names) {
    std::vector<OptionValue> out;
    for (std::size_t k = 0; k < args.size(); ++k) {
        const std::string& t = args[k]->text;
        for (std::string_view name : names) {
            if (t == name) {
                if (k + 1 < args.size())
                    out.push_back({args[k + 1]->text, args[k + 1], 0});
            } else if (starts_with(t, name) && t.size() > name.size() && t[name.size()] == '=') {
                out.push_back({t.substr(name.size() + 1), args[k], name.size() + 1});
            }
        }
    }
    return out;
}

int word_column(const ProcfileEntry& entry, std::string_view command, const Word& w,
                std::size_t index) {
    const std::string_view raw = command.substr(w.begin, w.end - w.begin);
    std::size_t offset = 0;
    if (raw == w.text) {
        offset = index;
    } else if (raw.size() >= 2 && (raw.front() == '\'' || raw.front() == '"') &&
               raw.substr(1, w.text.size()) == w.text) {
        offset = index + 1;
    }
    return entry.command_column + static_cast<int>(w.begin + offset);
}

}  // namespace procrun::lint
