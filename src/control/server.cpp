// ControlServer: the single-instance lock and the control socket of a running
// `procrun start`, served asynchronously on the supervisor's io_context.

#include <sys/un.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/core.h>

#include <algorithm>
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
    ControlReply answer(std::string_view line, ControlConnection& connection);

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

bool would_block(const boost::system::error_code& ec) {
    return ec == asio::error::would_block || ec == asio::error::try_again;
}

class StreamEnd;

// One connection: reads request lines, answers each in order, and closes on
// EOF, on a line over the limit, after the idle timeout without a complete
// request, when the server needs its place, or when the server shuts down.
// Once a request has made it a stream (keep_open()), the client's further
// lines go to the stream, lines are queued to it up to `stream_queue` bytes,
// and no idle timeout applies.
//
// Writes are its own (non-blocking write_some, then a wait until writable):
// what was written is always known, so a stream cut off or closed at shutdown
// ends after a whole line.
class Session : public std::enable_shared_from_this<Session>, public ControlConnection {
  public:
    Session(stream_protocol::socket socket, std::shared_ptr<ControlServer::State> state)
        : socket_(std::move(socket)), state_(std::move(state)), idle_(socket_.get_executor()) {}

    void start() {
        boost::system::error_code ignored;
        socket_.non_blocking(true, ignored);
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
        if (closed_)
            return;
        closed_ = true;
        idle_.cancel();
        boost::system::error_code ignored;
        socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
        socket_.close(ignored);
        ended(reason_.empty() ? "client" : reason_);
    }
    // The server shuts down: a stream gets what can be written at once.
    void close_for_shutdown() {
        if (stream_ != nullptr && !closed_ && !close_after_write_) {
            finish_stream("exiting", "procrun is exiting");
            write_now();
        }
        close();
    }
    [[nodiscard]] bool closed() const { return closed_; }
    [[nodiscard]] bool is_stream() const { return stream_ != nullptr && !closed_; }

    std::shared_ptr<ControlStream> keep_open() override;

    // ControlStream's side.
    bool stream_send(std::string_view line);
    void stream_end(std::string_view reason, std::string_view message) {
        if (!stream_open())
            return;
        finish_stream(reason, message);
        flush_out();
    }
    [[nodiscard]] bool stream_open() const {
        return stream_ != nullptr && !closed_ && !close_after_write_;
    }
    [[nodiscard]] std::size_t queued() const { return out_.size() - sent_ + early_.size(); }

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
        flush_out();
    }

    void read() {
        if (reading_ || closed_)
            return;
        reading_ = true;
        socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](
                                                        boost::system::error_code ec,
                                                        std::size_t n) { self->on_read(ec, n); });
    }

    void on_read(boost::system::error_code ec, std::size_t n);
    // Handles the complete lines of in_; false when the connection is done.
    bool take_lines(std::size_t scanned);
    void stream_line(std::string_view line);
    void answer_line(std::string_view line);

    static std::string reply_line(ControlReply reply) {
        reply.pid = posix::own_pid();
        return encode_reply(reply);
    }

    // Ends the stream: what is queued is kept up to a whole line, then the end line.
    // While a request is answered, its lines wait in early_ to follow the reply.
    void finish_stream(std::string_view reason, std::string_view message) {
        reason_ = std::string(reason);
        (answering_ ? early_ : out_) += encode_stream_end(reason, message);
        close_after_write_ = true;
    }
    // Cuts off a client that does not read: the lines not yet begun are dropped.
    void overrun() {
        std::size_t keep = std::max(sent_, backlog_);
        if (keep > 0 && out_[keep - 1] != '\n')
            keep = out_.find('\n', keep) + 1;
        out_.resize(keep);
        finish_stream("overrun",
                      fmt::format("cut off: the client did not read its stream (over {} bytes "
                                  "waiting)",
                                  state_->options.stream_queue));
        // It gets the idle timeout to take its end line.
        arm_idle();
    }

    // Writes as much as the socket takes now; false when it failed.
    bool write_now() {
        while (sent_ < out_.size()) {
            boost::system::error_code ec;
            const std::size_t n =
                socket_.write_some(asio::buffer(out_.data() + sent_, out_.size() - sent_), ec);
            if (would_block(ec))
                return true;
            if (ec)
                return false;
            sent_ += n;
        }
        out_.clear();
        sent_ = 0;
        backlog_ = 0;
        return true;
    }

    // Not while a request is answered: its reply goes before its lines.
    void flush_out() {
        if (closed_ || waiting_write_ || answering_)
            return;
        if (!write_now()) {
            close();
            return;
        }
        if (sent_ < out_.size()) {
            waiting_write_ = true;
            socket_.async_wait(stream_protocol::socket::wait_write,
                               [self = shared_from_this()](boost::system::error_code ec) {
                                   self->waiting_write_ = false;
                                   if (ec)
                                       self->close();
                                   else
                                       self->flush_out();
                               });
            return;
        }
        if (close_after_write_ || state_->handler == nullptr) {
            close();
            return;
        }
        read();  // replies written: read the next requests
    }

    // The stream's callbacks learn it ended, once, on the loop.
    void ended(const std::string& reason);

    stream_protocol::socket socket_;
    std::shared_ptr<ControlServer::State> state_;
    asio::steady_timer idle_;
    std::array<char, kReadChunk> buf_{};
    std::string in_;
    std::string out_;
    std::size_t sent_ = 0;  // bytes of out_ written
    std::string early_;     // stream lines sent before the reply is queued
    // The first bytes of out_ sent with the reply (a backlog such as logs'
    // last lines): bounded by their sender, not by `stream_queue`.
    std::size_t backlog_ = 0;
    bool answering_ = false;
    bool reading_ = false;
    bool waiting_write_ = false;
    bool close_after_write_ = false;
    bool closed_ = false;
    std::string reason_;  // why the stream ends
    std::shared_ptr<StreamEnd> stream_;
};

