#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "procrun/diagnostic.hpp"

using namespace procrun;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto nl = text.find('\n', pos);
        out.push_back(text.substr(pos, nl - pos));
        pos = nl == std::string::npos ? text.size() : nl + 1;
    }
    return out;
}

// The quoted line (after " N | ") and the caret's offset in it (after "   | ").
struct Quote {
    std::string line;
    std::size_t caret = std::string::npos;
};

Quote quote_of(const std::string& rendered) {
    const auto lines = lines_of(rendered);
    REQUIRE(lines.size() >= 3);
    Quote q;
    const auto bar = lines[1].find(" | ");
    REQUIRE(bar != std::string::npos);
    q.line = lines[1].substr(bar + 3);
    REQUIRE(lines[2].size() > bar + 3);
    q.caret = lines[2].find('^') - (bar + 3);
    return q;
}

Diagnostic at(int line, int column, std::string source, std::string message = "message") {
    return make_error(Location{"Procfile", line, column}, "test/code", std::move(message),
                      std::move(source));
}

}  // namespace

TEST_CASE("diagnostic: locations, source line, caret and hint", "[diagnostic]") {
    CHECK(format_human(make_error(Location{"Procfile", 3, 5}, "c", "bad", "web: x y", "do this"),
                       false) ==
          "Procfile:3:5: error: bad\n"
          " 3 | web: x y\n"
          "   |     ^\n"
          "hint: do this\n");
    CHECK(
        format_human(make_warning(Location{"Procfile", 12, 0}, "c", "whole line", "abc"), false) ==
        "Procfile:12: warning: whole line\n"
        " 12 | abc\n");
    CHECK(format_human(make_error(Location{".env", 0, 0}, "c", "whole file"), false) ==
          ".env: error: whole file\n");
    CHECK(format_human(make_error(Location{}, "c", "no file"), false) == "error: no file\n");
    Diagnostic note = make_error(Location{"f", 1, 1}, "c", "n");
    note.severity = Severity::note;
    CHECK(format_human(note, false) == "f:1:1: note: n\n");
}

TEST_CASE("diagnostic: colour paints location, severity, message, caret and hint", "[diagnostic]") {
    CHECK(format_human(make_error(Location{"P", 1, 2}, "c", "m", "ab", "h"), true) ==
          "\x1b[1mP:1:2:\x1b[0m \x1b[1;31merror:\x1b[0m \x1b[1mm\x1b[0m\n"
          " 1 | ab\n"
          "   |  \x1b[1;32m^\x1b[0m\n"
          "\x1b[1;36mhint:\x1b[0m h\n");
}

TEST_CASE("diagnostic: control characters in messages, hints and files are escaped",
          "[diagnostic]") {
    const Diagnostic d = make_error(Location{"dir\x1b]0;x\x07/Procfile", 1, 1}, "c",
                                    "process name 'a\x1b[2Jb\x07' and \r\n\x7f", "a\x1b[2Jb\x07: x",
                                    "line one\nline\x1b[31m two");
    const std::string out = format_human(d, false);
    CHECK(out ==
          "dir\\x1B]0;x\\x07/Procfile:1:1: error: process name 'a\\x1B[2Jb\\x07' and "
          "\\x0D\\x0A\\x7F\n"
          " 1 | a?[2Jb?: x\n"
          "   | ^\n"
          "hint: line one\nline\\x1B[31m two\n");
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(out.find('\x07') == std::string::npos);
    CHECK(out.find('\r') == std::string::npos);
}

TEST_CASE("diagnostic: escape_control", "[diagnostic]") {
    CHECK(escape_control("plain text, caf\xC3\xA9, \xE2\x9C\x93") ==
          "plain text, caf\xC3\xA9, \xE2\x9C\x93");
    CHECK(escape_control("\x1b\x07\t\n") == "\\x1B\\x07\\x09\\x0A");
    CHECK(escape_control("a\nb", true) == "a\nb");
    CHECK(escape_control("csi \xC2\x9B"
                         "31m") == "csi \\u009B31m");  // a C1 control
    CHECK(escape_control("latin-1 \xE9t\xE9") == "latin-1 \\xE9t\\xE9");
    CHECK(escape_control("\xC0\xAF \xED") == "\\xC0\\xAF \\xED");
    const std::string big(100000, 'x');
    const std::string cut = escape_control(big);
    CHECK(cut.size() < 4200);
    CHECK(cut.substr(cut.size() - 22) == "... (95904 more bytes)");
}

