#pragma once

// What a Procfile command runs: its simple commands, each unwrapped from
// `exec`, `bundle exec`, `python -m` and friends down to the program (the
// "server") and its arguments, with the directory a `cd DIR &&` moved to.

#include <deque>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/procfile.hpp"
#include "procrun/shell.hpp"

namespace procrun::lint {

using Word = ShellWord;

// One simple command of a Procfile entry.
struct Invocation {
    std::string server;          // "gunicorn", "rails server", "runserver", "app.py", ...
    const Word* word = nullptr;  // the word naming it
    std::vector<const Word*> args;
    std::vector<const Word*> assignments;  // NAME=value words before the program
    std::optional<std::string> dir;        // working directory relative to the root
};

// A command split into what it runs. The script of `sh -c '...'` is split in
// turn when its quoting maps it character for character onto the command.
struct Command {
    std::vector<Word> words;
    std::deque<std::vector<Word>> storage;  // words of nested `sh -c` scripts
    std::vector<Invocation> invocations;

    // `dir`: the root-relative directory the command starts in.
    explicit Command(std::string_view text, std::string dir = {});
    Command(const Command&) = delete;
    Command& operator=(const Command&) = delete;
};

// The value of an option in `args` (`--opt VALUE`, `--opt=VALUE`), with the
// word it is in and where it starts.
struct OptionValue {
    std::string value;
    const Word* word = nullptr;
    std::size_t index = 0;  // of the value within word->text
};

std::vector<OptionValue> option_values(const std::vector<const Word*>& args,
                                       std::initializer_list<std::string_view> names);

// The column (1-based, in the Procfile line) of character `index` of a word's
// unquoted text; the word's start when quoting makes the mapping unclear.
int word_column(const ProcfileEntry& entry, std::string_view command, const Word& w,
                std::size_t index = 0);

}  // namespace procrun::lint
