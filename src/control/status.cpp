// Pure helpers of the control commands: which instances a request names, and
// the table `procrun status` prints.

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <set>

#include "procrun/control.hpp"

namespace procrun {

ResolvedTargets resolve_targets(const std::vector<std::string>& targets,
                                const std::vector<Instance>& instances) {
    return resolve_targets(targets, instances.size(),
                           [&instances](std::size_t i) -> const Instance& { return instances[i]; });
}

ResolvedTargets resolve_targets(const std::vector<std::string>& targets, std::size_t count,
                                const std::function<const Instance&(std::size_t)>& at) {
    ResolvedTargets out;
    std::vector<bool> chosen(count, targets.empty());
    std::vector<std::string> unknown;
    for (const auto& target : targets) {
        bool found = false;
        for (std::size_t i = 0; i < count; ++i) {
            if (at(i).name == target || at(i).type == target) {
                chosen[i] = true;
                found = true;
            }
        }
        if (!found && std::find(unknown.begin(), unknown.end(), target) == unknown.end())
            unknown.push_back(target);
    }
    if (!unknown.empty()) {
        std::vector<std::string> valid;
        std::set<std::string> seen;
        for (std::size_t i = 0; i < count; ++i) {
            if (seen.insert(at(i).type).second)
                valid.push_back(at(i).type);
        }
        for (std::size_t i = 0; i < count; ++i)
            valid.push_back(at(i).name);
        std::string names;
        for (const auto& u : unknown)
            names += (names.empty() ? "" : ", ") + fmt::format("'{}'", u);
        std::string list;
        for (const auto& v : valid)
            list += (list.empty() ? "" : ", ") + v;
        out.error = fmt::format("unknown process {}{}", names,
                                valid.empty() ? std::string(" (no instance runs)")
                                              : fmt::format(" (valid names: {})", list));
        return out;
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (chosen[i])
            out.instances.push_back(i);
    }
    return out;
}

std::optional<ScaleTarget> parse_scale_target(std::string_view text, std::string* error) {
    const auto eq = text.find('=');
    const std::string_view count = eq == std::string_view::npos ? "" : text.substr(eq + 1);
    ScaleTarget target;
    target.type = std::string(text.substr(0, eq));
    bool ok =
        eq != std::string_view::npos && !target.type.empty() && !count.empty() && count.size() <= 3;
    for (char c : count)
        ok = ok && c >= '0' && c <= '9';
    if (!ok) {
        if (error != nullptr)
            *error = fmt::format("'{}' is not TYPE=N (N a whole number from 0 to 999), e.g. web=3",
                                 text);
        return std::nullopt;
    }
    for (char c : count)
        target.count = target.count * 10 + (c - '0');
    return target;
}

std::string format_uptime(std::int64_t ms) {
    ms = std::max<std::int64_t>(ms, 0);
    constexpr std::int64_t kSecond = 1000;
    constexpr std::int64_t kMinute = 60 * kSecond;
    constexpr std::int64_t kHour = 60 * kMinute;
    constexpr std::int64_t kDay = 24 * kHour;
    if (ms < kSecond)
        return fmt::format("{}ms", ms);
    if (ms < kMinute)
        return fmt::format("{}s", ms / kSecond);
    if (ms < kHour)
        return fmt::format("{}m{:02}s", ms / kMinute, ms % kMinute / kSecond);
    if (ms < kDay)
        return fmt::format("{}h{:02}m", ms / kHour, ms % kHour / kMinute);
    return fmt::format("{}d{:02}h", ms / kDay, ms % kDay / kHour);
}

std::string render_status_table(const std::vector<InstanceStatus>& instances) {
    constexpr std::size_t kColumns = 7;
    using Row = std::array<std::string, kColumns>;
    std::vector<Row> rows;
    rows.push_back({"INSTANCE", "PID", "STATE", "UPTIME", "RESTARTS", "LAST EXIT", "READINESS"});
    auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    for (const auto& s : instances) {
        rows.push_back({s.name, s.pid > 0 ? std::to_string(s.pid) : "-", or_dash(s.state),
                        s.uptime_ms ? format_uptime(*s.uptime_ms) : "-", std::to_string(s.restarts),
                        or_dash(s.last_exit), or_dash(s.readiness)});
    }
    std::array<std::size_t, kColumns> width{};
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < kColumns; ++c)
            width[c] = std::max(width[c], row[c].size());
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < kColumns; ++c) {
            if (c + 1 == kColumns)
                line += row[c];
            else
                line += fmt::format("{:<{}}  ", row[c], width[c]);
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        out += line + '\n';
    }
    return out;
}

}  // namespace procrun
