// procrun connect NAME[.N]: join this terminal to one process of the procrun
// running in this root: what is typed goes to it, its output comes back live,
// Ctrl-] detaches and leaves it running. A process on a pseudo-terminal gets
// raw keys and follows this terminal's window size; one on a pipe gets what is
// typed line by line.

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>

#include <fmt/core.h>

#include <array>
#include <csignal>
#include <memory>
#include <optional>

#include "cli/control_cli.hpp"
#include "procrun/connect.hpp"
#include "procrun/posix/fd.hpp"
#include "procrun/posix/signals.hpp"
#include "procrun/posix/terminal_modes.hpp"
#include "procrun/posix/tty.hpp"

namespace procrun::cli {

namespace {

namespace asio = boost::asio;

// Ctrl-]: telnet's escape key; no shell, debugger or REPL needs it.
constexpr char kDetachKey = '\x1d';
constexpr std::string_view kDetachName = "Ctrl-]";

struct ConnectArgs {
    ProjectArgs project;
    std::string name;
};

// One connection: the terminal on one side, the stream on the other, both
// waited for on the stream's io_context.
class Session {
  public:
    explicit Session(ControlClientStream& stream)
        : stream_(stream),
          stdin_(stream.io(), 0),
          signals_(stream.io()),
          modes_(0),
          input_is_terminal_(posix::is_terminal(0)) {}
    ~Session() {
        modes_.restore();
        stdin_.release();  // fd 0 is not ours to close
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    int run() {
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGTSTP}) {
            boost::system::error_code ignored;
            signals_.add(sig, ignored);
        }
        wait_signal();
        while (const std::optional<std::string> line = stream_.next_line()) {
            on_line(*line);
            if (done_)
                break;
        }
        if (!done_)
            ended(stream_.end());
        // What was typed before the detach key is on its way before the end.
        stream_.io().restart();
        stream_.io().poll();
        modes_.restore();
        return code_;
    }

  private:
    // ---- from procrun ----------------------------------------------------------

    void on_line(std::string_view line) {
        const Decoded<ConnectEvent> event = decode_connect_event(line);
        if (!event.ok()) {
            finish(fmt::format("malformed message from procrun: {}", event.error), kExitInvalid);
            return;
        }
        const ConnectEvent& e = *event.value;
        switch (e.kind) {
            case ConnectEvent::Kind::connected:
                connected(e);
                break;
            case ConnectEvent::Kind::output:
                posix::write_message(1, e.data);
                break;
            case ConnectEvent::Kind::started:
                say(fmt::format("{} started again (pid {}); still connected", name_, e.pid));
                send_window();
                break;
            case ConnectEvent::Kind::exited:
                say(fmt::format("{} {}{}", name_, e.text,
                                e.restarting ? "; it will be started again, still connected" : ""));
                break;
        }
    }

    // The stream ended without a detach: the process will not come back
    // (0), or procrun went away or cut the connection (1).
    void ended(const ControlClientStream::End& end) {
        if (end.reason == kConnectEnded) {
            finish(end.message, kExitOk);
            return;
        }
        const std::string why =
            end.message.empty() ? "the connection ended: " + end.reason : end.message;
        finish(why, kExitInvalid);
    }

    void connected(const ConnectEvent& e) {
        name_ = e.name;
        terminal_ = e.terminal;
        if (input_is_terminal_) {
            if (terminal_)
                modes_.make_raw();
            else
                modes_.end_lines_with(kDetachKey);
        }
        const std::string state =
            e.pid > 0 ? fmt::format("pid {}", e.pid) : fmt::format("not running now: {}", e.state);
        std::string how;
        if (!input_is_terminal_)
            how = "standard input goes to it; its end detaches";
        else if (terminal_)
            how = fmt::format("every key goes to it; {} detaches", kDetachName);
        else
            how = fmt::format(
                "each line goes to it on Enter; {} or Ctrl-D on an empty line "
                "detaches",
                kDetachName);
        say(fmt::format("connected to {} ({}{}): {}, leaving it running", name_, state,
                        terminal_ ? ", a terminal" : "", how));
        send_window();
        read_input();
    }

    // ---- from the terminal -----------------------------------------------------

    void read_input() {
        stdin_.async_wait(
            asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
                if (done_ || ec == asio::error::operation_aborted)
                    return;
                // A regular file or /dev/null cannot be waited
                // for, and never blocks: read it as it is.
                if (ec && ec != asio::error::operation_not_supported) {
                    finish("cannot read standard input: " + ec.message(), kExitInvalid);
                    return;
                }
                take_input();
            });
    }

