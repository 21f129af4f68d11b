// The blocking client of the control socket: one request, one reply, a deadline.

#include <sys/un.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

#include <fmt/core.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <deque>
#include <fstream>
#include <memory>

#include "procrun/control.hpp"

namespace procrun {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using asio::local::stream_protocol;

namespace {

// Replies list every instance; a few hundred bytes each.
constexpr std::size_t kMaxReplyLine = 16 * 1024 * 1024;

std::string not_running_message(const ControlPaths& paths) {
    return fmt::format("no procrun is running in {}", paths.root.string());
}

pid_t pid_from_text(const std::string& text) {
    pid_t pid = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc() || ptr != text.data() + text.size() || pid <= 0)
        return 0;
    return pid;
}

// What the lock file says: its pid, and whether that procrun is exiting
// (a second line "exiting", or no lock file any more).
struct LockState {
    pid_t pid = 0;
    bool exiting = false;
};

LockState read_lock(const fs::path& lock) {
    std::ifstream in(lock);
    if (!in)
        return LockState{0, true};
    LockState state;
    std::string line;
    if (std::getline(in, line))
        state.pid = pid_from_text(line);
    state.exiting = std::getline(in, line) && line == "exiting";
    return state;
}

pid_t pid_from_lock(const fs::path& lock) {
    return read_lock(lock).pid;
}

// Whether anything is at `dir` at all; an unsafe directory throws.
bool directory_usable(const fs::path& dir) {
    std::error_code ec;
    if (fs::symlink_status(dir, ec).type() == fs::file_type::not_found)
        return false;
    check_private_directory(dir);
    return true;
}

// One connection to a control socket, each step bounded by one deadline.
class Connection {
  public:
    Connection(const ControlPaths& paths, std::chrono::milliseconds timeout)
        : paths_(paths),
          timeout_(timeout),
          deadline_(std::chrono::steady_clock::now() + timeout),
          socket_(io_) {}

    // False when nothing listens there (no socket file, or a stale one).
    bool connect() {
        if (paths_.socket.native().size() >= sizeof(sockaddr_un::sun_path)) {
            throw ControlError(
                fmt::format("the control socket path {} is too long for a Unix socket",
                            paths_.socket.string()));
        }
        boost::system::error_code result;
        bool done = false;
        socket_.async_connect(stream_protocol::endpoint(paths_.socket.native()),
                              [&](boost::system::error_code ec) {
                                  result = ec;
                                  done = true;
                              });
        run(done, "to accept the connection");
        if (result == asio::error::connection_refused || result == asio::error::not_found ||
            result == boost::system::errc::no_such_file_or_directory) {
            return false;
        }
        if (result) {
            throw ControlError(
                fmt::format("cannot connect to {}: {}", paths_.socket.string(), result.message()));
        }
        return true;
    }

    // Sends `request`, returns the first line of the reply; what came after it
    // goes to `rest` when given.
    std::string exchange(const std::string& request, std::string* rest = nullptr) {
        boost::system::error_code result;
        bool done = false;
        asio::async_write(socket_, asio::buffer(request),
                          [&](boost::system::error_code ec, std::size_t) {
                              result = ec;
                              done = true;
                          });
        run(done, "to take the request");
        // A refusing server closes right after its reply; the reply still
        // arrives, so a failed write is reported only without one.
        const boost::system::error_code write_error = result;

        std::string in;
        std::array<char, 64 * 1024> buf{};
        for (;;) {
            const std::size_t newline = in.find('\n');
            if (newline != std::string::npos) {
                if (rest != nullptr)
                    *rest = in.substr(newline + 1);
                return in.substr(0, newline);
            }
            if (in.size() > kMaxReplyLine) {
                throw ControlError(fmt::format("the reply of procrun in {} is over {} bytes",
                                               paths_.root.string(), kMaxReplyLine));
            }
            std::size_t got = 0;
            done = false;
            socket_.async_read_some(asio::buffer(buf),
                                    [&](boost::system::error_code ec, std::size_t n) {
                                        result = ec;
                                        got = n;
                                        done = true;
                                    });
            io_.restart();
            io_.run_until(deadline_);
            if (!done) {
                // The deadline: stop waiting, but take a reply that has
                // arrived by now; without one, run() withdraws the request.
                boost::system::error_code ignored;
                socket_.cancel(ignored);
                io_.restart();
                io_.run();
                if (!result)
                    in.append(buf.data(), got);
                if (!result || result == asio::error::operation_aborted) {
                    take_arrived(in);
                    if (in.find('\n') != std::string::npos)
                        continue;
                    give_up("to reply", true);
                }
            }
            if (result) {
                const boost::system::error_code cause = write_error ? write_error : result;
                const LockState lock = read_lock(paths_.lock);
                if (lock.exiting) {
                    throw ControlError(fmt::format(
                        "procrun in {}{} is exiting: it closed the connection before replying",
                        paths_.root.string(), pid_text(lock.pid)));
                }
                throw ControlError(fmt::format(
                    "procrun in {} closed the connection without a reply{}", paths_.root.string(),
                    cause == asio::error::eof ? std::string() : ": " + cause.message()));
            }
            in.append(buf.data(), got);
        }
    }

