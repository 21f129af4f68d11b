#include "supervisor/liveness.hpp"

#include <string_view>
#include <utility>

namespace procrun {

namespace {

// A readiness probe of one attempt ends its failure with "after 1 attempt".
std::string without_count(std::string detail) {
    constexpr std::string_view suffix = " after 1 attempt";
    if (detail.size() >= suffix.size() &&
        detail.compare(detail.size() - suffix.size(), suffix.size(), suffix) == 0)
        detail.erase(detail.size() - suffix.size());
    return detail;
}

}  // namespace

LivenessProbe::LivenessProbe(boost::asio::io_context& io, const Liveness& liveness,
                             int instance_port, std::vector<std::string> env,
                             std::filesystem::path cwd, posix::Reaper& reaper)
    : settings_(liveness),
      attempt_(io, liveness.attempt(), instance_port, std::move(env), std::move(cwd), reaper),
      wait_(io) {}

void LivenessProbe::start(Report report) {
    cancel();
    report_ = std::move(report);
    schedule(settings_.initial_delay);
}

void LivenessProbe::cancel() {
    ++token_;
    report_ = nullptr;
    failures_ = 0;
    reported_ = false;
    wait_.cancel();
    attempt_.cancel();
}

void LivenessProbe::schedule(Millis delay) {
    wait_.expires_after(delay);
    wait_.async_wait([this, t = token_](boost::system::error_code ec) {
        if (ec || t != token_)
            return;
        attempt_.start([this, t](ProbeResult result) {
            if (t == token_)
                attempted(result);
        });
    });
}

void LivenessProbe::attempted(const ProbeResult& result) {
    // The next attempt is `period` after this one ended.
    schedule(settings_.period);
    // A copy: what the report leads to may cancel or restart this probe.
    const Report report = report_;
    if (result.ready) {
        const bool news = failures_ > 0 || !reported_;
        failures_ = 0;
        reported_ = true;
        if (news && report)
            report(0, {});
        return;
    }
    ++failures_;
    reported_ = false;
    if (report)
        report(failures_, without_count(result.detail));
}

}  // namespace procrun
