// What `procrun check` reports besides the diagnostics, and the reports
// themselves: the summary lines, --format=json and --format=github.

#include <fmt/format.h>

#include "procrun/check.hpp"
#include "procrun/json.hpp"

namespace procrun {

CheckSummary summarize(const Project& project, const std::vector<Diagnostic>& diagnostics) {
    CheckSummary s;
    s.valid = !has_errors(diagnostics);
    s.procfile = project.procfile_path;
    s.config = project.config_path;
    for (const auto& f : project.env_files)
        s.env_files.push_back(f.path);
    if (!project.plan.types.empty()) {
        for (const auto& t : project.plan.types) {
            s.types.push_back({t.name, t.command, t.line, t.count});
        }
    } else {
        for (const auto& e : project.procfile.entries)
            s.types.push_back({e.name, e.command, e.line, 1});
    }
    for (const auto& i : project.plan.instances)
        s.instances.push_back({i.name, i.port});
    return s;
}

namespace {

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

void optional_int(json::Writer& w, int v) {
    if (v > 0) {
        w.value(v);
    } else {
        w.value(nullptr);
    }
}

void optional_string(json::Writer& w, std::string_view v) {
    if (v.empty()) {
        w.value(nullptr);
    } else {
        w.value(v);
    }
}

void write_summary(json::Writer& w, const CheckSummary& summary,
                   const std::vector<Diagnostic>& diagnostics) {
    w.key("summary").begin_object();
    w.field("valid", summary.valid);
    w.field("errors", count(diagnostics, Severity::error));
    w.field("warnings", count(diagnostics, Severity::warning));
    w.key("procfile");
    optional_string(w, summary.procfile);
    w.key("config");
    optional_string(w, summary.config.value_or(""));
    w.key("env_files").begin_array();
    for (const auto& f : summary.env_files)
        w.value(f);
    w.end_array();
    w.key("process_types").begin_array();
    for (const auto& t : summary.types) {
        w.begin_object()
            .field("name", t.name)
            .field("command", t.command)
            .field("line", t.line)
            .field("count", t.count)
            .end_object();
    }
    w.end_array();
    w.key("instances").begin_array();
    for (const auto& i : summary.instances)
        w.begin_object().field("name", i.name).field("port", i.port).end_object();
    w.end_array();
    w.end_object();
}

void write_diagnostic(json::Writer& w, const Diagnostic& d) {
    w.begin_object();
    w.field("severity", to_string(d.severity));
    w.field("code", d.code);
    w.key("file");
    optional_string(w, d.where.file);
    w.key("line");
    optional_int(w, d.where.line);
    w.key("column");
    optional_int(w, d.where.line > 0 ? d.where.column : 0);
    w.field("message", d.message);
    w.key("hint");
    optional_string(w, d.hint);
    w.end_object();
}

}  // namespace

std::string format_success(const CheckSummary& summary, std::size_t warnings) {
    std::string types;
    for (const auto& t : summary.types) {
        if (!types.empty())
            types += ", ";
        types += t.name;
        if (t.count != 1)
            types += fmt::format("={}", t.count);
    }
    std::string out = fmt::format("valid {}: {} ({})", summary.procfile, types,
                                  plural(summary.instances.size(), "process", "processes"));
    if (warnings > 0)
        out += ", " + plural(warnings, "warning", "warnings");
    return out + "\n";
}

std::string format_failure(std::size_t errors, std::size_t warnings) {
    std::string out = "check failed: " + plural(errors, "error", "errors");
    if (warnings > 0)
        out += ", " + plural(warnings, "warning", "warnings");
    return out + "\n";
}

std::string format_check_json(const CheckSummary& summary,
                              const std::vector<Diagnostic>& diagnostics) {
    json::Writer w;
    w.begin_object();
    write_summary(w, summary, diagnostics);
    w.key("diagnostics").begin_array();
    for (const auto& d : diagnostics)
        write_diagnostic(w, d);
    w.end_array();
    w.end_object();
    return w.str();
}

std::string github_escape_data(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '%':
                out += "%25";
                break;
            case '\r':
                out += "%0D";
                break;
            case '\n':
                out += "%0A";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string github_escape_property(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : github_escape_data(text)) {
        if (c == ':') {
            out += "%3A";
        } else if (c == ',') {
            out += "%2C";
        } else {
            out += c;
        }
    }
    return out;
}

std::string format_github(const Diagnostic& d) {
    std::string_view command = "error";
    if (d.severity == Severity::warning)
        command = "warning";
    if (d.severity == Severity::note)
        command = "notice";
    std::vector<std::string> props;
    if (!d.where.file.empty())
        props.push_back("file=" + github_escape_property(escape_control(d.where.file)));
    if (d.where.line > 0) {
        props.push_back(fmt::format("line={}", d.where.line));
        if (d.where.column > 0)
            props.push_back(fmt::format("col={}", d.where.column));
    }
    if (!d.code.empty())
        props.push_back("title=" + github_escape_property(d.code));
    // Control characters would reach the CI log raw: shown escaped, as on a terminal.
    std::string message = escape_control(d.message);
    if (!d.hint.empty())
        message += "\nhint: " + escape_control(d.hint, true);
    std::string out = fmt::format("::{}", command);
    for (std::size_t k = 0; k < props.size(); ++k)
        out += (k == 0 ? " " : ",") + props[k];
    return out + "::" + github_escape_data(message) + "\n";
}

}  // namespace procrun
