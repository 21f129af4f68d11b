#include "cli/control_cli.hpp"

#include <boost/asio/signal_set.hpp>

#include <fmt/core.h>

#include <csignal>
#include <cstdio>
#include <utility>

#include "procrun/output.hpp"

namespace procrun::cli {

namespace fs = std::filesystem;

void add_root_options(CLI::App& cmd, ProjectArgs& args, bool short_procfile) {
    args.before = &project_args_before_command();
    args.procfile_opt =
        cmd.add_option(short_procfile ? "-f,--procfile" : "--procfile", args.procfile,
                       "Procfile of the running procrun (its directory is the root)");
    args.root_opt = cmd.add_option(
        "-d,--root", args.root,
        "Root of the running procrun (default: the Procfile's directory, else the current one)");
}

std::optional<fs::path> resolve_root(const ProjectArgs& args, bool report) {
    const Environment os_env = Environment::from_process();
    LoadOptions load;
    load.cli = to_settings(args);
    load.require_procfile = false;
    Parsed<Project> loaded = load_project(load, os_env);
    if (loaded.value.root.empty()) {
        if (report)
            print_diagnostics(loaded.diagnostics, std::nullopt, os_env);
        return std::nullopt;
    }
    return loaded.value.root;
}

int send_control(const ProjectArgs& args, const ControlRequest& request,
                 const std::function<void(const ControlReply&)>& print) {
    const std::optional<fs::path> root = resolve_root(args, /*report=*/true);
    if (!root)
        return kExitInvalid;
    try {
        const ControlReply reply = control_request(*root, request);
        if (!reply.ok) {
            fmt::print(stderr, "procrun: {}: {}\n", to_string(request.command), reply.error);
            return kExitInvalid;
        }
        print(reply);
        std::fflush(stdout);
        return kExitOk;
    } catch (const ControlError& e) {
        fmt::print(stderr, "procrun: {}\n", e.what());
        return kExitInvalid;
    }
}

void print_instance_lines(const ControlReply& reply) {
    std::size_t width = 0;
    for (const auto& s : reply.instances)
        width = std::max(width, s.name.size());
    for (const auto& s : reply.instances) {
        fmt::print("{:<{}}  {}{}\n", s.name, width, s.state.empty() ? "-" : s.state,
                   s.pid > 0 ? fmt::format(" (pid {})", s.pid) : std::string());
    }
}

std::optional<int> start_in_running(const ProjectArgs& args,
                                    const std::vector<std::string>& names) {
    const std::optional<fs::path> root = resolve_root(args, /*report=*/false);
    if (!root)
        return std::nullopt;
    std::optional<RunningSupervisor> running;
    try {
        running = find_running(*root);
    } catch (const ControlError&) {
        // An unsafe control directory: starting reports it.
        return std::nullopt;
    }
    if (!running)
        return std::nullopt;
    if (names.empty()) {
        fmt::print(stderr,
                   "procrun: procrun is already running in {} ({}, socket {})\n"
                   "hint: `procrun status` shows its processes; `procrun start NAME...` starts "
                   "stopped ones, `procrun kill` stops it\n",
                   root->string(),
                   running->pid > 0 ? fmt::format("pid {}", running->pid) : "pid unknown",
                   running->socket.string());
        return kExitInvalid;
    }
    ControlRequest request;
    request.command = ControlCommand::start;
    request.targets = names;
    return send_control(args, request, print_instance_lines);
}

}  // namespace procrun::cli

namespace procrun::cli {

namespace {

// Formats `logs` lines like the main output, with the sources of the reply.
class LogFormatter {
  public:
    LogFormatter(const LogPrinting& printing, const std::vector<LogSource>& sources)
        : buffer_(style(printing), name_width(sources)) {
        for (const LogSource& s : sources) {
            if (s.name != "system")
                ids_.emplace_back(s.name, buffer_.add_source(s.name, s.colour));
        }
    }

    void add(std::string_view json_line) {
        const Decoded<LogLine> line = decode_log_line(json_line);
        if (!line.ok())
            return;  // not a line of output: nothing to show
        buffer_.set_time(line.value->time);
        buffer_.append(source(line.value->process), line.value->line, line.value->continued);
    }

    void write(std::FILE* out) {
        const std::string_view text = buffer_.pending();
        std::fwrite(text.data(), 1, text.size(), out);
        buffer_.clear();
    }

  private:
    static OutputStyle style(const LogPrinting& printing) {
        OutputStyle s;
        s.colour = printing.colour;
        return s;
    }
    static std::size_t name_width(const std::vector<LogSource>& sources) {
        std::size_t width = 0;
        for (const LogSource& s : sources)
            width = std::max(width, s.name.size());
        return width;
    }
    std::size_t source(const std::string& name) {
        if (name == "system")
            return 0;
        for (const auto& [n, id] : ids_) {
            if (n == name)
                return id;
        }
        // An instance that was not there when the request was answered.
        ids_.emplace_back(name, buffer_.add_source(name, -1));
        return ids_.back().second;
    }

    OutputBuffer buffer_;
    std::vector<std::pair<std::string, std::size_t>> ids_;
};

// The exit code and the message for how a stream ended.
int report_end(const ControlClientStream::End& end, const fs::path& root, bool follow) {
    if (end.reason == "done" || end.reason == "interrupted")
        return kExitOk;
    if (end.reason == "exiting") {
        if (follow)
            fmt::print(stderr, "procrun: procrun in {} has exited\n", root.string());
        return kExitOk;
    }
    fmt::print(stderr, "procrun: {}\n", end.message.empty() ? end.reason : end.message);
    return kExitInvalid;
}

}  // namespace

int print_log_stream(const ProjectArgs& args, const ControlRequest& request,
                     const LogPrinting& printing) {
    const std::optional<fs::path> root = resolve_root(args, /*report=*/true);
    if (!root)
        return kExitInvalid;
    try {
        ControlClientStream stream(control_paths(*root, Environment::from_process()), request);
        const ControlReply& reply = stream.reply();
        if (!reply.ok) {
            fmt::print(stderr, "procrun: {}: {}\n", to_string(request.command), reply.error);
            return kExitInvalid;
        }
        if (printing.attach) {
            fmt::print(stderr,
                       "procrun: attached to procrun in {} (pid {}); Ctrl-C detaches and leaves "
                       "it running\n",
                       root->string(), reply.pid);
        }
        boost::asio::signal_set signals(stream.io(), SIGINT, SIGTERM, SIGHUP);
        signals.async_wait([&stream](boost::system::error_code ec, int) {
            if (!ec)
                stream.interrupt();
        });
        LogFormatter formatter(printing, reply.sources);
        while (const std::optional<std::string> line = stream.next_line()) {
            if (printing.json) {
                std::fwrite(line->data(), 1, line->size(), stdout);
                std::fputc('\n', stdout);
            } else {
                formatter.add(*line);
            }
            if (!stream.line_ready()) {
                formatter.write(stdout);
                std::fflush(stdout);
            }
        }
        formatter.write(stdout);
        std::fflush(stdout);
        return report_end(stream.end(), *root, request.follow);
    } catch (const ControlError& e) {
        fmt::print(stderr, "procrun: {}\n", e.what());
        return kExitInvalid;
    }
}

}  // namespace procrun::cli
