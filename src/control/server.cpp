// ControlServer: the single-instance lock and the control socket of a running
// `procrun start`, served asynchronously on the supervisor's io_context.

#include <sys/un.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <fmt/core.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <list>

#include "procrun/control.hpp"
#include "procrun/posix/fd.hpp"
#include "procrun/posix/lockfile.hpp"
#include "procrun/posix/nofollow.hpp"

namespace procrun {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using asio::local::stream_protocol;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::chrono::milliseconds kAcceptRetry{200};
constexpr std::size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path);

pid_t read_pid(int fd) {
    const std::string text = posix::read_head(fd, 31);
    pid_t pid = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, pid);
    if (ec != std::errc() || pid <= 0 || (ptr != end && *ptr != '\n'))
        return 0;
    return pid;
}

std::string strerror_text(int error) {
    return std::strerror(error);
}

std::string already_running_message(const ControlPaths& paths, const fs::path& lock, pid_t pid) {
    const std::string who = pid > 0 ? fmt::format("pid {}", pid) : std::string("pid unknown");
    if (lock == paths.lock)
        return fmt::format("procrun is already running in {} ({}, socket {})", paths.root.string(),
                           who, paths.socket.string());
    return fmt::format("procrun is already running in {} ({}, lock {})", paths.root.string(), who,
                       lock.string());
}

// Takes the lock at `path` (created when `create`), which then holds this pid.
// An invalid Fd when `create` is false and there is no file.
posix::Fd take_lock(const ControlPaths& paths, const fs::path& path, bool create) {
    int error = 0;
    posix::Fd fd = posix::lock_file(path, create, error);
    if (error == EWOULDBLOCK) {
        const pid_t pid = read_pid(fd.get());
        throw AlreadyRunning(already_running_message(paths, path, pid), pid);
    }
    if (!fd.valid()) {
        if (error == ENOENT && !create)
            return fd;
        const std::string why = error == ELOOP    ? std::string("it is a symbolic link")
                                : error == EPERM  ? std::string("it is owned by another user")
                                : error == EAGAIN ? std::string("it keeps being replaced")
                                                  : strerror_text(error);
        throw ControlError(fmt::format("cannot lock {}: {}", path.string(), why));
    }
    if (!posix::rewrite(fd.get(), fmt::format("{}\n", posix::own_pid()))) {
        throw ControlError(
            fmt::format("cannot write the lock file {}: {}", path.string(), strerror_text(errno)));
    }
    return fd;
}

class Session;

}  // namespace

struct ControlServer::State : std::enable_shared_from_this<ControlServer::State> {
    State(asio::io_context& io_context, ControlPaths p, ControlHandler& h, ControlServerOptions o)
        : io(io_context),
          paths(std::move(p)),
          options(o),
          handler(&h),
          acceptor(io_context),
          retry(io_context) {}
    ~State() { shutdown(); }
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    void open();
    void lock_in_root(const std::string& why);
    void listen();
    void accept();
    void admit(stream_protocol::socket socket);
    void shutdown();
    ControlReply answer(std::string_view line);

    asio::io_context& io;
    ControlPaths paths;
    ControlServerOptions options;
    ControlHandler* handler;  // null once shut down
    posix::Fd lock;
    fs::path lock_path;  // where `lock` is: paths.lock or paths.root_lock
    bool own_socket = false;
    std::string unavailable;
    stream_protocol::acceptor acceptor;
    asio::steady_timer retry;
    std::list<std::shared_ptr<Session>> sessions;  // oldest first
};

namespace {

// One connection: reads request lines, answers each in order, and closes on
// EOF, on a line over the limit, after the idle timeout without a complete
// request, when the server needs its place, or when the server shuts down.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(stream_protocol::socket socket, std::shared_ptr<ControlServer::State> state)
        : socket_(std::move(socket)), state_(std::move(state)), idle_(socket_.get_executor()) {}

    void start() {
        const std::optional<uid_t> peer = posix::peer_uid(socket_.native_handle());
        if (!peer) {
            refuse(fmt::format("cannot identify the peer: {}", strerror_text(errno)));
            return;
        }
        if (*peer != posix::effective_uid()) {
            refuse(
                fmt::format("permission denied: this procrun runs as uid {}; uid {} may not "
                            "control it",
                            posix::effective_uid(), *peer));
            return;
        }
        arm_idle();
        read();
    }

    void close() {
        closed_ = true;
        idle_.cancel();
        boost::system::error_code ignored;
        socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }
    [[nodiscard]] bool closed() const { return closed_; }

