#include "procrun/formation.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "characters.hpp"

namespace procrun {

int Formation::count_for(std::string_view type) const {
    if (auto it = counts.find(std::string(type)); it != counts.end())
        return it->second;
    return all.value_or(counts.empty() ? 1 : 0);
}

namespace {

using characters::is_blank;
using characters::is_process_name_char;

constexpr std::string_view kItemHint =
    "a formation is NAME=COUNT items separated by commas, for example all=1,web=2,worker=0";

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct Spec {
    std::string_view text;
    Location origin;  // where text[0] is
    std::string source_line;
    Parsed<Formation>& out;

    [[nodiscard]] Location at(std::size_t offset) const {
        Location l = origin;
        l.column = origin.column + static_cast<int>(offset);
        return l;
    }

    void error(std::size_t offset, std::string code, std::string message,
               std::string hint = std::string(kItemHint)) {
        out.diagnostics.push_back(make_error(at(offset), std::move(code), std::move(message),
                                             source_line, std::move(hint)));
    }

    void item(std::size_t begin, std::size_t end) {
        std::size_t b = begin;
        std::size_t e = end;
        while (b < e && is_blank(text[b]))
            ++b;
        while (e > b && is_blank(text[e - 1]))
            --e;
        if (b == e) {
            error(begin, "formation/empty-item", "empty item in the formation");
            return;
        }
        const std::string_view item_text = text.substr(b, e - b);
        const std::size_t eq = text.find('=', b);
        if (eq == std::string_view::npos || eq >= e) {
            error(b, "formation/missing-equals",
                  fmt::format("expected NAME=COUNT, found '{}'", item_text));
            return;
        }
        std::size_t name_end = eq;
        while (name_end > b && is_blank(text[name_end - 1]))
            --name_end;
        const std::string_view name = text.substr(b, name_end - b);
        if (name.empty()) {
            error(eq, "formation/missing-name", "missing process type before '='");
            return;
        }
        for (std::size_t i = 0; i < name.size(); ++i) {
            if (!is_process_name_char(name[i])) {
                error(b + i, "formation/invalid-name",
                      fmt::format("'{}' is not a process type name", name),
                      "process names contain only letters, digits, '_' and '-'");
                return;
            }
        }
        std::size_t count_begin = eq + 1;
        while (count_begin < e && is_blank(text[count_begin]))
            ++count_begin;
        const std::string_view count_text = text.substr(count_begin, e - count_begin);
        if (count_text.empty()) {
            error(eq + 1, "formation/missing-count",
                  fmt::format("missing count after '{}='", name));
            return;
        }
        if (count_text.front() == '-' && all_digits(count_text.substr(1))) {
            error(count_begin, "formation/negative-count",
                  fmt::format("negative count {} for '{}'", count_text, name),
                  "use 0 to run no instance of a process type");
            return;
        }
        if (!all_digits(count_text)) {
            error(count_begin, "formation/not-a-number",
                  fmt::format("count for '{}' is not a whole number: '{}'", name, count_text));
            return;
        }
        const std::string_view digits =
            count_text.substr(std::min(count_text.find_first_not_of('0'), count_text.size() - 1));
        if (digits.size() > 5 || std::stoi(std::string(digits)) > kMaxFormationCount) {
            error(count_begin, "formation/count-too-large",
                  fmt::format("count {} for '{}' is too large (at most {})", count_text, name,
                              kMaxFormationCount),
                  "each instance needs its own port: base + 100 x position + instance - 1");
            return;
        }
        const int count = std::stoi(std::string(digits));

        Formation& f = out.value;
        const std::string key(name);
        if (key == "all") {
            if (f.all) {
                error(b, "formation/duplicate-name", "'all' is given twice in the formation",
                      "give each process type once");
                return;
            }
            f.all = count;
            return;
        }
        if (auto it = f.sources.find(key); it != f.sources.end()) {
            const int first_column = it->second.where.column;
            error(b, "formation/duplicate-name",
                  fmt::format("'{}' is given twice in the formation (first at column {})", name,
                              first_column),
                  "give each process type once");
            return;
        }
        f.counts[key] = count;
        f.sources[key] = FormationSource{at(b), source_line};
    }

    void parse() {
        std::size_t nonblank = 0;
        while (nonblank < text.size() && is_blank(text[nonblank]))
            ++nonblank;
        if (nonblank == text.size()) {
            error(0, "formation/empty", "the formation is empty");
            return;
        }
        std::size_t begin = 0;
        while (true) {
            const std::size_t comma = text.find(',', begin);
            const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
            item(begin, end);
            if (comma == std::string_view::npos)
                break;
            begin = comma + 1;
        }
    }
};

}  // namespace

Parsed<Formation> parse_formation(std::string_view text, std::string_view file) {
    return parse_formation(text, Location{std::string(file), 1, 1}, text);
}

Parsed<Formation> parse_formation(std::string_view text, const Location& origin,
                                  std::string_view source_line) {
    Parsed<Formation> out;
    Location start = origin;
    if (start.line > 0 && start.column < 1)
        start.column = 1;
    Spec spec{text, start, std::string(source_line), out};
    spec.parse();
    return out;
}

}  // namespace procrun
