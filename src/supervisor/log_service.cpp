#include "supervisor/log_service.hpp"

#include <algorithm>

namespace procrun {

namespace {

OutputStyle json_style() {
    OutputStyle style;
    style.format = OutputFormat::json;
    return style;
}

}  // namespace

// A stream following some sources: every instance (and procrun's own) when
// `all`, else the instances named, or of the types named.
struct LogService::Follower {
    std::shared_ptr<ControlStream> stream;
    bool all = false;
    std::vector<std::string> names;  // instance names and type names
    std::vector<char> wants;         // by instance id: 0 unknown, 1 no, 2 yes

    bool follows(std::size_t source, const InstanceTable& instances) {
        if (all)
            return true;
        if (source == OutputMemory::kSystem || source >= instances.size())
            return false;
        if (source >= wants.size())
            wants.resize(instances.size(), 0);
        if (wants[source] == 0) {
            const Instance& inst = instances[source];
            const bool named = std::any_of(names.begin(), names.end(), [&](const auto& n) {
                return n == inst.name || n == inst.type;
            });
            wants[source] = named ? 2 : 1;
        }
        return wants[source] == 2;
    }
};

LogService::LogService(const InstanceTable& instances, OutputMemory& memory)
    : instances_(instances), memory_(memory), encoder_(json_style(), instances.name_width()) {
    memory_.on_line([this](const RememberedLine& line) { on_line(line); });
}

LogService::~LogService() {
    memory_.on_line(nullptr);
    for (const auto& f : followers_)
        f->stream->on_end(nullptr);
}

std::size_t LogService::encoder_source(std::size_t source) {
    if (source == OutputMemory::kSystem)
        return 0;
    // Instances added while running get their source when first seen.
    while (encoder_instances_ <= source && encoder_instances_ < instances_.size()) {
        const Instance& inst = instances_[encoder_instances_++];
        encoder_.add_source(inst.name, inst.colour);
    }
    return source < encoder_instances_ ? source + 1 : 0;
}

std::string_view LogService::encode(const RememberedLine& line) {
    encoder_.clear();
    encoder_.set_time(line.time);
    encoder_.append(encoder_source(line.source), line.text, line.continued);
    std::string_view text = encoder_.pending();
    text.remove_suffix(1);  // the newline
    return text;
}

std::vector<LogSource> LogService::sources() const {
    std::vector<LogSource> out;
    out.reserve(instances_.size() + 1);
    out.push_back(LogSource{"system", -1});
    for (std::size_t id = 0; id < instances_.size(); ++id)
        out.push_back(LogSource{instances_[id].name, instances_[id].colour});
    return out;
}

ControlReply LogService::serve(const ControlRequest& request, ControlConnection& connection) {
    const ResolvedTargets all = instances_.resolve(request.targets);
    if (!all.ok())
        return ControlReply::failure(all.error);
    // Each name is one group with its own last N; no name, everything as one.
    std::vector<std::vector<std::size_t>> groups;
    if (request.targets.empty()) {
        groups.push_back(all.instances);
        groups.back().push_back(OutputMemory::kSystem);
    } else {
        for (const std::string& target : request.targets)
            groups.push_back(instances_.resolve({target}).instances);
    }
    const std::size_t n = request.lines.value_or(kDefaultLogLines);
    std::vector<RememberedLine> lines;
    for (const auto& group : groups) {
        std::vector<RememberedLine> last = memory_.last(group, n);
        lines.insert(lines.end(), last.begin(), last.end());
    }
    const auto by_seq = [](const RememberedLine& a, const RememberedLine& b) {
        return a.seq < b.seq;
    };
    std::sort(lines.begin(), lines.end(), by_seq);
    lines.erase(std::unique(lines.begin(), lines.end(),
                            [](const auto& a, const auto& b) { return a.seq == b.seq; }),
                lines.end());

    std::shared_ptr<ControlStream> stream = connection.keep_open();
    for (const RememberedLine& line : lines)
        stream->send(encode(line));
    ControlReply reply;
    reply.sources = sources();
    if (!request.follow) {
        stream->end("done", "");
        return reply;
    }
    auto follower = std::make_unique<Follower>();
    follower->stream = stream;
    follower->all = request.targets.empty();
    follower->names = request.targets;
    ControlStream* key = stream.get();
    stream->on_end([this, key](std::string_view) {
        std::erase_if(followers_, [key](const auto& f) { return f->stream.get() == key; });
    });
    followers_.push_back(std::move(follower));
    return reply;
}

void LogService::on_line(const RememberedLine& line) {
    if (followers_.empty())
        return;
    std::string_view text;
    bool encoded = false;
    for (const auto& f : followers_) {
        if (!f->follows(line.source, instances_))
            continue;
        if (!encoded) {
            text = encode(line);
            encoded = true;
        }
        f->stream->send(text);  // a stream cut off ends, and leaves the list
    }
}

}  // namespace procrun
