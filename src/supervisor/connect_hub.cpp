#include "supervisor/connect_hub.hpp"

#include <fmt/core.h>

#include "procrun/exit_status.hpp"

namespace procrun {

namespace {

// States from which the policy starts the instance (again) by itself.
bool coming(const std::string& state) {
    return state == "waiting" || state == "starting" || state == "backoff";
}

// One line without its newline, as a stream sends it.
std::string line_of(const ConnectEvent& event) {
    std::string line = encode_connect_event(event);
    line.pop_back();
    return line;
}

// States with no process and none to come.
bool gone(const std::string& state) {
    return state == "exited" || state == "stopped" || state == "failed";
}

}  // namespace

ConnectHub::ConnectHub(Runtime& runtime, Launcher& launcher)
    : runtime_(runtime), launcher_(launcher) {
    launcher_.connect(*this);
}

ConnectHub::~ConnectHub() = default;

ConnectHub::Admission ConnectHub::admit(const ControlRequest& request) const {
    Admission out;
    const ResolvedTargets targets = runtime_.instances().resolve(request.targets);
    if (!targets.ok() || targets.instances.empty()) {
        out.reply =
            ControlReply::failure(targets.ok() ? "connect needs one process" : targets.error);
        return out;
    }
    const Policy& policy = runtime_.policy();
    if (policy.stopping() || policy.finished()) {
        out.reply = ControlReply::failure("procrun is stopping");
        return out;
    }
    // A process type: its first instance (web is web.1).
    const std::size_t id = targets.instances.front();
    const InstanceStatus st = policy.status(id, runtime_.now());
    if (gone(st.state)) {
        out.reply = ControlReply::failure(
            fmt::format("{} is not running ({}): nothing to connect to; `procrun start {}` starts "
                        "it again",
                        st.name, st.state, st.name));
        return out;
    }
    out.instance = id;
    out.reply.instances.push_back(st);
    return out;
}

ControlReply ConnectHub::serve(const ControlRequest& request, ControlConnection& connection) {
    Admission admission = admit(request);
    if (admission.instance)
        join(*admission.instance, connection.keep_open());
    return std::move(admission.reply);
}

std::uint64_t ConnectHub::join(std::size_t instance, std::shared_ptr<ControlStream> stream) {
    const InstanceStatus st = runtime_.policy().status(instance, runtime_.now());
    ConnectEvent hello;
    hello.kind = ConnectEvent::Kind::connected;
    hello.name = runtime_.instances()[instance].name;
    hello.pid = st.pid;
    hello.terminal = runtime_.instances()[instance].lifecycle->pty;
    hello.state = st.state;
    stream->send(line_of(hello));
    // The line it left unfinished, shown again: a "(Pdb) " prompt waiting.
    if (const auto tail = tails_.find(instance); tail != tails_.end()) {
        ConnectEvent prompt;
        prompt.kind = ConnectEvent::Kind::output;
        prompt.data = tail->second;
        stream->send(line_of(prompt));
    }
    const std::uint64_t connection = next_++;
    // A stream may outlive the hub (the server ends it at exit): it then calls nothing.
    std::weak_ptr<ConnectHub*> hub = self_;
    stream->on_line([hub, connection](std::string_view line) {
        if (const auto h = hub.lock())
            (*h)->received(connection, line);
    });
    stream->on_end([hub, connection](std::string_view) {
        if (const auto h = hub.lock())
            (*h)->leave(connection);
    });
    peers_.emplace(connection, Joined{instance, std::move(stream)});
    return connection;
}

void ConnectHub::received(std::uint64_t connection, std::string_view line) {
    const auto it = peers_.find(connection);
    if (it == peers_.end())
        return;
    const Decoded<ConnectInput> in = decode_connect_input(line);
    if (!in.ok()) {
        drop(connection, kConnectInvalid, "bad connect message: " + in.error);
        return;
    }
    const std::size_t id = it->second.instance;
    if (in.value->resize && runtime_.instances()[id].lifecycle->pty) {
        windows_[id] = *in.value->resize;
        launcher_.resize(id, in.value->resize->rows, in.value->resize->cols);
    }
    if (!in.value->input.empty())
        launcher_.write_input(id, in.value->input);
}

void ConnectHub::leave(std::uint64_t connection) {
    const auto it = peers_.find(connection);
    if (it == peers_.end())
        return;
    const std::size_t id = it->second.instance;
    peers_.erase(it);
    for (const auto& [other, joined] : peers_) {
        if (joined.instance == id)
            return;
    }
    windows_.erase(id);
}

void ConnectHub::drop(std::uint64_t connection, std::string_view reason, const std::string& why) {
    const auto it = peers_.find(connection);
    if (it == peers_.end())
        return;
    const std::shared_ptr<ControlStream> stream = it->second.stream;
    leave(connection);
    stream->end(reason, why);
}

void ConnectHub::send_to(std::size_t instance, const ConnectEvent& event) {
    std::string line;
    for (const auto& [connection, joined] : peers_) {
        if (joined.instance != instance)
            continue;
        if (line.empty())
            line = line_of(event);
        joined.stream->send(line);
    }
}

void ConnectHub::end_if_gone(std::size_t instance) {
    const InstanceStatus st = runtime_.policy().status(instance, runtime_.now());
    if (!gone(st.state))
        return;
    const std::string why =
        runtime_.policy().stopping()
            ? std::string("procrun is stopping everything")
            : fmt::format("{} will not be started again ({})", st.name, st.state);
    std::vector<std::uint64_t> ending;
    for (const auto& [connection, joined] : peers_) {
        if (joined.instance == instance)
            ending.push_back(connection);
    }
    for (std::uint64_t connection : ending)
        drop(connection, kConnectEnded, why);
}

// ---- the launcher's reports: the runtime first ----------------------------------

void ConnectHub::started(std::size_t id, int pid) {
    runtime_.started(id, pid);
    if (const auto w = windows_.find(id); w != windows_.end())
        launcher_.resize(id, w->second.rows, w->second.cols);
    ConnectEvent e;
    e.kind = ConnectEvent::Kind::started;
    e.pid = pid;
    send_to(id, e);
}

void ConnectHub::spawn_failed(std::size_t id, const std::string& reason) {
    runtime_.spawn_failed(id, reason);
    end_if_gone(id);
}

void ConnectHub::output(std::size_t id, std::string_view bytes) {
    runtime_.output(id, bytes);
    remember_tail(id, bytes);
    if (peers_.empty())
        return;
    ConnectEvent e;
    e.kind = ConnectEvent::Kind::output;
    e.data = std::string(bytes);
    send_to(id, e);
}

void ConnectHub::output_end(std::size_t id) {
    runtime_.output_end(id);
    tails_.erase(id);
}

void ConnectHub::remember_tail(std::size_t id, std::string_view bytes) {
    const std::size_t newline = bytes.rfind('\n');
    if (newline != std::string_view::npos) {
        bytes.remove_prefix(newline + 1);
        if (bytes.empty()) {
            tails_.erase(id);
            return;
        }
        tails_[id].assign(bytes.data(), bytes.size());
    } else {
        tails_[id].append(bytes.data(), bytes.size());
    }
    // A line this long is no prompt: nothing to show again.
    if (tails_[id].size() > kMaxTail)
        tails_.erase(id);
}

void ConnectHub::exited(std::size_t id, const ExitStatus& status, bool group_empty) {
    runtime_.exited(id, status, group_empty);
    const InstanceStatus st = runtime_.policy().status(id, runtime_.now());
    ConnectEvent e;
    e.kind = ConnectEvent::Kind::exited;
    e.text = describe(status);
    e.state = st.state;
    e.restarting = coming(st.state);
    send_to(id, e);
    if (group_empty)
        end_if_gone(id);
}

void ConnectHub::group_empty(std::size_t id) {
    runtime_.group_empty(id);
    end_if_gone(id);
}

void ConnectHub::probe_result(std::size_t id, bool ready, const std::string& detail) {
    runtime_.probe_result(id, ready, detail);
}

void ConnectHub::escaped(std::vector<EscapedProcess> processes, bool complete) {
    runtime_.escaped(std::move(processes), complete);
}

void ConnectHub::escapee_gone(int pid) {
    runtime_.escapee_gone(pid);
}

void ConnectHub::signal(int sig) {
    runtime_.signal(sig);
}

void ConnectHub::deadline() {
    runtime_.deadline();
}

void ConnectHub::prompt_timer() {
    runtime_.prompt_timer();
}

bool ConnectHub::accepting_output() {
    return runtime_.accepting_output();
}

// What a stop command writes is not the instance's output: it goes to the
// main stream only.
void ConnectHub::stop_command_output(std::size_t id, std::string_view bytes) {
    runtime_.stop_command_output(id, bytes);
}

void ConnectHub::stop_command_ended(std::size_t id, const std::string& failure) {
    runtime_.stop_command_ended(id, failure);
}

void ConnectHub::liveness_result(std::size_t id, int failures, const std::string& detail) {
    runtime_.liveness_result(id, failures, detail);
}

}  // namespace procrun