  private:
    void arm_idle() {
        idle_.expires_after(state_->options.idle_timeout);
        idle_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec)
                self->close();
        });
    }

    void refuse(const std::string& error) {
        ControlReply reply = ControlReply::failure(error);
        reply.pid = posix::own_pid();
        out_ = encode_reply(reply);
        close_after_write_ = true;
        arm_idle();
        write();
    }

    void read() {
        socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](
                                                        boost::system::error_code ec,
                                                        std::size_t n) { self->on_read(ec, n); });
    }

    void on_read(boost::system::error_code ec, std::size_t n) {
        if (state_->handler == nullptr || closed_)
            return;
        if (ec) {
            if (ec == asio::error::eof && !in_.empty()) {
                out_ += reply_line(ControlReply::failure(
                    "incomplete request: the connection ended before a newline"));
                close_after_write_ = true;
                write();
                return;
            }
            close();
            return;
        }
        const std::size_t scanned = in_.size();
        in_.append(buf_.data(), n);
        std::size_t begin = 0;
        std::size_t newline = in_.find('\n', scanned);
        while (newline != std::string::npos) {
            // A client that gave up waiting has closed the connection: it was
            // told the request was not answered, so it is not carried out.
            if (posix::peer_closed(socket_.native_handle())) {
                close();
                return;
            }
            out_ +=
                reply_line(state_->answer(std::string_view(in_).substr(begin, newline - begin)));
            if (state_->handler == nullptr)
                return;
            begin = newline + 1;
            newline = in_.find('\n', begin);
        }
        in_.erase(0, begin);
        if (in_.size() > kMaxControlLine) {
            out_ += reply_line(ControlReply::failure(
                fmt::format("request too long: over {} bytes without a newline", kMaxControlLine)));
            in_.clear();
            close_after_write_ = true;
        }
        if (begin > 0)
            arm_idle();  // a complete request: the idle time starts again
        if (out_.empty())
            read();
        else
            write();
    }

    static std::string reply_line(ControlReply reply) {
        reply.pid = posix::own_pid();
        return encode_reply(reply);
    }

    void write() {
        asio::async_write(
            socket_, asio::buffer(out_),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                self->out_.clear();
                if (ec || self->close_after_write_ || self->state_->handler == nullptr) {
                    self->close();
                    return;
                }
                self->read();
            });
    }

    stream_protocol::socket socket_;
    std::shared_ptr<ControlServer::State> state_;
    asio::steady_timer idle_;
    std::array<char, kReadChunk> buf_{};
    std::string in_;
    std::string out_;
    bool close_after_write_ = false;
    bool closed_ = false;
};

}  // namespace

void ControlServer::State::open() {
    try {
        make_private_directory(paths.directory);
    } catch (const ControlError& e) {
        lock_in_root(e.what());
        return;
    }
    try {
        lock = take_lock(paths, paths.lock, true);
    } catch (const AlreadyRunning&) {
        throw;
    } catch (const ControlError& e) {
        lock_in_root(e.what());
        return;
    }
    lock_path = paths.lock;
    // A procrun that could not use the directory holds the root's lock file.
    try {
        const posix::Fd in_root = take_lock(paths, paths.root_lock, false);
        if (in_root.valid())
            posix::remove_file(paths.root_lock);  // left by one that was killed
    } catch (const AlreadyRunning&) {
        throw;
    } catch (const ControlError&) {
        // Not ours (another user's file, a link): no procrun of ours holds it.
    }
    try {
        listen();
    } catch (const ControlError& e) {
        unavailable = e.what();
        boost::system::error_code ignored;
        acceptor.close(ignored);
    }
}

void ControlServer::State::lock_in_root(const std::string& why) {
    try {
        lock = take_lock(paths, paths.root_lock, true);
    } catch (const AlreadyRunning&) {
        throw;
    } catch (const ControlError& e) {
        throw LockUnavailable(fmt::format(
            "cannot take the one-procrun-per-root lock of {}: {}; and {}; not starting, as "
            "another procrun could be running the same app",
            paths.root.string(), why, e.what()));
    }
    lock_path = paths.root_lock;
    unavailable = fmt::format("{}; the one-procrun-per-root lock is held on {} instead", why,
                              paths.root_lock.string());
}

