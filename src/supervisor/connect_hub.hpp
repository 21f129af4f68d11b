#pragma once

// The supervisor's side of `procrun connect`: which connections are joined to
// which instance, what each is sent (the instance's output bytes as they are
// read, its restarts and exits) and what is done with what each sends (typed
// bytes to the instance's input, window sizes to its pseudo-terminal).
//
// It sits between the launcher and the runtime: the launcher reports to it,
// it passes every report on to the runtime unchanged and first, then copies
// output, starts and exits to the connections of that instance. The main
// stream gets everything as before; the hub decides nothing about processes.
//
// A new connection is first shown what the instance wrote after its last
// newline (a prompt waiting for an answer). Any number of connections may join
// one instance: each gets all its output, the input of each goes to it in the
// order it arrives, and the pseudo-terminal takes the window size most recently
// sent by any of them. Input the launcher refuses (no process, or 64 KiB not
// read yet) is dropped, as keys typed at a frozen terminal would be.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procrun/connect.hpp"
#include "procrun/control.hpp"
#include "supervisor/launcher.hpp"
#include "supervisor/runtime.hpp"

namespace procrun {

class ConnectHub : public LauncherEvents {
  public:
    // Takes the launcher's reports (Launcher::connect) from the runtime, which
    // still gets every one. Both must outlive it.
    ConnectHub(Runtime& runtime, Launcher& launcher);

    ~ConnectHub() override;
    ConnectHub(const ConnectHub&) = delete;
    ConnectHub& operator=(const ConnectHub&) = delete;

    // The connect request: the instance it names is joined to the connection,
    // kept open as a stream, which is sent "connected" after the reply.
    ControlReply serve(const ControlRequest& request, ControlConnection& connection);

    // Which instance a connect request names: an instance name, or a process
    // type for its first instance. A refusal says why: an unknown name (with
    // the valid ones), procrun stopping, an instance with no process that
    // will not be started again. On success the reply lists that instance.
    struct Admission {
        std::optional<std::size_t> instance;
        ControlReply reply;
    };
    [[nodiscard]] Admission admit(const ControlRequest& request) const;

    // Joins `stream` to `instance` (from admit) and sends it "connected".
    // Returns the connection's id; its lines go to received(), its end to leave().
    std::uint64_t join(std::size_t instance, std::shared_ptr<ControlStream> stream);
    // A line the client sent: input bytes or a window size. A malformed one
    // ends that connection (reason "invalid", the error as its message).
    void received(std::uint64_t connection, std::string_view line);
    // The connection ended (the client detached or went away, or was cut off).
    void leave(std::uint64_t connection);
    [[nodiscard]] std::size_t connections() const { return peers_.size(); }

    // LauncherEvents: passed on to the runtime, then copied to the connections.
    void started(std::size_t id, int pid) override;
    void spawn_failed(std::size_t id, const std::string& reason) override;
    void output(std::size_t id, std::string_view bytes) override;
    void output_end(std::size_t id) override;
    void exited(std::size_t id, const ExitStatus& status, bool group_empty) override;
    void group_empty(std::size_t id) override;
    void probe_result(std::size_t id, bool ready, const std::string& detail) override;
    void escaped(std::vector<EscapedProcess> processes, bool complete) override;
    void escapee_gone(int pid) override;
    void signal(int signal) override;
    void deadline() override;
    void prompt_timer() override;
    bool accepting_output() override;
    void stop_command_output(std::size_t id, std::string_view bytes) override;
    void stop_command_ended(std::size_t id, const std::string& failure) override;
    void liveness_result(std::size_t id, int failures, const std::string& detail) override;

  private:
    struct Joined {
        std::size_t instance;
        std::shared_ptr<ControlStream> stream;
    };

    void send_to(std::size_t instance, const ConnectEvent& event);
    // The instance has no process and the policy will not start one: its
    // connections end.
    void end_if_gone(std::size_t instance);
    void drop(std::uint64_t connection, std::string_view reason, const std::string& why);
    void remember_tail(std::size_t instance, std::string_view bytes);

    // The unfinished last line of an instance's output kept to show a new
    // connection (its prompt), when not longer than this.
    static constexpr std::size_t kMaxTail = 1024;

    Runtime& runtime_;
    Launcher& launcher_;
    std::map<std::uint64_t, Joined> peers_;  // by connection id, oldest first
    std::uint64_t next_ = 1;
    // The window size last sent for a pseudo-terminal instance: a restart's
    // new terminal gets it too.
    std::map<std::size_t, ConnectWindow> windows_;
    // What each instance wrote after its last newline.
    std::map<std::size_t, std::string> tails_;
    // What the streams' callbacks reach the hub through, gone with it.
    std::shared_ptr<ConnectHub*> self_ = std::make_shared<ConnectHub*>(this);
};

}  // namespace procrun
