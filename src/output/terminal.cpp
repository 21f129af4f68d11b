#include "procrun/terminal.hpp"

#include "procrun/posix/fd.hpp"

namespace procrun {

namespace {

bool set_and_not(const Environment& env, const char* key, const char* off_value) {
    const std::string* v = env.find(key);
    if (v == nullptr || v->empty())
        return false;
    return off_value == nullptr || *v != off_value;
}

}  // namespace

bool should_colour(int fd, std::optional<bool> flag, const Environment& env) {
    if (flag)
        return *flag;
    if (set_and_not(env, "NO_COLOR", nullptr))
        return false;
    if (set_and_not(env, "FORCE_COLOR", "0") || set_and_not(env, "CLICOLOR_FORCE", "0"))
        return true;
    if (const std::string* term = env.find("TERM"); term != nullptr && *term == "dumb")
        return false;
    return posix::is_terminal(fd);
}

}  // namespace procrun
