// Readiness probes: timers, sockets and exec attempts in the supervisor's loop.
// Everything a probe has pending lives in one shared State whose handlers hold
// it alive; a token, bumped whenever pending work becomes stale (an attempt
// ended, the probe was cancelled, restarted or destroyed), tells each handler
// whether it still matters.

#include <signal.h>
#include <unistd.h>

#include "procrun/posix/spawn.hpp"  // first: it includes what Boost.Process needs

#include "procrun/line_pattern.hpp"
#include "supervisor/probe.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <cerrno>
#include <optional>
#include <utility>

#include "procrun/posix/fd.hpp"
#include "procrun/posix/process_group.hpp"
#include "procrun/posix/reaper.hpp"
#include "procrun/supervisor.hpp"

namespace procrun {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// How much of an exec attempt's output is kept, and how much of its last line
// goes into the failure's detail.
constexpr std::size_t kOutputTail = 4096;
constexpr std::size_t kDetailLine = 200;
// At most this much is read from an exec attempt's pipe once it has exited.
constexpr std::size_t kDrainLimit = 64 * 1024;
// A log pattern is searched in this much of each line, which with Boost.Regex's
// bound on backtracking keeps one search to milliseconds at worst.
constexpr std::size_t kLogSearchBytes = 1024;

// The last non-empty line of `text`, shortened to kDetailLine bytes.
std::string last_line(std::string_view text) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    if (const auto nl = text.rfind('\n'); nl != std::string_view::npos)
        text.remove_prefix(nl + 1);
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    if (text.size() > kDetailLine)
        return std::string(text.substr(0, kDetailLine)) + "...";
    return std::string(text);
}

std::string millis(Millis d) {
    return std::to_string(d.count()) + " ms";
}

struct NetAttempt {
    explicit NetAttempt(asio::io_context& io) : socket(io), resolver(io) {}
    tcp::socket socket;
    tcp::resolver resolver;
    beast::flat_buffer buffer;
    http::request<http::empty_body> request;
    http::response_parser<http::empty_body> parser;

    void abort() {
        error_code ignored;
        resolver.cancel();
        socket.close(ignored);
    }
};

struct ExecAttempt {
    explicit ExecAttempt(asio::io_context& io) : pipe(io) {}
    pid_t pid = -1;
    asio::posix::stream_descriptor pipe;
    std::array<char, 4096> buf{};
    std::string tail;  // the last kOutputTail bytes it wrote

    void keep(std::string_view data) {
        tail.append(data);
        if (tail.size() > kOutputTail)
            tail.erase(0, tail.size() - kOutputTail);
    }
    // Reads what is in the pipe now, without waiting.
    void drain() {
        std::size_t total = 0;
        while (pipe.is_open() && total < kDrainLimit) {
            const ssize_t n = posix::read_some(pipe.native_handle(), buf.data(), buf.size());
            if (n <= 0)
                return;
            keep(std::string_view(buf.data(), static_cast<std::size_t>(n)));
            total += static_cast<std::size_t>(n);
        }
    }
    // Kills whatever of its process group is left and stops reading.
    void abort() {
        if (pid > 0)
            posix::signal_group(pid, SIGKILL);
        error_code ignored;
        pipe.close(ignored);
    }
};

}  // namespace

struct Probe::State : std::enable_shared_from_this<State> {
    State(asio::io_context& io_context, const Readiness& settings, int instance_port,
          std::vector<std::string> environment, std::filesystem::path directory,
          posix::Reaper& child_reaper)
        : io(io_context),
          readiness(settings),
          port(settings.port != 0 ? settings.port : instance_port),
          env(std::move(environment)),
          cwd(std::move(directory)),
          reaper(child_reaper),
          wait(io_context),
          deadline(io_context) {
        if (readiness.kind == ProbeKind::log)
            pattern.emplace(readiness.pattern);
        if (readiness.path.empty() || readiness.path.front() != '/')
            readiness.path.insert(0, "/");
    }

    asio::io_context& io;
    Readiness readiness;
    int port;
    std::vector<std::string> env;
    std::filesystem::path cwd;
    posix::Reaper& reaper;
    std::optional<LinePattern> pattern;
    asio::steady_timer wait;      // the initial delay, the interval, a log probe's deadline
    asio::steady_timer deadline;  // one attempt's timeout
    Done done;
    bool active = false;
    bool matched = false;  // log: a line matched; `done` is on its way
    int attempts = 0;
    unsigned token = 0;
    std::shared_ptr<NetAttempt> net;
    std::shared_ptr<ExecAttempt> exec;

    [[nodiscard]] bool current(unsigned t) const { return active && t == token; }

