#pragma once

// A type's `stop_command`, run to stop one instance instead of sending it its
// stop signal: `/bin/sh -c COMMAND` in a process group of its own, known to
// the guardian, reaped by the one Reaper, its output read in the loop. It
// never outlives its time limit, its owner, nor procrun.

#include <sys/types.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace procrun {

namespace posix {
class Guardian;
class Reaper;
}  // namespace posix

class StopCommand {
  public:
    struct Hooks {
        std::function<void(std::string_view bytes)> output;  // what it wrote, in order
        // It ended, after all its output: `failure` is empty when it exited 0,
        // else how it failed. Never called after the object is destroyed.
        std::function<void(const std::string& failure)> ended;
    };

    StopCommand(boost::asio::io_context& io, posix::Reaper& reaper, posix::Guardian& guardian);
    ~StopCommand();  // whatever of its group is left gets SIGKILL
    StopCommand(const StopCommand&) = delete;
    StopCommand& operator=(const StopCommand&) = delete;

    // Runs `command` (one at a time: a running one is killed first); past
    // `limit` its group gets SIGKILL and it fails. `hooks` are called from the
    // loop only.
    void run(const std::string& command, std::vector<std::string> env, std::filesystem::path cwd,
             std::chrono::milliseconds limit, Hooks hooks);
    // Kills what is left of it; no hook is called any more.
    void cancel();
    [[nodiscard]] bool running() const;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace procrun
