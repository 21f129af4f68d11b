#pragma once

// `procrun start -D`: the fork into the background, and what the command that
// waits for the start-up prints and returns (docs/running.md).

#include <filesystem>
#include <optional>

#include "procrun/posix/daemon.hpp"
#include "procrun/supervisor.hpp"

namespace procrun::cli {

class DaemonStart : public StartupObserver {
  public:
    // Forks (posix::daemonize). In the waiting command this returns once the
    // start-up is decided: waited() is then true.
    explicit DaemonStart(const std::filesystem::path& root);

    [[nodiscard]] bool waited() const { return daemon_.waited.has_value(); }
    // The waiting command: prints the outcome; returns its exit code.
    [[nodiscard]] int report_and_exit_code() const;
    // The background procrun is about to exit with `code`.
    void finished(int code) { daemon_.report.exit(code); }

    void announced(std::string_view text) override { daemon_.report.announced(text); }
    void decided(bool up) override;

  private:
    posix::Daemonized daemon_;
};

}  // namespace procrun::cli
