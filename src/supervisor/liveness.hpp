#pragma once

// The liveness probe of one instance (`liveness:`, docs/readiness.md): after
// `initial_delay`, one attempt of the readiness probe's kind (tcp, http or
// exec) every `period`, each bounded by `timeout`; every failed attempt and
// every pass after failures (or the first pass) is reported, with the count of
// failures in a row. What to do about them is the policy's decision.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "procrun/lifecycle.hpp"
#include "supervisor/probe.hpp"

namespace procrun {

class LivenessProbe {
  public:
    // `failures`: failed attempts in a row, 0 when the attempt passed;
    // `detail`: what the last failure was.
    using Report = std::function<void(int failures, const std::string& detail)>;

    LivenessProbe(boost::asio::io_context& io, const Liveness& liveness, int instance_port,
                  std::vector<std::string> env, std::filesystem::path cwd, posix::Reaper& reaper);
    LivenessProbe(const LivenessProbe&) = delete;
    LivenessProbe& operator=(const LivenessProbe&) = delete;

    // Starts probing (again, from the initial delay). `report` is called from
    // the loop, never after cancel() or destruction.
    void start(Report report);
    void cancel();

  private:
    void schedule(Millis delay);
    void attempted(const ProbeResult& result);

    Liveness settings_;
    Probe attempt_;
    boost::asio::steady_timer wait_;
    Report report_;
    int failures_ = 0;
    bool reported_ = false;  // a pass was reported since the last failure
    unsigned token_ = 0;
};

}  // namespace procrun
