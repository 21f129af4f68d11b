#pragma once

// The `logs` request: the recent lines of the output memory for the named
// instances and process types (or all, procrun's own included), then, with
// `follow`, every new line as it comes, over a control stream. Lines are the
// objects `start --output json` writes (docs/logs.md). It follows instances
// by name and type, so their new lines keep coming across a restart.

#include <memory>
#include <string>
#include <vector>

#include "procrun/control.hpp"
#include "procrun/output.hpp"
#include "procrun/plan.hpp"
#include "supervisor/instance_table.hpp"
#include "supervisor/output_memory.hpp"

namespace procrun {

class LogService {
  public:
    // `instances` (the run's, which may grow) and `memory` must outlive it;
    // it listens to the memory.
    LogService(const InstanceTable& instances, OutputMemory& memory);
    ~LogService();
    LogService(const LogService&) = delete;
    LogService& operator=(const LogService&) = delete;

    // Sends the last lines after the reply; without `follow`, the stream then
    // ends ("done"); with it, it stays open. An unknown name is an error reply.
    ControlReply serve(const ControlRequest& request, ControlConnection& connection);

    // Streams following now.
    [[nodiscard]] std::size_t followers() const { return followers_.size(); }

  private:
    struct Follower;

    void on_line(const RememberedLine& line);
    // One line as its JSON object, without the newline (valid until the next call).
    std::string_view encode(const RememberedLine& line);
    std::size_t encoder_source(std::size_t source);
    [[nodiscard]] std::vector<LogSource> sources() const;

    const InstanceTable& instances_;
    OutputMemory& memory_;
    OutputBuffer encoder_;               // the JSON format; source 0 is procrun's own
    std::size_t encoder_instances_ = 0;  // instances with a source in encoder_
    std::vector<std::unique_ptr<Follower>> followers_;
};

}  // namespace procrun