// The supervisor's handle on a stream; outlives its session harmlessly.
class StreamEnd final : public ControlStream {
  public:
    explicit StreamEnd(std::weak_ptr<Session> session) : session_(std::move(session)) {}

    bool send(std::string_view line) override {
        const auto s = session_.lock();
        return s != nullptr && s->stream_send(line);
    }
    void end(std::string_view reason, std::string_view message) override {
        if (const auto s = session_.lock())
            s->stream_end(reason, message);
    }
    [[nodiscard]] bool open() const override {
        const auto s = session_.lock();
        return s != nullptr && s->stream_open();
    }
    [[nodiscard]] std::size_t queued() const override {
        const auto s = session_.lock();
        return s != nullptr ? s->queued() : 0;
    }
    void on_line(std::function<void(std::string_view)> callback) override {
        line_ = std::move(callback);
    }
    void on_end(std::function<void(std::string_view)> callback) override {
        end_ = std::move(callback);
    }

    std::function<void(std::string_view)> line_;
    std::function<void(std::string_view)> end_;
    bool ended_ = false;

  private:
    std::weak_ptr<Session> session_;
};

std::shared_ptr<ControlStream> Session::keep_open() {
    if (stream_ != nullptr)
        return stream_;
    std::size_t streams = 0;
    for (const auto& s : state_->sessions)
        streams += s->is_stream() ? 1 : 0;
    if (streams >= state_->options.max_streams) {
        throw ControlError(fmt::format(
            "too many streams: {} are open (procrun logs -f, attach, connect); end one first",
            streams));
    }
    stream_ = std::make_shared<StreamEnd>(weak_from_this());
    idle_.cancel();
    return stream_;
}

bool Session::stream_send(std::string_view line) {
    if (!stream_open())
        return false;
    const std::size_t waiting = answering_ ? 0 : out_.size() - std::max(sent_, backlog_);
    if (waiting + line.size() + 1 > state_->options.stream_queue) {
        overrun();
        flush_out();
        return false;
    }
    std::string& to = answering_ ? early_ : out_;
    to.append(line);
    to += '\n';
    if (!answering_)
        flush_out();
    return true;
}