TEST_CASE("diagnostic: the caret counts characters, not bytes", "[diagnostic]") {
    // UTF-8: "café" is 5 bytes, 4 columns; the column is a byte offset.
    Quote q = quote_of(format_human(at(1, 7, "caf\xC3\xA9 X"), false));
    CHECK(q.line == "caf\xC3\xA9 X");
    CHECK(q.caret == 5);
    // A tab is shown as one space.
    q = quote_of(format_human(at(1, 3, "\t\tX"), false));
    CHECK(q.line == "  X");
    CHECK(q.caret == 2);
    // A column in the middle of a character points at that character.
    q = quote_of(format_human(at(1, 5, "caf\xC3\xA9!"), false));
    CHECK(q.caret == 3);
    // A column just past the end (something missing at the end of the line).
    q = quote_of(format_human(at(1, 4, "abc"), false));
    CHECK(q.caret == 3);
}

TEST_CASE("diagnostic: a byte order mark is neither shown nor counted", "[diagnostic]") {
    // The column counts the BOM's bytes: the caret is still under 'w'.
    Quote q = quote_of(format_human(at(1, 4, "\xEF\xBB\xBFweb: x"), false));
    CHECK(q.line == "web: x");
    CHECK(q.caret == 0);
    // Parsers count columns after the BOM, and line_at gives them that line.
    const std::string text = "\xEF\xBB\xBFweb: x --port 8000\r\nworker: y\n";
    CHECK(line_at(text, 1) == "web: x --port 8000");
    CHECK(line_at(text, 2) == "worker: y");
    q = quote_of(format_human(at(1, 15, std::string(line_at(text, 1))), false));
    CHECK(q.line.substr(q.caret) == "8000");
}

TEST_CASE("diagnostic: a long line is shown as a window around the column", "[diagnostic]") {
    std::string line(5 * 1024 * 1024, 'a');
    const std::size_t middle = line.size() / 2;
    line[middle] = 'X';
    std::string out = format_human(at(1, static_cast<int>(middle) + 1, line), false);
    CHECK(out.size() < 400);
    Quote q = quote_of(out);
    CHECK(q.line.substr(0, 3) == "...");
    CHECK(q.line.substr(q.line.size() - 3) == "...");
    CHECK(q.line.size() == 106);
    CHECK(q.line[q.caret] == 'X');

    // At the start: cut on the right only.
    line[3] = 'S';
    q = quote_of(format_human(at(1, 4, line), false));
    CHECK(q.line.size() == 103);
    CHECK(q.line.substr(0, 4) == "aaaS");
    CHECK(q.caret == 3);

    // At the end, and past it: cut on the left only.
    line.back() = 'E';
    q = quote_of(format_human(at(1, static_cast<int>(line.size()), line), false));
    CHECK(q.line.size() == 103);
    CHECK(q.line[q.caret] == 'E');
    q = quote_of(format_human(at(1, static_cast<int>(line.size()) + 1, line), false));
    CHECK(q.caret == q.line.size());

    // Multibyte characters and control characters inside the window.
    std::string wide;
    for (int i = 0; i < 300; ++i)
        wide += "\xC3\xA9";
    wide +=
        "\x1b"
        "Z";
    for (int i = 0; i < 300; ++i)
        wide += "\xC3\xA9";
    out = format_human(at(1, 602, wide), false);
    CHECK(out.find('\x1b') == std::string::npos);
    q = quote_of(out);
    CHECK(q.line.substr(0, 3) == "...");
    std::size_t column = 0;  // characters before the caret in the shown line
    std::size_t byte = 0;
    while (column < q.caret) {
        byte += static_cast<unsigned char>(q.line[byte]) >= 0x80 ? 2 : 1;
        ++column;
    }
    CHECK(q.line[byte] == 'Z');
}

TEST_CASE("diagnostic: line_at", "[diagnostic]") {
    const std::string text = "one\r\ntwo\n\nfour";
    CHECK(line_at(text, 1) == "one");
    CHECK(line_at(text, 2) == "two");
    CHECK(line_at(text, 3) == "");
    CHECK(line_at(text, 4) == "four");
    CHECK(line_at(text, 5) == "");
    CHECK(line_at(text, 0) == "");
}

TEST_CASE("diagnostic: counts and errors", "[diagnostic]") {
    std::vector<Diagnostic> ds{make_error(Location{}, "c", "e"), make_warning(Location{}, "c", "w"),
                               make_warning(Location{}, "c", "w2")};
    CHECK(has_errors(ds));
    CHECK(count(ds, Severity::error) == 1);
    CHECK(count(ds, Severity::warning) == 2);
    ds.erase(ds.begin());
    CHECK_FALSE(has_errors(ds));
    CHECK(to_string(Severity::note) == "note");
}
