// ProcessLauncher's reading of the instances' pipes and pseudo-terminals.

#include <cerrno>

#include "supervisor/process_launcher.hpp"

namespace procrun {

namespace asio = boost::asio;

void ProcessLauncher::drain(InstanceProcess& p, std::size_t id, std::size_t limit) {
    std::size_t total = 0;
    std::size_t got = 0;
    while (p.open && total < limit && read_once(p, id, &got) == Read::data)
        total += got;
}

void ProcessLauncher::drain_all() {
    for (std::size_t id = 0; id < procs_.size(); ++id) {
        InstanceProcess& p = *procs_[id];
        p.spawn_queued = false;
        drain(p, id, static_cast<std::size_t>(kDefaultPipeCapacity));
        if (p.open)
            close_pipe(p, id);
        close_input(p);
        p.group.cancel();
    }
    deadline_.cancel();
    prompt_timer_.cancel();
}

void ProcessLauncher::arm_read(std::size_t id) {
    InstanceProcess& p = *procs_[id];
    if (!p.open || p.read_armed)
        return;
    if (!events_->accepting_output()) {
        p.paused = true;
        return;
    }
    p.read_armed = true;
    p.pipe.async_wait(asio::posix::descriptor_base::wait_read,
                      [this, id, generation = p.generation](const boost::system::error_code& ec) {
                          InstanceProcess& q = *procs_[id];
                          if (generation != q.generation)
                              return;  // a wait on the pipe of an earlier run
                          q.read_armed = false;
                          if (ec || !q.open)
                              return;
                          if (events_->accepting_output())
                              read_once(q, id);
                          arm_read(id);
                      });
}

void ProcessLauncher::resume_output() {
    for (std::size_t id = 0; id < procs_.size(); ++id) {
        if (!procs_[id]->paused)
            continue;
        procs_[id]->paused = false;
        arm_read(id);
    }
}

ProcessLauncher::Read ProcessLauncher::read_once(InstanceProcess& p, std::size_t id,
                                                 std::size_t* got) {
    const ssize_t n = posix::read_some(p.pipe.native_handle(), read_buf_.data(), read_buf_.size());
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return Read::would_block;
    if (n <= 0) {
        close_pipe(p, id);
        return Read::eof;
    }
    if (got != nullptr)
        *got = static_cast<std::size_t>(n);
    events_->output(id, std::string_view(read_buf_.data(), static_cast<std::size_t>(n)));
    return Read::data;
}

void ProcessLauncher::close_pipe(InstanceProcess& p, std::size_t id) {
    p.open = false;
    p.paused = false;
    boost::system::error_code ignored;
    p.pipe.close(ignored);
    events_->output_end(id);
}

}  // namespace procrun
