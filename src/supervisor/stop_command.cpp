// The stop command of one instance: a child in its own process group whose
// pipe is read in the loop and whose exit comes from the Reaper. Everything
// pending lives in one shared State; a token, bumped when a run ends or is
// cancelled, tells each handler whether it still matters.

#include <signal.h>

#include "procrun/posix/spawn.hpp"  // first: it includes what Boost.Process needs

#include "supervisor/stop_command.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <utility>

#include "procrun/exit_status.hpp"
#include "procrun/posix/fd.hpp"
#include "procrun/posix/guardian.hpp"
#include "procrun/posix/process_group.hpp"
#include "procrun/posix/reaper.hpp"

namespace procrun {

namespace {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

// At most this much is read from its pipe once it has exited.
constexpr std::size_t kDrainLimit = 64 * 1024;

std::string seconds(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0)
        return std::to_string(d.count() / 1000) + "s";
    return std::to_string(d.count()) + "ms";
}

}  // namespace

struct StopCommand::State : std::enable_shared_from_this<State> {
    State(asio::io_context& io_context, posix::Reaper& r, posix::Guardian& g)
        : io(io_context), reaper(r), guardian(g), pipe(io_context), limit(io_context) {}

    asio::io_context& io;
    posix::Reaper& reaper;
    posix::Guardian& guardian;
    asio::posix::stream_descriptor pipe;
    asio::steady_timer limit;
    std::array<char, 4096> buf{};
    Hooks hooks;
    pid_t pid = -1;
    unsigned token = 0;

    [[nodiscard]] bool current(unsigned t) const { return pid > 0 && t == token; }

    void run(const std::string& command, std::vector<std::string> env, std::filesystem::path cwd,
             std::chrono::milliseconds timeout, Hooks h) {
        cancel();
        hooks = std::move(h);
        const unsigned t = ++token;
        try {
            posix::Pipe out = posix::make_pipe(true);
            const posix::Fd dev_null = posix::open_dev_null();
            posix::SpawnOptions options;
            options.command = command;
            options.env = std::move(env);
            options.cwd = std::move(cwd);
            options.stdin_fd = dev_null.get();
            options.output_fd = out.write.get();
            options.parent_death_signal = SIGKILL;
            pipe.assign(out.read.release());
            pid = posix::spawn_detached(options);
        } catch (const std::exception& e) {
            error_code ignored;
            pipe.close(ignored);
            pid = -1;
            end_soon(t, std::string("could not be started: ") + e.what());
            return;
        }
        guardian.track_group(pid, SIGKILL, std::chrono::milliseconds{0});
        std::weak_ptr<State> weak = shared_from_this();
        reaper.watch(pid, [weak, t](int status) {
            if (auto self = weak.lock(); self && self->current(t))
                self->exited(status);
        });
        read(t);
        limit.expires_after(timeout);
        limit.async_wait([weak, t, timeout](error_code ec) {
            auto self = weak.lock();
            if (ec || !self || !self->current(t))
                return;
            self->end("did not exit within " + seconds(timeout) + " (its process group killed)");
        });
    }

    void read(unsigned t) {
        pipe.async_read_some(asio::buffer(buf),
                             [self = shared_from_this(), t](error_code ec, std::size_t n) {
                                 if (ec || !self->current(t))
                                     return;
                                 if (self->hooks.output)
                                     self->hooks.output(std::string_view(self->buf.data(), n));
                                 if (self->current(t))
                                     self->read(t);
                             });
    }

    void drain() {
        std::size_t total = 0;
        while (pipe.is_open() && total < kDrainLimit && hooks.output) {
            const ssize_t n = posix::read_some(pipe.native_handle(), buf.data(), buf.size());
            if (n <= 0)
                return;
            hooks.output(std::string_view(buf.data(), static_cast<std::size_t>(n)));
            total += static_cast<std::size_t>(n);
        }
    }

    void exited(int wait_status) {
        const ExitStatus status = ExitStatus::from_wait_status(wait_status);
        end(status == ExitStatus::exited(0) ? std::string() : describe(status));
    }

    // Posted: the hooks are called from the loop, never from within run().
    void end_soon(unsigned t, std::string failure) {
        asio::post(io, [self = shared_from_this(), t, f = std::move(failure)] {
            if (t == self->token)
                self->finish(f);
        });
    }

    void end(std::string failure) {
        drain();
        finish(failure);
    }

    void finish(const std::string& failure) {
        Hooks h = std::move(hooks);
        hooks = {};
        cancel();
        if (h.ended)
            h.ended(failure);
    }

    void cancel() {
        ++token;
        limit.cancel();
        error_code ignored;
        pipe.close(ignored);
        if (pid > 0) {
            // Its leader may be reaped already; what is left of its group goes.
            posix::signal_group(pid, SIGKILL);
            guardian.untrack(pid);
            if (reaper.watching(pid))
                reaper.watch(pid, [](int) {});
        }
        pid = -1;
    }
};

StopCommand::StopCommand(asio::io_context& io, posix::Reaper& reaper, posix::Guardian& guardian)
    : state_(std::make_shared<State>(io, reaper, guardian)) {}

StopCommand::~StopCommand() {
    state_->hooks = {};
    state_->cancel();
}

void StopCommand::run(const std::string& command, std::vector<std::string> env,
                      std::filesystem::path cwd, std::chrono::milliseconds limit, Hooks hooks) {
    state_->run(command, std::move(env), std::move(cwd), limit, std::move(hooks));
}

void StopCommand::cancel() {
    state_->hooks = {};
    state_->cancel();
}

bool StopCommand::running() const {
    return state_->pid > 0;
}

}  // namespace procrun
