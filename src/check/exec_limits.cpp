// What `procrun start` must be able to hand to execve: `/bin/sh -c COMMAND`
// with the instance's environment, within the kernel's argument limits.

#include <fmt/format.h>
#include <optional>
#include <unordered_map>

#include "procrun/check.hpp"
#include "procrun/shell.hpp"

namespace procrun {

namespace {

constexpr std::string_view kShellPath = "/bin/sh";
constexpr std::string_view kCode = "plan/argument-too-long";

// At most `limit` bytes of `s` for a message, cut at a character boundary.
std::string shorten(std::string_view s, std::size_t limit = 40) {
    if (s.size() <= limit)
        return std::string(s);
    std::size_t cut = limit - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
        --cut;
    return std::string(s.substr(0, cut)) + "...";
}

// Bytes execve copies for one string: the string and its NUL.
std::size_t string_cost(std::size_t length) {
    return length + 1;
}

// Where a variable of the environment comes from: the type's `env:`, else the
// last env file that sets it, or the environment procrun was started with.
struct VariableSource {
    Location where;
    bool from_file = false;
};

VariableSource variable_source(const Project& project, std::string_view key,
                               const ProcessType* type = nullptr) {
    if (type != nullptr) {
        for (const auto& v : type->lifecycle.env) {
            if (v.name == key)
                return VariableSource{v.where, true};
        }
    }
    VariableSource source{Location{"environment", 0, 0}, false};
    for (const auto& file : project.env_files) {
        for (const auto& entry : file.entries) {
            if (entry.key == key)
                source = VariableSource{Location{file.path, entry.line, 1}, true};
        }
    }
    return source;
}

std::string describe(const VariableSource& source) {
    if (!source.from_file)
        return "inherited from procrun's environment";
    return fmt::format("set in {}:{}", source.where.file, source.where.line);
}

class LimitCheck {
  public:
    LimitCheck(const Project& project, const ExecLimits& limits)
        : project_(project), limits_(limits) {}

    std::vector<Diagnostic> run() {
        bool variables_fit = true;
        for (const auto& [key, value] : project_.plan.file_env.entries())
            variables_fit = variable(key, value) && variables_fit;
        std::unordered_map<std::string_view, const ProcfileEntry*> entries;
        entries.reserve(project_.procfile.entries.size());
        for (const auto& e : project_.procfile.entries)
            entries.emplace(e.name, &e);
        for (const auto& type : project_.plan.types) {
            const auto found = entries.find(type.name);
            if (found == entries.end())
                continue;
            const ProcfileEntry* entry = found->second;
            const bool command_fits = command(*entry);
            const bool name_fits = name(*entry, type);
            bool own_fit = true;
            for (const auto& [key, value] : type.env.entries())
                own_fit = variable(key, value, &type) && own_fit;
            if (command_fits && name_fits && variables_fit && own_fit)
                total(*entry, type);
        }
        return std::move(out_);
    }

  private:
    const Project& project_;
    const ExecLimits& limits_;
    std::vector<Diagnostic> out_;
    std::optional<std::size_t> shared_env_bytes_;

    std::string source_line(int line) const {
        return std::string(line_at(project_.procfile_text, line));
    }
    Location at(const ProcfileEntry& e, int column) const {
        return Location{project_.procfile.file, e.line, column};
    }
    int name_column(const ProcfileEntry& e) const {
        const std::string line = source_line(e.line);
        const auto at = line.find_first_not_of(" \t");
        return at == std::string::npos ? 1 : static_cast<int>(at) + 1;
    }
    void error(Location where, std::string message, std::string source, std::string hint) {
        out_.push_back(make_error(std::move(where), std::string(kCode), std::move(message),
                                  std::move(source), std::move(hint)));
    }

    bool variable(const std::string& key, const std::string& value,
                  const ProcessType* type = nullptr) {
        const std::size_t bytes = string_cost(key.size() + 1 + value.size());
        if (bytes <= limits_.max_string)
            return true;
        const VariableSource source = variable_source(project_, key, type);
        error(source.where,
              fmt::format("variable {} takes {} bytes ({}); the kernel passes at most {} bytes "
                          "per variable, NUL included, so no process could start",
                          shorten(key), bytes, describe(source), limits_.max_string),
              {}, "put a large value in a file and pass the file's path in the variable instead");
        return false;
    }

