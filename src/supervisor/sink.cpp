#include "supervisor/sink.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "supervisor/job_control.hpp"

namespace procrun {

namespace {

// The longest name printed: every instance of the plan, and those of the
// types not selected at their formation's count (they may be started later).
std::size_t name_width(const Plan& plan) {
    std::size_t width = plan.name_width();
    for (const auto& type : plan.types) {
        if (!type.selected && type.count > 0)
            width = std::max(width, type.name.size() + 1 + std::to_string(type.count).size());
    }
    return width;
}

}  // namespace

StartSink::StartSink(boost::asio::io_context& io, const Plan& plan, const StartOptions& options)
    : buffer_(options.style, name_width(plan)),
      writer_(io, options.output_fd),
      quiet_types_(options.quiet) {
    if (options.log_dir) {
        LogOptions log_options;
        log_options.dir = *options.log_dir;
        log_options.format = options.style.format;
        log_options.max_size = options.log_max_size;
        log_options.keep = options.log_keep;
        logs_ = std::make_unique<LogFiles>(std::move(log_options), name_width(plan));
    }
    sources_.reserve(plan.instances.size());
    quiet_.reserve(plan.instances.size());
    for (std::size_t id = 0; id < plan.instances.size(); ++id)
        add_source(id, plan.instances[id]);
}

// Source ids follow instance ids: `id` is sources_.size().
void StartSink::add_source(std::size_t /*id*/, const Instance& inst) {
    sources_.push_back(buffer_.add_source(inst.name, inst.colour));
    if (logs_)
        logs_->add_source(inst.name);  // the same id
    quiet_.push_back(std::find(quiet_types_.begin(), quiet_types_.end(), inst.type) !=
                     quiet_types_.end());
    any_pty_ = any_pty_ || inst.lifecycle->pty;
}

void StartSink::stamp() {
    const auto now = std::chrono::system_clock::now();
    buffer_.set_time(now);
    if (logs_)
        logs_->set_time(now);
    if (memory_ != nullptr)
        memory_->set_time(now);
}

void StartSink::line(std::size_t source, std::string_view text, bool continued) {
    if (!quiet_[source])
        buffer_.append(sources_[source], text, continued);
    if (logs_)
        logs_->append(sources_[source], text, continued);  // -q hides a type from the terminal only
    if (memory_ != nullptr)
        memory_->add(source, text, continued);
}

void StartSink::system(std::string_view text) {
    buffer_.append_system(text);
    if (logs_)
        logs_->append_system(text);
    if (memory_ != nullptr)
        memory_->add(OutputMemory::kSystem, text);
}

void StartSink::report(std::string_view text) {
    write_stderr("procrun: " + std::string(text) + "\n");
}

void StartSink::flush() {
    if (logs_)
        logs_->flush();
    writer_.flush(buffer_);
}

void StartSink::finish(boost::asio::io_context& io, const std::function<bool()>& give_up) {
    if (logs_)
        logs_->flush();
    if (any_pty_ && writer_.is_terminal())
        buffer_.append_raw(terminal_restore_sequence());
    while (!buffer_.empty() && writer_.error() == 0 && !give_up()) {
        writer_.flush(buffer_);
        if (!buffer_.empty() && writer_.waiting())
            io.run_one();
    }
}

}  // namespace procrun
