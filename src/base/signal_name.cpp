#include "procrun/signal_name.hpp"

#include <algorithm>
#include <csignal>

namespace procrun {

namespace {

struct Entry {
    std::string_view name;  // without "SIG"
    int number;
    SignalDefault action;
};

using A = SignalDefault;

// Each named signal once, under glibc's abbreviation, in the order of the numbers.
constexpr Entry kSignals[] = {
    {"HUP", SIGHUP, A::terminate},   {"INT", SIGINT, A::terminate},
    {"QUIT", SIGQUIT, A::terminate}, {"ILL", SIGILL, A::terminate},
    {"TRAP", SIGTRAP, A::terminate}, {"ABRT", SIGABRT, A::terminate},
    {"BUS", SIGBUS, A::terminate},   {"FPE", SIGFPE, A::terminate},
    {"KILL", SIGKILL, A::terminate}, {"USR1", SIGUSR1, A::terminate},
    {"SEGV", SIGSEGV, A::terminate}, {"USR2", SIGUSR2, A::terminate},
    {"PIPE", SIGPIPE, A::terminate}, {"ALRM", SIGALRM, A::terminate},
    {"TERM", SIGTERM, A::terminate}, {"STKFLT", SIGSTKFLT, A::terminate},
    {"CHLD", SIGCHLD, A::ignore},    {"CONT", SIGCONT, A::resume},
    {"STOP", SIGSTOP, A::suspend},   {"TSTP", SIGTSTP, A::suspend},
    {"TTIN", SIGTTIN, A::suspend},   {"TTOU", SIGTTOU, A::suspend},
    {"URG", SIGURG, A::ignore},      {"XCPU", SIGXCPU, A::terminate},
    {"XFSZ", SIGXFSZ, A::terminate}, {"VTALRM", SIGVTALRM, A::terminate},
    {"PROF", SIGPROF, A::terminate}, {"WINCH", SIGWINCH, A::ignore},
    {"POLL", SIGPOLL, A::terminate}, {"PWR", SIGPWR, A::terminate},
    {"SYS", SIGSYS, A::terminate},
};

const Entry* find(int signal) {
    const auto* it = std::find_if(std::begin(kSignals), std::end(kSignals),
                                  [signal](const Entry& e) { return e.number == signal; });
    return it == std::end(kSignals) ? nullptr : it;
}

char upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

}  // namespace

std::string signal_name(int signal) {
    if (const Entry* e = find(signal))
        return "SIG" + std::string(e->name);
    return "SIG" + std::to_string(signal);
}

std::optional<int> parse_signal(std::string_view text) {
    constexpr std::size_t kLongest = 12;  // "SIGVTALRM" and any number
    if (text.empty() || text.size() > kLongest)
        return std::nullopt;
    if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        const std::size_t zeros = std::min(text.find_first_not_of('0'), text.size() - 1);
        text.remove_prefix(zeros);
        if (text.size() > 3)
            return std::nullopt;
        int n = 0;
        for (char c : text)
            n = n * 10 + (c - '0');
        if (n >= 1 && n < NSIG)
            return n;
        return std::nullopt;
    }
    std::string name(text);
    std::transform(name.begin(), name.end(), name.begin(), upper);
    if (name.rfind("SIG", 0) == 0)
        name.erase(0, 3);
    for (const Entry& e : kSignals) {
        if (e.name == name)
            return e.number;
    }
    return std::nullopt;
}

const std::vector<std::string>& signal_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const Entry& e : kSignals)
            out.emplace_back(e.name);
        return out;
    }();
    return names;
}

SignalDefault default_action(int signal) {
    if (const Entry* e = find(signal))
        return e->action;
    return SignalDefault::terminate;  // the real-time signals
}

bool can_be_handled(int signal) {
    return signal != SIGKILL && signal != SIGSTOP;
}

}  // namespace procrun