    void take_input() {
        const ssize_t n = posix::read_some(0, buf_.data(), buf_.size());
        if (n <= 0) {
            // Ctrl-D on an empty line, or the end of piped input.
            detach();
            return;
        }
        std::string_view bytes(buf_.data(), static_cast<std::size_t>(n));
        const std::size_t key = input_is_terminal_ ? bytes.find(kDetachKey) : bytes.npos;
        if (key != bytes.npos) {
            // In raw mode the keys before it were typed before it: they go.
            // In line mode they are an unfinished line: it is not sent.
            if (terminal_)
                send_input(bytes.substr(0, key));
            detach();
            return;
        }
        send_input(bytes);
        read_input();
    }

    void send_input(std::string_view bytes) {
        while (!bytes.empty()) {
            ConnectInput in;
            in.input = std::string(bytes.substr(0, kMaxConnectInput));
            bytes.remove_prefix(in.input.size());
            send(in);
        }
    }

    void send_window() {
        if (!terminal_)
            return;
        std::optional<posix::WindowSize> w = posix::window_size_of(0);
        if (!w)
            w = posix::window_size_of(1);
        if (!w)
            return;
        ConnectInput in;
        in.resize = ConnectWindow{w->ws_row, w->ws_col};
        send(in);
    }

    void send(const ConnectInput& in) {
        std::string line = encode_connect_input(in);
        line.pop_back();  // send_line adds the newline
        stream_.send_line(line);
    }

    void wait_signal() {
        signals_.async_wait([this](boost::system::error_code ec, int sig) {
            if (ec || done_)
                return;
            if (sig == SIGWINCH) {
                send_window();
            } else if (sig == SIGTSTP) {
                // Ctrl-Z on a line: this terminal as it was while stopped.
                modes_.restore();
                posix::stop_self();
                modes_.reapply();
                send_window();
            } else {
                detach();
                return;
            }
            wait_signal();
        });
    }

    // ---- the end -------------------------------------------------------------------

    void detach() { finish(fmt::format("detached from {}; it goes on running", name_), kExitOk); }

    void finish(const std::string& message, int code) {
        if (done_)
            return;
        done_ = true;
        code_ = code;
        modes_.restore();
        say(message);
        boost::system::error_code ignored;
        stdin_.cancel(ignored);
        signals_.cancel(ignored);
        stream_.interrupt();
    }

    void say(const std::string& text) {
        const bool raw = modes_.active() && terminal_ && !done_;
        posix::write_message(2, "procrun: " + text + (raw ? "\r\n" : "\n"));
    }

    ControlClientStream& stream_;
    asio::posix::stream_descriptor stdin_;
    asio::signal_set signals_;
    posix::TerminalModes modes_;
    bool input_is_terminal_;
    bool terminal_ = false;
    bool done_ = false;
    int code_ = kExitOk;
    std::string name_;
    std::array<char, 16 * 1024> buf_{};
};

int connect_command(const ConnectArgs& args) {
    const std::optional<std::filesystem::path> root = resolve_root(args.project, /*report=*/true);
    if (!root)
        return kExitInvalid;
    posix::set_supervisor_dispositions();  // a closed stdout is EPIPE, not death in raw mode
    ControlRequest request;
    request.command = ControlCommand::connect;
    request.targets = {args.name};
    try {
        ControlClientStream stream(control_paths(*root, Environment::from_process()), request);
        if (!stream.reply().ok) {
            fmt::print(stderr, "procrun: connect: {}\n", stream.reply().error);
            return kExitInvalid;
        }
        if (!stream.reply().stream) {
            fmt::print(stderr, "procrun: connect: the procrun running in {} cannot connect\n",
                       root->string());
            return kExitInvalid;
        }
        Session session(stream);
        return session.run();
    } catch (const ControlError& e) {
        fmt::print(stderr, "procrun: {}\n", e.what());
        return kExitInvalid;
    }
}

void add_connect_command(CLI::App& app, Command& command) {
    auto args = std::make_shared<ConnectArgs>();
    CLI::App* cmd = app.add_subcommand(
        "connect", "Type into one process of the procrun running in this root, see its output");
    add_root_options(*cmd, args->project);
    cmd->add_option("name", args->name, "An instance (web.2) or a process type (its first, web.1)")
        ->type_name("NAME[.N]")
        ->required();
    cmd->footer(
        "What you type goes to the process; its output comes back live (and still goes to\n"
        "procrun's own output). Ctrl-] detaches and leaves it running.\n"
        "On a pseudo-terminal (pty: true, --pty) every key goes to it as typed (Ctrl-C\n"
        "included) and it follows this terminal's size; on a pipe each line goes when you\n"
        "press Enter, and Ctrl-C or Ctrl-D on an empty line also detach. With standard\n"
        "input not a terminal, it is sent as it comes and its end detaches.\n"
        "Exit status: 0 once detached or when the process has ended; 1 when it cannot\n"
        "connect (no procrun running, an unknown name, a process that is not running) or\n"
        "the connection is lost.");
    cmd->callback([args, &command] { command.run = [args] { return connect_command(*args); }; });
}

const bool kConnectRegistered = register_command(55, add_connect_command);

}  // namespace

}  // namespace procrun::cli
