#include "check/lints.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "check/port.hpp"
#include "check/text.hpp"

namespace procrun {

namespace lint {

namespace {

// The hint of check/web-port for a server procrun knows.
std::string known_server_hint(std::string_view server) {
    if (server == "gunicorn") {
        return "gunicorn reads PORT only when no --bind is given: use "
               "`--bind 0.0.0.0:$PORT` or drop --bind";
    }
    if (server == "rails server" || server == "next") {
        return fmt::format(
            "{} reads PORT only when no --port is given: use `--port $PORT` or drop --port",
            server);
    }
    return std::string(server_hint(server));
}

// A name the strict rule accepts, made from `name`; "" when none can be.
std::string strict_suggestion(std::string_view name) {
    std::string suggestion;
    for (char c : name) {
        const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if ((l >= 'a' && l <= 'z') || is_digit(l)) {
            suggestion += l;
        } else if (!suggestion.empty() && suggestion.back() != '-') {
            suggestion += '-';
        }
    }
    if (suggestion.size() > 63)
        suggestion.resize(63);
    while (!suggestion.empty() && suggestion.back() == '-')
        suggestion.pop_back();
    return suggestion;
}

}  // namespace

Location Linter::at(const ProcfileEntry& e, int column) const {
    return Location{procfile_.file, e.line, column};
}

std::string Linter::source(const ProcfileEntry& e) const {
    return std::string(line_at(text_, e.line));
}

void Linter::warn(Location where, std::string_view code, std::string message, std::string src,
                  std::string hint) {
    out_.push_back(make_warning(std::move(where), std::string(code), std::move(message),
                                std::move(src), std::move(hint)));
}

void Linter::strict_name(const ProcfileEntry& e) {
    std::string why;
    if (options_.strict || is_strict_process_name(e.name, &why))
        return;
    const std::string src = source(e);
    const auto name_at = src.find(e.name);
    const int column = name_at == std::string::npos ? 1 : static_cast<int>(name_at) + 1;
    const std::string suggestion = strict_suggestion(e.name);
    std::string hint =
        "Cloud Native Buildpacks (Heroku's current stack) and Kubernetes accept lowercase "
        "a-z, 0-9 and '-', starting and ending with a letter or digit, at most 63 "
        "characters";
    if (!suggestion.empty() && suggestion != e.name)
        hint += fmt::format("; rename it, e.g. '{}'", suggestion);
    if (!why.empty())
        why = ": " + why;
    warn(at(e, column), kStrictName,
         fmt::format("process name '{}' would be rejected by --strict{}", e.name, why), src,
         std::move(hint));
}

bool Linter::hard_coded_ports(const ProcfileEntry& e, const std::vector<Invocation>& invs) {
    std::vector<HardCodedPort> hard;
    for (const auto& inv : invs)
        find_hard_coded(inv, hard);
    for (const auto& h : hard) {
        std::string hint;
        if (h.word->text == "PORT=" + h.port) {
            hint =
                "remove it: the platform sets PORT for the web process and routes "
                "traffic only to that port";
        } else {
            hint = fmt::format(
                "the platform sets PORT for the web process and routes traffic only to that "
                "port: use `{}`{}",
                h.replacement,
                h.loopback ? " (on 0.0.0.0: the router cannot reach a loopback address)" : "");
        }
        warn(at(e, word_column(e, e.command, *h.word, h.index)), kHardCodedPort,
             fmt::format("web command hard-codes port {}", h.port), source(e), std::move(hint));
    }
    return !hard.empty();
}

void Linter::web_port(const ProcfileEntry& e, const std::vector<Invocation>& invs) {
    const Invocation* known = nullptr;
    bool reads = false;
    bool unknown_config = false;
    for (const auto& inv : invs) {
        const PortUse use = port_use(inv, files_);
        if (use == PortUse::reads)
            reads = true;
        if (inv.server == "puma" && use == PortUse::unknown)
            unknown_config = true;
        if (known == nullptr && inv.word != nullptr &&
            (!server_hint(inv.server).empty() || use == PortUse::ignores)) {
            known = &inv;
        }
    }
    if (reads || unknown_config)
        return;
    int column = e.command_column;
    std::string message = "web process does not use $PORT";
    std::string hint;
    if (known != nullptr) {
        column = word_column(e, e.command, *known->word);
        hint = known_server_hint(known->server);
        message = fmt::format("web process runs {} without $PORT", known->server);
    }
    if (hint.empty()) {
        hint =
            "the platform routes HTTP traffic to the port in $PORT: pass it to the "
            "server (e.g. `--port $PORT`), unless the program reads PORT itself";
    }
    warn(at(e, column), kWebPort, std::move(message), source(e), std::move(hint));
}

void Linter::web(const ProcfileEntry& e, const std::vector<Invocation>& invs) {
    if (!hard_coded_ports(e, invs) && !mentions_port(e.command))
        web_port(e, invs);
    requirements(e, invs);
}

std::vector<Diagnostic> Linter::run() {
    for (const auto& e : procfile_.entries) {
        strict_name(e);
        const Command command(e.command);
        const std::vector<Invocation>& invs = command.invocations;
        if (e.name == "web")
            web(e, invs);
        for (const auto& inv : invs) {
            if (inv.server == "gunicorn")
                gunicorn(e, inv);
        }
    }
    // Procfile findings in line and column order, then the other files'.
    const std::string& file = procfile_.file;
    std::stable_sort(out_.begin(), out_.end(), [&](const Diagnostic& a, const Diagnostic& b) {
        const bool a_other = a.where.file != file;
        const bool b_other = b.where.file != file;
        if (a_other != b_other)
            return b_other;
        if (a_other)
            return false;
        if (a.where.line != b.where.line)
            return a.where.line < b.where.line;
        return a.where.column < b.where.column;
    });
    return std::move(out_);
}

}  // namespace lint

std::vector<Diagnostic> lint_procfile(const Procfile& procfile, std::string_view procfile_text,
                                      const RootFiles& files, const LintOptions& options) {
    return lint::Linter(procfile, procfile_text, files, options).run();
}

void promote_warnings(std::vector<Diagnostic>& diagnostics) {
    for (auto& d : diagnostics) {
        if (d.severity == Severity::warning)
            d.severity = Severity::error;
    }
}

}  // namespace procrun