    asio::io_context& io() { return io_; }
    stream_protocol::socket& socket() { return socket_; }
    [[nodiscard]] const ControlPaths& paths() const { return paths_; }

    static std::string pid_text(pid_t pid) {
        return pid > 0 ? fmt::format(" (pid {})", pid) : std::string();
    }

  private:
    // Runs the loop until `done` or the deadline; past it, closes the
    // connection, which withdraws a request that was sent (`sent`): the server
    // drops a request whose client has gone.
    void run(const bool& done, std::string_view what, bool sent = false) {
        io_.restart();
        io_.run_until(deadline_);
        if (!done)
            give_up(what, sent);
    }

    [[noreturn]] void give_up(std::string_view what, bool sent) {
        boost::system::error_code ignored;
        socket_.close(ignored);
        io_.restart();
        io_.run();
        const pid_t pid = pid_from_lock(paths_.lock);
        throw ControlError(
            fmt::format("procrun in {}{} did not answer: it took over {} ms {}{}",
                        paths_.root.string(), pid_text(pid), timeout_.count(), what,
                        sent ? "; the request is withdrawn and will not be carried out" : ""));
    }

    // Appends, without waiting, whatever has arrived.
    void take_arrived(std::string& in) {
        boost::system::error_code ec;
        socket_.non_blocking(true, ec);
        std::array<char, 64 * 1024> buf{};
        while (!ec && in.size() <= kMaxReplyLine) {
            const std::size_t n = socket_.read_some(asio::buffer(buf), ec);
            in.append(buf.data(), n);
        }
    }

    const ControlPaths& paths_;
    std::chrono::milliseconds timeout_;
    std::chrono::steady_clock::time_point deadline_;
    asio::io_context io_;
    stream_protocol::socket socket_;
};

}  // namespace

namespace {

ControlReply decode_or_throw(const ControlPaths& paths, const std::string& line) {
    Decoded<ControlReply> reply = decode_reply(line);
    if (!reply.ok()) {
        throw ControlError(fmt::format("malformed reply from procrun in {}: {}",
                                       paths.root.string(), reply.error));
    }
    return std::move(*reply.value);
}

std::unique_ptr<Connection> open_connection(const ControlPaths& paths,
                                            std::chrono::milliseconds timeout) {
    if (!directory_usable(paths.directory))
        throw NotRunning(not_running_message(paths));
    auto connection = std::make_unique<Connection>(paths, timeout);
    if (!connection->connect())
        throw NotRunning(not_running_message(paths));
    return connection;
}

}  // namespace

ControlReply control_request(const ControlPaths& paths, const ControlRequest& request,
                             std::chrono::milliseconds timeout) {
    const std::unique_ptr<Connection> connection = open_connection(paths, timeout);
    return decode_or_throw(paths, connection->exchange(encode_request(request)));
}

// ---- Streams ---------------------------------------------------------------

struct ControlClientStream::Impl {
    Impl(const ControlPaths& p, std::chrono::milliseconds timeout)
        : paths(p), connection(open_connection(paths, timeout)) {}

    // Reads more into `in`; false at the end of the connection or on interrupt().
    bool read_more();
    void write_next();
    void ended_without_end_line();

    ControlPaths paths;
    std::unique_ptr<Connection> connection;
    ControlReply reply;
    std::string in;
    std::deque<std::string> out;
    bool writing = false;
    bool interrupted = false;
    bool done = false;
    End end;
    std::array<char, 64 * 1024> buf{};
};