    // "127.0.0.1:5000", "[::1]:5000"
    [[nodiscard]] std::string authority() const {
        const bool v6 = readiness.host.find(':') != std::string::npos;
        return (v6 ? "[" + readiness.host + "]" : readiness.host) + ":" + std::to_string(port);
    }
    [[nodiscard]] std::string what() const {
        if (readiness.kind == ProbeKind::http)
            return "GET http://" + authority() + readiness.path;
        if (readiness.kind == ProbeKind::exec)
            return "`" + readiness.command + "`";
        return "connect to " + authority();
    }

    void start(Done on_done) {
        cancel();
        active = true;
        matched = false;
        attempts = 0;
        done = std::move(on_done);
        switch (readiness.kind) {
            case ProbeKind::none:
                finish_soon(ProbeResult{true, 0, {}});
                return;
            case ProbeKind::log: {
                const Millis limit =
                    readiness.initial_delay + readiness.interval * readiness.retries;
                wait.expires_after(limit);
                wait.async_wait([self = shared_from_this(), t = token, limit](error_code ec) {
                    if (ec || !self->current(t) || self->matched)
                        return;
                    self->finish(ProbeResult{false, 0,
                                             "no output line matched /" + self->readiness.pattern +
                                                 "/ within " + millis(limit)});
                });
                return;
            }
            case ProbeKind::tcp:
            case ProbeKind::http:
                if (port < 1 || port > 65535) {
                    finish_soon(ProbeResult{
                        false, 0,
                        port == 0
                            ? "no port to probe: the readiness port is 0 and the "
                              "instance has no PORT"
                            : "no port to probe: " + std::to_string(port) + " is not a TCP port"});
                    return;
                }
                break;
            case ProbeKind::exec:
                break;
        }
        schedule(readiness.initial_delay);
    }

    void cancel() {
        ++token;
        active = false;
        done = nullptr;
        wait.cancel();
        deadline.cancel();
        abort_attempt();
    }

    bool feed_line(std::string_view line) {
        if (!active || matched || !pattern)
            return false;
        line = line.substr(0, kLogSearchBytes);
        const LinePattern::Found found = pattern->search(line);
        if (found == LinePattern::Found::too_complex) {
            finish_soon(ProbeResult{false, 0,
                                    "the log pattern needs too much work to search a line (it "
                                    "backtracks without bound): simplify it, e.g. drop nested "
                                    "repeats such as (a+)+"});
            matched = true;  // searches no further line
            return false;
        }
        if (found == LinePattern::Found::no)
            return false;
        matched = true;
        finish_soon(ProbeResult{true, 0, {}});
        return true;
    }

    // Calls `done` from the loop, unless the probe is cancelled or restarted first.
    void finish_soon(ProbeResult result) {
        asio::post(io, [self = shared_from_this(), t = token, r = std::move(result)]() mutable {
            if (self->current(t))
                self->finish(std::move(r));
        });
    }

    void finish(ProbeResult result) {
        ++token;
        active = false;
        wait.cancel();
        deadline.cancel();
        abort_attempt();
        // Moved out first: `done` may cancel, restart or destroy the probe.
        Done on_done = std::move(done);
        done = nullptr;
        if (on_done)
            on_done(std::move(result));
    }

    void abort_attempt() {
        if (net) {
            net->abort();
            net.reset();
        }
        if (exec) {
            exec->abort();
            exec.reset();
        }
    }

    void schedule(Millis delay) {
        wait.expires_after(delay);
        wait.async_wait([self = shared_from_this(), t = token](error_code ec) {
            if (!ec && self->current(t))
                self->attempt();
        });
    }

    void attempt() {
        ++attempts;
        const unsigned t = ++token;
        deadline.expires_after(readiness.timeout);
        deadline.async_wait([self = shared_from_this(), t](error_code ec) {
            if (ec || !self->current(t))
                return;
            std::string why = self->what();
            if (self->readiness.kind == ProbeKind::exec)
                why += " did not exit within " + millis(self->readiness.timeout) +
                       " (process group killed)";
            else
                why += ": no answer within " + millis(self->readiness.timeout);
            self->failed(std::move(why));
        });
        if (readiness.kind == ProbeKind::exec)
            attempt_exec(t);
        else
            attempt_net(t);
    }

    void succeeded() { finish(ProbeResult{true, attempts, {}}); }

    void failed(std::string why) {
        ++token;
        deadline.cancel();
        abort_attempt();
        if (attempts >= readiness.retries) {
            why +=
                " after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
            finish(ProbeResult{false, attempts, std::move(why)});
            return;
        }
        schedule(readiness.interval);
    }

    // ---- tcp and http ----

