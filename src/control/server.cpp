// ControlServer: the single-instance lock and the control socket of a running
// `procrun start`, served asynchronously on the supervisor's io_context.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <fmt/core.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <list>

#include "posix/fd.hpp"
#include "procrun/control.hpp"

namespace procrun {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using asio::local::stream_protocol;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxSessions = 64;
constexpr std::chrono::milliseconds kAcceptRetry{200};

void set_cloexec(int fd) {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0)
        ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

pid_t read_pid(int fd) {
    std::array<char, 32> buf{};
    const ssize_t n = ::pread(fd, buf.data(), buf.size() - 1, 0);
    if (n <= 0)
        return 0;
    pid_t pid = 0;
    const char* end = buf.data() + n;
    const auto [ptr, ec] = std::from_chars(buf.data(), end, pid);
    if (ec != std::errc() || pid <= 0 || (ptr != end && *ptr != '\n'))
        return 0;
    return pid;
}

std::string strerror_text(int error) {
    return std::strerror(error);
}

std::string already_running_message(const ControlPaths& paths, pid_t pid) {
    return fmt::format("procrun is already running in {} ({}, socket {})", paths.root.string(),
                       pid > 0 ? fmt::format("pid {}", pid) : std::string("pid unknown"),
                       paths.socket.string());
}

// Takes the root's lock: the file, flocked, holding this pid.
posix::Fd take_lock(const ControlPaths& paths) {
    // The previous holder removes the file when it exits; a lock taken on a file
    // that is no longer at the path is worthless, so then try again.
    for (int attempt = 0; attempt < 16; ++attempt) {
        posix::Fd fd(::open(paths.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd.valid()) {
            throw ControlError(fmt::format("cannot open the lock file {}: {}", paths.lock.string(),
                                           strerror_text(errno)));
        }
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            if (error == EWOULDBLOCK) {
                const pid_t pid = read_pid(fd.get());
                throw AlreadyRunning(already_running_message(paths, pid), pid);
            }
            throw ControlError(
                fmt::format("cannot lock {}: {}", paths.lock.string(), strerror_text(error)));
        }
        struct stat held {};
        struct stat at_path {};
        if (::fstat(fd.get(), &held) != 0 || ::lstat(paths.lock.c_str(), &at_path) != 0 ||
            held.st_ino != at_path.st_ino || held.st_dev != at_path.st_dev) {
            continue;
        }
        const std::string pid = fmt::format("{}\n", ::getpid());
        if (::ftruncate(fd.get(), 0) != 0 ||
            ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
            throw ControlError(fmt::format("cannot write the lock file {}: {}", paths.lock.string(),
                                           strerror_text(errno)));
        }
        return fd;
    }
    throw ControlError(fmt::format("cannot lock {}: it keeps being replaced", paths.lock.string()));
}

class Session;

}  // namespace

struct ControlServer::State : std::enable_shared_from_this<ControlServer::State> {
    State(asio::io_context& io_context, ControlPaths p, ControlHandler& h)
        : io(io_context),
          paths(std::move(p)),
          handler(&h),
          acceptor(io_context),
          retry(io_context) {}
    ~State() { shutdown(); }
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    void open();
    void accept();
    void shutdown();
    ControlReply answer(std::string_view line);

    asio::io_context& io;
    ControlPaths paths;
    ControlHandler* handler;  // null once shut down
    posix::Fd lock;
    bool own_socket = false;
    stream_protocol::acceptor acceptor;
    asio::steady_timer retry;
    std::list<std::weak_ptr<Session>> sessions;
};

namespace {

// One connection: reads request lines, answers each in order, and closes on
// EOF, on a line over the limit or when the server shuts down.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(stream_protocol::socket socket, std::shared_ptr<ControlServer::State> state)
        : socket_(std::move(socket)), state_(std::move(state)) {}

