// ProcessLauncher's side of the instances' stdin: a pipe procrun holds open
// for as long as the process runs (the terminal itself for an instance on a
// pseudo-terminal), written without blocking from a bounded queue.

#include <cerrno>

#include "procrun/posix/input.hpp"
#include "procrun/posix/spawn.hpp"
#include "supervisor/process_launcher.hpp"

namespace procrun {

namespace asio = boost::asio;

void ProcessLauncher::open_input(InstanceProcess& p, posix::SpawnOptions& options,
                                 posix::Fd& child_end) {
    if (p.pty) {
        // Its terminal: what is typed there is read as from a terminal.
        options.stdin_fd = options.pty_slave;
        return;
    }
    posix::Pipe pipe = posix::make_input_pipe();
    p.input.assign(pipe.write.release());
    child_end = std::move(pipe.read);
    options.stdin_fd = child_end.get();
}

void ProcessLauncher::close_input(InstanceProcess& p) {
    p.input_queue.clear();
    p.input_armed = false;
    p.input_ending = false;
    boost::system::error_code ignored;
    if (p.input.is_open())
        p.input.close(ignored);
}

bool ProcessLauncher::write_input(std::size_t id, std::string_view bytes) {
    InstanceProcess& p = *procs_[id];
    const bool open = p.pty ? p.open : p.input.is_open();
    if (p.pid <= 0 || !open || p.input_ending ||
        p.input_queue.size() + bytes.size() > kInputQueueLimit)
        return false;
    p.input_queue.append(bytes);
    if (!p.input_armed)
        flush_input(id);
    return true;
}

// Writes what the queue holds until the pipe or terminal is full, then waits
// for it to take more. A stdin the process closed (EPIPE) or a terminal
// whose other side is gone (EIO) drops the queue.
void ProcessLauncher::flush_input(std::size_t id) {
    InstanceProcess& p = *procs_[id];
    auto& target = p.pty ? p.pipe : p.input;
    while (!p.input_queue.empty()) {
        const ssize_t n =
            posix::write_some(target.native_handle(), p.input_queue.data(), p.input_queue.size());
        if (n > 0) {
            p.input_queue.erase(0, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        p.input_queue.clear();
        if (!p.pty)
            close_input(p);
        return;
    }
    if (p.input_queue.empty()) {
        if (p.input_ending && !p.pty)
            close_input(p);
        p.input_ending = false;
        return;
    }
    p.input_armed = true;
    target.async_wait(asio::posix::descriptor_base::wait_write,
                      [this, id, generation = p.generation](const boost::system::error_code& ec) {
                          InstanceProcess& q = *procs_[id];
                          if (generation != q.generation)
                              return;
                          q.input_armed = false;
                          if (!ec && (q.pty ? q.open : q.input.is_open()))
                              flush_input(id);
                      });
}

void ProcessLauncher::end_input(std::size_t id) {
    InstanceProcess& p = *procs_[id];
    if (p.pid <= 0 || (p.pty ? !p.open : !p.input.is_open()) || p.input_ending)
        return;
    if (p.pty) {
        // What the terminal's line discipline reads as end-of-file.
        const char eof = posix::terminal_eof_char(p.pipe.native_handle());
        p.input_queue.push_back(eof);
    }
    p.input_ending = true;
    if (!p.input_armed)
        flush_input(id);
}

bool ProcessLauncher::waiting_for_input(std::size_t id) {
    InstanceProcess& p = *procs_[id];
    if (p.pid <= 0)
        return false;
    auto& stdin_end = p.pty ? p.pipe : p.input;
    if (!stdin_end.is_open())
        return false;
    return posix::waiting_for_input(p.pid, stdin_end.native_handle(), p.pty);
}

OutputActivity ProcessLauncher::output_activity(std::size_t id) {
    InstanceProcess& p = *procs_[id];
    if (p.open && posix::unread_bytes(p.pipe.native_handle()) > 0)
        return OutputActivity::unread;
    if (p.pid > 0 && posix::group_running(p.pid))
        return OutputActivity::running;
    return OutputActivity::idle;
}

void ProcessLauncher::arm_prompt_timer(TimePoint at) {
    prompt_timer_.expires_at(at);
    prompt_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec)
            events_->prompt_timer();
    });
}

void ProcessLauncher::resize(std::size_t id, unsigned short rows, unsigned short cols) {
    InstanceProcess& p = *procs_[id];
    if (!p.pty || !p.open)
        return;
    posix::WindowSize ws{};
    ws.ws_row = rows;
    ws.ws_col = cols;
    posix::set_window_size(p.pipe.native_handle(), ws);
}

}  // namespace procrun
