#include "export/quote.hpp"

#include <fmt/format.h>

namespace procrun::quote {

namespace {

void set_why(std::string* why, std::string text) {
    if (why != nullptr)
        *why = std::move(text);
}

bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7f;
}

// Python's str.isspace() for what could precede a comment prefix; any
// non-ASCII byte counts, so every Unicode space is covered.
bool python_space_like(unsigned char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f) || c >= 0x80;
}

std::string describe(unsigned char c) {
    switch (c) {
        case '\n':
            return "a newline";
        case '\r':
            return "a carriage return";
        case '\t':
            return "a tab";
        default:
            return fmt::format("the control character 0x{:02x}", c);
    }
}

// `%` written `%%`: the escape of systemd specifiers and of supervisord's
// %(name)s expansion alike.
std::string double_percent(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '%')
            out += '%';
        out += c;
    }
    return out;
}

}  // namespace

bool is_env_name(std::string_view key) {
    if (key.empty())
        return false;
    for (std::size_t i = 0; i < key.size(); ++i) {
        const char c = key[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        const bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && i > 0))
            return false;
    }
    return true;
}

bool is_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        unsigned min = 0;
        unsigned cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, min = 0x80, cp = c & 0x1fu;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, min = 0x800, cp = c & 0x0fu;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, min = 0x10000, cp = c & 0x07u;
        } else {
            return false;
        }
        if (i + len > s.size())
            return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

std::string systemd_exec_word(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            case '$':
                out += "$$";
                break;
            case '%':
                out += "%%";
                break;
            default:
                if (is_control(c)) {
                    out += fmt::format("\\x{:02x}", c);
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
    return out;
}

std::optional<std::string> systemd_value(std::string_view s, std::string* why) {
    for (char ch : s) {
        if (is_control(static_cast<unsigned char>(ch))) {
            set_why(why, fmt::format("it contains {}, which a unit file setting cannot hold",
                                     describe(static_cast<unsigned char>(ch))));
            return std::nullopt;
        }
    }
    if (!s.empty() && (s.front() == ' ' || s.back() == ' ')) {
        set_why(why, "systemd strips leading and trailing spaces from a setting");
        return std::nullopt;
    }
    return double_percent(s);
}

std::string systemd_env_line(std::string_view key, std::string_view value) {
    std::string out(key);
    out += "=\"";
    for (char c : value) {
        if (c == '\\' || c == '"' || c == '`' || c == '$')
            out += '\\';
        out += c;
    }
    out += "\"\n";
    return out;
}

std::optional<std::string> supervisor_word(std::string_view s, std::string* why) {
    std::string out = "'";
    unsigned char prev = '\'';  // the last byte emitted (the config parser's view)
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\r') {
            set_why(why,
                    "it contains a carriage return, which supervisord's config reader "
                    "turns into a line break");
            return std::nullopt;
        }
        if (c == '\'') {
            out += "'\\''";
            prev = '\'';
            continue;
        }
        if (c == '\n') {
            // Close and reopen the quotes around the line break so neither
            // physical line ends or starts with whitespace (the parser strips
            // it); the indentation marks a continuation line.
            out += "''\n    ''";
            prev = '\'';
            continue;
        }
        if ((c == ';' || c == '#') && python_space_like(prev))
            out += "''";
        if (c == '%')
            out += '%';
        out += ch;
        prev = c;
    }
    out += '\'';
    return out;
}

std::optional<std::string> supervisor_env_value(std::string_view s, std::string* why) {
    if (!s.empty() &&
        (s.front() == '"' || s.front() == '\'' || s.back() == '"' || s.back() == '\'')) {
        set_why(why,
                "it starts or ends with a quote character, which supervisord strips "
                "from environment= values");
        return std::nullopt;
    }
    const bool has_double = s.find('"') != std::string_view::npos;
    const bool has_single = s.find('\'') != std::string_view::npos;
    if (has_double && has_single) {
        set_why(why,
                "it contains both kinds of quote, which supervisord's environment= "
                "parser (shlex without escapes) cannot hold");
        return std::nullopt;
    }
    const char q = has_double ? '\'' : '"';
    std::string out(1, q);
    unsigned char prev = q;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '\r') {
            set_why(why,
                    "it contains a carriage return, which supervisord's config reader "
                    "turns into a line break");
            return std::nullopt;
        }
        if (c == '\n') {
            const unsigned char next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
            if (python_space_like(prev) || next == 0 || python_space_like(next) || next == '\n' ||
                next == ';' || next == '#') {
                set_why(why,
                        "a line break in it is next to whitespace, another line break "
                        "or a comment character, which supervisord's config reader "
                        "drops around continuation lines");
                return std::nullopt;
            }
            out += "\n    ";
            prev = ' ';
            continue;
        }
        if ((c == ';' || c == '#') && python_space_like(prev)) {
            set_why(why, fmt::format("'{}' after whitespace starts an inline comment in "
                                     "supervisord's config file",
                                     static_cast<char>(c)));
            return std::nullopt;
        }
        if (c == '%')
            out += '%';
        out += static_cast<char>(c);
        prev = c;
    }
    out += q;
    return out;
}

std::optional<std::string> supervisor_value(std::string_view s, std::string* why) {
    unsigned char prev = '=';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_control(c)) {
            set_why(why, fmt::format("it contains {}, which a supervisord setting cannot hold",
                                     describe(c)));
            return std::nullopt;
        }
        if ((c == ';' || c == '#') && python_space_like(prev)) {
            set_why(why, fmt::format("'{}' after whitespace starts an inline comment in "
                                     "supervisord's config file",
                                     static_cast<char>(c)));
            return std::nullopt;
        }
        prev = c;
    }
    if (!s.empty() && (python_space_like(static_cast<unsigned char>(s.front())) ||
                       python_space_like(static_cast<unsigned char>(s.back())))) {
        set_why(why, "supervisord strips leading and trailing whitespace from a setting");
        return std::nullopt;
    }
    return double_percent(s);
}

std::optional<std::string> runit_env_file(std::string_view value, std::string* why) {
    if (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        set_why(why, "it ends in a space or tab, which chpst -e strips from envdir values");
        return std::nullopt;
    }
    std::string out(value);
    for (char& c : out) {
        if (c == '\n')
            c = '\0';
    }
    out += '\n';
    return out;
}

std::optional<std::string> xml_text(std::string_view s, std::string* why) {
    if (!is_utf8(s)) {
        set_why(why, "it is not valid UTF-8, which an XML property list requires");
        return std::nullopt;
    }
    std::string out;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '\r':
                out += "&#13;";
                break;
            case '\n':
            case '\t':
                out += ch;
                break;
            default:
                if (is_control(c) && c != 0x7f) {
                    set_why(why, fmt::format("it contains {}, which XML 1.0 cannot represent",
                                             describe(c)));
                    return std::nullopt;
                }
                out += ch;
        }
    }
    return out;
}

}  // namespace procrun::quote