    void start(bool too_many) {
        if (too_many) {
            refuse(fmt::format("too many control connections (at most {})", kMaxSessions));
            return;
        }
        struct ucred peer {};
        socklen_t len = sizeof(peer);
        if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) {
            refuse(fmt::format("cannot identify the peer: {}", strerror_text(errno)));
            return;
        }
        if (peer.uid != ::geteuid()) {
            refuse(
                fmt::format("permission denied: this procrun runs as uid {}; uid {} may not "
                            "control it",
                            ::geteuid(), peer.uid));
            return;
        }
        read();
    }

    void close() {
        boost::system::error_code ignored;
        socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

  private:
    void refuse(const std::string& error) {
        ControlReply reply = ControlReply::failure(error);
        reply.pid = ::getpid();
        out_ = encode_reply(reply);
        close_after_write_ = true;
        write();
    }

    void read() {
        socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](
                                                        boost::system::error_code ec,
                                                        std::size_t n) { self->on_read(ec, n); });
    }

    void on_read(boost::system::error_code ec, std::size_t n) {
        if (state_->handler == nullptr)
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
        if (out_.empty())
            read();
        else
            write();
    }

    static std::string reply_line(ControlReply reply) {
        reply.pid = ::getpid();
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
    std::array<char, kReadChunk> buf_{};
    std::string in_;
    std::string out_;
    bool close_after_write_ = false;
};

}  // namespace

void ControlServer::State::open() {
    if (paths.socket.native().size() >= sizeof(sockaddr_un::sun_path)) {
        throw ControlError(fmt::format(
            "the control socket path {} is too long for a Unix socket ({} bytes, at most {}); set "
            "XDG_RUNTIME_DIR or TMPDIR to a shorter directory",
            paths.socket.string(), paths.socket.native().size(),
            sizeof(sockaddr_un::sun_path) - 1));
    }
    make_private_directory(paths.directory);
    lock = take_lock(paths);

    // The lock is ours, so whatever is left at the socket's path is stale.
    if (::unlink(paths.socket.c_str()) != 0 && errno != ENOENT) {
        throw ControlError(fmt::format("cannot remove the stale socket {}: {}",
                                       paths.socket.string(), strerror_text(errno)));
    }
    boost::system::error_code ec;
    const stream_protocol::endpoint endpoint(paths.socket.native());
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        set_cloexec(acceptor.native_handle());
        acceptor.bind(endpoint, ec);
    }
    if (ec) {
        throw ControlError(
            fmt::format("cannot listen on {}: {}", paths.socket.string(), ec.message()));
    }
    own_socket = true;
    if (::chmod(paths.socket.c_str(), 0600) != 0) {
        throw ControlError(
            fmt::format("cannot chmod {}: {}", paths.socket.string(), strerror_text(errno)));
    }
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        throw ControlError(
            fmt::format("cannot listen on {}: {}", paths.socket.string(), ec.message()));
    }
}

void ControlServer::State::accept() {
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
            set_cloexec(socket.native_handle());
            self->sessions.remove_if([](const std::weak_ptr<Session>& s) { return s.expired(); });
            const bool too_many = self->sessions.size() >= kMaxSessions;
            auto session = std::make_shared<Session>(std::move(socket), self);
            if (!too_many)
                self->sessions.push_back(session);
            session->start(too_many);
            self->accept();
        });
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
    handler = nullptr;
    boost::system::error_code ignored;
    retry.cancel();
    acceptor.close(ignored);
    for (const auto& weak : sessions) {
        if (const auto session = weak.lock())
            session->close();
    }
    sessions.clear();
    if (lock.valid()) {
        // Removed while the lock is still held, so no other procrun can have
        // bound a socket of its own there in between.
        if (own_socket)
            ::unlink(paths.socket.c_str());
        ::unlink(paths.lock.c_str());
        lock.reset();
    }
    own_socket = false;
}

ControlServer::ControlServer(asio::io_context& io, const fs::path& root, ControlHandler& handler)
    : ControlServer(io, control_paths(root, Environment::from_process()), handler) {}

ControlServer::ControlServer(asio::io_context& io, const ControlPaths& paths,
                             ControlHandler& handler)
    : state_(std::make_shared<State>(io, paths, handler)) {
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

}  // namespace procrun