    bool command(const ProcfileEntry& e) {
        const std::size_t bytes = string_cost(exec_form(e.command).size());
        if (bytes <= limits_.max_string)
            return true;
        error(at(e, e.command_column),
              fmt::format("the command of '{}' is {} bytes; the kernel passes at most {} bytes "
                          "per argument to /bin/sh -c, NUL included",
                          shorten(e.name), e.command.size(), limits_.max_string),
              source_line(e.line),
              fmt::format("move the command into a script (e.g. bin/{}) and run that",
                          shorten(e.name)));
        return false;
    }

    bool name(const ProcfileEntry& e, const ProcessType& type) {
        const Instance last = make_instance(project_.plan, type, std::max(type.count, 1));
        const std::size_t bytes = string_cost(3 + last.name.size());  // PS=NAME.N
        if (bytes <= limits_.max_string)
            return true;
        error(at(e, name_column(e)),
              fmt::format("process name '{}' is {} bytes: each process gets PS={}.N, and the "
                          "kernel passes at most {} bytes per variable, NUL included",
                          shorten(e.name), e.name.size(), shorten(e.name), limits_.max_string),
              source_line(e.line), "use a shorter process name");
        return false;
    }

    // The environment every instance shares (the inherited one and the env
    // files'), measured once; an instance adds its type's own variables
    // (ProcessType::env) and PORT and PS to it.
    std::size_t shared_env_bytes() {
        if (!shared_env_bytes_) {
            std::size_t bytes = 0;
            for (const auto& [key, value] : project_.plan.os_env.entries())
                bytes += string_cost(key.size() + 1 + value.size()) + sizeof(void*);
            for (const auto& [key, value] : project_.plan.file_env.entries())
                bytes += string_cost(key.size() + 1 + value.size()) + sizeof(void*);
            shared_env_bytes_ = bytes;
        }
        return *shared_env_bytes_;
    }

    void total(const ProcfileEntry& e, const ProcessType& type) {
        // Most types are far under the limit: an upper bound (the shared
        // environment counted whole, the type's own variables, plus PORT and
        // PS at their longest) spares making each one's environment.
        std::size_t own = 0;
        for (const auto& [key, value] : type.env.entries())
            own += string_cost(key.size() + 1 + value.size()) + sizeof(void*);
        const std::size_t bound = shared_env_bytes() + own + string_cost(kShellPath.size()) * 2 +
                                  string_cost(2) + string_cost(exec_form(e.command).size()) +
                                  string_cost(3 + e.name.size() + 12) + string_cost(5 + 6) +
                                  6 * sizeof(void*);
        if (bound <= limits_.max_total)
            return;
        const Instance last = make_instance(project_.plan, type, std::max(type.count, 1));
        const Environment env = project_.plan.environment_of(last);
        const std::size_t argc = 3;  // /bin/sh -c COMMAND
        std::size_t bytes = string_cost(kShellPath.size()) * 2 + string_cost(2) +
                            string_cost(exec_form(e.command).size());
        const Environment::Entry* largest = nullptr;
        for (const auto& entry : env.entries()) {
            bytes += string_cost(entry.first.size() + 1 + entry.second.size());
            if (largest == nullptr || entry.second.size() > largest->second.size())
                largest = &entry;
        }
        bytes += (argc + env.size()) * sizeof(void*);
        if (bytes <= limits_.max_total)
            return;
        std::string hint = "shorten the command (a script, e.g. bin/NAME) or the environment";
        if (largest != nullptr) {
            hint = fmt::format(
                "the largest variable is {} ({} bytes, {}): put large values in files and pass "
                "their paths, or unset what the processes do not need",
                shorten(largest->first), largest->first.size() + 1 + largest->second.size(),
                describe(variable_source(project_, largest->first, &type)));
        }
        error(at(e, name_column(e)),
              fmt::format("'{}' cannot start: its command and environment take {} bytes, over "
                          "the {} bytes execve accepts (ARG_MAX)",
                          shorten(e.name), bytes, limits_.max_total),
              source_line(e.line), std::move(hint));
    }
};

}  // namespace

std::vector<Diagnostic> check_exec_limits(const Project& project, const ExecLimits& limits) {
    return LimitCheck(project, limits).run();
}

}  // namespace procrun
