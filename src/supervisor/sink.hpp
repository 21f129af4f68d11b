#pragma once

// The one output sink of `procrun start`: formats the instances' lines and
// procrun's own into one batched buffer written by the OutputWriter (stdout),
// into the --log-dir files, and writes procrun's messages to stderr.

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "procrun/output.hpp"
#include "procrun/output/logs.hpp"
#include "procrun/output/writer.hpp"
#include "procrun/plan.hpp"
#include "procrun/supervisor.hpp"
#include "supervisor/launcher.hpp"
#include "supervisor/output_memory.hpp"

namespace procrun {

class StartSink : public Sink {
  public:
    StartSink(boost::asio::io_context& io, const Plan& plan, const StartOptions& options);

    // The writer's progress (a write completed after waiting) and failure.
    void on_progress(std::function<void()> callback) { writer_.on_progress(std::move(callback)); }
    void on_error(std::function<void(int)> callback) { writer_.on_error(std::move(callback)); }
    // Every line (quiet types' too) is also kept in `memory`, which must outlive it.
    void remember(OutputMemory& memory) { memory_ = &memory; }

    void add_source(std::size_t id, const Instance& instance) override;
    void stamp() override;
    void line(std::size_t source, std::string_view text, bool continued) override;
    void system(std::string_view text) override;
    void report(std::string_view text) override;
    void flush() override;
    [[nodiscard]] std::size_t pending() const override { return buffer_.size(); }
    [[nodiscard]] bool failed() const override { return writer_.error() != 0; }

    // At the end: writes everything left, waiting in `io` for a slow reader
    // unless `give_up()` turns true (a SIGINT while waiting). After a pty
    // child, a terminal gets its attributes reset and the cursor shown.
    void finish(boost::asio::io_context& io, const std::function<bool()>& give_up);

  private:
    OutputBuffer buffer_;
    OutputWriter writer_;
    std::unique_ptr<LogFiles> logs_;  // --log-dir
    OutputMemory* memory_ = nullptr;  // procrun logs, attach
    std::vector<std::size_t> sources_;
    std::vector<bool> quiet_;
    std::vector<std::string> quiet_types_;
    bool any_pty_ = false;  // a child may leave the terminal's attributes or cursor changed
};

}  // namespace procrun