void Session::ended(const std::string& reason) {
    if (stream_ == nullptr || stream_->ended_)
        return;
    stream_->ended_ = true;
    if (!stream_->end_)
        return;
    asio::post(socket_.get_executor(), [stream = stream_, reason] {
        if (stream->end_)
            stream->end_(reason);
    });
}

void Session::on_read(boost::system::error_code ec, std::size_t n) {
    reading_ = false;
    if (state_->handler == nullptr || closed_)
        return;
    if (ec) {
        if (ec == asio::error::eof && !in_.empty() && stream_ == nullptr) {
            out_ += reply_line(
                ControlReply::failure("incomplete request: the connection ended before a newline"));
            close_after_write_ = true;
            flush_out();
            return;
        }
        reason_ = "client";
        close();
        return;
    }
    const std::size_t scanned = in_.size();
    in_.append(buf_.data(), n);
    if (!take_lines(scanned))
        return;
    if (in_.size() > kMaxControlLine) {
        in_.clear();
        if (stream_ != nullptr) {
            stream_end("too long",
                       fmt::format("a line over {} bytes without a newline", kMaxControlLine));
            return;
        }
        out_ += reply_line(ControlReply::failure(
            fmt::format("request too long: over {} bytes without a newline", kMaxControlLine)));
        close_after_write_ = true;
    }
    // An ordinary connection reads its next requests once its replies are
    // written; a stream reads on (its output is bounded by the queue).
    if (stream_ != nullptr || out_.size() == sent_)
        read();
    flush_out();
}

bool Session::take_lines(std::size_t scanned) {
    std::size_t begin = 0;
    std::size_t newline = in_.find('\n', scanned);
    bool answered = false;
    while (newline != std::string::npos) {
        const std::string_view line = std::string_view(in_).substr(begin, newline - begin);
        if (stream_ != nullptr) {
            stream_line(line);
        } else {
            // A client that gave up waiting has closed the connection: it was
            // told the request was not answered, so it is not carried out.
            if (posix::peer_closed(socket_.native_handle())) {
                close();
                return false;
            }
            answer_line(line);
            answered = true;
        }
        if (state_->handler == nullptr || closed_)
            return false;
        begin = newline + 1;
        newline = in_.find('\n', begin);
    }
    in_.erase(0, begin);
    if (answered && stream_ == nullptr)
        arm_idle();  // a complete request: the idle time starts again
    return true;
}

void Session::stream_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (stream_open() && stream_->line_)
        stream_->line_(line);
}

void Session::answer_line(std::string_view line) {
    answering_ = true;
    ControlReply reply = state_->answer(line, *this);
    answering_ = false;
    if (stream_ != nullptr && !reply.ok) {
        // No stream after an error reply: the connection goes on as before.
        early_.clear();
        reason_ = "refused";
        ended(reason_);
        stream_.reset();
        reason_.clear();
        arm_idle();
    }
    reply.stream = stream_ != nullptr;
    out_ += reply_line(std::move(reply));
    out_ += early_;
    early_.clear();
    if (stream_ != nullptr)
        backlog_ = out_.size();
}

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
    // A full house closes its oldest connection that is not a stream: whoever
    // holds places without asking anything cannot lock out a request, and
    // streams are fewer than the places (max_streams).
    while (sessions.size() >= options.max_connections) {
        const auto oldest = std::find_if(sessions.begin(), sessions.end(),
                                         [](const auto& s) { return !s->is_stream(); });
        if (oldest == sessions.end())
            break;
        (*oldest)->close();
        sessions.erase(oldest);
    }
    auto session = std::make_shared<Session>(std::move(socket), shared_from_this());
    sessions.push_back(session);
    session->start();
}

ControlReply ControlServer::State::answer(std::string_view line, ControlConnection& connection) {
    Decoded<ControlRequest> request = decode_request(line);
    if (!request.ok())
        return ControlReply::failure("bad request: " + request.error);
    try {
        return handler->serve(*request.value, connection);
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
    // Moved out first: closing a session must not find the list half gone.
    const std::list<std::shared_ptr<Session>> open = std::move(sessions);
    sessions.clear();
    for (const auto& session : open)
        session->close_for_shutdown();
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