    void attempt_net(unsigned t) {
        auto a = std::make_shared<NetAttempt>(io);
        net = a;
        auto self = shared_from_this();
        error_code ec;
        const asio::ip::address address = asio::ip::make_address(readiness.host, ec);
        if (!ec) {
            const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
            a->socket.async_connect(endpoint,
                                    [self, a, t](error_code e) { self->connected(a, t, e); });
            return;
        }
        a->resolver.async_resolve(
            readiness.host, std::to_string(port), tcp::resolver::numeric_service,
            [self, a, t](error_code e, const tcp::resolver::results_type& results) {
                if (!self->current(t))
                    return;
                if (e) {
                    self->failed(self->what() + ": cannot resolve " + self->readiness.host + ": " +
                                 e.message());
                    return;
                }
                asio::async_connect(a->socket, results,
                                    [self, a, t](error_code e2, const tcp::endpoint&) {
                                        self->connected(a, t, e2);
                                    });
            });
    }

    void connected(const std::shared_ptr<NetAttempt>& a, unsigned t, error_code ec) {
        if (!current(t))
            return;
        if (ec) {
            failed(what() + (readiness.kind == ProbeKind::http ? ": connect: " : ": ") +
                   ec.message());
            return;
        }
        if (readiness.kind == ProbeKind::tcp) {
            succeeded();
            return;
        }
        send_request(a, t);
    }

    void send_request(const std::shared_ptr<NetAttempt>& a, unsigned t) {
        a->request = http::request<http::empty_body>(http::verb::get, readiness.path, 11);
        a->request.set(http::field::host, authority());
        a->request.set(http::field::user_agent, "procrun");
        a->request.set(http::field::connection, "close");
        http::async_write(a->socket, a->request,
                          [self = shared_from_this(), a, t](error_code ec, std::size_t) {
                              if (!self->current(t))
                                  return;
                              if (ec) {
                                  self->failed(self->what() + ": " + ec.message());
                                  return;
                              }
                              http::async_read_header(a->socket, a->buffer, a->parser,
                                                      [self, a, t](error_code e, std::size_t) {
                                                          if (self->current(t))
                                                              self->answered(*a, e);
                                                      });
                          });
    }

    void answered(NetAttempt& a, error_code ec) {
        if (ec) {
            failed(what() + ": no response: " + ec.message());
            return;
        }
        const auto& response = a.parser.get();
        const unsigned status = response.result_int();
        if (status >= 200 && status < 400) {
            succeeded();
            return;
        }
        std::string reason(response.reason());
        if (reason.empty())
            reason = std::string(http::obsolete_reason(response.result()));
        failed(what() + ": " + std::to_string(status) + " " + reason);
    }

    // ---- exec ----

    void attempt_exec(unsigned t) {
        auto a = std::make_shared<ExecAttempt>(io);
        try {
            posix::Pipe pipe = posix::make_pipe(true);
            const posix::Fd dev_null = posix::open_dev_null();
            a->pipe.assign(pipe.read.release());
            posix::SpawnOptions options;
            options.command = readiness.command;
            options.env = env;
            options.cwd = cwd;
            options.stdin_fd = dev_null.get();
            options.output_fd = pipe.write.get();
            a->pid = posix::spawn_shell(io.get_executor(), options).pid;
        } catch (const std::exception& e) {
            failed(what() + " could not be started: " + e.what());
            return;
        }
        exec = a;
        std::weak_ptr<State> weak = shared_from_this();
        reaper.watch(a->pid, [weak, a, t](int status) {
            if (auto self = weak.lock(); self && self->current(t))
                self->exited(*a, status);
        });
        read_output(a);
    }

    static void read_output(const std::shared_ptr<ExecAttempt>& a) {
        a->pipe.async_read_some(asio::buffer(a->buf), [a](error_code ec, std::size_t n) {
            if (ec || !a->pipe.is_open())
                return;
            a->keep(std::string_view(a->buf.data(), n));
            read_output(a);
        });
    }

    void exited(ExecAttempt& a, int wait_status) {
        a.drain();
        const ExitStatus status = ExitStatus::from_wait_status(wait_status);
        if (status == ExitStatus::exited(0)) {
            succeeded();
            return;
        }
        std::string why = what() + " " + describe(status);
        if (std::string line = last_line(a.tail); !line.empty())
            why += " (output: " + line + ")";
        failed(std::move(why));
    }
};

Probe::Probe(boost::asio::io_context& io, const Readiness& readiness, int instance_port,
             std::vector<std::string> env, std::filesystem::path cwd, posix::Reaper& reaper)
    : state_(std::make_shared<State>(io, readiness, instance_port, std::move(env), std::move(cwd),
                                     reaper)) {}

Probe::~Probe() {
    state_->cancel();
}

void Probe::start(Done done) {
    state_->start(std::move(done));
}

void Probe::cancel() {
    state_->cancel();
}

bool Probe::feed_line(std::string_view line) {
    return state_->feed_line(line);
}

bool Probe::running() const {
    return state_->active;
}

bool Probe::wants_lines() const {
    return state_->active && state_->pattern && !state_->matched;
}

const Readiness& Probe::readiness() const {
    return state_->readiness;
}

}  // namespace procrun