void ControlServer::State::listen() {
    if (paths.socket.native().size() >= kMaxSocketPath) {
        throw ControlError(fmt::format(
            "the control socket path {} is too long for a Unix socket ({} bytes, at most {}); set "
            "XDG_RUNTIME_DIR or TMPDIR to a shorter directory",
            paths.socket.string(), paths.socket.native().size(), kMaxSocketPath - 1));
    }
    // The lock is ours, so whatever is left at the socket's path is stale.
    if (!posix::remove_file(paths.socket) && errno != ENOENT) {
        throw ControlError(fmt::format("cannot remove the stale socket {}: {}",
                                       paths.socket.string(), strerror_text(errno)));
    }
    boost::system::error_code ec;
    const stream_protocol::endpoint endpoint(paths.socket.native());
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        posix::set_cloexec(acceptor.native_handle());
        acceptor.bind(endpoint, ec);
    }
    if (ec) {
        throw ControlError(
            fmt::format("cannot listen on {}: {}", paths.socket.string(), ec.message()));
    }
    own_socket = true;
    fs::permissions(paths.socket, fs::perms::owner_read | fs::perms::owner_write, ec);
    if (ec) {
        throw ControlError(fmt::format("cannot chmod {}: {}", paths.socket.string(), ec.message()));
    }
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        throw ControlError(
            fmt::format("cannot listen on {}: {}", paths.socket.string(), ec.message()));
    }
}

void ControlServer::State::accept() {
    if (!acceptor.is_open())
        return;
    acceptor.async_accept(
        [self = shared_from_this()](boost::system::error_code ec, stream_protocol::socket socket) {
            if (self->handler == nullptr || ec == asio::error::operation_aborted)
                return;
            if (ec) {
                // Out of descriptors or similar: try again a little later rather
                // than spinning on the same error.
                self->retry.expires_after(kAcceptRetry);
                self->retry.async_wait([self](boost::system::error_code wait_ec) {
                    if (!wait_ec && self->handler != nullptr)
                        self->accept();
                });
                return;
            }
            self->admit(std::move(socket));
            self->accept();
        });
}

void ControlServer::State::admit(stream_protocol::socket socket) {
    posix::set_cloexec(socket.native_handle());
    sessions.remove_if([](const std::shared_ptr<Session>& s) { return s->closed(); });
    // A full house closes its oldest connection: whoever holds places without
    // asking anything cannot lock out a request.
    while (!sessions.empty() && sessions.size() >= options.max_connections) {
        sessions.front()->close();
        sessions.pop_front();
    }
    auto session = std::make_shared<Session>(std::move(socket), shared_from_this());
    sessions.push_back(session);
    session->start();
}

ControlReply ControlServer::State::answer(std::string_view line) {
    Decoded<ControlRequest> request = decode_request(line);
    if (!request.ok())
        return ControlReply::failure("bad request: " + request.error);
    try {
        return handler->handle(*request.value);
    } catch (const std::exception& e) {
        return ControlReply::failure(
            fmt::format("{} failed: {}", to_string(request.value->command), e.what()));
    }
}

void ControlServer::State::shutdown() {
    // First the lock file says so, then connections close: a client that loses
    // its connection now reads "exiting" there.
    if (lock.valid() && handler != nullptr)
        posix::rewrite(lock.get(), fmt::format("{}\nexiting\n", posix::own_pid()));
    handler = nullptr;
    boost::system::error_code ignored;
    retry.cancel();
    acceptor.close(ignored);
    for (const auto& session : sessions)
        session->close();
    sessions.clear();
    if (lock.valid()) {
        // Removed while the lock is still held, so no other procrun can have
        // bound a socket of its own there in between.
        if (own_socket)
            posix::remove_file(paths.socket);
        posix::remove_file(lock_path);
        lock.reset();
    }
    own_socket = false;
}

ControlServer::ControlServer(asio::io_context& io, const fs::path& root, ControlHandler& handler)
    : ControlServer(io, control_paths(root, Environment::from_process()), handler) {}

ControlServer::ControlServer(asio::io_context& io, const ControlPaths& paths,
                             ControlHandler& handler, ControlServerOptions options)
    : state_(std::make_shared<State>(io, paths, handler, options)) {
    try {
        state_->open();
    } catch (...) {
        state_->shutdown();
        throw;
    }
    state_->accept();
}

ControlServer::~ControlServer() {
    state_->shutdown();
}

const ControlPaths& ControlServer::paths() const {
    return state_->paths;
}

const std::string& ControlServer::unavailable() const {
    return state_->unavailable;
}

}  // namespace procrun