bool ControlClientStream::Impl::read_more() {
    asio::io_context& io = connection->io();
    boost::system::error_code result;
    std::size_t got = 0;
    bool finished = false;
    connection->socket().async_read_some(asio::buffer(buf),
                                         [&](boost::system::error_code ec, std::size_t n) {
                                             result = ec;
                                             got = n;
                                             finished = true;
                                         });
    io.restart();
    while (!finished && !interrupted && io.run_one() != 0) {
    }
    if (!finished) {
        boost::system::error_code ignored;
        connection->socket().cancel(ignored);
        io.restart();
        while (!finished && io.run_one() != 0) {
        }
    }
    if (interrupted)
        return false;
    if (result)
        return false;
    in.append(buf.data(), got);
    return true;
}

void ControlClientStream::Impl::write_next() {
    if (writing || out.empty())
        return;
    writing = true;
    asio::async_write(connection->socket(), asio::buffer(out.front()),
                      [this](boost::system::error_code ec, std::size_t) {
                          writing = false;
                          out.pop_front();
                          if (ec)
                              out.clear();  // the server has gone: reading says so
                          write_next();
                      });
}

void ControlClientStream::Impl::ended_without_end_line() {
    const LockState lock = read_lock(paths.lock);
    end.reason = "closed";
    end.message = lock.exiting
                      ? fmt::format("procrun in {}{} has exited", paths.root.string(),
                                    Connection::pid_text(lock.pid))
                      : fmt::format("procrun in {} closed the connection", paths.root.string());
}

ControlClientStream::ControlClientStream(const ControlPaths& paths, const ControlRequest& request,
                                         std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(paths, timeout)) {
    impl_->reply =
        decode_or_throw(paths, impl_->connection->exchange(encode_request(request), &impl_->in));
    impl_->done = !impl_->reply.ok || !impl_->reply.stream;
    if (impl_->done)
        impl_->end = End{"closed", impl_->reply.ok ? "" : impl_->reply.error};
}

ControlClientStream::~ControlClientStream() = default;

const ControlReply& ControlClientStream::reply() const {
    return impl_->reply;
}

asio::io_context& ControlClientStream::io() {
    return impl_->connection->io();
}

std::optional<std::string> ControlClientStream::next_line() {
    Impl& s = *impl_;
    while (!s.done) {
        const std::size_t newline = s.in.find('\n');
        if (newline != std::string::npos) {
            std::string line = s.in.substr(0, newline);
            s.in.erase(0, newline + 1);
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            if (std::optional<End> end = decode_stream_end(line)) {
                s.end = std::move(*end);
                s.done = true;
                return std::nullopt;
            }
            return line;
        }
        if (s.in.size() > kMaxReplyLine) {
            s.done = true;
            s.end = End{"closed", fmt::format("a line from procrun in {} is over {} bytes",
                                              s.paths.root.string(), kMaxReplyLine)};
            return std::nullopt;
        }
        if (!s.read_more()) {
            s.done = true;
            if (s.interrupted)
                s.end = End{"interrupted", ""};
            else
                s.ended_without_end_line();
        }
    }
    return std::nullopt;
}

bool ControlClientStream::line_ready() const {
    return !impl_->done && impl_->in.find('\n') != std::string::npos;
}

void ControlClientStream::send_line(std::string_view line) {
    impl_->out.emplace_back(std::string(line) + "\n");
    impl_->write_next();
}

void ControlClientStream::interrupt() {
    impl_->interrupted = true;
}

const ControlClientStream::End& ControlClientStream::end() const {
    return impl_->end;
}

ControlReply control_request(const fs::path& root, const ControlRequest& request,
                             std::chrono::milliseconds timeout) {
    return control_request(control_paths(root, Environment::from_process()), request, timeout);
}

std::optional<RunningSupervisor> find_running(const ControlPaths& paths) {
    if (!directory_usable(paths.directory))
        return std::nullopt;
    Connection connection(paths, kControlTimeout);
    if (!connection.connect())
        return std::nullopt;
    return RunningSupervisor{pid_from_lock(paths.lock), paths.socket};
}

std::optional<RunningSupervisor> find_running(const fs::path& root) {
    return find_running(control_paths(root, Environment::from_process()));
}

}  // namespace procrun
